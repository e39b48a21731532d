"""Bad input to the credit-bank endpoints: each answer a problem document naming the field, nothing appended."""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient

from creditbank import ledger_store
from creditbank.runtime import Bank
from tests.api.records_fixtures import assert_problem
from tests.integration.credit_world import OUTCOME, CreditWorld, build


@pytest.fixture
def world(client: FlaskClient, bank: Bank) -> CreditWorld:
    return build(client, bank)


def _size(bank: Bank) -> int:
    with bank.db.reading() as session:
        return ledger_store.tree_size(session)


def _refused(world: CreditWorld, response: Any, status: int, kind: str, path: str | None) -> None:
    assert_problem(response, status, kind, path)


AWARD_CASES = [
    ({}, 422, "invalid-input", "qualification"),
    ({"qualification": ""}, 422, "invalid-input", "qualification"),
    ({"qualification": "Has Spaces"}, 422, "invalid-input", "qualification"),
    ({"qualification": 5}, 422, "invalid-input", "qualification"),
    ({"qualification": "test-cert", "extra": 1}, 422, "invalid-input", "extra"),
    ({"qualification": "unknown-type"}, 404, "not-found", None),
]


@pytest.mark.parametrize(("body", "status", "kind", "path"), AWARD_CASES)
def test_bad_award_requests(world: CreditWorld, body: dict[str, Any], status: int, kind: str, path: str | None) -> None:
    before = _size(world.bank)
    response = world.client.post(f"/api/v1/learners/{world.learner}/qualifications", json=body, headers=world.headers())
    _refused(world, response, status, kind, path)
    assert _size(world.bank) == before


@pytest.mark.parametrize(
    ("query", "status", "kind", "path"),
    [
        ("", 422, "invalid-input", "qualification"),
        ("?qualification=", 422, "invalid-input", "qualification"),
        ("?qualification=x%00y", 422, "invalid-input", "qualification"),
        ("?qualification=nope", 404, "not-found", None),
    ],
)
def test_bad_progress_queries(world: CreditWorld, query: str, status: int, kind: str, path: str | None) -> None:
    response = world.client.get(f"/api/v1/learners/{world.learner}/progress{query}", headers=world.headers())
    _refused(world, response, status, kind, path)


MINIMAL = {"kind": "course", "title": {"en": "x"}, "completed": "2026-01-01"}
PREVIEW_CASES = [
    ({}, "achievement"),
    ({"achievement": {"kind": "course"}}, "achievement.title"),
    ({"achievement": {"kind": "lecture", "title": {"en": "x"}, "completed": "2026-01-01"}}, "achievement.kind"),
    (
        {"achievement": {"kind": "course", "title": {"en": "x"}, "completed": "2026-01-01", "credits": -1}},
        "achievement.credits",
    ),
    (
        {"achievement": {"kind": "course", "title": {"en": "x"}, "completed": "2026-01-01"}, "framework": "BAD ID"},
        "framework",
    ),
    (
        {"achievement": {"kind": "course", "title": {"en": "x"}, "started": "2026-02-01", "completed": "2026-01-01"}},
        "completed",
    ),
]


@pytest.mark.parametrize(("body", "path"), PREVIEW_CASES)
def test_bad_previews(world: CreditWorld, body: dict[str, Any], path: str) -> None:
    before = _size(world.bank)
    response = world.client.post("/api/v1/conversions/preview", json=body, headers=world.headers())
    _refused(world, response, 422, "invalid-input", path)
    assert _size(world.bank) == before


PROPOSAL_CASES = [
    ({"code": "lower"}, "code"),
    ({"framework": "unknown-fw"}, "framework"),
    ({"level": 9}, "level"),
    ({"level": 2.5}, "level"),
    ({"credits": 0}, "credits"),
    ({"category": "astrology"}, "category"),
    ({"name": {"zh": "只有中文"}}, "name.en"),
    ({"description": None}, "description"),
]


@pytest.mark.parametrize(("changes", "path"), PROPOSAL_CASES)
def test_bad_outcome_proposals(world: CreditWorld, changes: dict[str, Any], path: str) -> None:
    before = _size(world.bank)
    body = {**OUTCOME, "code": "NEW-1", **changes}
    response = world.client.post("/api/v1/catalogue/outcomes", json=body, headers=world.headers())
    _refused(world, response, 422, "invalid-input", path)
    assert _size(world.bank) == before


def test_a_proposal_reusing_a_code_with_other_content_conflicts(world: CreditWorld) -> None:
    response = world.client.post("/api/v1/catalogue/outcomes", json={**OUTCOME, "credits": 9}, headers=world.headers())
    _refused(world, response, 409, "conflict", "code")


def test_credit_endpoints_need_a_key_and_hide_other_institutions_learners(world: CreditWorld) -> None:
    preview = {"achievement": {"kind": "course", "title": {"en": "x"}, "completed": "2026-01-01"}}
    for method, url, body in (
        ("GET", f"/api/v1/learners/{world.learner}/credits", None),
        ("GET", f"/api/v1/learners/{world.learner}/progress?qualification=test-cert", None),
        ("POST", "/api/v1/conversions/preview", preview),
    ):
        assert world.client.open(url, method=method, json=body).status_code == 401
    from creditbank.services.records import api_keys
    from tests.helpers import register

    register(world.bank, "stranger")
    token = api_keys.issue(world.bank, "stranger").token
    response = world.client.get(
        f"/api/v1/learners/{world.learner}/credits", headers={"Authorization": f"Bearer {token}"}
    )
    _refused(world, response, 404, "not-found", None)
