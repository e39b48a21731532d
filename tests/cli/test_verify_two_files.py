"""`creditbank verify CREDENTIAL RECEIPT`: the portal's two downloads — the bare credential a wallet takes and its
receipt — verify together exactly as the joined file does; a receipt is never taken twice or from the wrong place."""

from __future__ import annotations

import json
from pathlib import Path

from tests.cli.test_verify_exit_codes import _issue, _offline_files
from tests.cli.test_verify_exit_codes import cli as cli


def test_a_credential_and_its_receipt_as_two_files_verify_as_one(cli, tmp_path: Path) -> None:
    bundle = _issue(cli, tmp_path)
    did, revocation, suspension = _offline_files(cli, tmp_path, bundle["credential"])
    trust = ["--trust", str(did), "--status", str(revocation), "--status", str(suspension)]
    credential, receipt = tmp_path / "credential.json", tmp_path / "receipt.json"
    credential.write_text(json.dumps(bundle["credential"]))
    receipt.write_text(json.dumps(bundle["receipt"]))

    joined = json.loads(cli("verify", str(tmp_path / "c.json"), *trust, "--json"))
    apart = json.loads(cli("verify", str(credential), str(receipt), *trust, "--json"))
    assert apart["verdict"] == joined["verdict"] == "valid"
    assert [(c["check"], c["result"]) for c in apart["checks"]] == [(c["check"], c["result"]) for c in joined["checks"]]

    # Without its receipt the offline verifier cannot prove the ledger entry: never a verdict of valid.
    alone = json.loads(cli("verify", str(credential), *trust, "--json", code=1))
    assert alone["verdict"] == "invalid"
    assert any(c["check"] == "ledger" and c["result"] != "pass" for c in alone["checks"])


def test_a_receipt_belongs_to_its_credential_and_is_given_once(cli, tmp_path: Path) -> None:
    first = _issue(cli, tmp_path, "first.json")
    second = _issue(cli, tmp_path, "second.json")
    did, revocation, suspension = _offline_files(cli, tmp_path, first["credential"])
    trust = ["--trust", str(did), "--status", str(revocation), "--status", str(suspension)]
    credential, other_receipt = tmp_path / "credential.json", tmp_path / "other-receipt.json"
    credential.write_text(json.dumps(first["credential"]))
    other_receipt.write_text(json.dumps(second["receipt"]))
    assert "NOT VALID" in cli("verify", str(credential), str(other_receipt), *trust, code=1)

    # The joined file already holds a receipt: a second one is refused, not weighed against it.
    out = cli("verify", str(tmp_path / "first.json"), str(other_receipt), *trust, code=2)
    assert "already holds a receipt" in out
    not_a_receipt = tmp_path / "not-a-receipt.json"
    not_a_receipt.write_text(json.dumps({"hello": "world"}))
    assert "is not a credential receipt" in cli("verify", str(credential), str(not_a_receipt), *trust, code=2)
    pdf = tmp_path / "certificate.pdf"
    pdf.write_bytes(b"%PDF-1.7\n")
    assert "carries its own receipt" in cli("verify", str(pdf), str(other_receipt), *trust, code=2)
