"""The log's origin belongs to the instance: fixed when the log key is created, kept when the environment forgets
or changes it. Commands run without the server's environment still audit, back up and restore the same log; a
configured origin that differs is refused in one line."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.conftest import database_url

SERVER = "credits.example.org"
ORIGIN = f"{SERVER}/creditbank"


@pytest.fixture
def server_bank(cli, monkeypatch):
    """A bank set up with its production server name, a few entries and a signed checkpoint."""
    monkeypatch.setenv("CREDITBANK_SERVER_NAME", SERVER)
    cli("db", "upgrade")
    assert ORIGIN in cli("keys", "init")
    cli("institutions", "add", "east-branch", "--type", "open_university", "--name-en", "East Branch")
    note = cli("ledger", "checkpoint")
    assert note.startswith(ORIGIN + "\n")
    return cli


def _new_bank(cli, monkeypatch, request, folder: Path) -> None:
    folder.mkdir()
    backend = "postgresql" if cli.settings["CREDITBANK_DATABASE_URL"].startswith("postgresql") else "sqlite"
    monkeypatch.setenv("CREDITBANK_DATABASE_URL", database_url(backend, request, folder))
    monkeypatch.setenv("CREDITBANK_INSTANCE_PATH", str(folder / "instance"))


def test_the_audit_without_the_servers_environment_checks_the_stored_origin(server_bank, monkeypatch):
    monkeypatch.delenv("CREDITBANK_SERVER_NAME")
    out = server_bank("ledger", "audit")
    assert out.startswith("audit passed"), out
    assert "no signature by a known key" not in out


def test_a_backup_taken_without_the_servers_environment_restores(server_bank, monkeypatch, request, tmp_path):
    monkeypatch.delenv("CREDITBANK_SERVER_NAME")
    archive = tmp_path / "bank.cbbackup"
    server_bank("backup", str(archive))
    _new_bank(server_bank, monkeypatch, request, tmp_path / "new")
    out = server_bank("restore", str(archive))
    assert "note byte-identical" in out, out
    # The restored instance carries the origin too: the server's environment agrees, another name is refused.
    monkeypatch.setenv("CREDITBANK_SERVER_NAME", SERVER)
    assert server_bank("ledger", "audit").startswith("audit passed")
    monkeypatch.setenv("CREDITBANK_SERVER_NAME", "other.example.org")
    _one_line_refusal(server_bank("ledger", "audit", code=1))


def test_restoring_into_a_bank_configured_for_another_log_is_refused(server_bank, monkeypatch, request, tmp_path):
    archive = tmp_path / "bank.cbbackup"
    server_bank("backup", str(archive))
    _new_bank(server_bank, monkeypatch, request, tmp_path / "new")
    monkeypatch.setenv("CREDITBANK_ORIGIN", "elsewhere.example.org/creditbank")
    _one_line_refusal(server_bank("restore", str(archive), code=1))
    assert not (tmp_path / "new" / "instance" / "keys" / "log-ed25519.pem").exists()


@pytest.mark.parametrize(
    "command", [("ledger", "audit"), ("ledger", "checkpoint"), ("backup", "{dest}"), ("keys", "rotate")]
)
def test_a_different_configured_origin_is_refused(server_bank, monkeypatch, tmp_path, command):
    monkeypatch.setenv("CREDITBANK_ORIGIN", "renamed.example.org/creditbank")
    args = [part.format(dest=tmp_path / "bank.cbbackup") for part in command]
    _one_line_refusal(server_bank(*args, code=1))
    assert not (tmp_path / "bank.cbbackup").exists()
    # Naming the stored origin explicitly is no drift.
    monkeypatch.setenv("CREDITBANK_ORIGIN", ORIGIN)
    monkeypatch.setenv("CREDITBANK_SERVER_NAME", "other.example.org")
    assert server_bank("ledger", "audit").startswith("audit passed")


def _one_line_refusal(out: str) -> None:
    assert len(out.strip().splitlines()) == 1, out
    assert re.search(rf"Error: the log's origin is '{re.escape(ORIGIN)}'", out), out
