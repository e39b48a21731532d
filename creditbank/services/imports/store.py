"""Keeping an import: the uploaded file, its row in ``spreadsheet_imports``, and the moves between states.

States: ``validating`` (uploaded, being checked) → ``invalid`` (problems found; nothing can be written) or ``ready``
(clean; waits for the registrar's confirmation) → ``writing`` → ``written`` (something appended) or ``unchanged``
(every row already held). ``failed``: the file could not be read at all. ``discarded``: the registrar (or a dry
run) gave it up. ``expired``: left unfinished for a day, or given up because a learner was erased while it
waited. The stored file, which holds personal data, is kept only while the import may still be written
(validating, ready, writing); every other state clears it.

The reader's parse of a file is kept in this process for a short while (by the file's SHA-256), so confirming a
preview does not parse the same bytes twice; the commit still checks every row again against the database.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections import OrderedDict
from datetime import UTC, datetime, timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, func, select, update
from sqlalchemy.orm import Session

from creditbank import spreadsheets
from creditbank.errors import Conflict, InvalidInput, NotFound
from creditbank.models import SpreadsheetImport
from creditbank.runtime import Bank
from creditbank.services.imports.views import ImportView, RowProblem, empty_summary, problems_text, view_of
from creditbank.services.random_ids import random_id
from creditbank.services.records.api_keys import Principal

KEEPS_FILE = ("validating", "ready", "writing")
MAX_FILENAME = 255
_PARSED: OrderedDict[tuple[bytes, str], spreadsheets.Table] = OrderedDict()
_PARSED_LOCK = threading.Lock()
_NOTES: dict[int, object] = {}
# A parsed 10,000-row file is a few tens of megabytes of Python objects; two cover a preview and its confirmation.
_PARSED_KEPT = 2


def now() -> datetime:
    return datetime.now(UTC)


def _clean_filename(filename: str) -> str:
    # Only the last path component, as a browser or shell may send a whole path; no control characters.
    name = filename.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(char for char in name if char.isprintable()).strip()
    return name[:MAX_FILENAME] or "spreadsheet"


MAX_BUSY = 3
# An import stuck "validating" longer than this (its process died) no longer counts against the institution.
BUSY_FOR = timedelta(minutes=10)


def upload(bank: Bank, principal: Principal, filename: str, data: bytes) -> ImportView:
    """Store an uploaded file for validation (state ``validating``); refuses an empty or oversized file."""
    principal.require("records:write")
    if not data:
        raise InvalidInput("the file is empty", errors={"file": "the file is empty"})
    if len(data) > spreadsheets.MAX_BYTES:
        limit = spreadsheets.MAX_BYTES // (1024 * 1024)
        raise InvalidInput(
            f"the file is larger than {limit} MB; split it into smaller files",
            errors={"file": f"at most {spreadsheets.MAX_BYTES} bytes"},
        )
    moment = now()
    row = SpreadsheetImport(
        id=random_id("imp_"),
        institution_id=principal.institution_id,
        filename=_clean_filename(filename),
        created_by=principal.actor,
        state="validating",
        file_data=data,
        file_sha256=digest_of(data),
        file_size=len(data),
        rows_total=0,
        rows_validated=0,
        rows_written=0,
        problems="[]",
        problems_total=0,
        notices="[]",
        summary=json.dumps(empty_summary()),
        created_learners="[]",
        letter_learners="[]",
        created_at=moment,
        updated_at=moment,
        finished_at=None,
    )
    with bank.db.writing() as session:
        # Each upload being checked holds its file and a parse in memory: an institution has a few at a time, so a
        # registrar (or a stolen session) uploading in a loop is told to wait instead of exhausting the server.
        busy = session.scalar(
            select(func.count())
            .select_from(SpreadsheetImport)
            .where(
                SpreadsheetImport.institution_id == principal.institution_id,
                SpreadsheetImport.state.in_(("validating", "writing")),
                SpreadsheetImport.updated_at > moment - BUSY_FOR,
            )
        )
        if (busy or 0) >= MAX_BUSY:
            raise Conflict(
                f"{busy} uploads of this institution are still being checked or written; wait until they finish",
                errors={"file": "busy"},
            )
        session.add(row)
    return view_of(row)


def owned(session: Session, principal: Principal, import_id: str) -> SpreadsheetImport:
    """The import if the caller's institution made it; otherwise not found (no existence oracle)."""
    row = session.get(SpreadsheetImport, import_id) if isinstance(import_id, str) else None
    if row is None or row.institution_id != principal.institution_id:
        raise NotFound(f"no import {import_id!r}")
    return row


