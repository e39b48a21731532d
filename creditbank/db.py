"""Engine and transactions.

SQLite runs in WAL mode with ``synchronous=FULL`` (a committed ledger entry survives power loss).
Python's sqlite3 driver would otherwise open transactions lazily, so a read followed by a write
could fail to upgrade its lock; the engine here begins every transaction itself, and write
transactions with ``BEGIN IMMEDIATE`` so writers queue on the busy timeout instead.
"""

from __future__ import annotations

import fcntl
import logging
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from creditbank import files

log = logging.getLogger(__name__)

SQLITE_BUSY_TIMEOUT_MS = 60_000
# Tables whose deleted (or cleared) rows held personal data: VACUUMed on PostgreSQL after an erasure (see
# ``scrub_freed``); an erasure clears the spreadsheet files still waiting for confirmation.
ERASED_TABLES = (
    "learner_personal_data",
    "learner_accounts",
    "activation_codes",
    "spreadsheet_imports",
    "recognition_evidence",
)


def _private_database_file(path: Path) -> None:
    """Create the database file 0600 in a 0700 folder before SQLite opens it: SQLite gives its WAL and shared-memory
    files the database file's mode, and would otherwise create all three readable by everyone (umask 022)."""
    files.private_folder(path.parent)
    os.close(os.open(path, os.O_WRONLY | os.O_CREAT, files.FILE_MODE))
    for companion in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        files.tighten(companion)


def _sqlite_engine(url: str) -> Engine:
    parsed = make_url(url)
    if parsed.database and parsed.database != ":memory:":
        _private_database_file(Path(parsed.database))
    engine = create_engine(url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000}, hide_parameters=True)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.execute("PRAGMA foreign_keys=ON")
        # Erased personal data is overwritten on disk, not just unlinked from the b-tree.
        cursor.execute("PRAGMA secure_delete=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        mode = connection.get_execution_options().get("sqlite_begin", "DEFERRED")
        connection.exec_driver_sql(f"BEGIN {mode}")

    return engine


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        return _sqlite_engine(url)
    # Statement parameters stay out of error messages, and so out of logs: they hold sealed personal data.
    return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20, hide_parameters=True)


class Database:
    """The application's engine with a reading and a writing transaction factory."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = make_engine(url)
        self.dialect = self.engine.dialect.name
        writer = self.engine.execution_options(sqlite_begin="IMMEDIATE")
        database = make_url(url).database if self.dialect == "sqlite" else None
        self._write_lock = f"{database}.write-lock" if database and database != ":memory:" else None
        self._read = sessionmaker(self.engine, expire_on_commit=False)
        self._write = sessionmaker(writer, expire_on_commit=False)
        # PostgreSQL's default READ COMMITTED takes a new snapshot per statement; a backup reading table after
        # table must see one state throughout. SQLite's read transaction in WAL mode already does.
        steady = (
            self.engine.execution_options(isolation_level="REPEATABLE READ", postgresql_readonly=True)
            if self.dialect == "postgresql"
            else self.engine
        )
        self._snapshot = sessionmaker(steady, expire_on_commit=False)

    @contextmanager
    def writing(self) -> Iterator[Session]:
        """One use case's write transaction: committed on success, rolled back on any error."""
        with self._writer_turn(), self._write() as session, session.begin():
            yield session

    @contextmanager
    def _writer_turn(self) -> Iterator[None]:
        """On SQLite, queue writers on a file lock before ``BEGIN IMMEDIATE``.

        SQLite's busy handler polls with sleeps of up to 100 ms, so two processes contending
        for the write lock waste most of their time asleep; a kernel lock wakes the next writer
        the moment the last one commits. The busy timeout stays as the backstop for writers
        that do not come through here (other tools, migrations).
        """
        if self._write_lock is None:
            yield
            return
        descriptor = os.open(self._write_lock, os.O_RDWR | os.O_CREAT, files.FILE_MODE)
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX)
            yield
        finally:
            os.close(descriptor)

    @contextmanager
    def reading(self) -> Iterator[Session]:
        with self._read() as session, session.begin():
            yield session

    @contextmanager
    def snapshot(self) -> Iterator[Session]:
        """A read-only transaction that sees a single state of every table, however long it runs and whatever
        writers commit meanwhile (the snapshot is fixed by its first statement)."""
        with self._snapshot() as session, session.begin():
            yield session

    def scrub_freed(self) -> bool:
        """After deleting personal data, leave no copy of the deleted rows where the database keeps old pages.

        SQLite: ``secure_delete`` (every connection) already zeroes the freed cells and pages in the database file,
        but the WAL still holds every earlier version of the pages the rows lived on. A TRUNCATE checkpoint copies the
        zeroed pages into the database and cuts the WAL to nothing. It completes only when no reader still needs the
        old frames, so it is retried briefly; a reader that stays longer leaves the copies until the next erasure or
        automatic checkpoint overwrites them, and a warning says so.

        PostgreSQL: the deleted rows stay in the table's pages as dead tuples until VACUUM makes their space reusable;
        it runs here on the tables an erasure deletes from. What VACUUM cannot reach (WAL segments not yet recycled,
        base backups, replicas' own copies) is described in docs/deploy.md.

        Returns whether the scrub completed.
        """
        if self.dialect == "sqlite":
            return self._checkpoint_wal()
        if self.dialect == "postgresql":
            # VACUUM cannot run inside a transaction block.
            with self.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
                for name in ERASED_TABLES:
                    connection.exec_driver_sql(f"VACUUM {name}")
            return True
        return False

    def _checkpoint_wal(self, attempts: int = 20) -> bool:
        with self.engine.connect() as connection:
            # The driver's connection, not SQLAlchemy's: a checkpoint must run outside any transaction.
            raw = connection.connection.dbapi_connection
            assert raw is not None
            for _ in range(attempts):
                busy, _frames, _copied = raw.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
                if not busy:
                    return True
                time.sleep(0.05)
        log.warning("the SQLite WAL could not be truncated after an erasure: a reader kept it busy")
        return False

    def dispose(self) -> None:
        self.engine.dispose()
