"""The two key acts. Rotation retires a key and keeps it good for what it signed while it was the signing key;
compromise (`key.compromised`) takes it out of assertionMethod and makes the bank refuse whatever it signed, or
the ledger recorded, from the given time on. Either way the proof's own `created` (which the signer writes) is not
enough: the key must have been the signing key when the ledger recorded the credential."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select

from certificates import proofs
from certificates.verify import did_document_trust, verify_bytes
from creditbank.models import CredentialKey
from creditbank.services import credentials
from creditbank.services.credentials import credential_keys
from tests.credentials.issued_world import Issued
from tests.credentials.resign import fresh_slot, record, sign_with, status_entry, variant


def _api(issued: Issued, bundle: dict[str, Any]) -> dict[str, Any]:
    return issued.post_verify(json.dumps(bundle).encode(), "application/json")


def _key_reason(report: dict[str, Any]) -> str:
    assert report["verdict"] == "invalid", report
    found = {item["check"]: item for item in report["checks"]}
    assert found["key"]["result"] == "fail", report
    return str(found["key"]["reason"])


def _current(issued: Issued) -> CredentialKey:
    return credential_keys.ensure(issued.world.bank)


def _signed_by(issued: Issued, key: CredentialKey, created: datetime) -> dict[str, Any]:
    """A new credential signed by ``key`` with the proof time ``created``, recorded in the ledger now."""
    slot = fresh_slot()
    document = variant(issued.bundle["credential"], credentialStatus=status_entry(issued, *slot))
    stamp = created.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return record(issued, sign_with(issued.world.bank, document, key, stamp), slot=slot)


def _seconds_later(moment: str, seconds: float) -> datetime:
    return datetime.fromisoformat(moment.replace("Z", "+00:00")) + timedelta(seconds=seconds)


def test_rotation_keeps_what_the_old_key_signed_and_refuses_it_after(issued: Issued) -> None:
    old = _current(issued)
    before = credentials.bundle(
        issued.world.bank,
        None,
        credentials.issue(
            issued.world.bank, None, credentials.Request(issued.world.learner, "achievement", issued.achievement)
        )["id"],
    )
    credential_keys.rotate(issued.world.bank)
    with issued.world.bank.db.reading() as session:
        retired = session.get(CredentialKey, old.id)
        assert retired is not None
        assert retired.retired_at is not None
        retired_at = retired.retired_at
    assert _api(issued, before)["verdict"] == "valid"
    assert "since retired" in {c["check"]: c["reason"] for c in _api(issued, before)["checks"]}["key"]
    # Signed with the retired key and dated honestly after its retirement.
    late = _signed_by(issued, old, _seconds_later(retired_at, 1))
    assert "after" in _key_reason(_api(issued, late))
    # Backdated to before the retirement, but the ledger recorded it after: refused all the same.
    backdated = _signed_by(issued, old, _seconds_later(old.active_from, 0))
    reason = _key_reason(_api(issued, backdated))
    assert "the ledger recorded it at" in reason
    assert "retired" in reason
    offline = did_document_trust(credential_keys.did_document(issued.world.bank))
    assert verify_bytes(json.dumps(backdated).encode(), offline).verdict == "invalid"


def test_a_wrapped_credential_signed_by_a_retired_key_makes_the_transcript_invalid(issued: Issued) -> None:
    bank = issued.world.bank
    with bank.db.reading() as session:
        retired = session.scalars(
            select(CredentialKey).where(CredentialKey.retired_at.is_not(None)).order_by(CredentialKey.seq)
        ).first()
        assert retired is not None
        session.expunge(retired)
    made = credentials.issue(bank, None, credentials.Request(issued.world.learner, "transcript", None, "en-zh"))
    slot = fresh_slot()
    clr = variant(made["credential"], credentialStatus=status_entry(issued, *slot))
    inner = clr["credentialSubject"]["verifiableCredential"]
    # Dated back to when the old key was in use: the transcript was recorded after its retirement all the same.
    inner[0] = sign_with(bank, inner[0], retired, _seconds_later(retired.active_from, 0).strftime("%Y-%m-%dT%H:%M:%SZ"))
    bundle = record(issued, sign_with(bank, clr), slot=slot, kind="transcript")
    reason = _key_reason(_api(issued, bundle))
    assert reason.startswith("wrapped credential 1 (")
    assert "retired" in reason


def test_a_key_signing_before_it_existed_is_refused(issued: Issued) -> None:
    key = _current(issued)
    early = _signed_by(issued, key, _seconds_later(key.active_from, -3600))
    assert "before" in _key_reason(_api(issued, early))


def test_compromise_refuses_what_was_signed_or_recorded_since_and_keeps_what_came_before(issued: Issued) -> None:
    bank = issued.world.bank
    key = _current(issued)
    honest = credentials.issue(bank, None, credentials.Request(issued.world.learner, "achievement", issued.achievement))
    honest_bundle = credentials.bundle(bank, None, honest["id"])
    time.sleep(0.01)
    since = datetime.now(UTC)
    time.sleep(1.1)  # proof times are whole seconds: the thief's proofs below are dated after ``since``
    stolen = _signed_by(issued, key, datetime.now(UTC))
    backdated = _signed_by(issued, key, _seconds_later(key.active_from, 0))
    done = credentials.compromise_key(bank, key.id, since.strftime("%Y-%m-%dT%H:%M:%S.%fZ"), "key file copied")
    listed = {item["id"]: item for item in done["credentials"]}
    assert honest["id"] in listed
    assert not listed[honest["id"]]["after_since"]
    assert listed[stolen["credential"]["id"]]["after_since"]
    assert done["current_key"] != key.id

    did = issued.world.client.get("/.well-known/did.json").get_json()
    method = next(m for m in did["verificationMethod"] if m["id"].endswith(f"#{key.id}"))
    assert "revoked" in method
    assert method["id"] not in did["assertionMethod"]

    assert _api(issued, honest_bundle)["verdict"] == "valid"
    assert "compromised" in _key_reason(_api(issued, stolen))
    reason = _key_reason(_api(issued, backdated))
    assert "the ledger recorded it at" in reason
    assert "compromised" in reason
    offline = did_document_trust(did)
    assert verify_bytes(json.dumps(stolen).encode(), offline).verdict == "invalid"
    assert verify_bytes(json.dumps(honest_bundle).encode(), offline).verdict == "authentic_unchecked"

    # The QR page says what the verifier says, and the status lists are signed again by the current key.
    assert credentials.public_summary(bank, honest["id"])["status"] == "valid"
    assert credentials.public_summary(bank, stolen["credential"]["id"])["status"] == "invalid"
    page = issued.world.client.get(f"/v/{stolen['credential']['id']}").get_data(as_text=True)
    verdict = page.split('id="verdict"')[1].split("</p>")[0]
    assert "✘" in verdict
    assert "无效" in verdict
    assert "✔" not in verdict
    name = honest["credential"]["credentialStatus"]["statusListCredential"].rsplit("/", 1)[1]
    listed_doc = issued.world.client.get(f"/status/{name}").get_json()
    assert listed_doc["proof"][0]["verificationMethod"].endswith(f"#{done['current_key']}")
    keys = {m.method: m.public for m in offline.keys}
    assert [check.ok for check in proofs.verify(listed_doc, keys.get)] == [True]
    # Newly issued credentials use the new key and verify.
    fresh = credentials.issue(bank, None, credentials.Request(issued.world.learner, "achievement", issued.achievement))
    assert fresh["credential"]["proof"][0]["verificationMethod"].endswith(f"#{done['current_key']}")
    assert _api(issued, credentials.bundle(bank, None, fresh["id"]))["verdict"] == "valid"


def test_replay_rebuilds_the_compromise(issued: Issued) -> None:
    from sqlalchemy import select

    from creditbank.projections import replay

    def keys() -> list[tuple[Any, ...]]:
        with issued.world.bank.db.reading() as session:
            return [
                (k.id, k.active_from, k.retired_at, k.compromised_at)
                for k in session.scalars(select(CredentialKey).order_by(CredentialKey.seq))
            ]

    before = keys()
    assert any(row[3] for row in before)
    with issued.world.bank.db.writing() as session:
        replay(session)
    assert keys() == before
