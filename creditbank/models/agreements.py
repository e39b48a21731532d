"""Mutual recognition agreements as published (``agreement.published`` entries) and the terms they hold."""

from __future__ import annotations

from sqlalchemy import Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from creditbank.models.base import Base


class PublishedAgreement(Base):
    __tablename__ = "agreements"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    version: Mapped[str] = mapped_column(String(20), primary_key=True)
    hash: Mapped[str] = mapped_column(String(64))
    seq: Mapped[int] = mapped_column(Integer, unique=True)
    actor: Mapped[str] = mapped_column(String(128))
    recognizing: Mapped[str] = mapped_column(String(64), index=True)
    # JSON list of institution ids, kept beside the document so lists and explanations need not parse it.
    parties: Mapped[str] = mapped_column(Text)
    document: Mapped[str] = mapped_column(Text)


class AgreementTerm(Base):
    """One term, with the framework, level and category of its outcome copied from the catalogue: an approved
    outcome never changes, and conversion then finds an achievement's term in one indexed lookup."""

    __tablename__ = "agreement_terms"
    __table_args__ = (Index("ix_agreement_terms_course", "from_institution", "from_code"),)

    agreement: Mapped[str] = mapped_column(String(64), primary_key=True)
    version: Mapped[str] = mapped_column(String(20), primary_key=True)
    number: Mapped[int] = mapped_column(primary_key=True)
    from_institution: Mapped[str] = mapped_column(String(64))
    from_code: Mapped[str] = mapped_column(String(64))
    outcome: Mapped[str] = mapped_column(String(24))
    framework: Mapped[str] = mapped_column(String(40))
    cents: Mapped[int] = mapped_column(Integer)
    completed_from: Mapped[str] = mapped_column(String(10))
    completed_until: Mapped[str] = mapped_column(String(10))
