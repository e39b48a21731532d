"""Backing up a running bank and restoring one into an empty database.

A backup reads every table inside one read-only snapshot (see ``Database.snapshot``), so writers keep appending
while it runs and the archive holds one instant of the bank: its tree size, its entries, its checkpoints and its
projections agree. The archive is portable (``creditbank.backup_format``): a SQLite bank restores into PostgreSQL
and back.

Keys. The data alone is not a usable bank: checkpoints verify only with the log key, personal data opens only with
the master key, and the bank signs credentials with its credential keys. The archive therefore carries those key
files exactly as they lie in the instance folder, which means sealed with the bank's passphrase whenever the bank
has one (``creditbank.keys``; PEM files of earlier releases go as they are); the passphrase itself is never written
anywhere, and a restore needs it in the environment as the service does. The log key's file also states the log's
origin, so the archive names the log it was taken from whatever the environment of the backup said. The portal's
session secret is left out: a new one only signs learners out.
A restore puts each key file in the target's instance folder, keeps one already there if it is byte-identical, and
refuses to touch a different one.

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
import json
import os
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from alembic import command
from alembic.script import ScriptDirectory
from alembic.script.revision import RevisionError
from alembic.util import CommandError
from sqlalchemy import Table, inspect, literal, select, table, text
from sqlalchemy.orm import Session

from creditbank import keys, ledger_store, migrate
from creditbank.backup_format import SQL_TYPES, ArchiveError, ArchiveWriter, Reader, Summary, TableSpec, type_tag
from creditbank.errors import ConfigurationError, Conflict, DomainError, LedgerIntegrityError
from creditbank.files import FILE_MODE, private_folder
from creditbank.models import Base
from creditbank.personal_data import MASTER_KEY
from creditbank.runtime import Bank, origin_drift
from creditbank.services.audit import AuditReport, audit
from creditbank.services.checkpoints import latest_in
from ledger.note import NoteError, open_note, parse_checkpoint
from ledger.subtrees import CompactRange

# Which process holds the scheduler's lease describes the old deployment, not the bank; what the target's own audit or
# monitor found about it (an empty ledger, say) is no content of the bank either.
SKIPPED_TABLES = frozenset({"scheduler_leases", "operations_findings"})
# Rows go in the order they can be inserted: a branch institution names its parent, registered before it.
_ROW_ORDER = {"institutions": ("registered_seq",)}
_FETCH = 5000
_KEY_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}")


def archived_tables() -> list[Table]:
    """Every table of the models, parents before children."""
    return [t for t in Base.metadata.sorted_tables if t.name not in SKIPPED_TABLES]


def _spec(source: Table) -> TableSpec:
    return TableSpec(source.name, tuple((c.name, type_tag(c.type)) for c in source.columns))


def _key_files(bank: Bank) -> dict[str, bytes]:
    """Every key file of the instance (log, master, credential and PDF-chain keys, and whatever joins them), not the
    session secret, lock files or a file still being written."""
    folder = Path(bank.instance_path) / "keys"
    if not folder.is_dir():
        return {}
    names = sorted(
        path.name
        for path in folder.iterdir()
        if path.is_file()
        and _KEY_NAME.fullmatch(path.name)
        and path.name != keys.SESSION_SECRET_FILE
        and not path.name.endswith(".lock")
    )
    return {name: (folder / name).read_bytes() for name in names}


def is_encrypted(name: str, data: bytes) -> bool:
    """Whether a key file needs the passphrase to open (a bank run without one keeps them in the clear); a
    certificate beside the keys is public and counts as nothing to warn about."""
    return data.startswith(b"-----BEGIN CERTIFICATE") or keys.is_encrypted(data)


def _archived_origin(header: dict[str, Any]) -> str | None:
    """The origin the archive's log key file states (None for a PEM log key of an earlier release, or none)."""
    encoded = (header.get("keys") or {}).get(keys.LOG_KEY) if isinstance(header.get("keys"), dict) else None
    if not isinstance(encoded, str):
        return None
    try:
        data = base64.b64decode(encoded, validate=True)
        if not keys.is_sealed_document(data):
            return None
        origin = (json.loads(data).get("attributes") or {}).get("origin")
    except (ValueError, AttributeError):
        raise ArchiveError(f"key file {keys.LOG_KEY} in the archive is malformed") from None
    return origin if isinstance(origin, str) else None


