"""The instance folder is its owner's alone: after a demo-like run (seed, enroll, issue, rotate a key, back up) every
folder in it is 0700 and every file 0600 — database, WAL, shared memory, locks, keys, backups, demo files."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from creditbank import create_app
from creditbank.runtime import bank_of


@pytest.fixture
def open_umask() -> Iterator[None]:
    # The common default: without explicit modes, new files would be readable by everyone.
    previous = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(previous)


def test_every_folder_is_0700_and_every_file_0600(cli, open_umask, monkeypatch):
    instance = Path(cli.settings["CREDITBANK_INSTANCE_PATH"])
    sqlite = cli.settings["CREDITBANK_DATABASE_URL"].startswith("sqlite")
    if sqlite:
        monkeypatch.delenv("CREDITBANK_DATABASE_URL")  # the default: SQLite inside the instance folder
    cli("demo", "--learners", "2")
    cli("keys", "rotate")
    cli("ledger", "checkpoint")
    cli("backup", str(instance / "bank.cbbackup"))
    # The WAL and shared-memory files exist while a connection is open; the commands above closed theirs.
    bank = bank_of(create_app())
    try:
        with bank.db.reading() as session:
            session.execute(text("SELECT count(*) FROM ledger_entries"))
            seen = {
                path.relative_to(instance).as_posix(): stat.S_IMODE(path.stat().st_mode) for path in instance.rglob("*")
            }
    finally:
        bank.db.dispose()
    assert {"keys/log-ed25519.pem", "keys/master-key.json", "keys/session-secret", "bank.cbbackup"} <= set(seen)
    if sqlite:
        assert {"creditbank.sqlite3", "creditbank.sqlite3-wal", "creditbank.sqlite3-shm"} <= set(seen)
    assert stat.S_IMODE(instance.stat().st_mode) == 0o700
    wrong = {name: oct(mode) for name, mode in seen.items() if mode != (0o700 if (instance / name).is_dir() else 0o600)}
    assert wrong == {}
