"""seq stays contiguous under concurrent writers: threads in one process, and separate processes."""

import multiprocessing
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import select

from creditbank.models import LedgerEntry
from creditbank.services.transparency import checkpoints
from creditbank.services.transparency.audit import audit
from tests.integration.workers import append_singles


def stored_seqs(bank) -> list[int]:
    with bank.db.reading() as session:
        return list(session.scalars(select(LedgerEntry.seq).order_by(LedgerEntry.seq)))


def test_threads_append_without_gaps_or_duplicates(bank, app_config):
    from tests.helpers import append

    def writer(n: int) -> list[int]:
        seqs: list[int] = []
        for _ in range(25):
            seqs += append(bank, n % 3 + 1)
        return seqs

    with ThreadPoolExecutor(max_workers=6) as pool:
        results = list(pool.map(writer, range(6)))
    acknowledged = sorted(s for seqs in results for s in seqs)
    assert acknowledged == list(range(len(acknowledged)))
    assert stored_seqs(bank) == acknowledged
    checkpoints.sign(bank)
    assert audit(bank).ok


@pytest.mark.slow
def test_four_processes_append_500_each(bank, app_config):
    context = multiprocessing.get_context("spawn")
    with context.Pool(4) as pool:
        results = pool.starmap(append_singles, [(app_config, 500, f"p{i}") for i in range(4)])
    acknowledged = sorted(s for seqs in results for s in seqs)
    assert acknowledged == list(range(2000))
    assert stored_seqs(bank) == list(range(2000))
    checkpoints.sign(bank)
    report = audit(bank)
    assert report.ok, report.problems
    assert report.entries == 2000
