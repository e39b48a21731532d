"""`creditbank backup DEST` and `creditbank restore SRC`: a demo bank moves to a new database and instance folder
and comes out audited with its checkpoint intact; every refusal is one line and a non-zero exit, never a traceback."""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import re
from pathlib import Path

import pytest

from tests.conftest import database_url


@pytest.fixture
def cli(cli):
    cli("demo", "--learners", "2")
    return cli


def _move_to_new_bank(cli, monkeypatch, request, folder: Path) -> None:
    """Point the following commands at an empty database and an instance folder without keys."""
    folder.mkdir()
    backend = "postgresql" if cli.settings["CREDITBANK_DATABASE_URL"].startswith("postgresql") else "sqlite"
    monkeypatch.setenv("CREDITBANK_DATABASE_URL", database_url(backend, request, folder))
    monkeypatch.setenv("CREDITBANK_INSTANCE_PATH", str(folder / "instance"))


def test_backup_then_restore_into_a_new_bank(cli, monkeypatch, request, tmp_path):
    checkpoint = cli("ledger", "checkpoint")
    archive = tmp_path / "bank.cbbackup"
    out = cli("backup", str(archive))
    assert re.search(r"backup written to .*bank\.cbbackup: schema \d+, tree size \d+, checkpoint \d+", out)
    assert "log-ed25519.pem" in out
    assert "master-key.json" in out

    _move_to_new_bank(cli, monkeypatch, request, tmp_path / "new")
    out = cli("restore", str(archive))
    assert "audit passed" in out
    assert "note byte-identical" in out
    assert cli("ledger", "checkpoint") == checkpoint  # nothing to sign: the restored tree is the one signed
    assert cli("ledger", "audit").startswith("audit passed")
    assert "Error: the target database is not empty" in cli("restore", str(archive), code=1)


def test_refusals_are_one_line_and_exit_non_zero(cli, monkeypatch, request, tmp_path):
    archive = tmp_path / "bank.cbbackup"
    cli("backup", str(archive))
    original = archive.read_bytes()
    assert "already exists; give --force" in cli("backup", str(archive), code=1)
    assert archive.read_bytes() == original
    assert "backup written" in cli("backup", str(archive), "--force")

    data = archive.read_bytes()
    truncated = tmp_path / "truncated.cbbackup"
    truncated.write_bytes(data[: len(data) // 2])
    altered = tmp_path / "altered.cbbackup"
    altered.write_bytes(gzip.compress(gzip.decompress(data).replace(b'"demo-university"', b'"demo-universitx"')))
    lines = gzip.decompress(data).splitlines(keepends=True)
    header = json.loads(lines[0])
    header["revision"] = "0099"
    body = [json.dumps(header).encode() + b"\n", *lines[1:-1]]
    end = json.loads(lines[-1])
    end["end"]["sha256"] = hashlib.sha256(b"".join(body)).hexdigest()
    newer = tmp_path / "newer.cbbackup"
    newer.write_bytes(gzip.compress(b"".join(body) + json.dumps(end).encode() + b"\n"))

    assert "Error: the target database is not empty" in cli("restore", str(archive), code=1)
    _move_to_new_bank(cli, monkeypatch, request, tmp_path / "new")
    for path, message in (
        (tmp_path / "missing.cbbackup", "no backup archive at"),
        (truncated, "is damaged or truncated"),
        (altered, "fails its checksum"),
        (newer, "schema revision '0099'"),
    ):
        out = cli("restore", str(path), code=1)
        assert message in out, out
        assert len(out.strip().splitlines()) == 1, out
    # None of that wrote a row or a key: the intact archive still restores.
    assert "audit passed" in cli("restore", str(archive))


def test_a_target_whose_own_audit_left_a_finding_still_counts_as_empty(cli, monkeypatch, request, tmp_path):
    """`ledger audit` records its result for /ready; run on the empty target first, that row is no content."""
    archive = tmp_path / "bank.cbbackup"
    cli("backup", str(archive))
    _move_to_new_bank(cli, monkeypatch, request, tmp_path / "new")
    cli("db", "upgrade")
    from sqlalchemy import create_engine, text

    engine = create_engine(os.environ["CREDITBANK_DATABASE_URL"])
    with engine.begin() as connection:
        connection.execute(
            text("INSERT INTO operations_findings (name, ok, detail, checked_at) VALUES ('audit', true, 'ok', 0)")
        )
    engine.dispose()
    assert "audit passed" in cli("restore", str(archive))


def test_the_witness_key_moves_with_the_bank_and_must_open(cli, monkeypatch, request, tmp_path):
    from creditbank import keys
    from creditbank.services.transparency import witness

    vkey = cli("witness", "key").strip().splitlines()[-1]
    folder = Path(cli.settings["CREDITBANK_INSTANCE_PATH"]) / "keys"
    archive = tmp_path / "bank.cbbackup"
    assert witness.WITNESS_KEY in cli("backup", str(archive))
    # The same bank with its witness key sealed under another passphrase, as a change of passphrase cut short
    # would leave it.
    passphrase = cli.settings["CREDITBANK_KEY_PASSPHRASE"]
    keys.reseal(folder / witness.WITNESS_KEY, passphrase, witness.WITNESS_PURPOSE, new_passphrase="another one")
    stray = tmp_path / "stray.cbbackup"
    cli("backup", str(stray))

    _move_to_new_bank(cli, monkeypatch, request, tmp_path / "new")
    out = cli("restore", str(stray), code=1)
    assert f"cannot open {tmp_path / 'new' / 'instance' / 'keys' / witness.WITNESS_KEY}" in out, out
    assert "nothing was restored" in out
    assert not (tmp_path / "new" / "instance" / "keys" / witness.WITNESS_KEY).exists()
    assert "audit passed" in cli("restore", str(archive))
    assert cli("witness", "key").strip().splitlines()[-1] == vkey
