"""Transcripts (CLR 2.0) over many achievements, the DID document, status list documents and key rotation."""

from __future__ import annotations

import io
import json
import subprocess
from typing import Any

import jsonschema
from pypdf import PdfReader

from certificates import proofs
from certificates.status_list import StatusBits
from certificates.verify import did_document_trust
from creditbank.services import credentials
from tests.credentials.issued_world import Issued
from tests.vectors import load_json


def _transcript(issued: Issued, count: int) -> dict[str, Any]:
    world = issued.world
    for index in range(count):
        title = {"zh": f"课程{index}：社区健康", "en": f"Course {index}: community health"}
        world.record("uni-b", f"T-{index:03d}", title=title, credits=2)
    return credentials.issue(world.bank, None, credentials.Request(world.learner, "transcript", None, "en-zh"))


def test_a_transcript_wraps_signed_achievement_credentials_and_runs_to_several_pages(issued: Issued) -> None:
    made = _transcript(issued, 100)
    clr = made["credential"]
    assert clr["type"] == ["VerifiableCredential", "ClrCredential"]
    inner = clr["credentialSubject"]["verifiableCredential"]
    assert len(inner) >= 101
    schema = jsonschema.Draft201909Validator(load_json("ob3-schema/ob_achievementcredential.json"))
    for credential in inner[:5]:
        schema.validate(credential)
        assert credential["proof"][0]["cryptosuite"] == "eddsa-rdfc-2022"
    pdf = credentials.pdf(issued.world.bank, None, made["id"])
    assert len(PdfReader(io.BytesIO(pdf)).pages) >= 5
    text = subprocess.run(["pdftotext", "-layout", "-", "-"], input=pdf, capture_output=True, check=True).stdout
    shown = text.decode("utf-8")
    assert "Course 99: community health" in shown
    assert "李娟" in shown
    report = issued.post_verify(pdf, "application/pdf")
    assert report["valid"] is True, report
    assert report["kind"] == "ClrCredential"


def test_the_did_document_lists_the_signing_key_and_the_log_key(issued: Issued) -> None:
    response = issued.world.client.get("/.well-known/did.json")
    assert response.status_code == 200
    did = response.get_json()
    assert did["id"] == "did:web:localhost%3A5000"
    method = did["verificationMethod"][0]
    assert method["type"] == "Multikey"
    assert method["publicKeyMultibase"].startswith("z6Mk")
    assert did["assertionMethod"] == [m["id"] for m in did["verificationMethod"]]
    trust = did_document_trust(did)
    assert trust.log_keys
    assert trust.keys


def test_status_lists_are_signed_and_reflect_revocation(issued: Issued) -> None:
    world = issued.world
    made = credentials.issue(world.bank, None, credentials.Request(world.learner, "achievement", issued.achievement))
    entry = made["credential"]["credentialStatus"]
    name = entry["statusListCredential"].rsplit("/", 1)[1]
    index = int(entry["statusListIndex"])
    credentials.change_status(world.bank, made["id"], "revoke", "test")
    response = world.client.get(f"/status/{name}")
    assert response.status_code == 200
    document = response.get_json()
    assert document["type"] == ["VerifiableCredential", "BitstringStatusListCredential"]
    keys = {m.method: m.public for m in did_document_trust(world.client.get("/.well-known/did.json").get_json()).keys}
    assert [check.ok for check in proofs.verify(document, keys.get)] == [True]
    bits = StatusBits.decode(document["credentialSubject"]["encodedList"])
    assert bits.size >= 131072
    assert bits.get(index) is True
    suspension = world.client.get(f"/status/{name.replace('revocation', 'suspension')}").get_json()
    assert StatusBits.decode(suspension["credentialSubject"]["encodedList"]).get(index) is False
    for missing in ("99-revocation", "1-other", "x", "1-revocation-extra"):
        assert world.client.get(f"/status/{missing}").status_code == 404


def test_an_institution_sees_only_its_own_credentials(issued: Issued) -> None:
    world = issued.world
    mine = world.client.get(f"/api/v1/credentials/{issued.credential_id}", headers=world.headers("uni-a"))
    assert mine.status_code == 200
    assert mine.get_json()["id"] == issued.credential_id
    theirs = world.client.get(f"/api/v1/credentials/{issued.credential_id}", headers=world.headers("uni-b"))
    assert theirs.status_code == 404
    pdf = world.client.get(f"/api/v1/credentials/{issued.credential_id}/pdf", headers=world.headers("uni-a"))
    assert pdf.mimetype == "application/pdf"
    assert pdf.data.startswith(b"%PDF")
    bundle = world.client.get(
        f"/api/v1/credentials/{issued.credential_id}?receipt=true", headers=world.headers("uni-a")
    ).get_json()
    assert set(bundle) == {"credential", "receipt"}
    other = world.client.post(
        f"/api/v1/learners/{world.learner}/credentials",
        json={"kind": "achievement", "achievement": issued.achievement},
        headers=world.headers("uni-b"),
    )
    assert other.status_code == 404
    missing = world.client.post(
        f"/api/v1/learners/{world.learner}/credentials", json={"kind": "achievement"}, headers=world.headers("uni-a")
    )
    assert missing.status_code == 422
    assert "achievement" in json.dumps(missing.get_json())


def test_replay_rebuilds_credentials_and_keys_identically(issued: Issued) -> None:
    from sqlalchemy import select

    from creditbank.models import Credential, CredentialKey
    from creditbank.projections import replay

    world = issued.world
    made = credentials.issue(world.bank, None, credentials.Request(world.learner, "achievement", issued.achievement))
    credentials.change_status(world.bank, made["id"], "suspend")

    def rows() -> list[tuple[Any, ...]]:
        with world.bank.db.reading() as session:
            found = [
                (c.id, c.learner_id, c.kind, c.subject, c.institution_id, c.issued_seq, c.hash, c.key_id,
                 c.status_list, c.status_index, c.sources, c.revoked_seq, c.suspended, c.status_seq)
                for c in session.scalars(select(Credential).order_by(Credential.id))
            ]  # fmt: skip
            keys = [
                (k.id, k.public_key, k.active_from, k.retired_at, k.seq) for k in session.scalars(select(CredentialKey))
            ]
            return [*found, *keys]

    before = rows()
    assert any(row[12] is True for row in before if len(row) > 5)
    with world.bank.db.writing() as session:
        replay(session)
    assert rows() == before
