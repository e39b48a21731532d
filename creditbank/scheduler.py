"""Background jobs (APScheduler), run by exactly one active scheduler process.

Every process ticks the lease each checkpoint interval; the one holding the database lease does the
work, the others stand by and take over within one lease period when the holder dies. The jobs:

- ``checkpoint`` — sign a checkpoint whenever the tree grew (every second by default);
- ``monitor`` — check each new checkpoint against the last one seen (``services.monitor``);
- ``status-lists`` — re-sign status lists that lag a recorded status change;
- ``expiry`` — remove long-dead share links, activation codes, wallet exchanges, login-throttle windows and
  idempotency records;
- ``witnesses`` — submit the latest checkpoint to each configured witness and keep its cosignature;
- ``audit`` — the full ledger audit (every leaf, subtree and checkpoint) once a day.

A job that fails (database restarting, disk full) logs, counts the failure and runs again next
time; it never stops the scheduler.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from apscheduler.schedulers.background import BackgroundScheduler

from creditbank import metrics
from creditbank.runtime import Bank
from creditbank.services import credentials
from creditbank.services.operations import housekeeping, lease
from creditbank.services.records import idempotency
from creditbank.services.transparency import audit, checkpoints, findings, witnesses
from creditbank.services.transparency.monitor import Monitor, MonitorFailure

log = logging.getLogger(__name__)

LEASE = "scheduler"
STATUS_LIST_SECONDS = 10.0
EXPIRY_SECONDS = 3600.0
AUDIT_SECONDS = 24 * 3600.0


class Scheduler:
    def __init__(self, bank: Bank) -> None:
        self.bank = bank
        self.holder = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self.active = False
        self.monitor = Monitor(bank)
        self._monitor_recorded: str | None = None
        self._stopped = threading.Event()
        self._jobs = BackgroundScheduler(timezone=UTC)
        interval = bank.settings["CREDITBANK_CHECKPOINT_INTERVAL"]
        start = datetime.now(UTC)
        self._every("checkpoint", self._checkpoint, interval, start)
        self._every("monitor", self._monitor, interval, start + timedelta(seconds=interval / 2))
        self._every("witnesses", self._witnesses, interval, start + timedelta(seconds=interval * 0.75))
        self._every("status-lists", self._status_lists, STATUS_LIST_SECONDS, start + timedelta(seconds=interval))
        self._every("expiry", self._expiry, EXPIRY_SECONDS, start + timedelta(seconds=interval))
        # Not at start: a scheduler restarting in a loop would otherwise read the whole ledger each time.
        self._every("audit", self._audit, AUDIT_SECONDS, start + timedelta(hours=1))

    def _every(self, name: str, job: Callable[[], None], seconds: float, first: datetime) -> None:
        def run() -> None:
            try:
                job()
            except Exception:
                metrics.JOB_FAILURES.labels(name).inc()
                log.exception("scheduler job %s failed", name, extra={"fields": {"job": name}})

        self._jobs.add_job(
            run, "interval", seconds=seconds, id=name, max_instances=1, coalesce=True, next_run_time=first
        )

    def _checkpoint(self) -> None:
        """Renew (or take) the lease, then sign if active. The lease rides on this job, the most frequent one."""
        try:
            held = lease.hold(self.bank, LEASE, self.holder, self.bank.settings["CREDITBANK_SCHEDULER_LEASE_SECONDS"])
        except Exception:
            # Unsure whether the lease is still ours: stop working until it is renewed.
            self.active = False
            raise
        if held != self.active:
            log.info(
                "scheduler %s is now %s",
                self.holder,
                "active" if held else "standing by",
                extra={"fields": {"holder": self.holder, "active": held}},
            )
            if held:
                metrics.SCHEDULER_ACTIVE.inc()
            self.active = held
        if held:
            checkpoint = checkpoints.sign(self.bank)
            if checkpoint is not None:
                metrics.CHECKPOINTS_SIGNED.inc()

    def _monitor(self) -> None:
        if not self.active:
            return
        try:
            checked = self.monitor.check()
        except MonitorFailure as failure:
            metrics.MONITOR_CHECKS.labels("fail").inc()
            log.critical("ledger monitor: %s", failure, extra={"fields": {"alert": "ledger-monitor"}})
            # Recorded for /ready on every web worker; written once per distinct failure, not every second.
            if str(failure) != self._monitor_recorded:
                findings.record(self.bank, findings.MONITOR, False, str(failure))
                self._monitor_recorded = str(failure)
            return
        if checked:
            metrics.MONITOR_CHECKS.labels("pass").inc()

    def _witnesses(self) -> None:
        # A witness that fails is recorded on its row and asked again next time; only a database failure raises.
        if self.active:
            witnesses.submit(self.bank)

    def _status_lists(self) -> None:
        if self.active:
            republished = credentials.republish_stale(self.bank)
            if republished:
                log.info("re-signed status lists %s", ", ".join(republished))

    def _expiry(self) -> None:
        if self.active:
            removed = housekeeping.expire(self.bank)
            removed["idempotency_records"] = idempotency.expire(self.bank)
            if any(removed.values()):
                log.info("expired portal rows removed", extra={"fields": removed})

    def _audit(self) -> None:
        if not self.active:
            return
        report = audit.audit(self.bank)
        fields = {"entries": report.entries, "checkpoints": report.checkpoints, "seconds": round(report.seconds, 1)}
        metrics.AUDITS.labels("pass" if report.ok else "fail").inc()
        audit.record(self.bank, report)
        if report.ok:
            self._monitor_recorded = None
        if report.ok:
            log.info("ledger audit passed", extra={"fields": fields})
        else:
            fields.update(
                alert="ledger-audit",
                problems=report.problems[:20],
                first_bad_seq=report.first_bad_seq,
                first_bad_checkpoint=report.first_bad_checkpoint,
            )
            log.critical("ledger audit failed", extra={"fields": fields})

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
