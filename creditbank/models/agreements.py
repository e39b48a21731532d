"""Mutual recognition agreements as published (``agreement.published`` entries) and the terms they hold."""

from __future__ import annotations

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from creditbank.models.base import Base


class PublishedAgreement(Base):
    __tablename__ = "agreements"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    version: Mapped[str] = mapped_column(String(20), primary_key=True)


class AgreementTerm(Base):
    __tablename__ = "agreement_terms"

    agreement: Mapped[str] = mapped_column(String(64), primary_key=True)
    version: Mapped[str] = mapped_column(String(20), primary_key=True)
    number: Mapped[int] = mapped_column(primary_key=True)
