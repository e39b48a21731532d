"""A lease row in the database decides which scheduler process is active.

The holder renews it every tick; when a holder dies its lease lapses and a waiting process
takes over. Works the same on SQLite and PostgreSQL (the row is locked inside a write transaction).
"""

from __future__ import annotations

import time

from sqlalchemy.exc import IntegrityError

from creditbank.models import SchedulerLease
from creditbank.runtime import Bank


def hold(bank: Bank, name: str, holder: str, seconds: float, *, now: float | None = None) -> bool:
    """Take or renew the lease; True when ``holder`` holds it afterwards."""
    moment = time.time() if now is None else now
    try:
        with bank.db.writing() as session:
            lease = session.get(SchedulerLease, name, with_for_update=True)
            if lease is None:
                session.add(SchedulerLease(name=name, holder=holder, expires_at=moment + seconds))
                return True
            if lease.holder != holder and lease.expires_at >= moment:
                return False
            lease.holder = holder
            lease.expires_at = moment + seconds
            return True
    except IntegrityError:
        # Another process created the row first; it holds the lease.
        return False


def release(bank: Bank, name: str, holder: str) -> None:
    with bank.db.writing() as session:
        lease = session.get(SchedulerLease, name, with_for_update=True)
        if lease is not None and lease.holder == holder:
            lease.expires_at = 0.0


def holder_of(bank: Bank, name: str) -> str | None:
    with bank.db.reading() as session:
        lease = session.get(SchedulerLease, name)
        return lease.holder if lease is not None and lease.expires_at >= time.time() else None
