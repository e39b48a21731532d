"""What reading a spreadsheet gives: its rows of typed values, the problems of its cells, notices about the file."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from creditbank.spreadsheets.cells import Value


@dataclass(frozen=True)
class Problem:
    row: int  # as Excel numbers it (the header is usually 1); 0 for the file as a whole
    column: str  # the header as written in the file; "" for a problem of the row
    field: str  # the column's field; "" when it has none
    code: str  # a key of words.WORDS
    params: dict[str, object] = dataclasses.field(default_factory=dict)


@dataclass(frozen=True)
class Notice:
    """Something the registrar should know that is no error: sheets not read, formulas read as their values ..."""

    code: str
    params: dict[str, object] = dataclasses.field(default_factory=dict)


@dataclass(frozen=True)
class ParsedRow:
    number: int  # Excel's row number
    values: dict[str, Value]  # field → value; blank and refused cells are absent


@dataclass(frozen=True)
class Table:
    rows: tuple[ParsedRow, ...]
    problems: tuple[Problem, ...]
    notices: tuple[Notice, ...]
    headers: dict[str, str]  # field → its header as found in the file
