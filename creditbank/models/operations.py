from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, DateTime, Float, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from creditbank.models.base import Base


class SchedulerLease(Base):
    """Which scheduler process is active; the others wait for the lease to lapse."""

    __tablename__ = "scheduler_leases"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    holder: Mapped[str] = mapped_column(String(128))
    expires_at: Mapped[float] = mapped_column(Float)


class OperationsFinding(Base):
    """What the last full audit and the checkpoint monitor found, for ``/ready`` in every web worker.

    These rows describe this deployment's checks, not the bank: backups leave the table out (``SKIPPED_TABLES``).
    """

    __tablename__ = "operations_findings"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    ok: Mapped[bool] = mapped_column(Boolean)
    detail: Mapped[str] = mapped_column(Text)
    checked_at: Mapped[float] = mapped_column(Float)


class IdempotentRequest(Base):
    """A write answered under an ``Idempotency-Key``: a retry gets this answer back, and a different
    request under the same key is refused. Written in the use case's own transaction. ``response`` holds
    the answer without one-time secrets (``services.idempotency.remembered``); a record older than
    ``services.idempotency.RETENTION`` counts as absent and is deleted by the expiry job."""

    __tablename__ = "idempotent_requests"

    institution_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    request_digest: Mapped[bytes] = mapped_column(LargeBinary(32))
    status: Mapped[int] = mapped_column(Integer)
    response: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
