"""Projection of ``institution.*`` entries, and the API keys institutions authenticate with."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, DateTime, Float, ForeignKey, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from creditbank.models.base import Base

INSTITUTION_TYPES = (
    "university",
    "open_university",
    "senior_college",
    "vocational",
    "community",
    "mooc_platform",
    "other",
)


class Institution(Base):
    __tablename__ = "institutions"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    type: Mapped[str] = mapped_column(String(32))
    name_en: Mapped[str] = mapped_column(String(300))
    name_zh: Mapped[str | None] = mapped_column(String(300))
    parent_id: Mapped[str | None] = mapped_column(ForeignKey("institutions.id"), index=True)
    credit_unit: Mapped[str | None] = mapped_column(String(64))
    hours_per_unit: Mapped[float | None] = mapped_column(Float)
    status: Mapped[str] = mapped_column(String(16), default="active")
    registered_seq: Mapped[int] = mapped_column(BigInteger)


class ApiKey(Base):
    """Only a SHA-256 of the secret is kept: keys are 256-bit random, so a fast hash suffices."""

    __tablename__ = "api_keys"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    # Deferred so `ledger replay` can rebuild institutions while keys still point at them.
    institution_id: Mapped[str] = mapped_column(
        ForeignKey("institutions.id", deferrable=True, initially="DEFERRED"), index=True
    )
    secret_hash: Mapped[bytes] = mapped_column(LargeBinary(32))
    scopes: Mapped[str] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
