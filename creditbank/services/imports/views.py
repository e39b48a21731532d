"""What an import looks like from outside: its state, counters, problems and summary."""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from creditbank.models import SpreadsheetImport
from creditbank.services.imports import words

# A file of 10,000 rows with a bad column has 10,000 problems; a page (and the row storing them) shows the first
# thousand and says how many more there are.
MAX_PROBLEMS = 1000

SUMMARY_KEYS = (
    "new_learners",
    "linked_learners",
    "known_learners",
    "new_achievements",
    "unchanged_achievements",
    "letters",
)


@dataclass(frozen=True)
class RowProblem:
    """One problem at a row (as Excel numbers it; 0 for the file as a whole) and column (its header in the file)."""

    row: int
    column: str
    field: str
    code: str
    params: dict[str, object] = dataclasses.field(default_factory=dict)

    def text(self, language: str) -> str:
        return words.describe(self.code, self.params, language)

    def stored(self) -> list[Any]:
        return [self.row, self.column, self.field, self.code, self.params]


def problems_from(text: str) -> tuple[RowProblem, ...]:
    return tuple(RowProblem(row, column, name, code, params) for row, column, name, code, params in json.loads(text))


def _plain(value: object) -> object:
    """A reader's parameter as JSON: limits come as Decimal, dates as dates."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, tuple | set | frozenset):
        return list(value)
    return str(value)


def problems_text(problems: list[RowProblem] | tuple[RowProblem, ...]) -> str:
    return json.dumps([problem.stored() for problem in problems[:MAX_PROBLEMS]], ensure_ascii=False, default=_plain)


def empty_summary() -> dict[str, int]:
    return dict.fromkeys(SUMMARY_KEYS, 0)


@dataclass(frozen=True)
class ImportView:
    id: str
    institution_id: str
    filename: str
    # validating | invalid | ready | writing | written | unchanged | failed | expired | discarded
    state: str
    rows_total: int
    rows_validated: int
    rows_written: int
    problems: tuple[RowProblem, ...]
    problems_total: int
    notices: tuple[RowProblem, ...]
    summary: dict[str, int]
    created_at: datetime
    finished_at: datetime | None
    created_by: str

    @property
    def finished(self) -> bool:
        return self.state in ("written", "unchanged", "invalid", "failed", "expired", "discarded")

    @property
    def problems_hidden(self) -> int:
        """How many problems were found beyond those kept."""
        return self.problems_total - len(self.problems)


def view_of(row: SpreadsheetImport) -> ImportView:
    return ImportView(
        id=row.id,
        institution_id=row.institution_id,
        filename=row.filename,
        state=row.state,
        rows_total=row.rows_total,
        rows_validated=row.rows_validated,
        rows_written=row.rows_written,
        problems=problems_from(row.problems),
        problems_total=row.problems_total,
        notices=problems_from(row.notices),
        summary={**empty_summary(), **json.loads(row.summary)},
        created_at=row.created_at,
        finished_at=row.finished_at,
        created_by=row.created_by,
    )
