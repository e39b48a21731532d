"""Backup and restore: a demo bank survives the round trip whole (ledger, projections, personal data, portal
accounts, credentials and keys), a backup taken under a stream of appends holds one consistent instant, SQLite and
PostgreSQL restore each other's archives, and every refusal leaves the target as it was."""

from __future__ import annotations

import base64
import gzip
import hashlib
import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, inspect, select

from creditbank import create_app, demo, migrate
from creditbank.backup_format import Reader
from creditbank.errors import ArchiveError, ConfigurationError, Conflict, DomainError
from creditbank.models import Credential, Learner, LedgerEntry
from creditbank.runtime import Bank, bank_of
from creditbank.services import credentials
from creditbank.services.learner_access import accounts
from creditbank.services.operations import backup, restore
from creditbank.services.operations.backup import archived_tables
from creditbank.services.records import personal_records
from creditbank.services.transparency import checkpoints
from tests.conftest import BACKENDS, configuration, database_url, running_app
from tests.helpers import append


@contextmanager
def target(backend: str, request: pytest.FixtureRequest, folder: Path) -> Iterator[Bank]:
    """A bank on a fresh database and an instance folder without keys (PostgreSQL's comes migrated and empty)."""
    folder.mkdir()
    bank = bank_of(create_app(configuration(database_url(backend, request, folder), folder)))
    try:
        yield bank
    finally:
        bank.db.dispose()


def _utc(value: Any) -> Any:
    # Columns typed plain DateTime read back naive from SQLite and in the session's zone from PostgreSQL.
    if isinstance(value, datetime):
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    return value


def table_rows(bank: Bank) -> dict[str, list[tuple[Any, ...]]]:
    """Every archived table's rows as the models read them, sorted (databases collate text differently)."""
    with bank.db.reading() as session:
        return {
            source.name: sorted((tuple(map(_utc, row)) for row in session.execute(select(source))), key=repr)
            for source in archived_tables()
        }


def row_count(bank: Bank) -> int:
    """Rows in whichever of the bank's tables exist yet (a refused restore may not have created them)."""
    present = set(inspect(bank.db.engine).get_table_names())
    with bank.db.reading() as session:
        return sum(
            session.scalar(select(func.count()).select_from(source)) or 0
            for source in archived_tables()
            if source.name in present
        )


def key_folder(bank: Bank) -> list[str]:
    folder = Path(bank.instance_path) / "keys"
    return sorted(path.name for path in folder.iterdir()) if folder.exists() else []


def rewrite(source: Path, dest: Path, edit: Callable[[dict[str, Any], dict[str, list[Any]]], None]) -> Path:
    """Re-pack an archive after ``edit`` changed its header or rows, with counts and checksum made to match:
    what a careful forger, or an archive from another release, would look like."""
    lines = gzip.decompress(source.read_bytes()).splitlines()
    header = json.loads(lines[0])
    tables: dict[str, list[Any]] = {}
    current = ""
    for line in lines[1:-1]:
        item = json.loads(line)
        if isinstance(item, dict):
            current = item["table"]
            tables[current] = []
        else:
            tables[current].append(item)
    edit(header, tables)
    body = [json.dumps(header)]
    for spec in header["tables"]:
        body.append(json.dumps({"table": spec["name"]}))
        body.extend(json.dumps(row) for row in tables[spec["name"]])
    content = "".join(line + "\n" for line in body).encode()
    end = {"end": {"rows": {n: len(rows) for n, rows in tables.items()}, "sha256": hashlib.sha256(content).hexdigest()}}
    dest.write_bytes(gzip.compress(content + json.dumps(end).encode() + b"\n"))
    return dest


@pytest.fixture
def demo_bank(bank: Bank) -> Bank:
    demo.seed(bank, 4)
    checkpoints.sign(bank)
    return bank


