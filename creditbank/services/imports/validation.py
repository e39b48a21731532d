"""Validating an uploaded file: every problem of every row, and what confirming it would write.

The work is bounded before it starts: the reader refuses a file over ``spreadsheets.MAX_BYTES`` or
``spreadsheets.MAX_ROWS`` as unreadable, and problems beyond ``views.MAX_PROBLEMS`` are counted, not kept. Progress
(``rows_validated``) is written every ``PROGRESS_EVERY`` rows in a transaction of its own, so a page reloaded in
another worker sees how far it got; the bank's checks then run in one reading transaction. Nothing is written to
the ledger here.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session

from creditbank import spreadsheets
from creditbank.errors import NotFound
from creditbank.models import SpreadsheetImport
from creditbank.personal_data import Vault
from creditbank.runtime import Bank
from creditbank.services.imports import rows as row_rules
from creditbank.services.imports import store
from creditbank.services.imports.matching import Plan, plan
from creditbank.services.imports.views import ImportView, RowProblem, view_of

PROGRESS_EVERY = 500
# Parameter names a reader's problem might use for the cell's own content; dropped for the learner's columns,
# since problems are stored with the import and shown again after the file itself is gone.
_CELL_CONTENT = frozenset({"value", "text", "cell", "got", "found"})


@dataclass
class Checked:
    """A file checked against the bank: its problems (reader's, rows', bank's) and the plan for the clean rows."""

    rows_total: int
    problems: list[RowProblem]
    notices: list[RowProblem]
    plan: Plan


def _reader_problem(problem: Any) -> RowProblem:
    params = dict(getattr(problem, "params", {}) or {})
    name = getattr(problem, "field", None) or ""
    if name in row_rules.LEARNER_FIELDS or name == "":
        params = {key: value for key, value in params.items() if key not in _CELL_CONTENT}
    return RowProblem(int(problem.row), str(problem.column or ""), str(name), str(problem.code), params)


def notices_of(table: spreadsheets.Table) -> list[RowProblem]:
    return [RowProblem(0, "", "", str(notice.code), dict(notice.params or {})) for notice in table.notices]


def build_rows(
    vault: Vault, table: spreadsheets.Table, on_progress: Callable[[int], None] | None = None
) -> tuple[list[row_rules.RowInput], list[RowProblem]]:
    """Each row made ready for the bank, and every problem found in the file without the database."""
    reader = [_reader_problem(problem) for problem in table.problems]
    flagged: dict[int, set[str]] = defaultdict(set)
    for problem in reader:
        flagged[problem.row].add(problem.field)
    today = datetime.now(UTC).date()
    headers = dict(table.headers)
    built = []
    for index, parsed in enumerate(table.rows, start=1):
        built.append(
            row_rules.build(parsed.number, parsed.values, headers, flagged.get(parsed.number, set()), vault, today)
        )
        if on_progress is not None and index % PROGRESS_EVERY == 0:
            on_progress(index)
    problems = list(reader)
    for made in built:
        problems.extend(made.problems)
    return built, problems


def _rows_of(
    vault: Vault, table: spreadsheets.Table, on_progress: Callable[[int], None] | None
) -> tuple[list[row_rules.RowInput], list[RowProblem]]:
    """``build_rows``, or what it gave for this very parse earlier today: the rows' own rules depend on the bytes,
    the date and the bank's vault alone, so the commit re-checks only what the database may have changed."""
    today = datetime.now(UTC).date()
    kept = store.noted(table)
    # The rows carry ID digests keyed by this bank's vault: another bank in the same process must build its own.
    if isinstance(kept, tuple) and kept[0] == today and kept[1] is vault:
        return list(kept[2]), list(kept[3])
    built, problems = build_rows(vault, table, on_progress)
    store.note(table, (today, vault, tuple(built), tuple(problems)))
    return built, problems


def check(
    session: Session,
    vault: Vault,
    institution: str,
    table: spreadsheets.Table,
    on_progress: Callable[[int], None] | None = None,
) -> Checked:
    built, problems = _rows_of(vault, table, on_progress)
    rows_with_problems = {problem.row for problem in problems}
    clean = [made for made in built if made.number not in rows_with_problems]
    planned = plan(session, vault, institution, clean, dict(table.headers))
    problems.extend(planned.problems)
    problems.sort(key=lambda problem: (problem.row, problem.column))
    return Checked(len(table.rows), problems, notices_of(table), planned)


def validate(bank: Bank, import_id: str) -> ImportView:
    """Check an uploaded import and leave it ``ready``, ``invalid`` or ``failed``; a finished one is left alone.

    The console runs this in a background thread, the shell inline. It takes no principal: it only ever continues
    what ``upload`` (which checked the caller) began."""
    with bank.db.reading() as session:
        row = session.get(SpreadsheetImport, import_id)
        if row is None:
            raise NotFound(f"no import {import_id!r}")
        if row.state != "validating" or row.file_data is None:
            return view_of(row)
        filename, data, institution = row.filename, row.file_data, row.institution_id
    try:
        return _validate(bank, import_id, filename, data, institution)
    except BaseException:
        # Not the file's fault (the database went away, a bug): the import must not look busy for ever.
        failure = RowProblem(0, "", "", "validation_failed", {})
        store.finish_with_problems(bank, import_id, "failed", [failure], expected=("validating",))
        store.forget_parsed(store.digest_of(data))
        raise


def _validate(bank: Bank, import_id: str, filename: str, data: bytes, institution: str) -> ImportView:
    vault = bank.vault()
    try:
        table = store.parsed(filename, data)
    except spreadsheets.UnreadableFile as unreadable:
        failure = RowProblem(0, "", "", str(unreadable.code), dict(unreadable.params or {}))
        store.finish_with_problems(bank, import_id, "failed", [failure], expected=("validating",))
        return _reload(bank, import_id)
    with bank.db.writing() as session:
        store.move(session, import_id, "validating", expected=("validating",), rows_total=len(table.rows))

    def progress(done: int) -> None:
        with bank.db.writing() as session:
            store.move(session, import_id, "validating", expected=("validating",), rows_validated=done)

    # The rows' own rules first, outside any transaction (progress is written as they go); then the bank's, in one
    # reading transaction.
    _rows_of(vault, table, progress)
    with bank.db.reading() as session:
        checked = check(session, vault, institution, table)
    state = "invalid" if checked.problems else "ready"
    store.finish_with_problems(
        bank,
        import_id,
        state,
        checked.problems,
        expected=("validating",),
        notices=checked.notices,
        rows_validated=checked.rows_total,
        summary=json.dumps(checked.plan.summary),
    )
    if state != "ready":
        store.forget_parsed(store.digest_of(data))
    return _reload(bank, import_id)


def _reload(bank: Bank, import_id: str) -> ImportView:
    with bank.db.reading() as session:
        row = session.get(SpreadsheetImport, import_id)
        assert row is not None  # imports are never deleted while validating
        return view_of(row)
