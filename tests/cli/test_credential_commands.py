"""`creditbank credentials …`, `keys rotate` and the offline `verify`: bank staff issue, revoke and suspend; anyone
verifies a file with nothing but the bank's DID document, and the exit status says valid (0), not valid (1) or
authentic with its status not checked (3)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from creditbank import create_app
from creditbank.runtime import bank_of
from creditbank.services import credentials
from creditbank.services.credentials import credential_keys


@pytest.fixture
def cli(cli):
    """A bank seeded with the demo data (its showcase learner holds an awarded qualification)."""
    cli("demo", "--learners", "2")
    return cli


def _showcase(cli) -> tuple[str, str]:
    """The demo's showcase learner and her qualification award."""
    bank = bank_of(create_app(cli.settings))
    try:
        with bank.db.reading() as session:
            from sqlalchemy import select

            from creditbank.models import QualificationAward

            award = session.scalars(select(QualificationAward)).one()
            return award.learner_id, award.id
    finally:
        bank.db.dispose()


def _did(cli, folder: Path) -> Path:
    bank = bank_of(create_app(cli.settings))
    try:
        path = folder / "did.json"
        path.write_text(json.dumps(credential_keys.did_document(bank)))
        return path
    finally:
        bank.db.dispose()


# A bank PDF checked offline with the DID document alone: everything passes but the status, which needs the lists.
PASSED_OFFLINE = {
    "pdf_signature": "pass",
    "format": "pass",
    "signature": "pass",
    "key": "pass",
    "ledger": "pass",
    "status": "skip",
    "validity": "pass",
}


def verdict_line(output: str) -> str:
    return output.splitlines()[0]


def outcomes(output: str) -> dict[str, str]:
    """Each check's outcome, from the lines `  <outcome>  <check> <reason>` under the verdict."""
    found = [re.match(r"  (pass|fail|skip)  (\S+)", line) for line in output.splitlines()[1:]]
    return {match[2]: match[1] for match in found if match}


def test_issue_write_and_verify_offline(cli, tmp_path: Path) -> None:
    learner, award = _showcase(cli)
    out = cli(
        "credentials", "issue", "--learner", learner, "--qualification", award,
        "--json", str(tmp_path / "c.json"), "--pdf", str(tmp_path / "c.pdf"),
    )  # fmt: skip
    assert re.search(r"issued qualification credential urn:uuid:\S+ at seq \d+", out)
    did = _did(cli, tmp_path)
    for name in ("c.json", "c.pdf"):
        # Without the status lists nothing says it was not revoked: authentic, status not checked (exit 3).
        report = cli("verify", str(tmp_path / name), "--trust", str(did), "--json", code=3)
        body = json.loads(report)
        assert body["valid"] is False, body
        assert body["verdict"] == "authentic_unchecked", body
        assert {c["check"]: c["result"] for c in body["checks"]}["status"] == "skip"
    text = cli(
        "verify", str(tmp_path / "c.pdf"), "--trust", str(did), "--name", "陈秀英", "--birth-date", "1952-10-03", code=3
    )
    # The verdict is the first line, whole: a substring such as "VALID" would also be found in "NOT VALID".
    assert verdict_line(text) == f"{tmp_path / 'c.pdf'}: AUTHENTIC, STATUS NOT CHECKED (not a verdict of valid)"
    assert outcomes(text) == {**PASSED_OFFLINE, "identity": "pass"}
    wrong = cli(
        "verify", str(tmp_path / "c.pdf"), "--trust", str(did), "--name", "陈秀英", "--birth-date", "1952-10-04", code=4
    )
    assert verdict_line(wrong) == f"{tmp_path / 'c.pdf'}: AUTHENTIC, STATUS NOT CHECKED (not a verdict of valid)"
    assert outcomes(wrong) == {**PASSED_OFFLINE, "identity": "fail"}


