"""Projections of ``achievement.*`` entries: the current state and every version of each record."""

from __future__ import annotations

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from creditbank.models.base import Base


class Achievement(Base):
    __tablename__ = "achievements"
    __table_args__ = (
        UniqueConstraint("institution_id", "record_id"),
        Index("ix_achievements_learner_seq", "learner_id", "recorded_seq"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    learner_id: Mapped[str] = mapped_column(ForeignKey("learners.id"))
    institution_id: Mapped[str] = mapped_column(ForeignKey("institutions.id"))
    record_id: Mapped[str] = mapped_column(String(128))
    kind: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16))
    version: Mapped[int] = mapped_column(Integer)
    # Canonical JSON of the current values; the ledger body is the authority, this is its cache.
    data: Mapped[str] = mapped_column(Text)
    recorded_seq: Mapped[int] = mapped_column(BigInteger, unique=True)
    last_seq: Mapped[int] = mapped_column(BigInteger)
    signed_by: Mapped[str | None] = mapped_column(String(64))


class AchievementVersion(Base):
    __tablename__ = "achievement_versions"

    achievement_id: Mapped[str] = mapped_column(ForeignKey("achievements.id"), primary_key=True)
    version: Mapped[int] = mapped_column(Integer, primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger, unique=True)
    change: Mapped[str] = mapped_column(String(16))
    time: Mapped[str] = mapped_column(String(32))
    data: Mapped[str | None] = mapped_column(Text)
    reason: Mapped[str | None] = mapped_column(Text)


class InstitutionKey(Base):
    """Ed25519 keys institutions sign their submissions with (``institution.key_added``)."""

    __tablename__ = "institution_keys"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    institution_id: Mapped[str] = mapped_column(ForeignKey("institutions.id"), index=True)
    public_key: Mapped[bytes] = mapped_column(LargeBinary(32))
    added_seq: Mapped[int] = mapped_column(BigInteger, unique=True)
