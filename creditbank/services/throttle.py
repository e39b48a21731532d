"""Failed-attempt counters shared by every sign-in door: learners' logins and activations, and staff sign-in.

A counter is a row keyed by an HMAC (the bank's matching key) of what was typed or seen: a login, a code, a client
address. The text itself is never stored. Each attempt reserves its place with one conditional UPDATE before any
password is hashed, so however many attempts arrive at once, at most ``limit`` are judged per window.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import case, delete, or_, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from creditbank.models import LoginThrottle
from creditbank.runtime import Bank

FAILURE_WINDOW = timedelta(minutes=15)
LOCKOUT = timedelta(minutes=15)


def key(bank: Bank, kind: str, typed: str) -> str:
    """The throttle row for something typed or seen (a login, a code, an address): its keyed digest, never itself."""
    return f"{kind}:{bank.vault().id_digest(f'{kind}:{typed}').hex()}"


def reserve(session: Session, key: str, limit: int, now: datetime) -> bool:
    """Count one attempt against ``key`` unless it is locked; True when the attempt may go ahead.

    The count goes up before the attempt is judged, by an UPDATE whose condition the database re-checks under the
    row's lock, so concurrent attempts cannot all read "4 failures" and all proceed. A success gives it back.
    """
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    session.execute(
        insert(LoginThrottle)
        .values(key=key, failures=0, window_start=now, locked_until=None)
        .on_conflict_do_nothing(index_elements=["key"])
    )
    unlocked = or_(LoginThrottle.locked_until.is_(None), LoginThrottle.locked_until <= now)
    session.execute(
        update(LoginThrottle)
        .where(
            LoginThrottle.key == key,
            unlocked,
            or_(LoginThrottle.window_start < now - FAILURE_WINDOW, LoginThrottle.locked_until.is_not(None)),
        )
        .values(failures=0, window_start=now, locked_until=None)
    )
    counted = session.execute(
        update(LoginThrottle)
        .where(LoginThrottle.key == key, unlocked, LoginThrottle.failures < limit)
        .values(
            failures=LoginThrottle.failures + 1,
            locked_until=case((LoginThrottle.failures + 1 >= limit, now + LOCKOUT), else_=None),
        )
    ).rowcount
    return bool(counted)


def remaining(session: Session, key: str, limit: int, now: datetime) -> int:
    """Attempts ``key`` may still make in its window before it locks (0 while locked), read without counting one."""
    row = session.get(LoginThrottle, key)
    if row is None:
        return limit
    if row.locked_until is not None:
        return 0 if row.locked_until > now else limit
    if row.window_start < now - FAILURE_WINDOW:
        return limit
    return max(limit - row.failures, 0)


def give_back(session: Session, key: str) -> None:
    session.execute(
        update(LoginThrottle)
        .where(LoginThrottle.key == key, LoginThrottle.failures > 0)
        .values(failures=LoginThrottle.failures - 1)
    )


def clear(session: Session, key: str) -> None:
    session.execute(delete(LoginThrottle).where(LoginThrottle.key == key))
