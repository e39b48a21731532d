"""Restoring a bank from a backup archive into an empty database.

A restore puts each key file of the archive in the target's instance folder, keeps one already there if it is
byte-identical, and refuses to touch a different one.

A restore checks everything it can before it writes: the whole archive (its checksum, counts and every value), the
schema revision, the log origin, that the target database is empty, that the key files fit the instance folder and
open with the passphrase, and that the archive's latest checkpoint is signed by the archive's log key. The rows go in
in one transaction, which also re-reads the archive and commits only if the second pass matches the first and the
latest checkpoint's root is reproduced from the loaded entries; a failure leaves the database empty. The real audit
then re-derives the whole ledger from the restored tables.
"""

from __future__ import annotations

import base64
import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from alembic import command
from alembic.script import ScriptDirectory
from alembic.script.revision import RevisionError
from alembic.util import CommandError
from sqlalchemy import inspect, literal, select, table, text
from sqlalchemy.orm import Session

from creditbank import ledger_store, migrate
from creditbank.backup_format import SQL_TYPES, Reader, Summary, TableSpec
from creditbank.errors import ArchiveError, Conflict, LedgerIntegrityError
from creditbank.runtime import Bank
from creditbank.services.operations import archive_keys
from creditbank.services.operations.backup import SKIPPED_TABLES, file_trouble
from creditbank.services.transparency.audit import audit
from creditbank.services.transparency.audit_checks import AuditReport
from ledger.note import parse_checkpoint
from ledger.subtrees import CompactRange


@dataclass
class RestoreReport:
    path: Path
    revision: str
    upgraded_to: str | None
    rows: dict[str, int]
    uncompressed: int
    compressed: int
    verify_seconds: float
    load_seconds: float
    tree_size: int
    checkpoint_size: int | None
    checkpoint_root: bytes | None
    note_identical: bool
    keys_written: list[str]
    keys_kept: list[str]
    audit: AuditReport

    @property
    def total_rows(self) -> int:
        return sum(self.rows.values())

    @property
    def ok(self) -> bool:
        return self.audit.ok and self.audit.entries == self.tree_size and self.note_identical


def _script(bank: Bank) -> ScriptDirectory:
    return ScriptDirectory.from_config(migrate.alembic_config(bank.db.engine))


def _lineage(script: ScriptDirectory, revision: str) -> set[str]:
    return {item.revision for item in script.iterate_revisions(revision, "base")}


def _known_revision(bank: Bank, header: dict[str, Any]) -> str:
    revision = header.get("revision")
    try:
        if not isinstance(revision, str) or _script(bank).get_revision(revision) is None:
            raise RevisionError(str(revision))
    except (CommandError, RevisionError):
        raise ArchiveError(
            f"the archive was written at schema revision {revision!r}, which this release of creditbank does not "
            "know; restore it with the release that wrote it, or a newer one"
        ) from None
    return revision


def _check_contents(summary: Summary) -> dict[str, Any] | None:
    """The header's claims about the ledger against the rows the archive holds."""
    header = summary.header
    size = header.get("tree_size")
    entries, bodies = summary.rows.get("ledger_entries"), summary.rows.get("ledger_bodies")
    if not isinstance(size, int) or size != entries or size != bodies:
        raise ArchiveError(f"the archive claims a tree of {size} entries but holds {entries} entries, {bodies} bodies")
    checkpoint = header.get("checkpoint")
    if checkpoint is None:
        return None
    try:
        note = checkpoint["note"]
        # The signature is checked once the key files are in place; here only the signed text is read.
        body = parse_checkpoint(note[: note.rindex("\n\n") + 1])
    except (KeyError, TypeError, ValueError) as exc:
        raise ArchiveError(f"the archive's latest checkpoint is malformed ({exc})") from None
    if body.size != checkpoint.get("size") or base64.b64encode(body.root).decode() != checkpoint.get("root"):
        raise ArchiveError("the archive's latest checkpoint note disagrees with its stated size or root")
    if body.size > size:
        raise ArchiveError(f"the archive's latest checkpoint covers {body.size} entries but it holds {size}")
    if body.origin != header.get("origin"):
        raise ArchiveError("the archive's latest checkpoint names another log than its header")
    return {"size": body.size, "root": body.root, "note": checkpoint["note"]}


def _existing_tables(bank: Bank) -> list[str]:
    return [name for name in inspect(bank.db.engine).get_table_names() if name != "alembic_version"]


def _first_filled(connection: Any, names: list[str]) -> str | None:
    for name in names:
        if name in SKIPPED_TABLES:
            continue
        if connection.execute(select(literal(1)).select_from(table(name)).limit(1)).first() is not None:
            return name
    return None


