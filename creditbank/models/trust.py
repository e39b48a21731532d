"""The trust list: issuers whose credentials this bank accepts as evidence for recognition (``trust.*`` entries)."""

from __future__ import annotations

from sqlalchemy import BigInteger, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from creditbank.models.base import Base


class TrustedIssuer(Base):
    """One issuer's current trust entry. Every field comes from its latest ``trust.issuer_added`` entry, so replay
    rebuilds the row; a ``trust.issuer_removed`` entry deletes it."""

    __tablename__ = "trusted_issuers"

    did: Mapped[str] = mapped_column(String(255), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    # Calendar dates (YYYY-MM-DD, UTC), both days included; no end date means trusted until removed.
    valid_from: Mapped[str] = mapped_column(String(10))
    valid_until: Mapped[str | None] = mapped_column(String(10), nullable=True)
    # JSON: the mappings of this issuer's achievements into the bank's frameworks, as validated when added.
    mappings: Mapped[str] = mapped_column(Text)
    # The entry that made this version: a recognition names it ("<did>@<seq>") as the rule it applied.
    seq: Mapped[int] = mapped_column(BigInteger, unique=True)
    added_at: Mapped[str] = mapped_column(String(32))
