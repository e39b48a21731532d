"""Projections of the credit bank: published frameworks and rule sets, the outcome catalogue, credit lines,
redemptions and awarded qualifications. Credits are stored in hundredths so sums are exact on every database."""

from __future__ import annotations

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from creditbank.models.base import Base


class PublishedFramework(Base):
    __tablename__ = "frameworks"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    version: Mapped[str] = mapped_column(String(20), primary_key=True)
    hash: Mapped[str] = mapped_column(String(64))
    seq: Mapped[int] = mapped_column(Integer, unique=True)
    document: Mapped[str] = mapped_column(Text)


class PublishedRuleSet(Base):
    __tablename__ = "rule_sets"

    version: Mapped[str] = mapped_column(String(20), primary_key=True)
    framework: Mapped[str] = mapped_column(String(40), index=True)
    hash: Mapped[str] = mapped_column(String(64))
    seq: Mapped[int] = mapped_column(Integer, unique=True)
    document: Mapped[str] = mapped_column(Text)


class CatalogueOutcome(Base):
    """A learning outcome proposed for the catalogue; it takes part in conversion once approved."""

    __tablename__ = "catalogue_outcomes"

    code: Mapped[str] = mapped_column(String(24), primary_key=True)
    framework: Mapped[str] = mapped_column(String(40))
    status: Mapped[str] = mapped_column(String(16))  # proposed | approved | rejected
    proposed_seq: Mapped[int] = mapped_column(Integer)
    proposed_by: Mapped[str] = mapped_column(String(128))
    approved_seq: Mapped[int | None] = mapped_column(Integer)
    reviewer: Mapped[str | None] = mapped_column(String(128))
    document: Mapped[str] = mapped_column(Text)
    # The latest rejection; kept when the code is proposed again, so its reviewer sees why it was refused before.
    rejected_seq: Mapped[int | None] = mapped_column(Integer)
    reason: Mapped[str | None] = mapped_column(Text)


class CreditLine(Base):
    """One ``credits.converted`` entry: a conversion (``reverses`` empty) or the reversal of one (negative
    credits, ``reverses`` naming it). A conversion that was reversed names its reversal in ``reversed_seq``."""

    __tablename__ = "credit_lines"
    __table_args__ = (Index("ix_credit_lines_learner_framework", "learner_id", "framework", "seq"),)

    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    learner_id: Mapped[str] = mapped_column(ForeignKey("learners.id"))
    # None for a line a recognition decision wrote about learning recorded elsewhere (``application_id`` set).
    achievement_id: Mapped[str | None] = mapped_column(ForeignKey("achievements.id"), index=True)
    source_seq: Mapped[int] = mapped_column(Integer)
    institution_id: Mapped[str] = mapped_column(String(64))
    framework: Mapped[str] = mapped_column(String(40))
    rules_version: Mapped[str] = mapped_column(String(20))
    level: Mapped[int] = mapped_column(Integer)
    category: Mapped[str] = mapped_column(String(40))
    source: Mapped[str] = mapped_column(String(40))
    outcome: Mapped[str | None] = mapped_column(String(24))
    cents: Mapped[int] = mapped_column(Integer)
    consumed_cents: Mapped[int] = mapped_column(Integer, default=0)
    reverses: Mapped[int | None] = mapped_column(Integer)
    reversed_seq: Mapped[int | None] = mapped_column(Integer)
    time: Mapped[str] = mapped_column(String(32))
    explanation: Mapped[str] = mapped_column(Text)
    # A recognition decision's line: the application, and the learning it recognized (``ach:<achievement>`` for
    # learning recorded here, ``ext:<sha256>`` for a credential from another issuer, ``doc:<sha256>`` for a
    # document). One piece of learning has at most one standing line per framework, whatever wrote it.
    application_id: Mapped[str | None] = mapped_column(String(32), index=True)
    learning: Mapped[str | None] = mapped_column(String(80), index=True)


class Redemption(Base):
    """Credits of one line consumed by one award."""

    __tablename__ = "credit_redemptions"

    redeemed_seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    line_seq: Mapped[int] = mapped_column(ForeignKey("credit_lines.seq"), primary_key=True)
    learner_id: Mapped[str] = mapped_column(String(32), index=True)
    award_id: Mapped[str] = mapped_column(String(32))
    cents: Mapped[int] = mapped_column(Integer)


class QualificationAward(Base):
    __tablename__ = "qualification_awards"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    learner_id: Mapped[str] = mapped_column(ForeignKey("learners.id"), index=True)
    qualification: Mapped[str] = mapped_column(String(40))
    framework: Mapped[str] = mapped_column(String(40))
    rules_version: Mapped[str] = mapped_column(String(20))
    redeemed_seq: Mapped[int] = mapped_column(Integer)
    awarded_seq: Mapped[int] = mapped_column(Integer, unique=True)
    awarded_by: Mapped[str] = mapped_column(String(128))
    time: Mapped[str] = mapped_column(String(32))
    cents: Mapped[int] = mapped_column(Integer)
