"""Learners: the pseudonymous projection, and the encrypted personal-data store kept apart from it.

``learners`` and ``enrollments`` are projections of ``learner.*`` entries. ``learner_personal_data``
is not: the ledger never holds a name, so this table is the only place one lives, and erasure
deletes its row (which also destroys the learner's wrapped data key).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, DateTime, ForeignKey, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from creditbank.models.base import Base


class Learner(Base):
    __tablename__ = "learners"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    status: Mapped[str] = mapped_column(String(16))
    enrolled_seq: Mapped[int] = mapped_column(BigInteger)
    enrolled_at: Mapped[str] = mapped_column(String(32))
    erased_seq: Mapped[int | None] = mapped_column(BigInteger)


class Enrollment(Base):
    """Which institutions a learner is enrolled with; each link is its own ``learner.enrolled`` entry."""

    __tablename__ = "enrollments"

    learner_id: Mapped[str] = mapped_column(ForeignKey("learners.id"), primary_key=True)
    institution_id: Mapped[str] = mapped_column(ForeignKey("institutions.id"), primary_key=True, index=True)
    seq: Mapped[int] = mapped_column(BigInteger, unique=True)


class LearnerPersonalData(Base):
    """Personal data sealed with a per-learner AES-256-GCM key, itself wrapped by the master key.

    ``id_digest`` is a keyed HMAC of the normalized national ID, so a second institution enrolling
    the same person finds them without the number ever being stored or compared in the clear.
    """

    __tablename__ = "learner_personal_data"

    # Deferred so `ledger replay` can rebuild learners while this row still points at them.
    learner_id: Mapped[str] = mapped_column(
        ForeignKey("learners.id", deferrable=True, initially="DEFERRED"), primary_key=True
    )
    id_digest: Mapped[bytes | None] = mapped_column(LargeBinary(32), unique=True)
    wrapped_key: Mapped[bytes] = mapped_column(LargeBinary)
    sealed: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class ConsentGrant(Base):
    """A learner's permission for one institution to read more than it recorded (``consent.granted``).

    A projection: ``consent.withdrawn`` fills ``withdrawn_seq``. A grant counts while it is not withdrawn and
    ``expires_at`` (ISO 8601, UTC) is in the future.
    """

    __tablename__ = "consent_grants"

    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    learner_id: Mapped[str] = mapped_column(String(32), index=True)
    institution_id: Mapped[str] = mapped_column(String(64))
    scope: Mapped[str] = mapped_column(String(16))
    granted_at: Mapped[str] = mapped_column(String(32))
    expires_at: Mapped[str] = mapped_column(String(32))
    withdrawn_seq: Mapped[int | None] = mapped_column(BigInteger)