def view(bank: Bank, principal: Principal, import_id: str) -> ImportView:
    principal.require("records:read")
    with bank.db.reading() as session:
        return view_of(owned(session, principal, import_id))


def recent(bank: Bank, principal: Principal, limit: int = 20) -> list[ImportView]:
    """The institution's latest imports, newest first."""
    principal.require("records:read")
    limit = max(1, min(int(limit), 200))
    with bank.db.reading() as session:
        rows = session.scalars(
            select(SpreadsheetImport)
            .where(SpreadsheetImport.institution_id == principal.institution_id)
            .order_by(SpreadsheetImport.created_at.desc(), SpreadsheetImport.id)
            .limit(limit)
        )
        return [view_of(row) for row in rows]


def move(session: Session, import_id: str, state: str, *, expected: tuple[str, ...], **values: object) -> bool:
    """Set the import's state (and other columns) if it is still in one of ``expected``; whether it was.

    The condition is checked by the database in the same statement, so of two workers racing for one move only
    one makes it. Leaving the states that keep the file clears it."""
    changes: dict[str, object] = {"state": state, "updated_at": now(), **values}
    if state not in KEEPS_FILE:
        changes["file_data"] = None
        changes.setdefault("finished_at", now())
    statement = (
        update(SpreadsheetImport)
        .where(SpreadsheetImport.id == import_id, SpreadsheetImport.state.in_(expected))
        .values(changes)
    )
    result = cast("CursorResult[Any]", session.execute(statement))
    return bool(result.rowcount)


def finish_with_problems(
    bank: Bank,
    import_id: str,
    state: str,
    problems: list[RowProblem],
    *,
    expected: tuple[str, ...],
    notices: list[RowProblem] | None = None,
    **values: object,
) -> None:
    extra: dict[str, object] = {"problems": problems_text(problems), "problems_total": len(problems), **values}
    if notices is not None:
        extra["notices"] = problems_text(notices)
    with bank.db.writing() as session:
        move(session, import_id, state, expected=expected, **extra)


def digest_of(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def parsed(filename: str, data: bytes) -> spreadsheets.Table:
    """The reader's parse of ``data`` (raises ``spreadsheets.UnreadableFile``), kept briefly for the commit."""
    key = (digest_of(data), filename)
    with _PARSED_LOCK:
        table = _PARSED.get(key)
        if table is not None:
            _PARSED.move_to_end(key)
            return table
    table = spreadsheets.read(filename, data)
    with _PARSED_LOCK:
        _PARSED[key] = table
        while len(_PARSED) > _PARSED_KEPT:
            _, gone = _PARSED.popitem(last=False)
            _NOTES.pop(id(gone), None)
    return table


def note(table: spreadsheets.Table, value: object) -> None:
    """Keep something derived from a kept parse (the rows as built on a given day), for as long as the parse."""
    with _PARSED_LOCK:
        if any(kept is table for kept in _PARSED.values()):
            _NOTES[id(table)] = value


def noted(table: spreadsheets.Table) -> object | None:
    with _PARSED_LOCK:
        return _NOTES.get(id(table)) if any(kept is table for kept in _PARSED.values()) else None


def forget_every_parse() -> None:
    """Erasure: no kept parse may still hold the person (which of them does cannot be told without opening them)."""
    with _PARSED_LOCK:
        _PARSED.clear()
        _NOTES.clear()


def forget_parsed(digest: bytes) -> None:
    """Drop a parse from memory once its import is finished: it holds the file's personal data too."""
    with _PARSED_LOCK:
        for key in [key for key in _PARSED if key[0] == digest]:
            _NOTES.pop(id(_PARSED.pop(key)), None)


def discard(bank: Bank, principal: Principal, import_id: str) -> ImportView:
    """Give up an import that is not being written: its file is deleted, its problems and counts stay."""
    principal.require("records:write")
    with bank.db.writing() as session:
        row = owned(session, principal, import_id)
        digest = row.file_sha256
        if row.state in ("validating", "invalid", "ready", "failed"):
            move(session, import_id, "discarded", expected=(row.state,))
    # The parse kept in memory holds the file's people as much as the stored bytes did.
    forget_parsed(digest)
    with bank.db.reading() as session:
        return view_of(owned(session, principal, import_id))