@pytest.mark.slow
def test_round_trip_of_a_demo_bank(demo_bank, request, tmp_path):
    source = demo_bank
    archive = tmp_path / "bank.cbbackup"
    made = backup.backup(source, archive)
    latest = checkpoints.latest(source)
    assert made.tree_size == latest.size == made.rows["ledger_entries"]
    assert made.keys == sorted(name for name in key_folder(source) if name != "session-secret")
    assert made.unencrypted_keys == []
    assert made.missing_keys == []

    with target(source.db.dialect, request, tmp_path / "restored") as restored:
        report = restore.restore(restored, archive)
        assert report.ok, report.audit.problems
        assert report.audit.entries == made.tree_size
        assert report.audit.checkpoints >= 1
        assert report.checkpoint_root == latest.root
        assert report.note_identical
        assert checkpoints.latest(restored).note == latest.note
        assert report.keys_written == made.keys
        assert report.keys_kept == []
        assert table_rows(restored) == table_rows(source)

        # The restored bank works: personal data opens, the portal login holds, old and new credentials verify.
        with source.db.reading() as a, restored.db.reading() as b:
            learner_ids = list(a.scalars(select(Learner.id)))
            assert learner_ids
            for learner_id in learner_ids:
                identity = personal_records.identity_of(restored, b, learner_id)
                assert identity is not None
                assert identity == personal_records.identity_of(source, a, learner_id)
            credential = a.scalars(select(Credential)).one()
        login = accounts.authenticate(restored, demo.DEMO_EMAIL, demo.DEMO_PASSWORD, "192.0.2.1")
        assert login.learner_id == credential.learner_id
        old = json.dumps(credentials.bundle(source, None, credential.id)).encode()
        assert credentials.verify(restored, old)["valid"] is True
        issued = credentials.issue(
            restored, None, credentials.Request(credential.learner_id, "qualification", credential.subject)
        )
        new = json.dumps(credentials.bundle(restored, None, issued["id"])).encode()
        assert credentials.verify(restored, new)["valid"] is True
        assert issued["seq"] == made.tree_size


@pytest.mark.slow
def test_a_backup_under_appends_holds_one_instant(bank, request, tmp_path):
    append(bank, 50)
    checkpoints.sign(bank)
    stop = threading.Event()
    changed = threading.Condition()
    commits = [0]
    failures: list[BaseException] = []

    def writer() -> None:
        try:
            while not stop.is_set():
                append(bank, 7)
                checkpoints.sign(bank)
                with changed:
                    commits[0] += 1
                    changed.notify_all()
        except BaseException as exc:  # reported by the test thread
            failures.append(exc)

    def meanwhile(table_name: str) -> None:
        # Inside the snapshot, before each table is read: the writer commits twice more.
        with changed:
            start = commits[0]
            assert changed.wait_for(lambda: commits[0] >= start + 2 or bool(failures), timeout=60)

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        made = backup.backup(bank, tmp_path / "busy.cbbackup", progress=meanwhile)
    finally:
        stop.set()
        thread.join()
    assert not failures
    with bank.db.reading() as session:
        now = session.scalar(select(func.count()).select_from(LedgerEntry))
    assert now >= made.tree_size + 7 * 2 * len(archived_tables())  # the writer went on during the whole backup

    summary = Reader(made.path).verify()
    assert summary.rows["ledger_entries"] == summary.rows["ledger_bodies"] == made.tree_size
    assert made.checkpoint_size is not None
    assert made.checkpoint_size <= made.tree_size
    assert summary.header["checkpoint"]["size"] == made.checkpoint_size
    with target(bank.db.dialect, request, tmp_path / "restored") as restored:
        report = restore.restore(restored, made.path)
        assert report.ok, report.audit.problems
        assert report.audit.entries == made.tree_size
        assert report.note_identical


