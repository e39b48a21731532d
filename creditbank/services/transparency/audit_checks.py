"""What the audit checks of each stored row and checkpoint, shared by the one-pass and the chunked audit.

Whatever the tables hold, a check gives a finding naming its seq or checkpoint, never an exception: a value of the
wrong type in a column is itself a finding.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass, field
from typing import Any

from ledger.canonical import canonical_bytes
from ledger.note import NoteError, NoteVerifier, open_note, parse_checkpoint

# Read raw like the entries: the ORM would convert each column first, and a value of the wrong type stored in a
# column would then stop the audit inside the driver's conversion instead of becoming a finding.
CHECKPOINTS = "SELECT size, root, note FROM ledger_checkpoints ORDER BY size"
FETCH = 20_000
MAX_PROBLEMS = 20
BINARY = (bytes, memoryview, bytearray)


@dataclass
class AuditReport:
    entries: int = 0
    checkpoints: int = 0
    root: bytes = b""
    seconds: float = 0.0
    problems: list[str] = field(default_factory=list)
    first_bad_seq: int | None = None
    # The size of the first checkpoint found bad; a checkpoint is named by its size, not by the seq before it.
    first_bad_checkpoint: int | None = None
    # How many processes read the ledger: 1 for the one-pass audit.
    workers: int = 1

    @property
    def ok(self) -> bool:
        return not self.problems

    def fail(self, message: str, seq: int | None = None, *, checkpoint: int | None = None) -> None:
        if seq is not None and self.first_bad_seq is None:
            self.first_bad_seq = seq
        if checkpoint is not None and self.first_bad_checkpoint is None:
            self.first_bad_checkpoint = checkpoint
        if len(self.problems) < MAX_PROBLEMS:
            self.problems.append(message)

    def summary(self) -> str:
        """Where the damage starts, for a one-line alert."""
        places = []
        if self.first_bad_seq is not None:
            places.append(f"first bad seq {self.first_bad_seq}")
        if self.first_bad_checkpoint is not None:
            places.append(f"first bad checkpoint at size {self.first_bad_checkpoint}")
        return ", ".join(places) or "see problems"


@dataclass(frozen=True)
class Checkpoint:
    size: int
    root: bytes
    note: str


_COLUMNS = ("kind", "actor", "time", "public", "nodes", "salt", "body")
_TEXT_COLUMNS = {"kind", "actor", "time"}


def retyped(report: AuditReport, row: Any, expected: int) -> tuple[Any, ...] | None:
    """The row with each value of the wrong type reported and replaced by what the checks can still use (text as
    its UTF-8 bytes, bytes as text), so one bad column costs one finding and not the rest of the audit."""
    seq = row[0]
    if type(seq) is not int:
        report.fail(f"seq {expected}: the stored seq is {seq!r} ({type(seq).__name__}), not an integer", expected)
        return None
    values: list[Any] = [seq]
    has_body = row[6] is not None or row[7] is not None
    for name, value in zip(_COLUMNS, row[1:], strict=True):
        if name in ("salt", "body") and not has_body:
            values.append(None)
            continue
        if name in _TEXT_COLUMNS:
            if type(value) is str:
                values.append(value)
                continue
            report.fail(f"seq {seq}: {name} is stored as {_kind_of(value)}, not text", seq)
            values.append(bytes(value).decode("utf-8", "replace") if type(value) in BINARY else str(value))
        else:
            if type(value) in BINARY:
                values.append(value)
                continue
            report.fail(f"seq {seq}: {name} is stored as {_kind_of(value)}, not bytes", seq)
            values.append(value.encode("utf-8", "surrogatepass") if type(value) is str else b"")
    return tuple(values)


def _kind_of(value: Any) -> str:
    return "NULL" if value is None else "text" if type(value) is str else type(value).__name__


def check_canonical(report: AuditReport, seq: int, body: bytes) -> None:
    try:
        canonical = canonical_bytes(json.loads(body)) == body
    except (ValueError, RecursionError):
        canonical = False
    if not canonical:
        report.fail(f"seq {seq}: stored body is not canonical JSON", seq)


def checkpoint_row(report: AuditReport, row: Any) -> Checkpoint | None:
    size, root, note = row
    if type(size) is not int:
        report.fail(f"checkpoint with size {size!r}: the stored size is not an integer")
        return None
    if type(root) not in BINARY:
        report.fail(f"checkpoint at size {size}: root is stored as {_kind_of(root)}, not bytes", checkpoint=size)
        root = root.encode("utf-8", "surrogatepass") if type(root) is str else b""
    if type(note) is not str:
        report.fail(f"checkpoint at size {size}: note is stored as {_kind_of(note)}, not text", checkpoint=size)
        note = bytes(note).decode("utf-8", "replace") if type(note) in BINARY else ""
    return Checkpoint(size, bytes(root), note)


def check_checkpoint(report: AuditReport, row: Checkpoint, root: bytes, verifier: NoteVerifier, origin: str) -> None:
    where = f"checkpoint at size {row.size}"
    try:
        body = parse_checkpoint(open_note(row.note, [verifier]).text)
    except NoteError as exc:
        report.fail(f"{where}: {exc}", checkpoint=row.size)
        return
    except Exception as exc:
        report.fail(f"{where}: the stored note cannot be read ({exc.__class__.__name__}: {exc})", checkpoint=row.size)
        return
    if body.origin != origin or body.size != row.size or body.root != row.root:
        report.fail(f"{where}: signed body disagrees with its stored size or root", checkpoint=row.size)
    if body.root != root:
        report.fail(
            f"{where}: root {base64.b64encode(body.root).decode()} differs from the "
            f"recomputed {base64.b64encode(root).decode()}",
            checkpoint=row.size,
        )
