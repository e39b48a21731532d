"""Builders shared by the learner-record API tests: institutions, keys, learners, valid items."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from flask.testing import FlaskClient

from creditbank import ledger_store
from creditbank.runtime import Bank, bank_of
from creditbank.services.records import api_keys
from ledger.canonical import canonical_bytes
from tests.conftest import BACKENDS, configuration, database_url, running_app
from tests.helpers import register

VALID_ID = "11010519491231002X"


def headers(token: str, **extra: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}", **extra}


def item(learner: str, record_id: str = "REC-1", **changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "learner": learner,
        "record_id": record_id,
        "kind": "course",
        "title": {"zh": "高等数学", "en": "Advanced Mathematics"},
        "code": "MATH101",
        "level": "undergraduate year 1",
        "credits": 4,
        "hours": 64,
        "result": {"type": "score", "score": 82, "max": 100, "pass_mark": 60},
        "started": "2025-09-01",
        "completed": "2026-01-12",
        "mode": "in_person",
        "evidence": [{"url": "https://uni-a.example/records/1", "sha256": "ab" * 32}],
        "outcomes": ["solve first-order differential equations"],
        "language": "zh-CN",
    }
    data.update(changes)
    return data


def signed(data: dict[str, Any], key: Any, key_id: str) -> dict[str, Any]:
    value = base64.b64encode(key.sign(canonical_bytes(data))).decode()
    return {**data, "signature": {"key": key_id, "value": value}}


@dataclass
class World:
    client: FlaskClient
    bank: Bank
    a: str  # uni-a's full-scope key
    b: str  # ou-b's full-scope key
    learner: str  # enrolled with uni-a only

    def size(self) -> int:
        with self.bank.db.reading() as session:
            return ledger_store.tree_size(session)


def build_world(client: FlaskClient, bank: Bank) -> World:
    register(bank, "uni-a")
    register(bank, "ou-b", type="open_university")
    a, b = api_keys.issue(bank, "uni-a").token, api_keys.issue(bank, "ou-b").token
    person = {"name": {"zh": "王堃"}, "birth_date": "1970-05-04"}
    learner = client.post("/api/v1/learners", json=person, headers=headers(a)).get_json()["id"]
    return World(client, bank, a, b, learner)


@pytest.fixture
def world(client: FlaskClient, bank: Bank) -> World:
    return build_world(client, bank)


@pytest.fixture(scope="module", params=BACKENDS)
def shared_world(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    """One world for a module's refusal tests. They send only requests the service must refuse, so they cannot
    disturb each other, and each still checks that the ledger did not grow; sharing saves a bank per case."""
    folder = tmp_path_factory.mktemp("shared-world")
    config = configuration(database_url(request.param, request, folder), folder)
    with running_app(config) as application:
        yield build_world(application.test_client(), bank_of(application))


def assert_problem(response: Any, status: int, kind: str, path: str | None = None) -> dict[str, Any]:
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
    body = response.get_json()
    assert body["type"] == f"https://creditbank.example/problems/{kind}"
    assert body["status"] == status
    assert body["detail"]
    if path is not None:
        assert path in body.get("errors", {}), body
    return body
