"""Wallet exchanges: a learner's already-issued credential waiting for their wallet to fetch it (VC-API).

Operational rows, not ledger projections, like share links: the exchange's address is a bearer secret, so only its
SHA-256 is stored; the holder DID a wallet proved is kept here for the learner and never written to the ledger.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from creditbank.models.base import Base, UtcDateTime

# pending: opened on the documents page; presented: the wallet was asked for its DID; done: the credential delivered.
EXCHANGE_STATES = ("pending", "presented", "done")


class WalletExchange(Base):
    __tablename__ = "wallet_exchanges"

    digest: Mapped[bytes] = mapped_column(LargeBinary(32), primary_key=True)
    learner_id: Mapped[str] = mapped_column(String(32), index=True)
    credential_id: Mapped[str] = mapped_column(String(64))
    challenge: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    state: Mapped[str] = mapped_column(String(16))
    rounds: Mapped[int] = mapped_column(Integer, default=0)
    holder_did: Mapped[str | None] = mapped_column(String(128))
