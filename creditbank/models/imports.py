"""Spreadsheet imports: the uploaded file, where its validation and writing stand, and what they found.

An operational table, like ``activation_codes``: it describes work in progress, not a fact of the ledger, so
``ledger replay`` leaves it alone, while backup and restore carry it like every other table. The file itself holds
personal data (names, birth dates, ID numbers), so ``file_data`` is kept only while the import is unfinished: it is
set to NULL when the import is written, found unchanged, refused, discarded or expired (also when any learner is
erased while it waits).
Problems and notices never carry a cell's value, only where it is and what is wrong with it.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from creditbank.models.base import Base, UtcDateTime

IMPORT_STATES = (
    "validating", "invalid", "ready", "writing", "written", "unchanged", "failed", "expired", "discarded"
)  # fmt: skip


class SpreadsheetImport(Base):
    __tablename__ = "spreadsheet_imports"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    institution_id: Mapped[str] = mapped_column(String(64), index=True)
    filename: Mapped[str] = mapped_column(String(255))
    # The actor of who uploaded it (an institution's staff member, or the institution itself from the shell).
    created_by: Mapped[str] = mapped_column(String(128))
    state: Mapped[str] = mapped_column(String(16))
    file_data: Mapped[bytes | None] = mapped_column(LargeBinary)
    file_sha256: Mapped[bytes] = mapped_column(LargeBinary(32))
    file_size: Mapped[int] = mapped_column(Integer)
    rows_total: Mapped[int] = mapped_column(Integer)
    rows_validated: Mapped[int] = mapped_column(Integer)
    rows_written: Mapped[int] = mapped_column(Integer)
    # JSON lists of [row, column header, field, code, params]; at most a thousand problems, with their full count.
    problems: Mapped[str] = mapped_column(Text)
    problems_total: Mapped[int] = mapped_column(Integer)
    notices: Mapped[str] = mapped_column(Text)
    # JSON object of counts (new, linked and known learners, new and unchanged achievements, letters).
    summary: Mapped[str] = mapped_column(Text)
    # JSON lists of pseudonyms: the learners the commit enrolled, and those of them without e-mail (the letters).
    created_learners: Mapped[str] = mapped_column(Text)
    letter_learners: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
