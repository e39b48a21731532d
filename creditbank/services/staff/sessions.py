"""Signed-in console sessions, kept on the server: the cookie holds a random token, the table its SHA-256.

Shorter than the portal's: staff change other people's records. A session ends after IDLE_TIMEOUT without a
request and LIFETIME after it began, whichever comes first. Destructive acts (revocation, erasure, disabling staff)
need the password and a code given within REAUTH_WINDOW.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, or_, update
from sqlalchemy.orm import Session

from creditbank.models.staff import StaffAccount, StaffSession
from creditbank.runtime import Bank

IDLE_TIMEOUT = timedelta(minutes=20)
LIFETIME = timedelta(hours=10)
REAUTH_WINDOW = timedelta(minutes=5)
TOUCH_EVERY = timedelta(minutes=1)


def _now() -> datetime:
    return datetime.now(UTC)


def _digest(token: str) -> bytes:
    return hashlib.sha256(token.encode("utf-8")).digest()


def begin(session: Session, staff_id: str, replacing: str | None = None) -> str:
    if replacing:
        session.execute(delete(StaffSession).where(StaffSession.digest == _digest(replacing)))
    token = secrets.token_urlsafe(32)
    now = _now()
    session.add(
        StaffSession(digest=_digest(token), staff_id=staff_id, created_at=now, seen_at=now, authenticated_at=now)
    )
    return token


def _alive(row: StaffSession, now: datetime) -> bool:
    return row.seen_at + IDLE_TIMEOUT > now and row.created_at + LIFETIME > now


def lookup(bank: Bank, token: str) -> tuple[str, datetime] | None:
    """The staff id this token signs in and when they last gave password and code; None when it no longer does.

    A disabled account's sessions are dead even before the disable removed them.
    """
    digest, now = _digest(token), _now()
    with bank.db.reading() as session:
        row = session.get(StaffSession, digest)
        if row is None:
            return None
        account = session.get(StaffAccount, row.staff_id)
        alive = _alive(row, now) and account is not None and account.disabled_at is None
        found, stale = (row.staff_id, row.authenticated_at), row.seen_at + TOUCH_EVERY <= now
    if not alive:
        end(bank, token)
        return None
    if stale:
        with bank.db.writing() as session:
            touched = session.execute(
                update(StaffSession).where(StaffSession.digest == digest).values(seen_at=now)
            ).rowcount
        if not touched:
            return None
    return found


def reauthenticated(bank: Bank, token: str) -> None:
    with bank.db.writing() as session:
        session.execute(
            update(StaffSession).where(StaffSession.digest == _digest(token)).values(authenticated_at=_now())
        )


def recent(authenticated_at: datetime) -> bool:
    return authenticated_at + REAUTH_WINDOW > _now()


def end(bank: Bank, token: str) -> None:
    with bank.db.writing() as session:
        session.execute(delete(StaffSession).where(StaffSession.digest == _digest(token)))


def end_all(session: Session, staff_id: str) -> int:
    return session.execute(delete(StaffSession).where(StaffSession.staff_id == staff_id)).rowcount


def expire(session: Session, now: datetime) -> int:
    return session.execute(
        delete(StaffSession).where(
            or_(StaffSession.seen_at <= now - IDLE_TIMEOUT, StaffSession.created_at <= now - LIFETIME)
        )
    ).rowcount
