"""Staff accounts for the console: who they are, what role they hold, their sign-in secrets and sessions.

Operational tables, like learners' accounts: a password is not a fact about learning. The account's id is the
pseudonym the ledger's actor carries (``creditbank.actors``); the login name never reaches the ledger. The TOTP
secret is sealed with the bank's master key, bound to the account id, so a copied table row signs nobody in.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from creditbank.models.base import Base, UtcDateTime

STAFF_ROLES = ("registrar", "viewer", "reviewer", "admin")
INSTITUTION_ROLES = ("registrar", "viewer")
BANK_ROLES = ("reviewer", "admin")


class StaffAccount(Base):
    __tablename__ = "staff_accounts"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    # The login as typed at `staff add`, lower-cased; shown to admins, never written to the ledger.
    login: Mapped[str] = mapped_column(String(64), unique=True)
    # None for the bank's own roles.
    institution_id: Mapped[str | None] = mapped_column(String(64), index=True)
    role: Mapped[str] = mapped_column(String(16))
    # A bank reviewer's declared tie to an institution: they review nothing that institution applied for.
    affiliation: Mapped[str | None] = mapped_column(String(64))
    password_hash: Mapped[str | None] = mapped_column(String(200))
    # The second factor: sealed secret, and whether the owner has proved they hold it.
    totp_wrapped_key: Mapped[bytes | None] = mapped_column(LargeBinary)
    totp_sealed: Mapped[bytes | None] = mapped_column(LargeBinary)
    totp_confirmed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    # The last 30-second step a code was accepted for: a code is good once, never replayed within its window.
    totp_last_step: Mapped[int | None] = mapped_column(Integer)
    # SHA-256 of the one-time set-up token `staff add` printed (None once used).
    setup_digest: Mapped[bytes | None] = mapped_column(LargeBinary(32), unique=True)
    setup_expires_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    created_by: Mapped[str] = mapped_column(String(128))
    disabled_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class StaffSession(Base):
    """A signed-in console session: the browser holds a random token, the row its SHA-256."""

    __tablename__ = "staff_sessions"

    digest: Mapped[bytes] = mapped_column(LargeBinary(32), primary_key=True)
    staff_id: Mapped[str] = mapped_column(String(32), index=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    seen_at: Mapped[datetime] = mapped_column(UtcDateTime)
    # When the password and a code were last given; destructive acts ask again after REAUTH_WINDOW.
    authenticated_at: Mapped[datetime] = mapped_column(UtcDateTime)
