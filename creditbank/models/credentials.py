"""Issued credentials, the bank's credential-signing keys and published status lists.

`credentials` and `credential_keys` are projections of `credential.*`, `key.rotated` and `key.compromised` entries.
The signed documents themselves live in `credential_documents`, beside the ledger like private bodies: the ledger
records each document's hash, and a document cannot be re-derived from that hash, so replay leaves them alone.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Boolean, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from creditbank.models.base import Base


class Credential(Base):
    __tablename__ = "credentials"
    __table_args__ = (UniqueConstraint("status_list", "status_index"),)

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    learner_id: Mapped[str] = mapped_column(ForeignKey("learners.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # achievement | qualification | transcript
    subject: Mapped[str | None] = mapped_column(String(32))  # achievement or award id
    institution_id: Mapped[str | None] = mapped_column(String(64))
    issued_seq: Mapped[int] = mapped_column(BigInteger, unique=True)
    issued_at: Mapped[str] = mapped_column(String(32))
    hash: Mapped[str] = mapped_column(String(80))
    key_id: Mapped[str] = mapped_column(String(64))
    status_list: Mapped[int] = mapped_column(Integer)
    status_index: Mapped[int] = mapped_column(Integer)
    sources: Mapped[str] = mapped_column(Text)  # JSON list of ledger seqs
    revoked_seq: Mapped[int | None] = mapped_column(BigInteger)
    suspended: Mapped[bool] = mapped_column(Boolean, default=False)
    status_seq: Mapped[int | None] = mapped_column(BigInteger)


class CredentialDocument(Base):
    __tablename__ = "credential_documents"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    document: Mapped[str] = mapped_column(Text)
    language_order: Mapped[str] = mapped_column(String(8))
    # What the PDF shows besides the holder's name (its rows, as JSON), as at issuance: the ledger fingerprints the
    # visible text, so a reprint must not pick up later corrections. Null for credentials issued before it was kept.
    page_facts: Mapped[str | None] = mapped_column(Text)


class CredentialKey(Base):
    __tablename__ = "credential_keys"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)  # the fragment, e.g. key-3f2a…
    public_key: Mapped[str] = mapped_column(String(64))  # Multikey (z6Mk…)
    active_from: Mapped[str] = mapped_column(String(32))
    retired_at: Mapped[str | None] = mapped_column(String(32))
    seq: Mapped[int] = mapped_column(BigInteger, unique=True)
    # From this time on nothing it signed, and nothing the ledger recorded, is accepted (key.compromised).
    compromised_at: Mapped[str | None] = mapped_column(String(32))


class StatusListDocument(Base):
    """The latest signed status list credential for one list and purpose, rebuilt whenever a status changes."""

    __tablename__ = "status_list_documents"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)  # e.g. 1-revocation
    document: Mapped[str] = mapped_column(Text)
    as_of_seq: Mapped[int] = mapped_column(BigInteger)
