"""Code run in child processes by the concurrency and crash tests (importable under `spawn`)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from creditbank import create_app, ledger_store
from creditbank.runtime import bank_of
from creditbank.services.transparency import checkpoints


def append_singles(settings: dict[str, Any], count: int, tag: str) -> list[int]:
    """Append ``count`` entries, each in its own transaction, as a separate writer would."""
    bank = bank_of(create_app(settings))
    seqs = []
    for i in range(count):
        with bank.db.writing() as session:
            (recorded,) = ledger_store.append(
                session, [ledger_store.NewEntry("test.entry", "bank", {"w": tag, "i": i})]
            )
            seqs.append(recorded.seq)
    bank.db.dispose()
    return seqs


def hang_mid_batch(settings: dict[str, Any], marker: str, count: int) -> None:
    """Insert a batch, announce it, then wait uncommitted until killed."""
    bank = bank_of(create_app(settings))
    items = [ledger_store.NewEntry("test.entry", "bank", {"i": i}) for i in range(count)]
    with bank.db.writing() as session:
        ledger_store.append(session, items)
        session.flush()
        Path(marker).write_text("inserted, not committed")
        time.sleep(120)


def append_batches_forever(settings: dict[str, Any], marker: str, batch: int) -> None:
    """Append batches and sign checkpoints until killed."""
    bank = bank_of(create_app(settings))
    rounds = 0
    while True:
        items = [ledger_store.NewEntry("test.entry", "bank", {"i": i, "pad": "y" * 300}) for i in range(batch)]
        with bank.db.writing() as session:
            ledger_store.append(session, items)
        checkpoints.sign(bank)
        rounds += 1
        Path(marker).write_text(str(rounds))