def _refuse_if_filled(name: str | None) -> None:
    if name is not None:
        raise Conflict(
            f"the target database is not empty (table {name} holds rows); restore only into an empty database"
        )


def _migrate_to(bank: Bank, revision: str) -> None:
    """Bring the empty target to the archive's revision, down as well as up: with no rows nothing is lost."""
    current = migrate.current_revision(bank.db.engine)
    if current == revision:
        return
    script = _script(bank)
    if current is None or current in _lineage(script, revision):
        action = command.upgrade
    elif revision in _lineage(script, current):
        action = command.downgrade
    else:
        raise Conflict(f"the target database is at schema revision {current}, unrelated to the archive's {revision}")
    _alembic(bank, action, revision)


def _alembic(bank: Bank, action: Callable[[Any, str], None], revision: str) -> None:
    config = migrate.alembic_config(bank.db.engine)
    with bank.db.engine.begin() as connection:
        config.attributes["connection"] = connection
        action(config, revision)


def _check_columns(session: Session, specs: list[TableSpec], revision: str) -> None:
    """The target's tables at this revision have exactly the archive's columns."""
    inspector = inspect(session.connection())
    for spec in specs:
        present: set[str] = set()
        if inspector.has_table(spec.name):
            present = {item["name"] for item in inspector.get_columns(spec.name)}
        if present != set(spec.column_names):
            raise ArchiveError(
                f"table {spec.name} at schema revision {revision} has columns {sorted(present)}, "
                f"the archive {sorted(spec.column_names)}"
            )


class _Inserter:
    """Writes one table's batches through the driver, in the session's transaction: COPY on PostgreSQL, a prepared
    INSERT on SQLite. Building the ORM's parameter dictionaries would cost more than the inserts."""

    def __init__(self, session: Session, spec: TableSpec) -> None:
        connection = session.connection()
        dialect = connection.dialect
        self._raw = connection.connection
        self._errors = (dialect.loaded_dbapi.IntegrityError, dialect.loaded_dbapi.DataError)
        self._name = spec.name
        quote = dialect.identifier_preparer.quote
        into = f"{quote(spec.name)} ({', '.join(quote(name) for name in spec.column_names)})"
        self._copy = dialect.name == "postgresql"
        if self._copy:
            # psycopg adapts bytes, aware datetimes, booleans and numbers itself.
            self._sql = f"COPY {into} FROM STDIN"
        else:
            self._sql = f"INSERT INTO {into} VALUES ({', '.join('?' * len(spec.columns))})"  # noqa: S608
        processors = [SQL_TYPES[tag].dialect_impl(dialect).bind_processor(dialect) for _, tag in spec.columns]
        self._steps = [(index, fn) for index, fn in enumerate(processors) if fn is not None and not self._copy]

    def write(self, rows: list[list[Any]]) -> None:
        cursor = self._raw.cursor()
        try:
            if self._copy:
                with cursor.copy(self._sql) as copy:
                    for row in rows:
                        copy.write_row(row)
            else:
                for row in rows:
                    for index, fn in self._steps:
                        row[index] = fn(row[index])
                cursor.executemany(self._sql, rows)
        except self._errors as exc:
            reason = str(exc).strip().splitlines()[0]
            raise ArchiveError(f"rows of {self._name} do not fit this database ({reason}); nothing restored") from None
        finally:
            cursor.close()


class _RootWatch:
    """Recomputes the tree from the entries as they are loaded, and keeps its root at the checkpoint's size."""

    def __init__(self, spec: TableSpec, checkpoint_size: int | None) -> None:
        names = spec.column_names
        self._seq, self._public = names.index("seq"), names.index("public")
        self._tree = CompactRange()
        self._at = checkpoint_size
        self.root: bytes | None = self._tree.root() if checkpoint_size == 0 else None

    def feed(self, rows: list[list[Any]]) -> None:
        sha256 = hashlib.sha256
        for row in rows:
            if row[self._seq] != self._tree.size:
                raise ArchiveError(f"ledger entry {row[self._seq]} is out of order (expected {self._tree.size})")
            self._tree.append(sha256(b"\x00" + row[self._public]).digest())
            if self._tree.size == self._at:
                self.root = self._tree.root()


def _advance_sequences(session: Session, specs: list[TableSpec]) -> None:
    """PostgreSQL keeps serial counters apart from the rows; after explicit ids they must move past them."""
    if session.get_bind().dialect.name != "postgresql":
        return
    quote = session.get_bind().dialect.identifier_preparer.quote
    for spec in specs:
        for name, tag in spec.columns:
            if tag != "int":
                continue
            sequence = session.execute(
                text("SELECT pg_get_serial_sequence(:table, :column)"), {"table": spec.name, "column": name}
            ).scalar()
            if sequence:
                session.execute(
                    text(
                        f"SELECT setval(CAST(:sequence AS regclass), "  # noqa: S608 - quoted identifiers
                        f"COALESCE((SELECT max({quote(name)}) FROM {quote(spec.name)}), 0) + 1, false)"
                    ),
                    {"sequence": sequence},
                )


