"""Background jobs (APScheduler): sign a checkpoint every second while the ledger grows.

Any number of scheduler processes may run; only the one holding the database lease works, the
others tick idly and take over when the lease lapses.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import uuid
from datetime import UTC, datetime

from apscheduler.schedulers.background import BackgroundScheduler

from creditbank.runtime import Bank
from creditbank.services import checkpoints, lease

log = logging.getLogger(__name__)

LEASE = "scheduler"


class Scheduler:
    def __init__(self, bank: Bank) -> None:
        self.bank = bank
        self.holder = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self.active = False
        self._stopped = threading.Event()
        self._jobs = BackgroundScheduler(timezone=UTC)
        self._jobs.add_job(
            self.tick,
            "interval",
            seconds=bank.settings["CREDITBANK_CHECKPOINT_INTERVAL"],
            id="checkpoint",
            max_instances=1,
            coalesce=True,
            next_run_time=datetime.now(UTC),
        )

    def tick(self) -> None:
        try:
            held = lease.hold(self.bank, LEASE, self.holder, self.bank.settings["CREDITBANK_SCHEDULER_LEASE_SECONDS"])
            if held != self.active:
                log.info("scheduler %s is now %s", self.holder, "active" if held else "standing by")
                self.active = held
            if held:
                checkpoint = checkpoints.sign(self.bank)
                if checkpoint is not None:
                    log.debug("signed checkpoint at size %d", checkpoint.size)
        except Exception:
            # A failed tick (database restarting, disk full) must not kill the scheduler; the next one retries.
            log.exception("scheduler tick failed")

    def start(self) -> None:
        self._jobs.start()

    def stop(self) -> None:
        self._stopped.set()
        if self._jobs.running:
            self._jobs.shutdown(wait=True)
        if self.active:
            lease.release(self.bank, LEASE, self.holder)
            self.active = False

    def wait(self) -> None:
        self._stopped.wait()