@pytest.mark.slow
@pytest.mark.skipif("postgresql" not in BACKENDS, reason="PostgreSQL is not among CREDITBANK_TEST_DATABASES")
def test_sqlite_to_postgresql_and_back(request, tmp_path):
    with running_app(configuration(database_url("sqlite", request, tmp_path), tmp_path)) as app:
        original = bank_of(app)
        demo.seed(original, 3)
        checkpoints.sign(original)
        first = backup.backup(original, tmp_path / "from-sqlite.cbbackup")
        expected = table_rows(original)
        with target("postgresql", request, tmp_path / "pg") as on_postgres:
            report = restore.restore(on_postgres, first.path)
            assert report.ok, report.audit.problems
            assert report.note_identical
            assert table_rows(on_postgres) == expected
            second = backup.backup(on_postgres, tmp_path / "from-postgresql.cbbackup")
        with target("sqlite", request, tmp_path / "back") as back_on_sqlite:
            report = restore.restore(back_on_sqlite, second.path)
            assert report.ok, report.audit.problems
            assert report.note_identical
            assert table_rows(back_on_sqlite) == expected
    # The same rows, encoded alike, whichever database wrote them; only the headers (source, time) differ.
    assert archived_lines(first.path) == archived_lines(second.path)


def archived_lines(path: Path) -> dict[str, list[bytes]]:
    lines = gzip.decompress(path.read_bytes()).splitlines()[1:-1]
    tables: dict[str, list[bytes]] = {}
    for line in lines:
        if line.startswith(b"{"):
            current = tables.setdefault(json.loads(line)["table"], [])
        else:
            current.append(line)
    return {name: sorted(rows) for name, rows in tables.items()}


