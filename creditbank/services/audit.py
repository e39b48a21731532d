"""`creditbank ledger audit`: re-derive everything the ledger claims from what it stores.

For every entry: the commitment from its salt and body, the public entry from its columns and
that commitment, the leaf hash, and the stored subtree hashes. For every checkpoint: its
signature, that its body names this log, and that its root equals the root recomputed from
the entries — checkpoints that all match prefixes of one recomputed tree are consistent with
each other. Rows are streamed through the driver's own cursor, the fastest read either
database offers (on PostgreSQL in binary form, so byte columns arrive without hex decoding).

A large ledger is audited on every core: it is cut into aligned chunks of 2^16 entries, each checked in a
worker process over its own connection with the same per-entry checks; a chunk's leaf and subtree hashes below
its own root do not depend on anything outside it, and the parent joins the chunk roots into the nodes above
them and the roots each checkpoint is checked against. The ledger is append-only, so the rows below the size the
parent read stay what they were while the workers read them. The workers only tell a clean ledger from one that is
not: at the first irregularity anywhere, the whole audit runs again in one pass, which names every finding the way
the one-pass audit always has.
"""

from __future__ import annotations

import base64
import hashlib
import json
import multiprocessing
import os
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from typing import Any

import psycopg

from creditbank.runtime import Bank
from creditbank.services.transparency import findings
from ledger.canonical import canonical_bytes
from ledger.entry import TIME, public_bytes, valid_names
from ledger.merkle import node_hash
from ledger.note import NoteError, NoteVerifier, open_note, parse_checkpoint
from ledger.subtrees import CompactRange, frontier

_QUERY = (
    "SELECT e.seq, e.kind, e.actor, e.time, e.public, e.nodes, b.salt, b.body "
    "FROM ledger_entries e LEFT JOIN ledger_bodies b ON b.seq = e.seq ORDER BY e.seq"
)
# Read raw like the entries: the ORM would convert each column first, and a value of the wrong type stored in a
# column would then stop the audit inside the driver's conversion instead of becoming a finding.
_CHECKPOINTS = "SELECT size, root, note FROM ledger_checkpoints ORDER BY size"
# Two statements: each is answered from the end of the primary key, where the two together, or a COUNT, scan the
# table. The workers check that every seq in their chunk is there, in order.
_LOWEST = "SELECT MIN(seq) FROM ledger_entries"
_HIGHEST = "SELECT MAX(seq) FROM ledger_entries"
# A worker reads its chunk's entries and bodies side by side, each in seq order: two plain range scans cost less
# than the join (in SQLite about a quarter less), and a missing body shows as the two falling out of step.
_CHUNK_ENTRIES = (
    "SELECT seq, kind, actor, time, public, nodes FROM ledger_entries WHERE seq >= %s AND seq < %s ORDER BY seq"
)
_CHUNK_BODIES = "SELECT seq, salt, body FROM ledger_bodies WHERE seq >= %s AND seq < %s ORDER BY seq"
_FETCH = 20_000
MAX_PROBLEMS = 20
_BINARY = (bytes, memoryview, bytearray)
# Chunks are aligned perfect subtrees of 2^CHUNK_LEVEL leaves. Below PARALLEL_MIN entries starting the worker
# processes costs more than it saves.
CHUNK_LEVEL = 16
PARALLEL_MIN = 300_000


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
class _Checkpoint:
    size: int
    root: bytes
    note: str


def audit(
    bank: Bank,
    *,
    deep: bool = False,
    progress: Callable[[int], None] | None = None,
    workers: int | None = None,
    chunk_level: int = CHUNK_LEVEL,
    parallel_min: int = PARALLEL_MIN,
) -> AuditReport:
    """Check the whole ledger. ``deep`` also re-canonicalizes every stored body.

    Whatever the tables hold, the answer is a report: a stored value of the wrong type, or one no check can
    even be computed on, is a finding naming its seq (or its checkpoint), never an exception. ``workers``
    (default: the number of cores) processes share a ledger of at least ``parallel_min`` entries."""
    started = time.perf_counter()
    count = workers if workers is not None else min(os.cpu_count() or 1, 8)
    if count > 1:
        report = _parallel_audit(bank, deep, progress, count, chunk_level, parallel_min)
        if report is not None:
            report.seconds = time.perf_counter() - started
            return report
    report = _serial_audit(bank, deep, progress)
    report.seconds = time.perf_counter() - started
    return report


