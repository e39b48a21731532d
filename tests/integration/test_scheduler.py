import time
from datetime import datetime

from apscheduler.events import EVENT_JOB_ERROR, EVENT_JOB_EXECUTED, JobExecutionEvent

from creditbank import ledger_store
from creditbank.errors import NotFound
from creditbank.models import SchedulerLease
from creditbank.scheduler import LEASE, Scheduler
from creditbank.services.operations import lease
from creditbank.services.transparency import checkpoints
from tests.helpers import append


def wait_until(condition, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        code = getattr(condition, "__code__", None)
        where = f"line {code.co_firstlineno} of {code.co_filename}" if code else repr(condition)
        assert time.monotonic() < deadline, f"the condition at {where} was not met in {timeout} s"
        time.sleep(0.05)


def lease_expiry(bank) -> float:
    with bank.db.reading() as session:
        row = session.get(SchedulerLease, LEASE)
        assert row is not None
        return row.expires_at


def signed_size(bank) -> int:
    try:
        return checkpoints.latest(bank).size
    except NotFound:
        return -1


def test_scheduler_signs_while_the_tree_grows(bank):
    bank.settings["CREDITBANK_CHECKPOINT_INTERVAL"] = 0.2
    jobs = Scheduler(bank)
    jobs.start()
    try:
        for _ in range(3):
            append(bank, 7)
            with bank.db.reading() as session:
                size = ledger_store.tree_size(session)
            wait_until(lambda size=size: signed_size(bank) == size)
    finally:
        jobs.stop()
    assert jobs.active is False


def test_only_one_scheduler_is_active_and_the_other_takes_over(bank):
    bank.settings["CREDITBANK_CHECKPOINT_INTERVAL"] = 0.1
    bank.settings["CREDITBANK_SCHEDULER_LEASE_SECONDS"] = 1.0
    first, second = Scheduler(bank), Scheduler(bank)
    first.start()
    wait_until(lambda: first.active)
    # The moment the first's lease would lapse were it not renewed; the second must try for it after that.
    lapse = lease_expiry(bank)
    tries_after_lapse: list[datetime] = []

    def tried(event: JobExecutionEvent) -> None:
        if event.job_id == "checkpoint" and event.scheduled_run_time.timestamp() > lapse:
            tries_after_lapse.append(event.scheduled_run_time)

    # The second's own job events say when it has tried for the lease (its checkpoint job holds or renews it):
    # waiting for those, not for a span of time, keeps the test meaningful however slowly the machine runs.
    second._jobs.add_listener(tried, EVENT_JOB_EXECUTED | EVENT_JOB_ERROR)
    second.start()
    try:

        def second_tried_twice_and_lost() -> bool:
            assert lease.holder_of(bank, "scheduler") == first.holder, "the second took the lease from a live one"
            return len(tries_after_lapse) >= 2

        wait_until(second_tried_twice_and_lost, timeout=60)
        assert first.active
        assert not second.active
        assert lease.holder_of(bank, "scheduler") == first.holder
        first.stop()
        wait_until(lambda: second.active, timeout=5)
        append(bank, 3)
        wait_until(lambda: signed_size(bank) == 3)
    finally:
        first.stop()
        second.stop()


def test_lease_lapses_when_not_renewed(bank):
    assert lease.hold(bank, "job", "a", 10, now=1000.0)
    assert not lease.hold(bank, "job", "b", 10, now=1005.0)
    assert lease.hold(bank, "job", "a", 10, now=1005.0)
    assert lease.hold(bank, "job", "b", 10, now=1016.0)
    assert not lease.hold(bank, "job", "a", 10, now=1017.0)
