"""`creditbank witness key | logs add | logs list` and `creditbank witnesses add | list | submit`."""

from __future__ import annotations

import base64
import re

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from ledger.cosignature import CosignatureVerifier, Cosigner
from ledger.note import NoteSigner

LOG = NoteSigner("other.test/creditbank", Ed25519PrivateKey.from_private_bytes(bytes(range(32))))
OTHER_WITNESS = Cosigner("other.test/creditbank/witness", Ed25519PrivateKey.from_private_bytes(bytes(32)))


def test_witness_key_prints_a_cosignature_vkey_and_keeps_it(cli):
    cli("db", "upgrade")
    first = cli("witness", "key").strip()
    assert re.fullmatch(r"[^\s+]+/witness\+[0-9a-f]{8}\+[A-Za-z0-9+/]{44}", first)
    assert base64.b64decode(first.split("+", 2)[2])[0] == 0x04
    assert CosignatureVerifier.from_vkey(first).vkey == first
    assert cli("witness", "key").strip() == first


def test_logs_add_and_list(cli):
    cli("db", "upgrade")
    assert "no logs witnessed" in cli("witness", "logs", "list")
    out = cli("witness", "logs", "add", LOG.name, LOG.vkey)
    assert f"witnessing {LOG.name}" in out
    # Naming it again with the same key changes nothing; another key is refused.
    cli("witness", "logs", "add", LOG.name, LOG.vkey)
    other_key = NoteSigner(LOG.name, Ed25519PrivateKey.from_private_bytes(bytes(32))).vkey
    assert "another key" in cli("witness", "logs", "add", LOG.name, other_key, code=1)
    listed = cli("witness", "logs", "list")
    assert f"{LOG.name}  size 0  cosigned never  {LOG.vkey}" in listed


def test_logs_add_refuses_what_is_not_a_log_key(cli):
    cli("db", "upgrade")
    assert "0x01" in cli("witness", "logs", "add", LOG.name, OTHER_WITNESS.vkey, code=1)
    assert "verifier key" in cli("witness", "logs", "add", LOG.name, "nonsense", code=1)
    assert "origin" in cli("witness", "logs", "add", "bad\torigin", LOG.vkey, code=1)
    assert "no logs witnessed" in cli("witness", "logs", "list")


def test_witnesses_add_list_and_submit(cli):
    cli("db", "upgrade")
    assert "no witnesses configured" in cli("witnesses", "list")
    assert "nothing to submit" in cli("witnesses", "submit")
    out = cli("witnesses", "add", OTHER_WITNESS.vkey, "https://other.test/witness/")
    assert "at https://other.test/witness/add-checkpoint" in out
    assert "0x04" in cli("witnesses", "add", LOG.vkey, "https://other.test/witness", code=1)
    assert "http(s)" in cli("witnesses", "add", OTHER_WITNESS.vkey, "file:///etc/passwd", code=1)
    assert "already configured" in cli("witnesses", "add", OTHER_WITNESS.vkey, "https://elsewhere.test", code=1)
    assert f"{OTHER_WITNESS.name}  https://other.test/witness  nothing cosigned yet" in cli("witnesses", "list")


def test_verify_requires_k_witnesses_on_the_receipts_checkpoint(cli, tmp_path):
    import json

    from sqlalchemy import select

    from creditbank import create_app
    from creditbank.models import LogWitness, QualificationAward
    from creditbank.runtime import bank_of
    from creditbank.services.credentials import reading
    from creditbank.services.transparency import checkpoints, witnesses
    from tests.helpers import append

    cli("demo", "--learners", "2")
    bank = bank_of(create_app(cli.settings))
    w1 = Cosigner("w1.test/witness", Ed25519PrivateKey.from_private_bytes(b"\x01" * 32))
    w2 = Cosigner("w2.test/witness", Ed25519PrivateKey.from_private_bytes(b"\x02" * 32))
    try:
        with bank.db.reading() as session:
            award = session.scalars(select(QualificationAward)).first()
            assert award is not None
        bundle_path = tmp_path / "c.json"
        cli(
            "credentials",
            "issue",
            "--learner",
            award.learner_id,
            "--qualification",
            award.id,
            "--json",
            str(bundle_path),
        )
        bundle = json.loads(bundle_path.read_text())
        credential_id = bundle["credential"]["id"]
        # w1 cosigned the checkpoint the receipt leads to; the bank holds its line, so receipts now carry it.
        latest = checkpoints.latest(bank)
        line = w1.cosign(latest.note[: latest.note.rindex("\n\n") + 1], 1_800_000_000).line()
        witnesses.add_witness(bank, w1.vkey, "https://w1.test/witness")
        with bank.db.writing() as session:
            row = session.get(LogWitness, w1.name)
            row.cosigned_size, row.cosignature = latest.size, line
        # The log moves on before the witness sees the next checkpoint: receipts keep to the cosigned one.
        append(bank, 2)
        checkpoints.sign(bank)
        assert checkpoints.latest(bank).size == latest.size + 2
        receipt = reading.receipt(bank, credential_id)
    finally:
        bank.db.dispose()
    assert receipt["checkpoint"] == latest.note + line
    bundle["receipt"] = receipt
    bundle_path.write_text(json.dumps(bundle))

    out = cli("verify", str(bundle_path), "--witness", w1.vkey)
    assert "pass  witnesses" in out
    assert "cosigned by 1 of 1" in out
    # k = 1 of the two named passes; k = 2 (and the default, all of them) fails: w2 never cosigned.
    cli("verify", str(bundle_path), "--witness", w1.vkey, "--witness", w2.vkey, "--witnesses", "1")
    out = cli("verify", str(bundle_path), "--witness", w1.vkey, "--witness", w2.vkey, code=1)
    assert "fail  witnesses" in out
    assert "2 of 2 trusted witnesses must cosign" in out
    assert "NOT VALID" in cli("verify", str(bundle_path), "--witness", w1.vkey, "--witnesses", "2", code=1)

    # A line naming w1 that does not verify fails the check, whatever k is.
    forged = w1.cosign("another checkpoint\n", 1_800_000_000).line()
    bundle["receipt"]["checkpoint"] = latest.note + forged
    # Each entry's tlog-proof carries the same checkpoint verbatim, so the ledger check still passes.
    for item in bundle["receipt"]["entries"]:
        item["tlog_proof"] = item["tlog_proof"].replace(latest.note + line, latest.note + forged)
    bundle_path.write_text(json.dumps(bundle))
    out = cli("verify", str(bundle_path), "--witness", w1.vkey, code=1)
    assert "does not verify" in out

    assert "Invalid value" in cli("verify", str(bundle_path), "--witnesses", "1", code=2)
    assert "0x04" in cli("verify", str(bundle_path), "--witness", LOG.vkey, code=2)
