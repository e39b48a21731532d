"""`creditbank ledger audit`: re-derive everything the ledger claims from what it stores.

For every entry: the commitment from its salt and body, the public entry from its columns and
that commitment, the leaf hash, and the stored subtree hashes. For every checkpoint: its
signature, that its body names this log, and that its root equals the root recomputed from
the entries — checkpoints that all match prefixes of one recomputed tree are consistent with
each other. Rows are streamed through the driver's own cursor, the fastest read either
database offers.
"""

from __future__ import annotations

import base64
import hashlib
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from creditbank.runtime import Bank
from creditbank.services import findings
from ledger.canonical import canonical_bytes
from ledger.entry import TIME, public_bytes, valid_names
from ledger.note import NoteError, NoteVerifier, open_note, parse_checkpoint
from ledger.subtrees import CompactRange

_QUERY = (
    "SELECT e.seq, e.kind, e.actor, e.time, e.public, e.nodes, b.salt, b.body "
    "FROM ledger_entries e LEFT JOIN ledger_bodies b ON b.seq = e.seq ORDER BY e.seq"
)
# Read raw like the entries: the ORM would convert each column first, and a value of the wrong type stored in a
# column would then stop the audit inside the driver's conversion instead of becoming a finding.
_CHECKPOINTS = "SELECT size, root, note FROM ledger_checkpoints ORDER BY size"
_FETCH = 20_000
MAX_PROBLEMS = 20
_BINARY = (bytes, memoryview, bytearray)


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
class _Checkpoint:
    size: int
    root: bytes
    note: str


def audit(bank: Bank, *, deep: bool = False, progress: Callable[[int], None] | None = None) -> AuditReport:
    """Check the whole ledger. ``deep`` also re-canonicalizes every stored body.

    Whatever the tables hold, the answer is a report: a stored value of the wrong type, or one no check can
    even be computed on, is a finding naming its seq (or its checkpoint), never an exception."""
    report = AuditReport()
    started = time.perf_counter()
    verifier = bank.log_verifier()
    sha256 = hashlib.sha256
    with bank.db.reading() as session:
        connection = session.connection()
        raw = connection.connection.dbapi_connection
        assert raw is not None
        cursor = raw.cursor()
        cursor.execute(_CHECKPOINTS)
        checkpoints = [_checkpoint_row(report, row) for row in cursor.fetchall()]
        cursor.close()
        pending = {cp.size: cp for cp in checkpoints if cp is not None}
        cursor = raw.cursor(name="creditbank_audit") if bank.db.dialect == "postgresql" else raw.cursor()
        cursor.execute(_QUERY)
        tree = CompactRange()
        expected = 0
        # Kinds and actors repeat across millions of entries: validate each pair once.
        checked_names: set[tuple[str, str]] = set()
        time_format = TIME.fullmatch
        if 0 in pending:
            _check_checkpoint(report, pending.pop(0), tree.root(), verifier, bank.origin)
        while rows := cursor.fetchmany(_FETCH):
            for row in rows:
                seq, kind, actor, when, public, nodes, salt, body = row
                if not (
                    type(kind) is str
                    and type(actor) is str
                    and type(when) is str
                    and type(public) in _BINARY
                    and type(nodes) in _BINARY
                    and (body is None or (type(body) in _BINARY and type(salt) in _BINARY))
                ):
                    typed = _retyped(report, row, expected)
                    if typed is None:
                        continue
                    seq, kind, actor, when, public, nodes, salt, body = typed
                public, nodes = bytes(public), bytes(nodes)
                if seq != expected:
                    report.fail(f"seq {expected}: missing (next stored seq is {seq})", expected)
                    expected = seq
                try:
                    if body is None:
                        report.fail(f"seq {seq}: private body missing", seq)
                        commitment = b""
                    else:
                        body = bytes(body)
                        commitment = sha256(bytes(salt) + body).digest()
                        if deep:
                            _check_canonical(report, seq, body)
                    if (kind, actor) not in checked_names:
                        if valid_names(kind, actor):
                            checked_names.add((kind, actor))
                        else:
                            report.fail(f"seq {seq}: kind {kind!r} or actor {actor!r} is malformed", seq)
                    if time_format(when) is None:
                        report.fail(f"seq {seq}: time {when!r} is malformed", seq)
                    if public_bytes(seq, kind, when, actor, commitment) != public:
                        report.fail(f"seq {seq}: public entry does not match its body commitment and fields", seq)
                except Exception as exc:
                    # Values of the right type that still defeat a check (text no encoder takes, say).
                    report.fail(f"seq {seq}: stored values cannot be checked ({exc.__class__.__name__}: {exc})", seq)
                # The leaf is the stored public bytes whatever else is wrong, so later checkpoints are still judged.
                completed = tree.append(sha256(b"\x00" + public).digest())
                if nodes != b"".join(completed):
                    report.fail(f"seq {seq}: stored leaf or subtree hashes differ from recomputed ones", seq)
                expected += 1
                checkpoint = pending.pop(expected, None)
                if checkpoint is not None:
                    _check_checkpoint(report, checkpoint, tree.root(), verifier, bank.origin)
            if progress is not None:
                progress(expected)
        cursor.close()
    report.entries = expected
    report.root = tree.root()
    report.checkpoints = len(checkpoints)
    for size in sorted(pending):
        report.fail(
            f"checkpoint at size {size}: signed for more entries than the ledger holds ({expected})", checkpoint=size
        )
    report.seconds = time.perf_counter() - started
    return report


