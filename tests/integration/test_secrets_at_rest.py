"""One-time secrets do not rest in the idempotency store, and its records expire (both databases)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from alembic import command
from flask import Flask
from sqlalchemy import func, select, text, update

from creditbank import ledger_store, migrate
from creditbank.db import make_engine
from creditbank.models import IdempotentRequest
from creditbank.runtime import Bank
from creditbank.scheduler import Scheduler
from creditbank.services.records import api_keys, idempotency
from tests.helpers import register

PERSON = {
    "name": {"zh": "周敏", "latin": "Zhou Min"},
    "birth_date": "1990-03-08",
    "national_id": {"country": "CN", "number": "110105199003080020"},
}
OTHER = {**PERSON, "name": {"latin": "Someone Else"}, "national_id": {"country": "CN", "number": "110105199104010013"}}


@pytest.fixture
def post(app: Flask, bank: Bank) -> Any:
    register(bank, "uni-a")
    token = api_keys.issue(bank, "uni-a").token
    client = app.test_client()

    def send(body: dict[str, Any], key: str = "enroll-1") -> Any:
        headers = {"Authorization": f"Bearer {token}", "Idempotency-Key": key}
        return client.post("/api/v1/learners", json=body, headers=headers)

    return send


def _size(bank: Bank) -> int:
    with bank.db.reading() as session:
        return ledger_store.tree_size(session)


def _stored(bank: Bank) -> list[str]:
    with bank.db.reading() as session:
        return list(session.scalars(select(IdempotentRequest.response)))


def test_the_stored_answer_holds_no_activation_code_and_a_retry_says_it_was_issued(post: Any, bank: Bank) -> None:
    first = post(PERSON)
    assert first.status_code == 201
    code = first.get_json()["activation_code"]
    assert code
    size = _size(bank)
    [stored] = _stored(bank)
    assert code not in stored
    retried = post(PERSON)
    assert retried.status_code == 201
    body = retried.get_json()
    assert "activation_code" not in body
    assert body["activation_code_issued"] is True
    assert {k: v for k, v in first.get_json().items() if k != "activation_code"} == {
        k: v for k, v in body.items() if k != "activation_code_issued"
    }
    assert _size(bank) == size


def test_an_expired_key_is_new_again_and_the_expiry_job_deletes_old_records(post: Any, bank: Bank) -> None:
    first = post(PERSON).get_json()
    with bank.db.writing() as session:
        session.execute(update(IdempotentRequest).values(created_at=datetime.now(UTC) - timedelta(hours=25)))
    # Within the retention a different request under the key is a conflict; past it, the key is simply new.
    answer = post(OTHER)
    assert answer.status_code == 201
    assert answer.get_json()["id"] != first["id"]
    assert "activation_code" in answer.get_json()
    post(PERSON, key="enroll-2")
    with bank.db.writing() as session:
        session.execute(
            update(IdempotentRequest)
            .where(IdempotentRequest.key == "enroll-2")
            .values(created_at=datetime.now(UTC) - idempotency.RETENTION - timedelta(seconds=1))
        )
    # The scheduler's hourly expiry job is what deletes them in service.
    jobs = Scheduler(bank)
    jobs.active = True
    jobs._expiry()
    with bank.db.reading() as session:
        assert session.scalars(select(IdempotentRequest.key)).all() == ["enroll-1"]
        assert session.scalar(select(func.count()).select_from(IdempotentRequest)) == 1
    assert idempotency.expire(bank, datetime.now(UTC) + idempotency.RETENTION) == 1


def test_migration_0009_scrubs_codes_stored_by_earlier_releases(db_url: str) -> None:
    if db_url.startswith("postgresql"):
        # The template database every PostgreSQL test starts from is already at head; start this one empty.
        emptying = make_engine(db_url)
        with emptying.begin() as connection:
            connection.execute(text("DROP SCHEMA public CASCADE"))
            connection.execute(text("CREATE SCHEMA public"))
        emptying.dispose()
    engine = make_engine(db_url)
    try:
        config = migrate.alembic_config(engine)
        with engine.begin() as connection:
            config.attributes["connection"] = connection
            command.upgrade(config, "0008")
        now = datetime.now(UTC)
        rows = [
            ("fresh", json.dumps({"id": "lrn_1", "status": "enrolled", "seq": 4, "activation_code": "K7QX-2M"}), now),
            ("plain", json.dumps({"id": "ach_1", "status": "recorded"}), now),
            ("stale", json.dumps({"id": "lrn_2", "activation_code": "ZZ9P-4R"}), now - timedelta(days=2)),
        ]
        with engine.begin() as connection:
            for key, response, created in rows:
                connection.execute(
                    text(
                        "INSERT INTO idempotent_requests (institution_id, key, request_digest, status, response, "
                        "created_at) VALUES ('uni-a', :key, :digest, 201, :response, :created)"
                    ),
                    {"key": key, "digest": b"\0" * 32, "response": response, "created": created},
                )
        migrate.upgrade(engine)
        with engine.connect() as connection:
            stored = dict(connection.execute(text("SELECT key, response FROM idempotent_requests")).all())
    finally:
        engine.dispose()
    assert set(stored) == {"fresh", "plain"}
    scrubbed = {"id": "lrn_1", "status": "enrolled", "seq": 4, "activation_code_issued": True}
    assert json.loads(stored["fresh"]) == scrubbed
    assert json.loads(stored["plain"]) == {"id": "ach_1", "status": "recorded"}
