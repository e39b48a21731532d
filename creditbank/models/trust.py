"""The trust list: issuers whose credentials this bank accepts as evidence for recognition (``trust.*`` entries)."""

from __future__ import annotations

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from creditbank.models.base import Base


class TrustedIssuer(Base):
    __tablename__ = "trusted_issuers"

    did: Mapped[str] = mapped_column(String(255), primary_key=True)
