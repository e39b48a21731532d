"""Import spreadsheets: their columns, the reading of an upload, the blank templates and the words for problems.

Pure: nothing here touches the database; ``creditbank.services.imports`` turns a read Table into ledger entries.
"""

from __future__ import annotations

from creditbank.spreadsheets.columns import COLUMNS, Column
from creditbank.spreadsheets.reader import (
    MAX_BYTES,
    MAX_ROWS,
    Notice,
    ParsedRow,
    Problem,
    Table,
    UnreadableFile,
    read,
)
from creditbank.spreadsheets.templates import template_csv, template_xlsx
from creditbank.spreadsheets.words import WORDS, describe, describe_problem

__all__ = [
    "COLUMNS",
    "MAX_BYTES",
    "MAX_ROWS",
    "WORDS",
    "Column",
    "Notice",
    "ParsedRow",
    "Problem",
    "Table",
    "UnreadableFile",
    "describe",
    "describe_problem",
    "read",
    "template_csv",
    "template_xlsx",
]
