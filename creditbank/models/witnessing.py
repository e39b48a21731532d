"""Cross-witnessing state (C2SP tlog-witness): the logs this bank cosigns, and the witnesses that cosign its own.

Operational tables, not ledger projections, yet backups carry them: a witness restored without its record of what it
cosigned could be led to cosign a fork of a log it already vouched for.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from creditbank.models.base import Base, UtcDateTime


class WitnessedLog(Base):
    """A log this bank witnesses: its origin, its key, and the latest checkpoint (size, root) this bank cosigned.

    ``size`` 0 with no ``root`` means nothing cosigned yet; the row only ever moves forward along consistency proofs.
    """

    __tablename__ = "witnessed_logs"

    origin: Mapped[str] = mapped_column(String(255), primary_key=True)
    vkey: Mapped[str] = mapped_column(Text)
    size: Mapped[int] = mapped_column(BigInteger)
    root: Mapped[bytes | None] = mapped_column(LargeBinary(32))
    added_at: Mapped[datetime] = mapped_column(UtcDateTime)
    cosigned_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class LogWitness(Base):
    """A witness this bank submits its checkpoints to, and the latest cosignature it holds from it.

    ``known_size`` is the size the witness last said it holds for this log (what the next ``old`` line must say);
    ``cosignature`` is its signature line over this bank's checkpoint of size ``cosigned_size``.
    """

    __tablename__ = "log_witnesses"

    name: Mapped[str] = mapped_column(String(255), primary_key=True)
    vkey: Mapped[str] = mapped_column(Text)
    url: Mapped[str] = mapped_column(Text)
    known_size: Mapped[int | None] = mapped_column(BigInteger)
    cosigned_size: Mapped[int | None] = mapped_column(BigInteger)
    cosignature: Mapped[str | None] = mapped_column(Text)
    added_at: Mapped[datetime] = mapped_column(UtcDateTime)
    attempted_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