def record(bank: Bank, report: AuditReport) -> None:
    """Keep the result where ``/ready`` reads it (a passing audit also clears a monitor failure)."""
    if report.ok:
        detail = f"passed: {report.entries} entries, {report.checkpoints} checkpoints"
    else:
        detail = f"FAILED ({report.summary()}): {report.problems[0]}"
    findings.record(bank, findings.AUDIT, report.ok, detail)


_COLUMNS = ("kind", "actor", "time", "public", "nodes", "salt", "body")
_TEXT_COLUMNS = {"kind", "actor", "time"}


def _retyped(report: AuditReport, row: Any, expected: int) -> tuple[Any, ...] | None:
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
            values.append(bytes(value).decode("utf-8", "replace") if type(value) in _BINARY else str(value))
        else:
            if type(value) in _BINARY:
                values.append(value)
                continue
            report.fail(f"seq {seq}: {name} is stored as {_kind_of(value)}, not bytes", seq)
            values.append(value.encode("utf-8", "surrogatepass") if type(value) is str else b"")
    return tuple(values)


def _kind_of(value: Any) -> str:
    return "NULL" if value is None else "text" if type(value) is str else type(value).__name__


def _check_canonical(report: AuditReport, seq: int, body: bytes) -> None:
    try:
        canonical = canonical_bytes(json.loads(body)) == body
    except (ValueError, RecursionError):
        canonical = False
    if not canonical:
        report.fail(f"seq {seq}: stored body is not canonical JSON", seq)


def _checkpoint_row(report: AuditReport, row: Any) -> _Checkpoint | None:
    size, root, note = row
    if type(size) is not int:
        report.fail(f"checkpoint with size {size!r}: the stored size is not an integer")
        return None
    if type(root) not in _BINARY:
        report.fail(f"checkpoint at size {size}: root is stored as {_kind_of(root)}, not bytes", checkpoint=size)
        root = root.encode("utf-8", "surrogatepass") if type(root) is str else b""
    if type(note) is not str:
        report.fail(f"checkpoint at size {size}: note is stored as {_kind_of(note)}, not text", checkpoint=size)
        note = bytes(note).decode("utf-8", "replace") if type(note) in _BINARY else ""
    return _Checkpoint(size, bytes(root), note)


def _check_checkpoint(report: AuditReport, row: _Checkpoint, root: bytes, verifier: NoteVerifier, origin: str) -> None:
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
