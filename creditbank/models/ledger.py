"""The ledger's own tables: insert-only (database triggers refuse UPDATE and DELETE)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from creditbank.models.base import Base, UtcDateTime

APPEND_ONLY_TABLES = ("ledger_entries", "ledger_bodies", "ledger_checkpoints")

# On SQLite only INTEGER PRIMARY KEY aliases the rowid: seq then costs no extra index.
SEQ = BigInteger().with_variant(Integer(), "sqlite")


class LedgerEntry(Base):
    """A public entry. ``public`` holds its exact JCS bytes (what the leaf hash covers);
    ``nodes`` the hashes of the perfect subtrees this leaf completes, level 0 (the leaf hash) up."""

    __tablename__ = "ledger_entries"

    seq: Mapped[int] = mapped_column(SEQ, primary_key=True, autoincrement=False)
    # No secondary indexes: every append pays for them, and queries go to the projections.
    kind: Mapped[str] = mapped_column(String(64))
    actor: Mapped[str] = mapped_column(String(128))
    time: Mapped[str] = mapped_column(String(32))
    public: Mapped[bytes] = mapped_column(LargeBinary)
    nodes: Mapped[bytes] = mapped_column(LargeBinary)


class LedgerBody(Base):
    """The private body of an entry and the salt of its commitment."""

    __tablename__ = "ledger_bodies"

    seq: Mapped[int] = mapped_column(SEQ, ForeignKey("ledger_entries.seq"), primary_key=True, autoincrement=False)
    salt: Mapped[bytes] = mapped_column(LargeBinary(32))
    body: Mapped[bytes] = mapped_column(LargeBinary)


class LedgerCheckpoint(Base):
    __tablename__ = "ledger_checkpoints"

    size: Mapped[int] = mapped_column(SEQ, primary_key=True, autoincrement=False)
    root: Mapped[bytes] = mapped_column(LargeBinary(32))
    note: Mapped[str] = mapped_column(Text)
    signed_at: Mapped[datetime] = mapped_column(UtcDateTime)
