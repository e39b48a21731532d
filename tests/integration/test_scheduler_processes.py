"""Two `creditbank scheduler` processes against one database: one works, the other stands by, and when the
active one is killed the other takes over within seconds and carries on signing."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from creditbank.runtime import Bank
from creditbank.services import lease
from tests.conftest import PASSPHRASE
from tests.helpers import append
from tests.integration.test_scheduler import signed_size, wait_until

pytestmark = pytest.mark.slow

LEASE_SECONDS = 2.0
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


def holder_pid(bank: Bank) -> int | None:
    holder = lease.holder_of(bank, "scheduler")
    return int(holder.split(":")[1]) if holder else None


def test_one_scheduler_works_and_the_other_takes_over_when_it_dies(
    bank: Bank, start: Callable[[str], subprocess.Popen[str]], tmp_path: Path
) -> None:
    first = start("first")
    wait_until(lambda: holder_pid(bank) == first.pid, timeout=30)
    second = start("second")
    time.sleep(LEASE_SECONDS * 1.5)
    assert second.poll() is None
    assert holder_pid(bank) == first.pid, "the second scheduler took the lease from a live one"
    append(bank, 4)
    wait_until(lambda: signed_size(bank) == 4)

    first.send_signal(signal.SIGKILL)
    killed = time.monotonic()
    wait_until(lambda: holder_pid(bank) == second.pid, timeout=LEASE_SECONDS + 10)
    takeover = time.monotonic() - killed
    assert takeover < LEASE_SECONDS + 5
    append(bank, 3)
    wait_until(lambda: signed_size(bank) == 7)

    second.send_signal(signal.SIGTERM)
    assert second.wait(timeout=15) == 0
    assert lease.holder_of(bank, "scheduler") is None, "a stopped scheduler keeps its lease"
    lines = [json.loads(line) for line in (tmp_path / "second.log").read_text().splitlines() if line.startswith("{")]
    changes = [line["active"] for line in lines if line["message"].startswith("scheduler ") and "active" in line]
    assert changes == [True], lines
