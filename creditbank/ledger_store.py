"""The ledger in the database: the sequencer, node storage and proof reads.

Every function takes the caller's session, so an append commits or rolls back together with the
projection changes of the use case that made it.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from creditbank.errors import LedgerIntegrityError
from creditbank.models import LedgerBody, LedgerEntry
from ledger.canonical import canonical_bytes
from ledger.entry import SALT_SIZE
from ledger.merkle import HASH_SIZE
from ledger.sealing import Sealed, Unsealed, seal
from ledger.subtrees import (
    Node,
    consistency_ranges,
    frontier,
    hash_range,
    inclusion_ranges,
    node_home,
    nodes_for,
)

# PostgreSQL advisory lock keys ("cbseq", "cbckp"); SQLite serializes writers with BEGIN IMMEDIATE.
SEQUENCER_LOCK = 0x6362736571
CHECKPOINT_LOCK = 0x6362636B70

_ENTRY_COLUMNS = "ledger_entries (seq, kind, actor, time, public, nodes)"
_BODY_COLUMNS = "ledger_bodies (seq, salt, body)"
# Binary COPY writes each value in its wire form: no text escaping of the ~1 KB bodies, no per-row statement.
_ENTRY_TYPES = ("int8", "varchar", "varchar", "varchar", "bytea", "bytea")
_BODY_TYPES = ("int8", "bytea", "bytea")
# SQLite: a multi-row INSERT stays under the 999 bound parameters older builds allow.
_SQLITE_MAX_PARAMETERS = 999


@dataclass(frozen=True)
class NewEntry:
    kind: str
    actor: str
    body: Mapping[str, Any]


def timestamp(now: datetime | None = None) -> str:
    """RFC 3339 UTC with milliseconds, the only time form entries carry."""
    moment = (now or datetime.now(UTC)).astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def lock(session: Session, key: int) -> None:
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})


@contextmanager
def _driver_cursor(session: Session) -> Iterator[tuple[Any, Callable[[str], str]]]:
    """The driver's own cursor in the session's transaction, and a translator for ``?`` placeholders.

    The sequencer and proof reads are the hottest paths in the bank; the ORM's statement
    compilation and per-row parameter processing would cost more than the statements themselves.
    """
    connection = session.connection()
    qmark = connection.dialect.paramstyle == "qmark"
    cursor = connection.connection.cursor()
    try:
        yield cursor, (lambda sql: sql) if qmark else (lambda sql: sql.replace("?", "%s"))
    finally:
        cursor.close()


def _query(session: Session, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
    with _driver_cursor(session) as (cursor, placeholders):
        cursor.execute(placeholders(sql), tuple(params))
        return list(cursor.fetchall())


def tree_size(session: Session) -> int:
    ((last,),) = _query(session, "SELECT max(seq) FROM ledger_entries")
    return 0 if last is None else int(last) + 1


def read_nodes(session: Session, nodes: Iterable[Node]) -> dict[Node, bytes]:
    """Stored subtree hashes, in one query however many are asked for."""
    wanted = list(nodes)
    if not wanted:
        return {}
    homes = sorted({node_home(node) for node in wanted})
    marks = ", ".join("?" * len(homes))
    rows = dict(_query(session, f"SELECT seq, nodes FROM ledger_entries WHERE seq IN ({marks})", homes))  # noqa: S608
    found: dict[Node, bytes] = {}
    for node in wanted:
        stored = rows.get(node_home(node))
        level = node[0]
        if stored is None or len(stored) < (level + 1) * HASH_SIZE:
            raise LedgerIntegrityError(f"subtree hash {node} missing at seq {node_home(node)}")
        found[node] = bytes(stored[level * HASH_SIZE : (level + 1) * HASH_SIZE])
    return found


def prepare(items: Sequence[NewEntry]) -> list[Unsealed]:
    """Canonical bodies and fresh salts: everything about an entry that does not depend on its seq."""
    # One read of the system's random source for the whole batch, cut into independent salts.
    salts = os.urandom(SALT_SIZE * len(items))
    return [
        Unsealed(item.kind, item.actor, canonical_bytes(dict(item.body)), salts[at : at + SALT_SIZE])
        for at, item in zip(range(0, len(salts), SALT_SIZE), items, strict=True)
    ]


def append(session: Session, items: Sequence[NewEntry], *, now: datetime | None = None) -> list[Sealed]:
    """Append entries with contiguous seqs in the session's transaction.

    Use cases record through :func:`creditbank.recording.record`, which also projects what this appends.
    """
    if not items:
        return []
    # Bodies are prepared before taking the sequencer, so the lock covers only reading the frontier and inserting.
    prepared = prepare(items)
    when = timestamp(now)
    lock(session, SEQUENCER_LOCK)
    size = tree_size(session)
    edge = frontier(size)
    stored = read_nodes(session, edge)
    sealing = seal(size, [stored[node] for node in edge], prepared, when)
    entry_rows = [
        (s.entry.seq, s.entry.kind, s.entry.actor, when, s.public, nodes)
        for s, nodes in zip(sealing.entries, sealing.nodes, strict=True)
    ]
    body_rows = [(s.entry.seq, s.salt, s.body) for s in sealing.entries]
    with _driver_cursor(session) as (cursor, _placeholders):
        if session.get_bind().dialect.name == "postgresql":
            _copy(cursor, _ENTRY_COLUMNS, _ENTRY_TYPES, entry_rows)
            _copy(cursor, _BODY_COLUMNS, _BODY_TYPES, body_rows)
        else:
            _insert_rows(cursor, _ENTRY_COLUMNS, entry_rows)
            _insert_rows(cursor, _BODY_COLUMNS, body_rows)
    return sealing.entries


def _copy(cursor: Any, columns: str, types: Sequence[str], rows: Sequence[tuple[Any, ...]]) -> None:
    with cursor.copy(f"COPY {columns} FROM STDIN (FORMAT BINARY)") as copy:
        copy.set_types(types)
        for row in rows:
            copy.write_row(row)


def _insert_rows(cursor: Any, columns: str, rows: Sequence[tuple[Any, ...]]) -> None:
    """Multi-row INSERTs on SQLite: one statement step per chunk rather than one per row."""
    width = len(rows[0])
    group = "(" + ", ".join("?" * width) + ")"
    step = _SQLITE_MAX_PARAMETERS // width
    for start in range(0, len(rows), step):
        chunk = rows[start : start + step]
        values = [value for row in chunk for value in row]
        cursor.execute(f"INSERT INTO {columns} VALUES {', '.join([group] * len(chunk))}", values)  # noqa: S608


def root_at(session: Session, size: int) -> bytes:
    return hash_range(0, size, read_nodes(session, frontier(size)))


def inclusion_proof(session: Session, seq: int, size: int) -> tuple[bytes, list[bytes]]:
    """Leaf hash of ``seq`` and its audit path in the tree of ``size`` leaves."""
    ranges = inclusion_ranges(seq, size)
    stored = read_nodes(session, nodes_for(ranges) | {(0, seq)})
    return stored[(0, seq)], [hash_range(lo, hi, stored) for lo, hi in ranges]


def consistency_proof(session: Session, old_size: int, new_size: int) -> list[bytes]:
    ranges = consistency_ranges(old_size, new_size)
    stored = read_nodes(session, nodes_for(ranges))
    return [hash_range(lo, hi, stored) for lo, hi in ranges]


def get_entry(session: Session, seq: int) -> tuple[LedgerEntry, LedgerBody] | None:
    row = session.execute(
        select(LedgerEntry, LedgerBody)
        .join(LedgerBody, LedgerBody.seq == LedgerEntry.seq)
        .where(LedgerEntry.seq == seq)
    ).first()
    return None if row is None else (row[0], row[1])