def _check_origin(bank: Bank, header: dict[str, Any]) -> None:
    """The archive's log is the one this bank is (or, without a log key yet, may become)."""
    theirs = header.get("origin")
    fixed = _archived_origin(header)
    if fixed is not None and fixed != theirs:
        raise ArchiveError(f"the archive's header names the log {theirs!r} but its log key was made for {fixed!r}")
    ours = bank.origin  # refuses a configuration that disagrees with a log key already in place
    if fixed is None or bank.log_key_path.exists():
        if theirs != ours:
            raise ConfigurationError(
                f"this bank's log is {ours!r} but the archive's is {theirs!r}: "
                "set CREDITBANK_ORIGIN (or CREDITBANK_SERVER_NAME) to match before restoring"
            )
        return
    source = bank.settings.get("ORIGIN_SOURCE")
    if source is not None and bank.settings["CREDITBANK_ORIGIN"] != fixed:
        raise ConfigurationError(origin_drift(keys.LOG_KEY, fixed, bank.settings["CREDITBANK_ORIGIN"], source))


# --- backup ---------------------------------------------------------------------------------------


@dataclass
class BackupReport:
    path: Path
    revision: str
    tree_size: int
    checkpoint_size: int | None
    rows: dict[str, int]
    uncompressed: int
    compressed: int
    seconds: float
    sha256: str
    keys: list[str]
    unencrypted_keys: list[str]
    # Credential keys the ledger lists whose private file is not in the instance folder.
    missing_keys: list[str] = field(default_factory=list)

    @property
    def total_rows(self) -> int:
        return sum(self.rows.values())


class FileTrouble(DomainError):
    """The archive or a key file cannot be written or read where it should be (full disk, permissions)."""

    kind = "file-trouble"
    status = 500
    title = "File cannot be written or read"


def _file_trouble(exc: OSError, what: str) -> FileTrouble:
    return FileTrouble(f"{what}: {exc.strerror or exc}" + (f" ({exc.filename})" if exc.filename else ""))


def backup(
    bank: Bank, dest: Path, *, force: bool = False, progress: Callable[[str], None] | None = None
) -> BackupReport:
    """Write a snapshot of the whole bank to ``dest``; ``progress`` hears each table's name as it starts."""
    try:
        return _backup(bank, Path(dest), force, progress)
    except OSError as exc:
        # The temporary file is gone already; ``dest`` was never touched.
        raise _file_trouble(exc, f"cannot write the backup to {dest}") from None


def _backup(bank: Bank, dest: Path, force: bool, progress: Callable[[str], None] | None) -> BackupReport:
    started = time.perf_counter()
    head = migrate.head_revision(bank.db.engine)
    with ArchiveWriter(dest, force=force) as writer, bank.db.snapshot() as session:
        # The first statement fixes the snapshot. Key files are read after it: a credential key's file is written
        # before the entry announcing it commits, so every key this snapshot lists is already on disk.
        size = ledger_store.tree_size(session)
        revision = session.execute(text("SELECT version_num FROM alembic_version")).scalar()
        if revision != head:
            raise Conflict(f"the database is at schema revision {revision}, not {head}: run `creditbank db upgrade`")
        checkpoint = latest_in(session)
        key_files = _key_files(bank)
        sources = archived_tables()
        writer.header(
            {
                "created_at": datetime.now(UTC).isoformat(),
                "source": bank.db.dialect,
                "revision": revision,
                "origin": bank.origin,
                "tree_size": size,
                "checkpoint": None
                if checkpoint is None
                else {
                    "size": checkpoint.size,
                    "root": base64.b64encode(checkpoint.root).decode("ascii"),
                    "note": checkpoint.note,
                },
                "tables": [_spec(source).to_json() for source in sources],
                "keys": {name: base64.b64encode(data).decode("ascii") for name, data in key_files.items()},
            }
        )
        connection = session.connection()
        listed_keys: list[str] = []
        for source in sources:
            if progress is not None:
                progress(source.name)
            writer.table(_spec(source))
            order = [source.c[name] for name in _ROW_ORDER.get(source.name, ())] + list(source.primary_key.columns)
            result = connection.execute(select(source).order_by(*order).execution_options(yield_per=_FETCH))
            for part in result.partitions():
                writer.rows(part)
                if source.name == "credential_keys":
                    listed_keys.extend(row.id for row in part)
        checksum = writer.finish()
    return BackupReport(
        path=dest,
        revision=str(revision),
        tree_size=size,
        checkpoint_size=None if checkpoint is None else checkpoint.size,
        rows=dict(writer.counts),
        uncompressed=writer.uncompressed,
        compressed=writer.compressed,
        seconds=time.perf_counter() - started,
        sha256=checksum,
        keys=sorted(key_files),
        unencrypted_keys=sorted(name for name, data in key_files.items() if not is_encrypted(name, data)),
        missing_keys=[key for key in listed_keys if f"credential-{key}.pem" not in key_files],
    )


