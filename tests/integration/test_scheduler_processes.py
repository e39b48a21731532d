"""Two `creditbank scheduler` processes against one database: one works, the other stands by, and when the
active one is killed the other takes over within seconds and carries on signing."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path

import pytest

from creditbank.models import SchedulerLease
from creditbank.runtime import Bank
from creditbank.scheduler import LEASE
from creditbank.services.operations import lease
from tests.conftest import PASSPHRASE
from tests.helpers import append
from tests.integration.test_scheduler import signed_size, wait_until

pytestmark = pytest.mark.slow

LEASE_SECONDS = 2.0
# Deadlines for what the two processes must get done: generous, since a process starting on a busy machine (both
# cores taken) can need tens of seconds to import and connect; a failure still names the condition it waited on.
PATIENCE = 180.0
COMMAND = str(Path(sys.executable).with_name("creditbank"))


@pytest.fixture
def start(app_config: dict[str, object], tmp_path: Path) -> Iterator[Callable[[str], subprocess.Popen[str]]]:
    started: list[subprocess.Popen[str]] = []
    environment = {
        **os.environ,
        "CREDITBANK_DATABASE_URL": str(app_config["CREDITBANK_DATABASE_URL"]),
        "CREDITBANK_INSTANCE_PATH": str(app_config["CREDITBANK_INSTANCE_PATH"]),
        "CREDITBANK_KEY_PASSPHRASE": PASSPHRASE,
        "CREDITBANK_SERVER_NAME": "bank.test",
        "CREDITBANK_CHECKPOINT_INTERVAL": "0.2",
        "CREDITBANK_SCHEDULER_LEASE_SECONDS": str(LEASE_SECONDS),
        # The "scheduler ... started" line is read from the log while the process runs.
        "PYTHONUNBUFFERED": "1",
    }

    def launch(name: str) -> subprocess.Popen[str]:
        with (tmp_path / f"{name}.log").open("w") as log:
            process = subprocess.Popen([COMMAND, "scheduler"], env=environment, stdout=log, stderr=log, text=True)
        started.append(process)
        return process

    yield launch
    for process in started:
        if process.poll() is None:
            process.kill()
        process.wait(timeout=10)


def lease_row(bank: Bank) -> tuple[str, float]:
    """The scheduler lease's holder and expiry as stored, lapsed or not."""
    with bank.db.reading() as session:
        row = session.get(SchedulerLease, LEASE)
        assert row is not None
        return row.holder, row.expires_at


def holder_pid(bank: Bank) -> int | None:
    holder = lease.holder_of(bank, "scheduler")
    return int(holder.split(":")[1]) if holder else None


def test_one_scheduler_works_and_the_other_takes_over_when_it_dies(
    bank: Bank, start: Callable[[str], subprocess.Popen[str]], tmp_path: Path
) -> None:
    first = start("first")
    wait_until(lambda: holder_pid(bank) == first.pid, timeout=PATIENCE)
    second = start("second")
    log = tmp_path / "second.log"
    wait_until(
        lambda: any(re.fullmatch(r"scheduler \S+ started", line) for line in log.read_text().splitlines()), PATIENCE
    )
    # The second is running now; the lease the first held until then lapses, unrenewed, a lease period later.
    # Wait until the first has renewed it after that moment, twice over, while the second stood by.
    running = time.time()

    def first_renewed_past_a_lapse() -> bool:
        assert second.poll() is None, log.read_text()
        assert holder_pid(bank) == first.pid, "the second scheduler took the lease from a live one"
        return lease_row(bank)[1] - LEASE_SECONDS > running + 2 * LEASE_SECONDS

    wait_until(first_renewed_past_a_lapse, timeout=PATIENCE)
    append(bank, 4)
    wait_until(lambda: signed_size(bank) == 4, timeout=PATIENCE)

    # Read just before the kill: the lease lapses no earlier than this (a last renewal can only move it later),
    # and reading it after the kill could find the second already holding it on a slow machine.
    holder, lapses = lease_row(bank)
    assert holder.split(":")[1] == str(first.pid)
    first.send_signal(signal.SIGKILL)
    # However long the takeover takes on a busy machine, it comes after the dead holder's lease lapsed, not before.
    wait_until(lambda: holder_pid(bank) == second.pid, timeout=PATIENCE)
    append(bank, 3)
    wait_until(lambda: signed_size(bank) == 7, timeout=PATIENCE)

    second.send_signal(signal.SIGTERM)
    assert second.wait(timeout=PATIENCE) == 0
    assert lease.holder_of(bank, "scheduler") is None, "a stopped scheduler keeps its lease"
    lines = [json.loads(line) for line in (tmp_path / "second.log").read_text().splitlines() if line.startswith("{")]
    changes = [line for line in lines if line["message"].startswith("scheduler ") and "active" in line]
    assert [line["active"] for line in changes] == [True], lines
    took = datetime.fromisoformat(changes[0]["time"]).timestamp()
    assert took >= lapses - 0.001, (took, lapses)  # the log's time is cut to milliseconds
