"""Backing up a running bank: one consistent snapshot of every table and the key files, in a portable archive.

A backup reads every table inside one read-only snapshot (see ``Database.snapshot``), so writers keep appending
while it runs and the archive holds one instant of the bank: its tree size, its entries, its checkpoints and its
projections agree. The archive is portable (``creditbank.backup_format``): a SQLite bank restores into PostgreSQL
and back (``restore``).

Keys. The data alone is not a usable bank: checkpoints verify only with the log key, personal data opens only with
the master key, and the bank signs credentials with its credential keys. The archive therefore carries those key
files exactly as they lie in the instance folder, which means sealed with the bank's passphrase whenever the bank
has one (``creditbank.keys``; PEM files of earlier releases go as they are); the passphrase itself is never written
anywhere, and a restore needs it in the environment as the service does. The log key's file also states the log's
origin, so the archive names the log it was taken from whatever the environment of the backup said. The portal's
session secret is left out: a new one only signs learners out.
"""

from __future__ import annotations

import base64
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import Table, select, text

from creditbank import keys, ledger_store, migrate
from creditbank.backup_format import ArchiveWriter, TableSpec, type_tag
from creditbank.errors import Conflict, FileTrouble
from creditbank.models import Base
from creditbank.runtime import Bank
from creditbank.services.transparency.checkpoints import latest_in

# Which process holds the scheduler's lease describes the old deployment, not the bank; what the target's own audit or
# monitor found about it (an empty ledger, say) is no content of the bank either.
SKIPPED_TABLES = frozenset({"scheduler_leases", "operations_findings"})
# Rows go in the order they can be inserted: a branch institution names its parent, registered before it.
_ROW_ORDER = {"institutions": ("registered_seq",)}
_FETCH = 5000
KEY_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}")


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
        and KEY_NAME.fullmatch(path.name)
        and path.name != keys.SESSION_SECRET_FILE
        and not path.name.endswith(".lock")
    )
    return {name: (folder / name).read_bytes() for name in names}


def is_encrypted(name: str, data: bytes) -> bool:
    """Whether a key file needs the passphrase to open (a bank run without one keeps them in the clear); a
    certificate beside the keys is public and counts as nothing to warn about."""
    return data.startswith(b"-----BEGIN CERTIFICATE") or keys.is_encrypted(data)


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


def file_trouble(exc: OSError, what: str) -> FileTrouble:
    return FileTrouble(f"{what}: {exc.strerror or exc}" + (f" ({exc.filename})" if exc.filename else ""))


def backup(
    bank: Bank, dest: Path, *, force: bool = False, progress: Callable[[str], None] | None = None
) -> BackupReport:
    """Write a snapshot of the whole bank to ``dest``; ``progress`` hears each table's name as it starts."""
    try:
        return _backup(bank, Path(dest), force, progress)
    except OSError as exc:
        # The temporary file is gone already; ``dest`` was never touched.
        raise file_trouble(exc, f"cannot write the backup to {dest}") from None


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
