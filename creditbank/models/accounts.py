"""Learners' portal accounts: activation codes, password hashes, login throttling and share links.

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

    key: Mapped[str] = mapped_column(String(120), primary_key=True)  # "account:<id>" or "ip:<address>"
    failures: Mapped[int] = mapped_column(Integer)
    window_start: Mapped[datetime] = mapped_column(UtcDateTime)
    locked_until: Mapped[datetime | None] = mapped_column(UtcDateTime)


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