def _serial_audit(bank: Bank, deep: bool, progress: Callable[[int], None] | None) -> AuditReport:
    report = AuditReport()
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
        cursor = raw.cursor(name="creditbank_audit", binary=True) if bank.db.dialect == "postgresql" else raw.cursor()
        cursor.execute(_QUERY)
        tree = CompactRange()
        expected = 0
        # Kinds and actors repeat across millions of entries: validate each pair once.
        checked_names: set[tuple[str, str]] = set()
        time_format = TIME.fullmatch
        # The entries of one append share their time: a value just found well-formed is not matched again.
        good_time = ""
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
                    if when != good_time:
                        if time_format(when) is None:
                            report.fail(f"seq {seq}: time {when!r} is malformed", seq)
                        else:
                            good_time = when
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
    return report


# --- the audit on every core ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Chunk:
    """What a worker found clean in entries ``[start, end)``: the frontier of its own subtree at its end and at each
    checkpoint size inside it, and the stored hashes of the nodes above its root (kept beside its last leaf)."""

    start: int
    end: int
    frontier: list[bytes]
    at_checkpoints: dict[int, list[bytes]]
    above: bytes


def _parallel_audit(
    bank: Bank,
    deep: bool,
    progress: Callable[[int], None] | None,
    workers: int,
    chunk_level: int,
    parallel_min: int,
) -> AuditReport | None:
    """The audit over ``workers`` processes, or None where it does not apply or found anything at all."""
    database = _worker_database(bank)
    if database is None:
        return None
    report = AuditReport()
    with bank.db.reading() as session:
        raw = session.connection().connection.dbapi_connection
        assert raw is not None
        cursor = raw.cursor()
        cursor.execute(_LOWEST)
        (lowest,) = cursor.fetchone()
        cursor.execute(_HIGHEST)
        (highest,) = cursor.fetchone()
        if lowest != 0 or type(highest) is not int or highest + 1 < parallel_min:
            cursor.close()
            return None
        count = highest + 1
        cursor.execute(_CHECKPOINTS)
        checkpoints = [_checkpoint_row(report, row) for row in cursor.fetchall()]
        cursor.close()
    if not report.ok or any(cp is None or cp.size > count for cp in checkpoints):
        return None
    sizes = sorted(cp.size for cp in checkpoints if cp is not None)
    width = 1 << chunk_level
    tasks = [
        (start, min(start + width, count), [s for s in sizes if start < s <= min(start + width, count)], deep)
        for start in range(0, count, width)
    ]
    try:
        # A worker that dies (killed, out of memory) breaks the pool with an exception rather than losing its chunk.
        pool = ProcessPoolExecutor(
            min(workers, len(tasks)), mp_context=_start_method(bank), initializer=_open_worker, initargs=database
        )
    except (OSError, ValueError, AssertionError):  # e.g. a daemonic caller, which may not start processes
        return None
    try:
        # Each chunk is joined as soon as it and every chunk before it are done.
        joined = _join(pool.map(_check_chunk, tasks), chunk_level, progress)
    except (BrokenProcessPool, OSError):
        joined = None
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
    if joined is None:
        return None
    roots, root = joined
    if set(roots) != {size for size in sizes if size}:
        return None
    verifier = bank.log_verifier()
    by_size = {cp.size: cp for cp in checkpoints if cp is not None}
    if 0 in by_size:
        _check_checkpoint(report, by_size[0], _fold([]), verifier, bank.origin)
    for size, checkpoint_root in roots.items():
        _check_checkpoint(report, by_size[size], checkpoint_root, verifier, bank.origin)
    if not report.ok:
        return None
    report.entries = count
    report.root = root
    report.checkpoints = len(checkpoints)
    report.workers = min(workers, len(tasks))
    return report


