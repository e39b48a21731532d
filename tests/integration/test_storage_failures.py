"""When the database cannot take writes — its disk is full, or it has turned read-only — writes answer 503
problem+json with Retry-After, reads keep working, and nothing is half-written: once the fault clears, the
refused request retried with its Idempotency-Key is recorded exactly once and the audit passes."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url

from creditbank import ledger_store
from creditbank.models import Achievement
from creditbank.runtime import Bank, bank_of
from creditbank.services.transparency import audit, checkpoints
from tests.conftest import configuration, database_url, running_app
from tests.integration.credit_world import CreditWorld, build

pytestmark = pytest.mark.slow


def item(world: CreditWorld, n: int) -> dict[str, Any]:
    return {
        "learner": world.learner,
        "record_id": f"FULL-{n}",
        "kind": "course",
        "title": {"en": f"Course {n} " + "with a long enough title to fill pages " * 5},
        "completed": "2026-01-10",
        "credits": 1,
    }


def post(world: CreditWorld, n: int) -> Any:
    return world.client.post(
        "/api/v1/achievements", json=item(world, n), headers=world.headers("uni-a", **{"Idempotency-Key": f"key-{n}"})
    )


def assert_unavailable(answer: Any) -> None:
    assert answer.status_code == 503, answer.get_data(as_text=True)
    assert answer.mimetype == "application/problem+json"
    body = answer.get_json()
    assert body["type"].endswith("/storage-unavailable")
    assert "Idempotency-Key" in body["detail"]
    assert int(answer.headers["Retry-After"]) > 0


def counts(bank: Bank) -> tuple[int, int]:
    with bank.db.reading() as session:
        return ledger_store.tree_size(session), session.scalar(select(func.count()).select_from(Achievement)) or 0


def reads_still_work(world: CreditWorld) -> None:
    client: FlaskClient = world.client
    assert client.get("/ledger/checkpoint").status_code == 200
    assert client.get("/ledger/proofs/inclusion?seq=0&size=1").status_code == 200
    listing = client.get(f"/api/v1/learners/{world.learner}/achievements", headers=world.headers("uni-a"))
    assert listing.status_code == 200
    assert client.get("/health").status_code == 200


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """An 8 MiB tmpfs: big enough for a migrated bank, small enough to fill in a moment."""
    mount = tmp_path / "disk"
    mount.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=8m", "tmpfs", str(mount)], capture_output=True)
    assert done.returncode == 0, f"this test mounts a small tmpfs and needs root to do it: {done.stderr!r}"
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=True)


def fill(disk: Path) -> Path:
    """Fill the disk to its last byte; one already full (the bank grew into all of it) counts as filled."""
    filler = disk / "filler"
    try:
        with filler.open("wb") as out:
            while True:
                out.write(b"\0" * 65536)
                out.flush()
    except OSError:
        pass
    return filler


def test_a_full_disk_refuses_writes_with_503_and_keeps_reads(small_disk: Path, tmp_path: Path) -> None:
    config = configuration(f"sqlite:///{small_disk / 'creditbank.sqlite3'}", tmp_path)
    with running_app(config) as app:
        world = build(app.test_client(), bank_of(app))
        bank = world.bank
        assert post(world, 0).status_code == 201
        checkpoints.sign(bank)
        filler = fill(small_disk)
        acknowledged = [0]
        refused = None
        # SQLite reuses pages its write-ahead log already holds, so a few writes may still fit after the disk fills.
        for n in range(1, 200):
            answer = post(world, n)
            if answer.status_code == 201:
                acknowledged.append(n)
                continue
            assert_unavailable(answer)
            refused = n
            break
        assert refused is not None, "the disk never filled"
        before = counts(bank)
        assert_unavailable(post(world, refused))
        reads_still_work(world)
        assert counts(bank) == before

        filler.unlink(missing_ok=True)
        retried = post(world, refused)
        assert retried.status_code == 201, retried.get_data(as_text=True)
        assert post(world, refused).get_json() == retried.get_json()  # the idempotent replay, not a second entry
        size, achievements = counts(bank)
        assert achievements == len(acknowledged) + 1
        checkpoints.sign(bank)
        report = audit.audit(bank, deep=True)
        assert report.ok, report.problems
        assert report.entries == size


def test_a_read_only_database_refuses_writes_with_503_and_keeps_reads(
    request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    if "postgresql" not in os.environ.get("CREDITBANK_TEST_DATABASES", "sqlite,postgresql"):
        pytest.skip("PostgreSQL is not among the test databases (CREDITBANK_TEST_DATABASES)")
    url = database_url("postgresql", request, tmp_path)
    name = make_url(url).database
    admin = create_engine(request.getfixturevalue("pg_cluster").url(), isolation_level="AUTOCOMMIT")

    def read_only(on: bool) -> None:
        with admin.connect() as connection:
            connection.execute(
                text(f"ALTER DATABASE {name} SET default_transaction_read_only = {'on' if on else 'off'}")
            )

    try:
        with running_app(configuration(url, tmp_path)) as app:
            world = build(app.test_client(), bank_of(app))
            bank = world.bank
            assert post(world, 0).status_code == 201
            checkpoints.sign(bank)
            read_only(True)
            # A fail-over to a read-only server: the pool's connections are new ones.
            bank.db.dispose()
            before = counts(bank)
            assert_unavailable(post(world, 1))
            batch = world.client.post(
                "/api/v1/achievements/batch",
                json={"items": [item(world, 2), item(world, 3)]},
                headers=world.headers("uni-a"),
            )
            assert_unavailable(batch)
            reads_still_work(world)
            assert counts(bank) == before

            read_only(False)
            bank.db.dispose()
            retried = post(world, 1)
            assert retried.status_code == 201, retried.get_data(as_text=True)
            assert post(world, 1).get_json() == retried.get_json()
            assert counts(bank) == (before[0] + 2, before[1] + 1)  # an achievement appends its conversion too
            checkpoints.sign(bank)
            report = audit.audit(bank, deep=True)
            assert report.ok, report.problems
    finally:
        read_only(False)
        admin.dispose()


def test_a_page_gets_a_503_page_in_the_visitors_language(small_disk: Path, tmp_path: Path) -> None:
    config = configuration(f"sqlite:///{small_disk / 'creditbank.sqlite3'}", tmp_path)
    with running_app(config) as app:
        client = app.test_client()
        bank = bank_of(app)
        bank.db.dispose()
        database = small_disk / "creditbank.sqlite3"
        for path in small_disk.iterdir():
            path.unlink()
        database.mkdir()  # the database file is gone and cannot be opened
        page = client.get("/s/" + "a" * 40)
        assert page.status_code == 503
        assert page.mimetype == "text/html"
        assert "服务暂时无法保存或读取数据" in page.get_data(as_text=True)
        client.set_cookie("lang", "en")
        english = client.get("/s/" + "a" * 40)
        assert "cannot store or read data" in english.get_data(as_text=True)
        checkpoint = client.get("/ledger/checkpoint")
        assert checkpoint.status_code == 503
        assert checkpoint.mimetype == "application/problem+json"
        assert client.get("/health").status_code == 200  # liveness does not depend on the database
