"""`creditbank verify` says which of the three verdicts it reached by its exit status — 0 valid, 1 not valid, 3
authentic with its status not checked — and reads the status lists given with --status by their own id and purpose.
`creditbank keys compromised` records a compromise and lists what the key signed."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import pytest

from creditbank import create_app
from creditbank.runtime import bank_of
from creditbank.services import credentials
from creditbank.services.credentials import credential_keys


@pytest.fixture
def cli(cli):
    cli("demo", "--learners", "2")
    return cli


def _bank(cli) -> Any:
    return bank_of(create_app(cli.settings))


def _issue(cli, folder: Path, name: str = "c.json") -> dict[str, Any]:
    bank = _bank(cli)
    try:
        from sqlalchemy import select

        from creditbank.models import QualificationAward

        with bank.db.reading() as session:
            award = session.scalars(select(QualificationAward)).one()
            learner, award_id = award.learner_id, award.id
    finally:
        bank.db.dispose()
    cli("credentials", "issue", "--learner", learner, "--qualification", award_id, "--json", str(folder / name))
    bundle: dict[str, Any] = json.loads((folder / name).read_text())
    return bundle


def _offline_files(cli, folder: Path, credential: dict[str, Any]) -> tuple[Path, Path, Path]:
    """The DID document and the credential's revocation and suspension lists, as a verifier would download them."""
    bank = _bank(cli)
    try:
        name = credential["credentialStatus"]["statusListCredential"].rsplit("/", 1)[1]
        paths = []
        for purpose, list_name in (("revocation", name), ("suspension", name.replace("revocation", "suspension"))):
            path = folder / f"{purpose}.json"
            path.write_text(json.dumps(credentials.status_list(bank, list_name)))
            paths.append(path)
        did = folder / "did.json"
        did.write_text(json.dumps(credential_keys.did_document(bank)))
        return did, paths[0], paths[1]
    finally:
        bank.db.dispose()


def test_the_three_verdicts_have_three_exit_codes(cli, tmp_path: Path) -> None:
    bundle = _issue(cli, tmp_path)
    path = str(tmp_path / "c.json")
    did, revocation, suspension = _offline_files(cli, tmp_path, bundle["credential"])
    unchecked = cli("verify", path, "--trust", str(did), code=3)
    assert "AUTHENTIC, STATUS NOT CHECKED" in unchecked
    assert "skip  status" in unchecked
    assert "VALID" not in unchecked.replace("not a verdict of valid", "")
    both = ["--status", str(revocation), "--status", str(suspension)]
    assert ": VALID" in cli("verify", path, "--trust", str(did), *both)
    # The revocation list alone says nothing of suspension: still not checked.
    assert (
        json.loads(cli("verify", path, "--trust", str(did), "--status", str(revocation), "--json", code=3))["verdict"]
        == "authentic_unchecked"
    )
    (tmp_path / "junk.json").write_text("{}")
    assert "NOT VALID" in cli("verify", str(tmp_path / "junk.json"), "--trust", str(did), code=1)
    assert "3 authentic, status not checked" in " ".join(cli("verify", "--help").split())


def test_a_suspension_list_is_never_read_as_the_revocation_list(cli, tmp_path: Path) -> None:
    bundle = _issue(cli, tmp_path)
    credential = bundle["credential"]
    cli("credentials", "suspend", credential["id"], "--reason", "checking a complaint")
    did, revocation, suspension = _offline_files(cli, tmp_path, credential)
    path = str(tmp_path / "c.json")
    out = cli("verify", path, "--trust", str(did), "--status", str(revocation), "--status", str(suspension), code=1)
    assert "suspended" in out
    # Given in the other order, or given alone, the suspension list answers only for suspension.
    out = cli("verify", path, "--trust", str(did), "--status", str(suspension), "--status", str(revocation), code=1)
    assert "suspended" in out
    assert "skip  status" in cli("verify", path, "--trust", str(did), "--status", str(suspension), code=3)
    # A suspension list relabelled as the revocation list is no longer signed by the bank.
    forged = json.loads(suspension.read_text())
    forged["id"] = credential["credentialStatus"]["statusListCredential"]
    (tmp_path / "forged.json").write_text(json.dumps(forged))
    assert "not a status list signed" in cli(
        "verify", path, "--trust", str(did), "--status", str(tmp_path / "forged.json"), code=2
    )
    cli("credentials", "reinstate", credential["id"])
    did, revocation, suspension = _offline_files(cli, tmp_path, credential)
    lists = ["--status", str(revocation), "--status", str(suspension)]
    assert ": VALID" in cli("verify", path, "--trust", str(did), *lists)


