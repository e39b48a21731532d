"""After ``learner.erased`` nothing of the sealed row can be carved out of the database's files (SQLite), and the
table is vacuumed (PostgreSQL)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select, text
from sqlalchemy.engine import make_url

from creditbank.models import LearnerPersonalData
from creditbank.runtime import Bank
from creditbank.services.records import api_keys, learners
from tests.helpers import register

PERSON = {
    "name": {"zh": "赵雪", "latin": "Zhao Xue"},
    "birth_date": "1975-11-30",
    "national_id": {"country": "CN", "number": "11010519491231002X"},
    "email": "zhao.xue@example.org",
}
SLICE = 16


@pytest.fixture
def enrolled(app: Flask, bank: Bank) -> dict[str, Any]:
    register(bank, "uni-a")
    token = api_keys.issue(bank, "uni-a").token
    # Others beside the person, so the erased row shares its pages with rows that stay.
    client = app.test_client()
    headers = {"Authorization": f"Bearer {token}"}
    answer = client.post("/api/v1/learners", json=PERSON, headers=headers).get_json()
    for index, number in enumerate(("110105198001010016", "110105198001020011")):
        other = {"name": {"latin": f"Other {index}"}, "birth_date": "1980-01-01"}
        other["national_id"] = {"country": "CN", "number": number}
        assert client.post("/api/v1/learners", json=other, headers=headers).status_code == 201
    with bank.db.reading() as session:
        row = session.scalars(select(LearnerPersonalData).where(LearnerPersonalData.learner_id == answer["id"])).one()
        return {"learner": answer["id"], "secrets": [bytes(row.wrapped_key), bytes(row.sealed)]}


def _traces(data: bytes, secrets: list[bytes]) -> list[str]:
    found = []
    for secret in secrets:
        for start in range(len(secret) - SLICE + 1):
            if secret[start : start + SLICE] in data:
                found.append(f"{secret[:8].hex()}… bytes {start}-{start + SLICE}")
                break
    return found


def test_erasure_leaves_nothing_recoverable(bank: Bank, enrolled: dict[str, Any]) -> None:
    """Each database the way it can be checked: SQLite's files are carved; PostgreSQL's table must be vacuumed."""
    if bank.db.dialect == "sqlite":
        _check_sqlite_files(bank, enrolled)
    else:
        _check_postgresql_vacuum(bank, enrolled)


def _check_sqlite_files(bank: Bank, enrolled: dict[str, Any]) -> None:
    database = Path(str(make_url(bank.db.url).database))
    files = [database, database.with_name(database.name + "-wal"), database.with_name(database.name + "-shm")]
    before = b"".join(path.read_bytes() for path in files if path.exists())
    # The carving finds the row while it is there, so finding nothing afterwards means something.
    assert len(_traces(before, enrolled["secrets"])) == 2
    learners.erase(bank, enrolled["learner"])
    for path in files:
        if path.exists():
            assert _traces(path.read_bytes(), enrolled["secrets"]) == [], path.name


def _vacuums(bank: Bank) -> int:
    with bank.db.engine.connect() as connection:
        count = connection.execute(
            text("SELECT vacuum_count FROM pg_stat_user_tables WHERE relname = 'learner_personal_data'")
        ).scalar()
    return int(count or 0)


def _check_postgresql_vacuum(bank: Bank, enrolled: dict[str, Any]) -> None:
    before = _vacuums(bank)
    learners.erase(bank, enrolled["learner"])
    assert _vacuums(bank) >= before + 1