def test_revocation_shows_offline_through_a_status_list_file(cli, tmp_path: Path) -> None:
    learner, award = _showcase(cli)
    cli("credentials", "issue", "--learner", learner, "--qualification", award, "--json", str(tmp_path / "c.json"))
    credential = json.loads((tmp_path / "c.json").read_text())["credential"]
    cli("credentials", "revoke", credential["id"], "--reason", "issued in error")
    bank = bank_of(create_app(cli.settings))
    try:
        name = credential["credentialStatus"]["statusListCredential"].rsplit("/", 1)[1]
        (tmp_path / "list.json").write_text(json.dumps(credentials.status_list(bank, name)))
    finally:
        bank.db.dispose()
    did = _did(cli, tmp_path)
    out = cli("verify", str(tmp_path / "c.json"), "--trust", str(did), "--status", str(tmp_path / "list.json"), code=1)
    assert "fail  status" in out
    assert "revoked" in out
    # The bank's own view (no --trust) checks status live.
    assert "revoked" in cli("verify", str(tmp_path / "c.json"), code=1)
    listed = cli("credentials", "list", "--learner", learner)
    assert "revoked" in listed


def test_a_rotated_key_keeps_earlier_credentials_valid(cli, tmp_path: Path) -> None:
    learner, award = _showcase(cli)
    cli("credentials", "issue", "--learner", learner, "--qualification", award, "--json", str(tmp_path / "old.json"))
    assert "active from" in cli("keys", "rotate")
    cli("credentials", "issue", "--learner", learner, "--qualification", award, "--json", str(tmp_path / "new.json"))
    did_path = _did(cli, tmp_path)
    did = json.loads(did_path.read_text())
    assert len(did["assertionMethod"]) == 2
    retired = [method for method in did["verificationMethod"] if "retiredAt" in method]
    assert len(retired) == 1
    old = json.loads((tmp_path / "old.json").read_text())["credential"]
    new = json.loads((tmp_path / "new.json").read_text())["credential"]
    assert old["proof"][0]["verificationMethod"] != new["proof"][0]["verificationMethod"]
    assert old["proof"][0]["verificationMethod"] == retired[0]["id"]
    for name in ("old.json", "new.json"):
        body = json.loads(cli("verify", str(tmp_path / name), "--trust", str(did_path), "--json", code=3))
        assert body["verdict"] == "authentic_unchecked", body
        assert not [check for check in body["checks"] if check["result"] == "fail"], body
        # The bank's own view checks status as well: valid.
        assert json.loads(cli("verify", str(tmp_path / name), "--json"))["verdict"] == "valid"


def test_usage_errors_name_the_problem(cli, tmp_path: Path) -> None:
    learner, _award = _showcase(cli)
    out = cli("credentials", "issue", "--learner", learner, code=2)
    assert "exactly one of --achievement, --qualification, --transcript" in out
    assert "no credential" in cli("credentials", "revoke", "urn:uuid:nothing", code=1)
    (tmp_path / "junk.json").write_text("{not json")
    assert "not a readable JSON file" in cli(
        "verify", str(tmp_path / "junk.json"), "--trust", str(tmp_path / "junk.json"), code=2
    )
    assert verdict_line(cli("verify", str(tmp_path / "junk.json"), code=1)) == f"{tmp_path / 'junk.json'}: NOT VALID"
    assert "does not exist" in cli("verify", str(tmp_path / "missing.pdf"), code=2)


def test_the_pdf_signing_key_rotates_and_earlier_pdfs_keep_verifying(cli, tmp_path: Path) -> None:
    learner, award = _showcase(cli)
    before = tmp_path / "before.pdf"
    cli("credentials", "issue", "--learner", learner, "--qualification", award, "--pdf", str(before))
    first_signers = sorted(
        p.name for p in (Path(cli.settings["CREDITBANK_INSTANCE_PATH"]) / "keys").glob("pdf-signing-*.pem")
    )
    out = cli("keys", "rotate", "--pdf")
    assert out.startswith("PDF signing certificate ")
    signers = sorted(
        p.name for p in (Path(cli.settings["CREDITBANK_INSTANCE_PATH"]) / "keys").glob("pdf-signing-*.pem")
    )
    assert len(signers) == len(first_signers) + 1
    after = tmp_path / "after.pdf"
    cli("credentials", "issue", "--learner", learner, "--qualification", award, "--pdf", str(after))
    for pdf in (before, after):
        assert json.loads(cli("verify", str(pdf), "--json"))["verdict"] == "valid"