def _load(
    bank: Bank, source: Path, first: Summary, revision: str, checkpoint: dict[str, Any] | None
) -> tuple[bytes | None, bool]:
    """Insert every row in one transaction; return the reproduced checkpoint root and whether its note matches."""
    specs = first.tables
    reader = Reader(source)
    with bank.db.writing() as session:
        # Appenders and signers wait for the restore; whatever they then see is the restored ledger.
        ledger_store.lock(session, ledger_store.SEQUENCER_LOCK)
        ledger_store.lock(session, ledger_store.CHECKPOINT_LOCK)
        connection = session.connection()
        _refuse_if_filled(_first_filled(connection, [spec.name for spec in specs]))
        _check_columns(session, specs, revision)
        inserters = {spec.name: _Inserter(session, spec) for spec in specs}
        watch: _RootWatch | None = None
        for spec, rows in reader.batches():
            if spec.name == "ledger_entries":
                # Before the insert: on SQLite the rows are converted for the driver in place.
                watch = watch or _RootWatch(spec, None if checkpoint is None else checkpoint["size"])
                watch.feed(rows)
            inserters[spec.name].write(rows)
        second = reader.summary
        if second is None or second.sha256 != first.sha256:
            raise ArchiveError(f"{source} changed while it was being restored")
        _advance_sequences(session, specs)
        if checkpoint is None:
            return None, True
        size = checkpoint["size"]
        recomputed = CompactRange().root() if size == 0 else (watch.root if watch else None)
        stored = session.execute(text("SELECT root, note FROM ledger_checkpoints WHERE size = :size"), {"size": size})
        row = stored.first()
        from_nodes = ledger_store.root_at(session, size)
        if row is None or recomputed != checkpoint["root"] or from_nodes != checkpoint["root"]:
            raise LedgerIntegrityError(f"the restored ledger does not reproduce checkpoint {size}; nothing restored")
        return recomputed, bytes(row.root) == checkpoint["root"] and row.note == checkpoint["note"]


def restore(bank: Bank, source: Path) -> RestoreReport:
    """Rebuild a bank from an archive in an empty database, then audit it."""
    source = Path(source)
    started = time.perf_counter()
    summary = Reader(source).verify()
    verified = time.perf_counter()
    header = summary.header
    revision = _known_revision(bank, header)
    checkpoint = _check_contents(summary)
    for spec in summary.tables:
        if spec.name in SKIPPED_TABLES or spec.name == "alembic_version":
            raise ArchiveError(f"the archive holds rows for {spec.name}, which no backup writes")
    archive_keys.check_origin(bank, header)
    _refuse_if_filled(_first_filled_in(bank))
    try:
        to_write, kept = archive_keys.plan_keys(bank, header)
        written = archive_keys.write_keys(to_write)
    except OSError as exc:
        raise file_trouble(exc, "cannot place the archive's key files") from None
    try:
        archive_keys.open_keys(bank, header, checkpoint)
        _migrate_to(bank, revision)
        loading = time.perf_counter()
        root, identical = _load(bank, source, summary, revision, checkpoint)
    except BaseException:
        archive_keys.remove(written)
        raise
    loaded = time.perf_counter()
    if bank.db.dialect == "postgresql":
        # Fresh tables have no statistics until autovacuum comes by; proofs and pages should not wait for it.
        with bank.db.engine.begin() as connection:
            connection.execute(text("ANALYZE"))
    head = migrate.head_revision(bank.db.engine)
    upgraded = None
    if head != revision:
        _alembic(bank, command.upgrade, "head")
        upgraded = head
    return RestoreReport(
        path=source,
        revision=revision,
        upgraded_to=upgraded,
        rows=summary.rows,
        uncompressed=summary.uncompressed,
        compressed=summary.compressed,
        verify_seconds=verified - started,
        load_seconds=loaded - loading,
        tree_size=int(header["tree_size"]),
        checkpoint_size=None if checkpoint is None else checkpoint["size"],
        checkpoint_root=root,
        note_identical=identical,
        keys_written=sorted(path.name for path in written),
        keys_kept=kept,
        audit=audit(bank),
    )


def _first_filled_in(bank: Bank) -> str | None:
    names = _existing_tables(bank)
    with bank.db.engine.connect() as connection:
        return _first_filled(connection, names)
