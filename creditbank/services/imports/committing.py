"""Confirming an import: the whole file in one write transaction, or nothing.

1. Claim: one short transaction moves the import from ``ready`` to ``writing`` with a conditional UPDATE; of two
   clicks, two workers or two shells, only the one whose UPDATE changed the row goes on. The others are shown the
   import as it stands (``writing``, and afterwards ``written``), so nothing is ever written twice.
2. Write: one transaction takes the ledger's sequencer, checks every row again against the database as it is now
   (a learner may have been enrolled or erased, a record id used, since the preview), and then enrolls the new
   and linked learners in one ledger append, records the achievements in chunks of ``achievements.MAX_BATCH``
   (with their conversions, as the API's batches do) and marks the import ``written`` or ``unchanged``. Any new
   problem rolls it all back and leaves the import ``invalid`` with those problems; any other failure rolls it
   back and returns the import to ``ready``, so it can be confirmed again.

Write progress. The rows of the big transaction are invisible to everyone else until it commits, and on SQLite no
other transaction can even update the import's row meanwhile. So progress is kept in this process
(``progress(import_id)``, updated between chunks), which the console's page asks while it is served by the worker
doing the work; a page reloaded in another worker reads ``writing`` from the table and shows that it is underway.
"""

from __future__ import annotations

import json
import threading

from creditbank import ledger_store, spreadsheets
from creditbank.errors import Conflict, DomainError
from creditbank.runtime import Bank
from creditbank.services.imports import store
from creditbank.services.imports.validation import check
from creditbank.services.imports.views import ImportView, RowProblem, view_of
from creditbank.services.records import achievements, learners
from creditbank.services.records.api_keys import Principal

_PROGRESS: dict[str, tuple[int, int]] = {}
_PROGRESS_LOCK = threading.Lock()


def progress(import_id: str) -> tuple[int, int] | None:
    """(rows written, rows to write) of a commit running in this process, or None if none is."""
    with _PROGRESS_LOCK:
        return _PROGRESS.get(import_id)


def _report(import_id: str, done: int, total: int) -> None:
    with _PROGRESS_LOCK:
        _PROGRESS[import_id] = (done, total)


class _Refused(Exception):
    """The file no longer passes: the write transaction is rolled back and these problems are kept."""

    def __init__(self, problems: list[RowProblem]) -> None:
        super().__init__(f"{len(problems)} problems")
        self.problems = problems


def commit(bank: Bank, principal: Principal, import_id: str) -> ImportView:
    """Write a ``ready`` import; a written, unchanged or already claimed one is returned as it is."""
    principal.require("records:write")
    with bank.db.writing() as session:
        row = store.owned(session, principal, import_id)
        claimed = store.move(session, import_id, "writing", expected=("ready",))
        if not claimed:
            # Read again: on PostgreSQL the row read above may predate the claim that beat this one.
            session.refresh(row)
            if row.state in ("writing", "written", "unchanged"):
                return view_of(row)
            raise Conflict(f"this import cannot be confirmed: it is {row.state}", errors={"state": row.state})
        filename, data, digest = row.filename, row.file_data, row.file_sha256
    try:
        if data is None:
            raise Conflict("the uploaded file is no longer kept; upload it again")
        table = store.parsed(filename, data)
        _write(bank, principal, import_id, table)
    except _Refused as refused:
        notice = RowProblem(0, "", "", "changed_since_preview", {})
        store.finish_with_problems(
            bank, import_id, "invalid", refused.problems, expected=("writing",), notices=[notice]
        )
    except BaseException:
        with bank.db.writing() as session:
            store.move(session, import_id, "ready", expected=("writing",))
        raise
    finally:
        with _PROGRESS_LOCK:
            _PROGRESS.pop(import_id, None)
    store.forget_parsed(digest)
    with bank.db.reading() as session:
        return view_of(store.owned(session, principal, import_id))


def _write(bank: Bank, principal: Principal, import_id: str, table: spreadsheets.Table) -> None:
    vault = bank.vault()
    with bank.db.writing() as session:
        ledger_store.lock(session, ledger_store.SEQUENCER_LOCK)
        checked = check(session, vault, principal.institution_id, table)
        if checked.problems:
            raise _Refused(checked.problems)
        planned = checked.plan
        joining = [person for person in planned.people if person.status in ("new", "linked")]
        _report(import_id, 0, len(planned.fresh))
        try:
            answers = learners.enroll_many_in(
                session,
                vault,
                principal,
                [learners.Enrolling(person.data, person.digest) for person in joining],
                activation=False,
            )
            for person, answer in zip(joining, answers, strict=True):
                person.learner_id = answer["id"]
            done = 0
            for start in range(0, len(planned.fresh), achievements.MAX_BATCH):
                chunk = planned.fresh[start : start + achievements.MAX_BATCH]
                items = []
                for made, person in chunk:
                    assert person.learner_id is not None
                    items.append(achievements.Submission(person.learner_id, made.record_id, made.data))
                achievements.record_in(session, principal, items, batch=True)
                done += len(chunk)
                _report(import_id, done, len(planned.fresh))
        except DomainError as refused:
            # Checked just above in this transaction; reaching here means a rule the check does not restate.
            problem = RowProblem(0, "", "", "invalid_value", {"detail": refused.detail})
            raise _Refused([problem]) from refused
        fresh_people = [person for person in joining if person.status == "new"]
        letters = [person.learner_id for person in fresh_people if not person.data.email]
        written = bool(joining or planned.fresh)
        finished = store.move(
            session,
            import_id,
            "written" if written else "unchanged",
            expected=("writing",),
            rows_written=len(planned.fresh),
            summary=json.dumps(planned.summary),
            created_learners=json.dumps([person.learner_id for person in fresh_people]),
            letter_learners=json.dumps(letters),
            problems="[]",
            problems_total=0,
        )
        if not finished:
            # Discarded while it was being written (a learner's erasure): the whole write is undone.
            raise Conflict("this import was discarded while it was being written; upload the file again")
