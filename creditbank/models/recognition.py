"""Recognition applications (``recognition.*`` entries): their state, the decisions and appeal, and the evidence.

The application row is a projection: every field comes from the ledger, so replay rebuilds it. The evidence files are
not: they are the learner's own documents, sealed with the bank's master key, kept beside the ledger (which holds
only their SHA-256) and deleted when the learner is erased.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from creditbank.models.base import Base, UtcDateTime

APPLICATION_STATES = ("submitted", "under_review", "decided", "appealed", "final", "withdrawn", "revoked")


class RecognitionApplication(Base):
    __tablename__ = "recognition_applications"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    learner_id: Mapped[str] = mapped_column(ForeignKey("learners.id"), index=True)
    framework: Mapped[str] = mapped_column(String(40))
    qualification: Mapped[str | None] = mapped_column(String(40))
    # The institution that applied on the learner's behalf; None when the learner applied.
    institution_id: Mapped[str | None] = mapped_column(String(64), index=True)
    applied_seq: Mapped[int] = mapped_column(BigInteger, unique=True)
    applied_by: Mapped[str] = mapped_column(String(128))
    applied_at: Mapped[str] = mapped_column(String(32))
    state: Mapped[str] = mapped_column(String(16), index=True)
    rules_version: Mapped[str | None] = mapped_column(String(20))
    # JSON: the learning items the evidence names, as the evidence check found them.
    items: Mapped[str] = mapped_column(Text)
    reviewer: Mapped[str | None] = mapped_column(String(128), index=True)
    assigned_seq: Mapped[int | None] = mapped_column(BigInteger)
    due: Mapped[str | None] = mapped_column(String(10))
    # JSON of the first decision's body; the appeal's own decision beside it.
    decision: Mapped[str | None] = mapped_column(Text)
    decided_seq: Mapped[int | None] = mapped_column(BigInteger)
    decided_by: Mapped[str | None] = mapped_column(String(128))
    appeal_until: Mapped[str | None] = mapped_column(String(10))
    appealed_seq: Mapped[int | None] = mapped_column(BigInteger)
    appeal_reason: Mapped[str | None] = mapped_column(Text)
    appeal_reviewer: Mapped[str | None] = mapped_column(String(128))
    appeal_decision: Mapped[str | None] = mapped_column(Text)
    appeal_decided_seq: Mapped[int | None] = mapped_column(BigInteger)
    closed_seq: Mapped[int | None] = mapped_column(BigInteger)
    last_seq: Mapped[int] = mapped_column(BigInteger)


class RecognitionEvidence(Base):
    __tablename__ = "recognition_evidence"

    # No foreign key: replay rebuilds the applications, and the evidence (which is no projection) stays meanwhile.
    application_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    number: Mapped[int] = mapped_column(Integer, primary_key=True)
    learner_id: Mapped[str] = mapped_column(String(32), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # credential | pdf | document
    media_type: Mapped[str] = mapped_column(String(64))
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(Integer)
    wrapped_key: Mapped[bytes] = mapped_column(LargeBinary)
    sealed: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
