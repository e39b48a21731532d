"""The two document hashes the ledger records, each pinned by a vector computed apart from the code under test.

- `credential_hash` (the `credential_hash` of a `credential.issued` body): "sha256:" + hex SHA-256 of the signed
  credential's RFC 8785 (JCS) canonical JSON.
- `documents.digest` (the `hash` of a framework or rule set publication): hex SHA-256 of the document's JCS.

Each expected value is computed three ways that share no code with the project: the canonical bytes written out
by hand, `hashlib` over `rfc8785` on the same input, and a literal (checked with coreutils' `sha256sum` over the
hand-written bytes when it was written here).
"""

from __future__ import annotations

import hashlib

import rfc8785

from certificates.receipts import credential_hash
from creditbank.credits import documents

CREDENTIAL = {
    "@context": [
        "https://www.w3.org/ns/credentials/v2",
        "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
    ],
    "id": "urn:uuid:7c8b0b1e-2f53-4a07-9f3e-5d2b8f6a1c44",
    "type": ["VerifiableCredential", "OpenBadgeCredential"],
    "issuer": {"id": "did:web:bank.example", "type": ["Profile"], "name": "示例学分银行"},
    "validFrom": "2026-01-10T00:00:00Z",
    "credentialSubject": {
        "type": ["AchievementSubject"],
        "creditsEarned": 3.0,
        "achievement": {"name": "数据素养 Data literacy"},
    },
    "proof": [{"type": "DataIntegrityProof", "cryptosuite": "eddsa-rdfc-2022", "proofValue": "z3FXQ"}],
}
# Keys sorted by UTF-16 code units at every depth, no whitespace, UTF-8 text unescaped, 3.0 written as 3.
CREDENTIAL_JCS = (
    '{"@context":["https://www.w3.org/ns/credentials/v2","https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"],'
    '"credentialSubject":{"achievement":{"name":"数据素养 Data literacy"},"creditsEarned":3,'
    '"type":["AchievementSubject"]},"id":"urn:uuid:7c8b0b1e-2f53-4a07-9f3e-5d2b8f6a1c44",'
    '"issuer":{"id":"did:web:bank.example","name":"示例学分银行","type":["Profile"]},'
    '"proof":[{"cryptosuite":"eddsa-rdfc-2022","proofValue":"z3FXQ","type":"DataIntegrityProof"}],'
    '"type":["VerifiableCredential","OpenBadgeCredential"],"validFrom":"2026-01-10T00:00:00Z"}'
).encode()
CREDENTIAL_HASH = "sha256:7cc8340bf3e2fd38715690ae9a1fee0df853f21beb3f74a9205e2c6dbccf9034"

FRAMEWORK = {
    "id": "eqf",
    "version": "1.0.0",
    "name": {"zh": "欧洲资格框架", "en": "European Qualifications Framework"},
    "credit_unit": {"hours_per_credit": 25.0, "name": "ECTS"},
    "levels": [{"number": 1, "name": {"en": "Level 1"}}, {"number": 8, "name": {"en": "Level 8"}}],
    "ratio": 0.5,
    "big": 1e21,
}
FRAMEWORK_JCS = (
    '{"big":1e+21,"credit_unit":{"hours_per_credit":25,"name":"ECTS"},"id":"eqf",'
    '"levels":[{"name":{"en":"Level 1"},"number":1},{"name":{"en":"Level 8"},"number":8}],'
    '"name":{"en":"European Qualifications Framework","zh":"欧洲资格框架"},"ratio":0.5,"version":"1.0.0"}'
).encode()
FRAMEWORK_DIGEST = "13258f3ee7e648acb473b823609c59fb8e8d634e6fd978e298a8900c0cfc1220"


def test_the_vectors_agree_with_each_other() -> None:
    assert rfc8785.dumps(CREDENTIAL) == CREDENTIAL_JCS
    assert "sha256:" + hashlib.sha256(CREDENTIAL_JCS).hexdigest() == CREDENTIAL_HASH
    assert rfc8785.dumps(FRAMEWORK) == FRAMEWORK_JCS
    assert hashlib.sha256(FRAMEWORK_JCS).hexdigest() == FRAMEWORK_DIGEST


def test_credential_hash_is_sha256_of_the_canonical_credential() -> None:
    by_hand = "sha256:" + hashlib.sha256(rfc8785.dumps(CREDENTIAL)).hexdigest()
    assert credential_hash(CREDENTIAL) == by_hand == CREDENTIAL_HASH


def test_document_digest_is_sha256_of_the_canonical_document() -> None:
    by_hand = hashlib.sha256(rfc8785.dumps(FRAMEWORK)).hexdigest()
    assert documents.digest(FRAMEWORK) == by_hand == FRAMEWORK_DIGEST