def test_keys_compromised_lists_what_the_key_signed_and_the_did_document_drops_it(cli, tmp_path: Path) -> None:
    first = _issue(cli, tmp_path, "first.json")
    key = first["credential"]["proof"][0]["verificationMethod"].rsplit("#", 1)[1]
    assert "must be an RFC 3339" in cli("keys", "compromised", key, "--since", "2026-02-30T00:00:00Z", code=1)
    unknown = cli("keys", "compromised", "key-0000", "--since", "2026-01-01T00:00:00Z", code=1)
    assert "no credential-signing key" in unknown
    out = cli("keys", "compromised", key, "--since", "2026-01-01T00:00:00Z", "--reason", "laptop stolen")
    assert f"credential key {key} recorded as compromised" in out
    assert first["credential"]["id"] in out
    assert "refused by the bank too" in out
    assert "already reported compromised" in cli("keys", "compromised", key, "--since", "2026-01-01T00:00:00Z", code=1)
    bank = _bank(cli)
    try:
        did = credential_keys.did_document(bank)
    finally:
        bank.db.dispose()
    stolen = next(method for method in did["verificationMethod"] if method["id"].endswith(f"#{key}"))
    assert stolen["revoked"] == "2026-01-01T00:00:00.000Z"
    assert stolen["id"] not in did["assertionMethod"]
    assert len(did["assertionMethod"]) == 1
    # Signed and recorded after the compromise began: refused by the bank's own verifier, online and offline.
    (tmp_path / "did.json").write_text(json.dumps(did))
    assert "compromised" in cli("verify", str(tmp_path / "first.json"), code=1)
    assert "compromised" in cli("verify", str(tmp_path / "first.json"), "--trust", str(tmp_path / "did.json"), code=1)
    # The bank signs with a new key at once.
    second = _issue(cli, tmp_path, "second.json")
    assert not second["credential"]["proof"][0]["verificationMethod"].endswith(f"#{key}")
    assert ": VALID" in cli("verify", str(tmp_path / "second.json"))


def test_an_index_past_the_lists_given_fails_rather_than_goes_unchecked(cli, tmp_path: Path) -> None:
    # The lists were read and hold no such bit: Bitstring Status List's RANGE_ERROR, which must never read as
    # "could not be consulted" (authentic, status not checked).
    from certificates import verify as verification
    from certificates.status_list import StatusBits
    from creditbank.cli.verify import _status_from_files

    bundle = _issue(cli, tmp_path)
    did, revocation, suspension = _offline_files(cli, tmp_path, bundle["credential"])
    trust = verification.did_document_trust(json.loads(did.read_text()))
    lookup = _status_from_files((revocation, suspension), trust)
    entry = bundle["credential"]["credentialStatus"]
    url, index = entry["statusListCredential"], int(entry["statusListIndex"])
    assert lookup("c", url, index) == verification.StatusAnswer(False, False)
    size = StatusBits.decode(json.loads(revocation.read_text())["credentialSubject"]["encodedList"]).size
    assert lookup("c", url, size - 1) == verification.StatusAnswer(False, False)
    past = lookup("c", url, size)
    assert past == verification.StatusAnswer(False, False, past_end=size)
    # What the verdict makes of such an answer for a credential that is otherwise valid offline.
    checked = dataclasses.replace(trust, status=lambda _c, _u, _i: past)
    report = verification.verify_bytes(json.dumps(bundle).encode(), checked).to_json()
    assert report["verdict"] == "invalid", report
    (status,) = [item for item in report["checks"] if item["check"] == "status"]
    assert status["result"] == "fail"
    assert "past the end of its list" in status["reason"]
