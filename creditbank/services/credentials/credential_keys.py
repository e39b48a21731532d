"""The bank's credential-signing keys: creation, rotation (`key.rotated`) and the did:web document that lists them.

Private keys stay in the instance folder, sealed like every key file (``creditbank.keys``); the ledger and the DID
document carry only public keys. A rotated-out key stays in the DID document, marked with when it was retired, so
credentials signed before the rotation keep verifying.

Compromise is another act (`key.compromised`): the key may be in someone else's hands from a given time on. It
leaves assertionMethod, so standard verifiers refuse everything it signed; it stays listed under
verificationMethod with the time it was revoked from, so the bank's own verifier can still accept what it signed,
and the ledger recorded, before then.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from sqlalchemy import select
from sqlalchemy.orm import Session

from certificates.multibase import public_multikey
from certificates.shape import parse_datetime
from creditbank import keys, ledger_store, recording
from creditbank.errors import Conflict, InvalidInput, NotFound
from creditbank.models import Credential, CredentialKey
from creditbank.runtime import Bank
from creditbank.services.credentials import pdf_keys

BANK_ACTOR = "bank:keys"
ROTATED = "key.rotated"
COMPROMISED = "key.compromised"


def _key_file(bank: Bank, key_id: str) -> Any:
    return keys.key_path(bank.instance_path, f"credential-{key_id}.pem")


def _raw_public(key: Ed25519PrivateKey) -> bytes:
    return key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)


def current(session: Session) -> CredentialKey | None:
    return session.scalars(
        select(CredentialKey)
        .where(CredentialKey.retired_at.is_(None), CredentialKey.compromised_at.is_(None))
        .order_by(CredentialKey.seq.desc())
        .limit(1)
    ).first()


def rotate(bank: Bank) -> CredentialKey:
    """Create a new signing key and retire the current one, in one ledger entry."""
    key = Ed25519PrivateKey.generate()
    raw = _raw_public(key)
    key_id = "key-" + hashlib.sha256(raw).hexdigest()[:16]
    # The private key is on disk before the entry exists, so a crash leaves an unused file, never a listed key
    # nobody can sign with.
    keys.write_key(_key_file(bank, key_id), key, bank.settings["CREDITBANK_KEY_PASSPHRASE"], keys.CREDENTIAL_PURPOSE)
    with bank.db.writing() as session:
        previous = current(session)
        body = {"key": key_id, "public_key": public_multikey(raw), "retires": previous.id if previous else None}
        recording.record(session, [ledger_store.NewEntry(ROTATED, BANK_ACTOR, body)])
        row = session.get(CredentialKey, key_id)
        assert row is not None
        session.expunge(row)
    return row


def compromise(bank: Bank, key_id: str, since: str, reason: str | None = None) -> list[dict[str, Any]]:
    """Record that ``key_id`` may have been in other hands since ``since``; returns the credentials it signed.

    A key still in use is rotated out first, so the bank never signs with it again. Every credential it signed is
    listed for reissue: standard verifiers now refuse all of them, and the bank's own verifier those signed, or
    recorded, at or after ``since``.
    """
    moment = parse_datetime(since)
    if moment is None:
        raise InvalidInput("--since must be an RFC 3339 date-time with a time zone", errors={"since": "invalid"})
    if moment > datetime.now(UTC):
        raise InvalidInput("a compromise cannot start in the future", errors={"since": "in the future"})
    with bank.db.reading() as session:
        row = session.get(CredentialKey, key_id)
        if row is None:
            raise NotFound(f"no credential-signing key {key_id!r}")
        if row.compromised_at is not None:
            raise Conflict(f"key {key_id} was already reported compromised since {row.compromised_at}")
        in_use = row.retired_at is None
    if in_use:
        rotate(bank)
    # Kept in UTC like every time an entry carries; parsed strictly above, so an impossible date never lands.
    body = {"key": key_id, "since": ledger_store.timestamp(moment), "reason": reason}
    with bank.db.writing() as session:
        recording.record(session, [ledger_store.NewEntry(COMPROMISED, BANK_ACTOR, body)])
        signed = session.scalars(select(Credential).where(Credential.key_id == key_id).order_by(Credential.issued_seq))
        return [
            {
                "id": credential.id,
                "learner": credential.learner_id,
                "kind": credential.kind,
                "seq": credential.issued_seq,
                "issued_at": credential.issued_at,
                "revoked": credential.revoked_seq is not None,
                # Refused by the bank's verifier too, not only by standard ones.
                "after_since": (parse_datetime(credential.issued_at) or moment) >= moment,
            }
            for credential in signed
        ]


def ensure(bank: Bank) -> CredentialKey:
    with bank.db.reading() as session:
        row = current(session)
        if row is not None:
            session.expunge(row)
            return row
    return rotate(bank)


def signer(bank: Bank, row: CredentialKey) -> Ed25519PrivateKey:
    path = _key_file(bank, row.id)
    key = keys.load_key(path, bank.settings["CREDITBANK_KEY_PASSPHRASE"], keys.CREDENTIAL_PURPOSE)
    if public_multikey(_raw_public(key)) != row.public_key:
        raise keys.ConfigurationError(f"the key file for {row.id} does not hold the published public key")
    return key


def all_keys(session: Session) -> Sequence[CredentialKey]:
    return list(session.scalars(select(CredentialKey).order_by(CredentialKey.seq)))


def did_document(bank: Bank) -> dict[str, Any]:
    identifier = bank.did
    with bank.db.reading() as session:
        rows = all_keys(session)
    methods = []
    for row in rows:
        method: dict[str, Any] = {
            "id": f"{identifier}#{row.id}",
            "type": "Multikey",
            "controller": identifier,
            "publicKeyMultibase": row.public_key,
            "activeFrom": row.active_from,
        }
        if row.retired_at:
            method["retiredAt"] = row.retired_at
        if row.compromised_at:
            # `revoked` is the Multikey term (Controlled Identifiers): no signature from then on is to be trusted.
            method["revoked"] = row.compromised_at
        methods.append(method)
    return {
        "@context": ["https://www.w3.org/ns/did/v1", "https://w3id.org/security/multikey/v1"],
        "id": identifier,
        "verificationMethod": methods,
        # A compromised key asserts nothing any more: standard verifiers refuse whatever it signed.
        "assertionMethod": [method["id"] for method in methods if "revoked" not in method],
        "service": [
            {
                "id": f"{identifier}#ledger",
                "type": "TransparencyLog",
                "serviceEndpoint": f"{bank.public_url}/ledger",
                "verifierKey": bank.log_verifier().vkey,
            },
            pdf_keys.did_service(bank),
        ],
    }