def _start_method(bank: Bank) -> Any:
    """fork where the calling thread is the process's only one (the command line), spawn elsewhere (a scheduler
    thread): a child forked beside other threads can inherit a lock one of them held, and never run."""
    if threading.active_count() > 1 or "fork" not in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("spawn")
    # A forked child must not share SQLite's per-process lock bookkeeping of the parent's connections
    # (sqlite.org/howtocorrupt.html §2.6): the parent's idle ones are closed first; the workers open their own.
    bank.db.engine.dispose()
    return multiprocessing.get_context("fork")


def _join(
    chunks: Iterator[_Chunk | None], chunk_level: int, progress: Callable[[int], None] | None
) -> tuple[dict[int, bytes], bytes] | None:
    """Chain the chunks' subtrees into the one tree: check the stored nodes above each chunk root and compute the
    root at each checkpoint size. None at the first chunk that was not clean or whose upper nodes differ."""
    upper: list[tuple[int, bytes]] = []  # the frontier of whole chunks, as (level, hash)
    roots: dict[int, bytes] = {}
    size = 0
    for chunk in chunks:
        if chunk is None:
            return None
        for at, hashes in chunk.at_checkpoints.items():
            roots[at] = _fold([h for _, h in upper] + hashes)
        size = chunk.end
        if chunk.end - chunk.start == 1 << chunk_level:
            (current,) = chunk.frontier
            level, completed = chunk_level, []
            while upper and upper[-1][0] == level:
                current = node_hash(upper.pop()[1], current)
                level += 1
                completed.append(current)
            if chunk.above != b"".join(completed):
                return None
            upper.append((level, current))
        elif chunk.above:
            # Only the last leaf of a whole chunk completes nodes above the chunk's level.
            return None
        else:
            upper.extend(zip([lvl for lvl, _ in frontier(size)][len(upper) :], chunk.frontier, strict=True))
        if progress is not None:
            progress(size)
    return roots, _fold([h for _, h in upper])


def _fold(hashes: list[bytes]) -> bytes:
    """The root over perfect subtrees given left to right, each no smaller than the next (RFC 9162 §2.1): the
    right fold, whether or not the last two are still to be merged."""
    if not hashes:
        return CompactRange().root()
    result = hashes[-1]
    for left in reversed(hashes[:-1]):
        result = node_hash(left, result)
    return result


def _worker_database(bank: Bank) -> tuple[str, str] | None:
    """(dialect, what a worker connects with), or None for a database other processes cannot open."""
    url = bank.db.engine.url
    if bank.db.dialect == "sqlite":
        if not url.database or url.database == ":memory:" or url.database.startswith("file:"):
            return None
        return "sqlite", url.database
    if bank.db.dialect == "postgresql":
        return "postgresql", url.set(drivername="postgresql").render_as_string(hide_password=False)
    return None


_connection: Any = None
_dialect = ""


def _open_worker(dialect: str, target: str) -> None:
    # Never raises: a pool whose initializer fails starts new workers for ever. A worker without a connection
    # answers every chunk with None, and the one-pass audit then reports what is wrong.
    global _connection, _dialect
    _dialect = dialect
    try:
        if dialect == "sqlite":
            _connection = sqlite3.connect(target, isolation_level=None, check_same_thread=False)
        else:
            _connection = psycopg.connect(target)
    except Exception:
        _connection = None


