"""What another institution can still reach through the edges of consent and linking.

Consent opens reads only; a read must not name the institution that enrolled the person first; and a grant erasure
ended is not listed as live."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from creditbank import ledger_store
from creditbank.models import QualificationAward
from creditbank.runtime import Bank
from creditbank.services.records import consent, learners
from tests.integration.credit_world import CreditWorld, build


@pytest.fixture
def world(client: FlaskClient, bank: Bank) -> CreditWorld:
    return build(client, bank)


def _learner_of(world: CreditWorld, institution: str) -> str:
    """A learner enrolled with ``institution`` alone, holding enough credits there for the test diploma."""
    person = {"name": {"zh": "张三"}, "birth_date": "1960-01-01"}
    answer = world.client.post("/api/v1/learners", json=person, headers=world.headers(institution))
    assert answer.status_code == 201, answer.get_data(as_text=True)
    learner: str = answer.get_json()["id"]
    for number in range(12):
        item = {
            "learner": learner,
            "record_id": f"R-{number}",
            "kind": "course",
            "title": {"en": "x"},
            "credits": 2,
            "completed": "2026-01-10",
        }
        posted = world.client.post("/api/v1/achievements", json=item, headers=world.headers(institution))
        assert posted.status_code == 201, posted.get_data(as_text=True)
    return learner


def test_a_credits_grant_lets_an_awarding_body_read_but_not_award(world: CreditWorld) -> None:
    learner = _learner_of(world, "uni-b")
    consent.grant(world.bank, learner, "uni-a", "credits", 30)
    progress = world.client.get(
        f"/api/v1/learners/{learner}/progress?qualification=test-diploma", headers=world.headers("uni-a")
    )
    assert progress.get_json()["met"] is True
    with world.bank.db.reading() as session:
        before = ledger_store.tree_size(session)
    answer = world.client.post(
        f"/api/v1/learners/{learner}/qualifications",
        json={"qualification": "test-diploma"},
        headers=world.headers("uni-a"),
    )
    assert answer.status_code == 404, answer.get_data(as_text=True)
    assert answer.mimetype == "application/problem+json"
    with world.bank.db.reading() as session:
        assert ledger_store.tree_size(session) == before
        assert session.query(QualificationAward).count() == 0


def _first_enroller(world: CreditWorld, seq: int) -> str:
    actor: str = world.client.get(f"/ledger/entries/{seq}").get_json()["entry"]["actor"]
    return actor


def test_a_profile_names_the_callers_own_enrollment_not_the_first(world: CreditWorld) -> None:
    for institution in ("uni-b", "mooc-x", "senior-c"):
        profile: dict[str, Any] = world.client.get(
            f"/api/v1/learners/{world.learner}", headers=world.headers(institution)
        ).get_json()
        # The public entry at that seq names its writer: it must be the caller, never the first institution.
        assert _first_enroller(world, profile["enrolled_seq"]) == f"inst:{institution}"
    learner = _learner_of(world, "uni-b")
    consent.grant(world.bank, learner, "mooc-x", "profile", 30)
    seen = world.client.get(f"/api/v1/learners/{learner}", headers=world.headers("mooc-x")).get_json()
    assert seen["name"] == {"zh": "张三"}
    assert "enrolled_seq" not in seen


def test_an_erased_learners_grants_are_not_listed_as_live(world: CreditWorld) -> None:
    learner = _learner_of(world, "uni-b")
    consent.grant(world.bank, learner, "uni-a", "records", 30)
    listed = world.client.get("/api/v1/consents", headers=world.headers("uni-a")).get_json()["items"]
    assert [row["learner"] for row in listed] == [learner]
    learners.erase(world.bank, learner)
    assert world.client.get("/api/v1/consents", headers=world.headers("uni-a")).get_json()["items"] == []


def test_answers_to_a_caller_with_credentials_are_never_cached(world: CreditWorld) -> None:
    world.record("uni-a", "A-1", credits=4)
    base = f"/api/v1/learners/{world.learner}"
    enrolled = world.client.get(base, headers=world.headers("uni-a")).get_json()["enrolled_seq"]
    # A profile, the statement, the records and a private entry body: each is this caller's alone to read.
    for path in (base, f"{base}/credits", f"{base}/achievements", f"/ledger/entries/{enrolled}", "/ledger/key"):
        answer = world.client.get(path, headers=world.headers("uni-a"))
        assert answer.status_code == 200, path
        assert answer.headers["Cache-Control"] == "no-store", path
    assert world.client.get("/ledger/key").headers["Cache-Control"] != "no-store"


def test_an_unexpected_failure_is_logged_by_route_never_by_its_path(
    app: Flask, caplog: pytest.LogCaptureFixture
) -> None:
    # A view that fails the way a bug would, on a path shaped like a share link's: the token must not reach the log.
    @app.route("/s/<string(maxlength=64):token>/fails")
    def fails(token: str) -> str:
        raise RuntimeError("a bug")

    token = "q9ZtV7kLmN3xR5yB8wC1dE4fG6hJ0aS2"
    with caplog.at_level(logging.ERROR, logger="api.errors"):
        answer = app.test_client().get(f"/s/{token}/fails?next=/me")
    assert answer.status_code == 500
    logged = [record for record in caplog.records if record.name == "api.errors"]
    assert logged
    for record in logged:
        text = record.getMessage() + (record.exc_text or "")
        assert token not in text
        assert "next=" not in text
    assert "/s/<string(maxlength=64):token>/fails" in logged[0].getMessage()
