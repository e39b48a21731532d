"""Learners' portal accounts: activation codes, password hashes, signed-in sessions, login throttling and share links.

These are operational tables, not ledger projections: a password or a share link is not a fact about learning,
and erasing a learner deletes their rows here outright. They name learners without a foreign key, because replay
empties and rebuilds the `learners` projection underneath them.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from creditbank.models.base import Base, UtcDateTime


class LearnerAccount(Base):
    __tablename__ = "learner_accounts"

    learner_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    email_digest: Mapped[bytes | None] = mapped_column(LargeBinary(32), unique=True)
    # The login name the learner chose, kept like the e-mail as a keyed digest of its lower-case form.
    login_digest: Mapped[bytes | None] = mapped_column(LargeBinary(32), unique=True, index=True)
    password_hash: Mapped[str] = mapped_column(String(200))
    activated_at: Mapped[datetime] = mapped_column(UtcDateTime)
    password_changed_at: Mapped[datetime] = mapped_column(UtcDateTime)


class ActivationCode(Base):
    __tablename__ = "activation_codes"

    digest: Mapped[bytes] = mapped_column(LargeBinary(32), primary_key=True)
    learner_id: Mapped[str] = mapped_column(String(32), index=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class LoginThrottle(Base):
    """Recent failed logins per account and per client address, so guessing slows down whatever is guessed."""

    __tablename__ = "login_throttle"

    # "<kind>:<hex HMAC>" — what was typed (a login, a code, an address) is never stored, only its keyed digest.
    key: Mapped[str] = mapped_column(String(120), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer)
    window_start: Mapped[datetime] = mapped_column(UtcDateTime)
    locked_until: Mapped[datetime | None] = mapped_column(UtcDateTime)


class PortalSession(Base):
    """A signed-in browser. The cookie holds a random token; only its SHA-256 is kept, so a copy of this table
    signs nobody in, and deleting the row ends the session wherever the cookie has been copied."""

    __tablename__ = "portal_sessions"

    digest: Mapped[bytes] = mapped_column(LargeBinary(32), primary_key=True)
    learner_id: Mapped[str] = mapped_column(String(32), index=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    seen_at: Mapped[datetime] = mapped_column(UtcDateTime)


class ShareLink(Base):
    __tablename__ = "share_links"

    digest: Mapped[bytes] = mapped_column(LargeBinary(32), primary_key=True)
    id: Mapped[str] = mapped_column(String(24), unique=True)  # shown to the learner, never the token itself
    learner_id: Mapped[str] = mapped_column(String(32), index=True)
    achievements: Mapped[str | None] = mapped_column(Text)  # JSON list of ids; None shares the whole record
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    opens: Mapped[int] = mapped_column(Integer, default=0)
