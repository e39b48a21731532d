"""The audit on every core: a large ledger cut into aligned chunks of 2^16 entries, each checked by a worker process
over its own connection with the same per-entry checks.

A chunk's leaf and subtree hashes below its own root do not depend on anything outside it, so the parent joins the
chunk roots into the nodes above them and the roots each checkpoint is checked against. The ledger is append-only,
so the rows below the size the parent read stay what they were while the workers read them. The workers only tell a
clean ledger from one that is not: at the first irregularity anywhere the caller runs the one-pass audit, which
names every finding.
"""

from __future__ import annotations

import hashlib
import multiprocessing
import sqlite3
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from typing import Any

import psycopg

from creditbank.runtime import Bank
from creditbank.services.transparency.audit_checks import (
    CHECKPOINTS,
    FETCH,
    AuditReport,
    check_canonical,
    check_checkpoint,
    checkpoint_row,
)
from ledger.entry import TIME, public_bytes, valid_names
from ledger.merkle import node_hash
from ledger.subtrees import CompactRange, frontier

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
# Chunks are aligned perfect subtrees of 2^CHUNK_LEVEL leaves. Below PARALLEL_MIN entries starting the worker
# processes costs more than it saves.
CHUNK_LEVEL = 16
PARALLEL_MIN = 300_000


@dataclass(frozen=True)
class _Chunk:
    """What a worker found clean in entries ``[start, end)``: the frontier of its own subtree at its end and at each
    checkpoint size inside it, and the stored hashes of the nodes above its root (kept beside its last leaf)."""

    start: int
    end: int
    frontier: list[bytes]
    at_checkpoints: dict[int, list[bytes]]
    above: bytes


def parallel_audit(
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
        cursor.execute(CHECKPOINTS)
        checkpoints = [checkpoint_row(report, row) for row in cursor.fetchall()]
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
        check_checkpoint(report, by_size[0], fold([]), verifier, bank.origin)
    for size, checkpoint_root in roots.items():
        check_checkpoint(report, by_size[size], checkpoint_root, verifier, bank.origin)
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
            roots[at] = fold([h for _, h in upper] + hashes)
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
    return roots, fold([h for _, h in upper])


def fold(hashes: list[bytes]) -> bytes:
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
    while block := entries.fetchmany(FETCH):
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
                check_canonical(scratch, seq, body)
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
