"""A writer killed with SIGKILL mid-batch leaves no trace of the batch; the ledger audits clean."""

import multiprocessing
import time
from pathlib import Path

import pytest

from creditbank import ledger_store
from creditbank.services.transparency import checkpoints
from creditbank.services.transparency.audit import audit
from tests.helpers import append
from tests.integration.workers import append_batches_forever, hang_mid_batch


def wait_for(path: Path, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not path.exists():
        assert time.monotonic() < deadline, f"{path} never appeared"
        time.sleep(0.02)


def wait_for_rounds(path: Path, rounds: int, timeout: float = 120.0) -> None:
    """Until the writer has noted `rounds` batches committed (it rewrites the count after each)."""
    deadline = time.monotonic() + timeout
    while True:
        written = path.read_text() if path.exists() else ""
        if written.isdigit() and int(written) >= rounds:
            return
        assert time.monotonic() < deadline, f"{path} says {written!r} after {timeout} s"
        time.sleep(0.02)


def size_of(bank) -> int:
    with bank.db.reading() as session:
        return ledger_store.tree_size(session)


@pytest.mark.slow
def test_killed_mid_batch_appends_nothing(bank, app_config, tmp_path):
    append(bank, 10)
    checkpoints.sign(bank)
    marker = tmp_path / "inserted"
    child = multiprocessing.get_context("spawn").Process(target=hang_mid_batch, args=(app_config, str(marker), 500))
    child.start()
    wait_for(marker)
    child.kill()
    child.join()
    assert child.exitcode == -9
    bank.db.dispose()
    assert size_of(bank) == 10
    assert append(bank, 1) == [10]
    checkpoints.sign(bank)
    report = audit(bank)
    assert report.ok, report.problems
    assert report.entries == 11


@pytest.mark.slow
def test_killed_while_appending_batches_leaves_whole_batches(bank, app_config, tmp_path):
    marker = tmp_path / "rounds"
    child = multiprocessing.get_context("spawn").Process(
        target=append_batches_forever, args=(app_config, str(marker), 64)
    )
    child.start()
    # Several whole batches in, so the kill lands in a running writer with history behind it (not a clock's guess).
    wait_for_rounds(marker, 3)
    child.kill()
    child.join()
    bank.db.dispose()
    size = size_of(bank)
    assert size >= 3 * 64
    assert size % 64 == 0
    assert checkpoints.latest(bank).size <= size
    report = audit(bank)
    assert report.ok, report.problems
    checkpoints.sign(bank)
    assert checkpoints.latest(bank).size == size
