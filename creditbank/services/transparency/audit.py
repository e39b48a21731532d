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

import hashlib
import os
import time
from collections.abc import Callable

from creditbank.runtime import Bank
from creditbank.services.transparency import findings
from creditbank.services.transparency.audit_checks import (
    BINARY,
    CHECKPOINTS,
    FETCH,
    AuditReport,
    check_canonical,
    check_checkpoint,
    checkpoint_row,
    retyped,
)
from creditbank.services.transparency.audit_chunks import CHUNK_LEVEL, PARALLEL_MIN, parallel_audit
from ledger.entry import TIME, public_bytes, valid_names
from ledger.subtrees import CompactRange

_QUERY = (
    "SELECT e.seq, e.kind, e.actor, e.time, e.public, e.nodes, b.salt, b.body "
    "FROM ledger_entries e LEFT JOIN ledger_bodies b ON b.seq = e.seq ORDER BY e.seq"
)


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
        report = parallel_audit(bank, deep, progress, count, chunk_level, parallel_min)
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
        cursor.execute(CHECKPOINTS)
        checkpoints = [checkpoint_row(report, row) for row in cursor.fetchall()]
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
            check_checkpoint(report, pending.pop(0), tree.root(), verifier, bank.origin)
        while rows := cursor.fetchmany(FETCH):
            for row in rows:
                seq, kind, actor, when, public, nodes, salt, body = row
                if not (
                    type(kind) is str
                    and type(actor) is str
                    and type(when) is str
                    and type(public) in BINARY
                    and type(nodes) in BINARY
                    and (body is None or (type(body) in BINARY and type(salt) in BINARY))
                ):
                    typed = retyped(report, row, expected)
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
                            check_canonical(report, seq, body)
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
                    check_checkpoint(report, checkpoint, tree.root(), verifier, bank.origin)
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


def record(bank: Bank, report: AuditReport) -> None:
    """Keep the result where ``/ready`` reads it (a passing audit also clears a monitor failure)."""
    if report.ok:
        detail = f"passed: {report.entries} entries, {report.checkpoints} checkpoints"
    else:
        detail = f"FAILED ({report.summary()}): {report.problems[0]}"
    findings.record(bank, findings.AUDIT, report.ok, detail)