def _check_chunk(task: tuple[int, int, list[int], bool]) -> _Chunk | None:
    """Run every per-entry check on entries ``[start, end)``; None at the first thing that is not as it should be.

    The same checks as the one-pass audit, in the same order of evidence: seq, types, commitment, names, time,
    public bytes, leaf and subtree hashes. Node hashes are those of the chunk's own subtree, which are the tree's
    nodes at every level up to the chunk root; the hashes stored above it are handed back for the parent."""
    start, end, sizes, deep = task
    if _connection is None:
        return None
    try:
        if _dialect == "sqlite":
            entries, bodies = _connection.cursor(), _connection.cursor()
            entries.execute(_CHUNK_ENTRIES.replace("%s", "?"), (start, end))
            bodies.execute(_CHUNK_BODIES.replace("%s", "?"), (start, end))
        else:
            entries = _connection.cursor(name="creditbank_audit_entries", binary=True)
            bodies = _connection.cursor(name="creditbank_audit_bodies", binary=True)
            entries.execute(_CHUNK_ENTRIES, (start, end))
            bodies.execute(_CHUNK_BODIES, (start, end))
        try:
            return _scan_chunk(_side_by_side(entries, bodies), start, end, sizes, deep)
        finally:
            entries.close()
            bodies.close()
            if _dialect == "postgresql":
                _connection.rollback()
    except Exception:
        return None


def _side_by_side(entries: Any, bodies: Any) -> Iterator[Iterator[tuple[tuple[Any, ...], tuple[Any, ...]]]]:
    """Blocks of ((seq, kind, actor, time, public, nodes), (body seq, salt, body)); a block ends early where the
    bodies run out, so a missing body shows as a short chunk or as seqs out of step."""
    while block := entries.fetchmany(_FETCH):
        beside = bodies.fetchmany(len(block))
        yield zip(block, beside, strict=False)
        if len(beside) < len(block):
            return


def _scan_chunk(
    blocks: Iterator[Iterator[tuple[tuple[Any, ...], tuple[Any, ...]]]],
    start: int,
    end: int,
    sizes: list[int],
    deep: bool,
) -> _Chunk | None:
    sha256 = hashlib.sha256
    time_format = TIME.fullmatch
    names: set[tuple[str, str]] = set()
    scratch = AuditReport()
    good_time = ""
    stack: list[bytes] = []  # the chunk's frontier: its levels are the set bits of the local count
    wanted = set(sizes)
    at_checkpoints: dict[int, list[bytes]] = {}
    above = b""
    seq = start
    last = end - 1
    for rows in blocks:
        for (stored, kind, actor, when, public, nodes), (beside, salt, body) in rows:
            # Both drivers give exactly these types for sound rows; anything else goes to the one pass to report.
            if (
                stored != seq
                or beside != seq
                or type(stored) is not int
                or type(kind) is not str
                or type(actor) is not str
                or type(when) is not str
                or type(public) is not bytes
                or type(nodes) is not bytes
                or type(body) is not bytes
                or type(salt) is not bytes
            ):
                return None
            if deep:
                _check_canonical(scratch, seq, body)
                if not scratch.ok:
                    return None
            if (kind, actor) not in names:
                if not valid_names(kind, actor):
                    return None
                names.add((kind, actor))
            if when != good_time:
                if time_format(when) is None:
                    return None
                good_time = when
            if public_bytes(seq, kind, when, actor, sha256(salt + body).digest()) != public:
                return None
            current = sha256(b"\x00" + public).digest()
            local = seq - start
            if local & 1:
                completed = [current]
                while local & 1:
                    current = sha256(b"\x01" + stack.pop() + current).digest()
                    completed.append(current)
                    local >>= 1
                expected = b"".join(completed)
            else:
                expected = current
            stack.append(current)
            if seq == last and len(nodes) > len(expected):
                # The last leaf of a whole chunk also keeps the nodes above the chunk root.
                above = nodes[len(expected) :]
                nodes = nodes[: len(expected)]
            if nodes != expected:
                return None
            seq += 1
            if seq in wanted:
                at_checkpoints[seq] = list(stack)
    if seq != end:
        return None
    return _Chunk(start, end, stack, at_checkpoints, above)


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
