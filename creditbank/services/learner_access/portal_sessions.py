"""Signed-in portal sessions, kept on the server so that the bank, not the cookie, decides who is signed in.

The browser holds a random token; the table holds its SHA-256, the learner and two times. Every request looks the
row up, so logging out, changing the password or erasure ends a session at once, even in a copied cookie. A session
ends after IDLE_TIMEOUT without a request and, however busy, LIFETIME after it began.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, or_, update
from sqlalchemy.orm import Session

from creditbank.models.accounts import PortalSession
from creditbank.runtime import Bank

IDLE_TIMEOUT = timedelta(minutes=30)
LIFETIME = timedelta(hours=12)
# The last-seen time is rewritten at most this often, so reading pages does not mean a write per request.
TOUCH_EVERY = timedelta(minutes=1)


def _now() -> datetime:
    return datetime.now(UTC)


def _digest(token: str) -> bytes:
    return hashlib.sha256(token.encode("utf-8")).digest()


def begin(session: Session, learner_id: str) -> str:
    """A new session for this learner in the caller's transaction; returns the token for the cookie."""
    token = secrets.token_urlsafe(32)
    now = _now()
    session.add(PortalSession(digest=_digest(token), learner_id=learner_id, created_at=now, seen_at=now))
    return token


def start(bank: Bank, learner_id: str, replacing: str | None = None) -> str:
    """Sign in: a fresh token, and the browser's previous session (if any) ends, so a planted one cannot ride along."""
    with bank.db.writing() as session:
        if replacing:
            session.execute(delete(PortalSession).where(PortalSession.digest == _digest(replacing)))
        return begin(session, learner_id)


def _alive(row: PortalSession, now: datetime) -> bool:
    return row.seen_at + IDLE_TIMEOUT > now and row.created_at + LIFETIME > now


def learner_of(bank: Bank, token: str) -> str | None:
    """The learner this token signs in, or None when it is unknown, idle too long or past its lifetime."""
    digest, now = _digest(token), _now()
    with bank.db.reading() as session:
        row = session.get(PortalSession, digest)
        if row is None:
            return None
        learner, alive, stale = row.learner_id, _alive(row, now), row.seen_at + TOUCH_EVERY <= now
    if not alive:
        end(bank, token)
        return None
    if stale:
        with bank.db.writing() as session:
            # The row may have been deleted meanwhile (logout elsewhere); then nothing is updated and it stays dead.
            touched = session.execute(
                update(PortalSession).where(PortalSession.digest == digest).values(seen_at=now)
            ).rowcount
        if not touched:
            return None
    return learner


def end(bank: Bank, token: str) -> None:
    with bank.db.writing() as session:
        session.execute(delete(PortalSession).where(PortalSession.digest == _digest(token)))


def end_all(session: Session, learner_id: str) -> int:
    """Every session of this learner, in the caller's transaction (password change, new activation, erasure)."""
    return session.execute(delete(PortalSession).where(PortalSession.learner_id == learner_id)).rowcount


def expire(session: Session, now: datetime) -> int:
    """Remove sessions that can no longer sign anyone in; they already stopped working when they went stale."""
    return session.execute(
        delete(PortalSession).where(
            or_(PortalSession.seen_at <= now - IDLE_TIMEOUT, PortalSession.created_at <= now - LIFETIME)
        )
    ).rowcount