def test_damaged_archives_are_refused_and_the_target_stays_empty(demo_bank, request, tmp_path):
    archive = backup.backup(demo_bank, tmp_path / "bank.cbbackup").path
    data = archive.read_bytes()
    truncated = tmp_path / "truncated.cbbackup"
    truncated.write_bytes(data[: len(data) * 2 // 3])
    flipped = tmp_path / "flipped.cbbackup"
    flipped.write_bytes(data[:200] + bytes([data[200] ^ 0x01]) + data[201:])
    # One bit of the gzip trailer's CRC: the content decompresses whole, and only the CRC can tell.
    trailer = tmp_path / "trailer.cbbackup"
    trailer.write_bytes(data[:-8] + bytes([data[-8] ^ 0x01]) + data[-7:])
    # Valid gzip, edited content: only the checksum can tell.
    altered = tmp_path / "altered.cbbackup"
    altered.write_bytes(gzip.compress(gzip.decompress(data).replace(b"Demo University", b"Demo Universitx")))
    # The checksum made to match, but a row repeated: the database refuses it halfway through the load.
    repeated = rewrite(
        archive, tmp_path / "repeated.cbbackup", lambda _, t: t["achievements"].append(t["achievements"][0])
    )

    # A ledger entry altered consistently: the checkpoint is no longer reproduced.
    def forge(_: dict[str, Any], tables: dict[str, list[Any]]) -> None:
        entry = tables["ledger_entries"][1]
        entry[4] = base64.b64encode(base64.b64decode(entry[4]).replace(b"institution", b"institutiom")).decode()

    forged = rewrite(archive, tmp_path / "forged.cbbackup", forge)
    with target(demo_bank.db.dialect, request, tmp_path / "restored") as restored:
        for path, message in (
            (truncated, "truncated"),
            # A bit flipped mid-stream decompresses into other bytes, which the reader refuses where it first
            # stops making sense (a line, a table) or the CRC at the end: which depends on the random keys.
            (flipped, ""),
            (trailer, "damaged"),
            (altered, "checksum"),
            (repeated, "do not fit"),
            (forged, "does not reproduce checkpoint"),
            (tmp_path / "missing.cbbackup", "no backup archive"),
        ):
            with pytest.raises(DomainError) as caught:
                restore.restore(restored, path)
            assert message in str(caught.value), (path.name, caught.value)
            assert row_count(restored) == 0, path.name
            assert key_folder(restored) in ([], ["session-secret"]), path.name
        assert restore.restore(restored, archive).ok  # and the intact one still restores


def test_only_an_empty_target_with_fitting_keys_is_accepted(demo_bank, request, tmp_path):
    archive = backup.backup(demo_bank, tmp_path / "bank.cbbackup").path
    before = table_rows(demo_bank)
    with pytest.raises(Conflict, match="not empty"):
        restore.restore(demo_bank, archive)
    assert table_rows(demo_bank) == before

    # An empty database, but an instance folder that holds keys of another bank.
    folder = tmp_path / "other"
    folder.mkdir()
    with running_app(configuration(database_url(demo_bank.db.dialect, request, folder), folder)) as app:
        other = bank_of(app)
        keys = Path(other.instance_path) / "keys"
        own_keys = {name: (keys / name).read_bytes() for name in key_folder(other)}
        with pytest.raises(Conflict, match="differs from the archive"):
            restore.restore(other, archive)
        assert row_count(other) == 0
        assert {name: (keys / name).read_bytes() for name in key_folder(other)} == own_keys

    # The right keys, the wrong passphrase: refused before anything is written.
    folder = tmp_path / "wrong"
    folder.mkdir()
    wrong = configuration(database_url(demo_bank.db.dialect, request, folder), folder)
    wrong["CREDITBANK_KEY_PASSPHRASE"] = "not the passphrase"
    stranger = bank_of(create_app(wrong))
    try:
        with pytest.raises(ConfigurationError, match="passphrase"):
            restore.restore(stranger, archive)
        assert key_folder(stranger) in ([], ["session-secret"])
        assert row_count(stranger) == 0
    finally:
        stranger.db.dispose()


def test_an_existing_destination_is_kept_unless_forced(demo_bank, tmp_path):
    dest = tmp_path / "bank.cbbackup"
    dest.write_bytes(b"an older backup")
    with pytest.raises(Conflict, match="already exists"):
        backup.backup(demo_bank, dest)
    assert dest.read_bytes() == b"an older backup"
    assert sorted(path.name for path in tmp_path.iterdir() if path.name.startswith(".")) == []  # no leftovers
    made = backup.backup(demo_bank, dest, force=True)
    assert Reader(dest).verify().sha256 == made.sha256
    assert dest.stat().st_mode & 0o077 == 0  # readable by its owner alone


def test_archives_of_an_older_schema_restore_through_the_migrations(demo_bank, request, tmp_path):
    archive = backup.backup(demo_bank, tmp_path / "bank.cbbackup").path
    # The portal's tables (0005) and those later revisions added (consent grants 0007, portal sessions 0008, staff
    # accounts and sessions 0012, spreadsheet imports 0013, witnessing 0015, recognition 0016, the trust list 0017,
    # agreements 0018, wallet exchanges 0019).
    portal = {"learner_accounts", "activation_codes", "login_throttle", "share_links"}
    portal |= {"consent_grants", "portal_sessions", "staff_accounts", "staff_sessions", "spreadsheet_imports"}
    portal |= {"witnessed_logs", "log_witnesses"}
    portal |= {"recognition_applications", "recognition_evidence", "trusted_issuers", "agreements", "agreement_terms"}
    portal |= {"wallet_exchanges"}

    def as_0004(header: dict[str, Any], tables: dict[str, list[Any]]) -> None:
        header["revision"] = "0004"
        header["tables"] = [spec for spec in header["tables"] if spec["name"] not in portal]
        for name in portal:
            del tables[name]
        # Revision 0006 added the PDF's kept rows to credential_documents.
        (documents,) = [spec for spec in header["tables"] if spec["name"] == "credential_documents"]
        kept = [index for index, (column, _) in enumerate(documents["columns"]) if column != "page_facts"]
        documents["columns"] = [documents["columns"][index] for index in kept]
        tables["credential_documents"] = [[row[index] for index in kept] for row in tables["credential_documents"]]
        # Revision 0011 added when a signing key was reported compromised.
        (signing_keys,) = [spec for spec in header["tables"] if spec["name"] == "credential_keys"]
        kept = [index for index, (column, _) in enumerate(signing_keys["columns"]) if column != "compromised_at"]
        signing_keys["columns"] = [signing_keys["columns"][index] for index in kept]
        tables["credential_keys"] = [[row[index] for index in kept] for row in tables["credential_keys"]]
        # Revision 0014 added the catalogue's rejections.
        (outcomes,) = [spec for spec in header["tables"] if spec["name"] == "catalogue_outcomes"]
        kept = [i for i, (column, _) in enumerate(outcomes["columns"]) if column not in ("rejected_seq", "reason")]
        outcomes["columns"] = [outcomes["columns"][index] for index in kept]
        tables["catalogue_outcomes"] = [[row[index] for index in kept] for row in tables["catalogue_outcomes"]]
        # Revision 0016 let credit lines name a recognition application and the learning they count.
        (credit_lines,) = [spec for spec in header["tables"] if spec["name"] == "credit_lines"]
        kept = [
            i for i, (column, _) in enumerate(credit_lines["columns"]) if column not in ("application_id", "learning")
        ]
        credit_lines["columns"] = [credit_lines["columns"][index] for index in kept]
        tables["credit_lines"] = [[row[index] for index in kept] for row in tables["credit_lines"]]

    older = rewrite(archive, tmp_path / "0004.cbbackup", as_0004)
    with target(demo_bank.db.dialect, request, tmp_path / "restored") as restored:
        report = restore.restore(restored, older)
        assert report.ok, report.audit.problems
        assert report.revision == "0004"
        assert report.upgraded_to == migrate.head_revision(restored.db.engine)
        assert migrate.is_current(restored.db.engine)
        expected = {name: rows for name, rows in table_rows(demo_bank).items() if name not in portal}
        restored_rows = {name: rows for name, rows in table_rows(restored).items() if name not in portal}
        # What 0006 added is empty for credentials restored from before it: compare the columns an 0004 bank had.
        assert all(row[-1] is None for row in restored_rows["credential_documents"])
        assert all(row[-1] is None for row in restored_rows["credential_keys"])
        for rows in (expected, restored_rows):
            rows["credential_documents"] = [row[:-1] for row in rows["credential_documents"]]
            rows["credential_keys"] = [row[:-1] for row in rows["credential_keys"]]
            rows["credit_lines"] = [row[:-2] for row in rows["credit_lines"]]
        assert restored_rows == expected


def test_an_archive_from_an_unknown_schema_or_with_foreign_tables_is_refused(demo_bank, request, tmp_path):
    archive = backup.backup(demo_bank, tmp_path / "bank.cbbackup").path
    newer = rewrite(archive, tmp_path / "newer.cbbackup", lambda header, _: header.update(revision="0099"))

    def with_version_row(header: dict[str, Any], tables: dict[str, list[Any]]) -> None:
        header["tables"].append({"name": "alembic_version", "columns": [["version_num", "text"]]})
        tables["alembic_version"] = [["0001"]]

    meddling = rewrite(archive, tmp_path / "meddling.cbbackup", with_version_row)
    with target(demo_bank.db.dialect, request, tmp_path / "restored") as restored:
        revision = migrate.current_revision(restored.db.engine)
        with pytest.raises(ArchiveError, match="0099"):
            restore.restore(restored, newer)
        with pytest.raises(ArchiveError, match="alembic_version"):
            restore.restore(restored, meddling)
        assert row_count(restored) == 0
        assert migrate.current_revision(restored.db.engine) == revision


def test_the_pdf_signing_chain_travels_with_the_other_keys(demo_bank, request, tmp_path):
    from creditbank.services.credentials import pdf_keys

    pdf_keys.ensure(demo_bank)
    chain = sorted(name for name in key_folder(demo_bank) if name.startswith("pdf-") and not name.endswith(".lock"))
    assert chain
    made = backup.backup(demo_bank, tmp_path / "bank.cbbackup")
    assert set(chain) <= set(made.keys)
    assert not [name for name in made.keys if name.endswith(".lock") or name == "session-secret"]
    assert not [name for name in made.unencrypted_keys if name.startswith("pdf-")]
    with target(demo_bank.db.dialect, request, tmp_path / "restored") as restored:
        assert restore.restore(restored, made.path).ok
        # The same root, so PDFs signed before the restore keep verifying against the pinned root.
        assert pdf_keys.roots_pem(restored) == pdf_keys.roots_pem(demo_bank)
