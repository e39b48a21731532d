"""`/health` and `/ready`: readiness follows the database, the migrations and the checkpoint's freshness."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import text

from creditbank import ledger_store
from creditbank.services import checkpoints, health
from tests.helpers import register


def test_health_answers_and_an_empty_bank_is_ready(client) -> None:
    assert client.get("/health").get_json() == {"status": "ok"}
    ready = client.get("/ready")
    assert ready.status_code == 200, ready.get_json()
    assert ready.get_json()["ready"] is True


def test_a_grown_tree_without_a_fresh_checkpoint_is_not_ready(client, bank) -> None:
    register(bank, "uni-a")
    checkpoints.sign(bank)
    assert client.get("/ready").status_code == 200
    register(bank, "uni-b")  # the tree grows; no checkpoint covers it yet
    later = datetime.now(UTC) + timedelta(seconds=health.MAX_CHECKPOINT_AGE + 1)
    stale = health.readiness(bank, now=later)
    assert stale["ready"] is False
    assert stale["checks"]["checkpoint"]["ok"] is False
    assert health.readiness(bank)["checks"]["checkpoint"]["ok"] is True  # signed moments ago: still fresh
    checkpoints.sign(bank)
    with bank.db.reading() as session:
        size = ledger_store.tree_size(session)
    fresh = health.readiness(bank, now=later)
    assert fresh["ready"] is True
    assert fresh["checks"]["checkpoint"]["signed_size"] == size


def test_an_outdated_schema_is_not_ready(client, bank) -> None:
    with bank.db.writing() as session:
        session.execute(text("UPDATE alembic_version SET version_num = '0001'"))
    answer = client.get("/ready")
    assert answer.status_code == 503
    assert answer.get_json()["checks"]["migrations"]["ok"] is False