# --- restore --------------------------------------------------------------------------------------


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


def _plan_keys(bank: Bank, header: dict[str, Any]) -> tuple[dict[Path, bytes], list[str]]:
    """Key files to write, and those already in place; a different file under the same name is refused."""
    archived = header.get("keys")
    if not isinstance(archived, dict):
        raise ArchiveError("the archive's header lists no key files")
    folder = Path(bank.instance_path) / "keys"
    to_write: dict[Path, bytes] = {}
    kept: list[str] = []
    for name, encoded in sorted(archived.items()):
        if not isinstance(name, str) or not _KEY_NAME.fullmatch(name) or not isinstance(encoded, str):
            raise ArchiveError(f"the archive names a key file {name!r} that is not a plain file name")
        try:
            data = base64.b64decode(encoded, validate=True)
        except ValueError:
            raise ArchiveError(f"key file {name} in the archive is malformed") from None
        path = folder / name
        if path.exists():
            if path.read_bytes() != data:
                raise Conflict(
                    f"{path} exists and differs from the archive's {name}; restore into an instance folder "
                    "without keys, or move that file away"
                )
            kept.append(name)
        else:
            to_write[path] = data
    return to_write, kept


def _write_keys(files: dict[Path, bytes]) -> list[Path]:
    written: list[Path] = []
    try:
        for path, data in files.items():
            private_folder(path.parent)
            descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
            written.append(path)
            with os.fdopen(descriptor, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
    except BaseException:
        _remove(written)
        raise
    return written


def _remove(paths: list[Path]) -> None:
    for path in paths:
        path.unlink(missing_ok=True)


def _open_keys(bank: Bank, header: dict[str, Any], checkpoint: dict[str, Any] | None) -> None:
    """The keys in place open with this bank's passphrase and sign what the archive says they signed."""
    try:
        signer = bank.log_signer()
        if MASTER_KEY in header["keys"]:
            bank.vault()
    except ConfigurationError as exc:
        raise ConfigurationError(
            f"{exc.detail} (the archive's keys were taken away again; nothing was restored)"
        ) from None
    if checkpoint is not None:
        try:
            open_note(checkpoint["note"], [signer])
        except NoteError:
            raise ArchiveError("the archive's latest checkpoint is not signed by the archive's log key") from None


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
    _check_origin(bank, header)
    _refuse_if_filled(_first_filled_in(bank))
    try:
        to_write, kept = _plan_keys(bank, header)
        written = _write_keys(to_write)
    except OSError as exc:
        raise _file_trouble(exc, "cannot place the archive's key files") from None
    try:
        _open_keys(bank, header, checkpoint)
        _migrate_to(bank, revision)
        loading = time.perf_counter()
        root, identical = _load(bank, source, summary, revision, checkpoint)
    except BaseException:
        _remove(written)
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
