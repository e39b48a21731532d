"""The credit bank end to end on both databases: conversion on record, compensation, awards that consume credits,
re-evaluation under a new rule set, publication rules, and replay reproducing every balance."""

from __future__ import annotations

import json
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from creditbank import ledger_store
from creditbank.errors import Conflict, InvalidInput
from creditbank.models import LedgerBody, LedgerEntry
from creditbank.projections import PROJECTION_TABLES, replay
from creditbank.runtime import Bank
from creditbank.services.credits import conversion, credit_rules
from creditbank.services.records import api_keys
from creditbank.services.transparency import audit
from tests.integration.credit_world import FRAMEWORK, RULES, CreditWorld, build, rules


@pytest.fixture
def world(client: FlaskClient, bank: Bank) -> CreditWorld:
    return build(client, bank)


def _entries(bank: Bank, kind: str) -> list[tuple[int, dict[str, Any]]]:
    with bank.db.reading() as session:
        rows = session.execute(
            select(LedgerEntry.seq, LedgerBody.body)
            .join(LedgerBody, LedgerBody.seq == LedgerEntry.seq)
            .where(LedgerEntry.kind == kind)
            .order_by(LedgerEntry.seq)
        ).all()
    return [(seq, json.loads(body)) for seq, body in rows]


def _size(bank: Bank) -> int:
    with bank.db.reading() as session:
        return ledger_store.tree_size(session)


def test_recording_converts_under_the_active_rules(world: CreditWorld) -> None:
    recorded = world.record("uni-a", "R1", credits=3, result={"type": "score", "score": 75, "max": 100})
    ((seq, body),) = _entries(world.bank, "credits.converted")
    assert seq == recorded["recorded_seq"] + 1
    assert body["source_seq"] == recorded["recorded_seq"]
    assert body["achievement"] == recorded["id"]
    assert (body["rules"], body["framework"]) == ("t-1", "test-fw")
    ((_, published),) = _entries(world.bank, "rules.published")
    assert body["rules_hash"] == published["hash"]
    # 3 credits of 16 declared hours = 48 h; 48 / 10 = 4.8, rounded down to the 0.5 step.
    assert (body["credits"], body["level"], body["category"]) == (4.5, 4, "professional")
    assert any("48 hours" in step["en"] for step in body["explanation"])
    assert any("向下取整" in step["zh"] for step in body["explanation"])
    account = world.account()
    (framework,) = account["accounts"]
    assert framework["available"] == 4.5
    assert framework["balances"] == [
        {"level": 4, "category": "professional", "earned": 4.5, "redeemed": 0, "available": 4.5, "conversions": [seq]}
    ]


def test_a_batch_converts_every_item(world: CreditWorld) -> None:
    items = [
        {
            "learner": world.learner,
            "record_id": f"B{i}",
            "kind": "course",
            "title": {"en": "x"},
            "credits": 1,
            "completed": "2026-01-10",
        }
        for i in range(5)
    ]
    response = world.client.post("/api/v1/achievements/batch", json={"items": items}, headers=world.headers())
    assert response.status_code == 201
    converted = _entries(world.bank, "credits.converted")
    assert len(converted) == 5
    assert {body["achievement"] for _, body in converted} == {row["id"] for row in response.get_json()["items"]}


def test_correction_and_revocation_compensate(world: CreditWorld) -> None:
    first = world.record("uni-a", "R1", credits=5)
    assert world.available() == 8  # 5 x 16 h / 10
    fix = {"changes": {"credits": 2}, "reason": "entered wrongly"}
    response = world.client.post(f"/api/v1/achievements/{first['id']}/corrections", json=fix, headers=world.headers())
    assert response.status_code == 201
    conversions = _entries(world.bank, "credits.converted")
    _original, reversal, again = (body for _, body in conversions)
    assert reversal["reverses"] == conversions[0][0]
    assert reversal["credits"] == -8
    assert again["credits"] == 3
    assert again["source_seq"] == response.get_json()["last_seq"]
    assert world.available() == 3
    revoked = world.client.post(
        f"/api/v1/achievements/{first['id']}/revocation", json={"reason": "wrong learner"}, headers=world.headers()
    )
    assert revoked.status_code == 201
    assert world.available() == 0
    statement = world.account()["accounts"][0]["statement"]
    assert [m["type"] for m in statement] == ["converted", "reversed", "converted", "reversed"]
    assert "revoked" in statement[-1]["explanation"][0]["en"]


def test_transfer_through_the_equivalence_table(world: CreditWorld) -> None:
    world.record("uni-b", "T1", code="DIG1", credits=4)
    ((_, body),) = _entries(world.bank, "credits.converted")
    assert (body["credits"], body["level"], body["category"], body["outcome"]) == (2, 2, "digital_literacy", "DL-1")
    assert "uni-b:DIG1 → uni-a:DL100 → DL-1" in body["explanation"][-3]["en"]


def test_an_award_consumes_credits_and_a_second_award_is_refused(world: CreditWorld) -> None:
    world.record("uni-b", "T1", code="DIG1", credits=4)  # DL-1: 2 digital-literacy credits
    world.record("uni-a", "R1", credits=6)  # 9.5 professional credits
    url = f"/api/v1/learners/{world.learner}/progress?qualification=test-cert"
    progress = world.client.get(url, headers=world.headers()).get_json()
    assert progress["met"] is True
    assert {r["requirement"]: r["met"] for r in progress["requirements"]} == {
        "outcome.DL-1": True,
        "category.digital_literacy": True,
        "total": True,
    }
    before = _size(world.bank)
    award = world.client.post(
        f"/api/v1/learners/{world.learner}/qualifications", json={"qualification": "test-cert"}, headers=world.headers()
    )
    assert award.status_code == 201, award.get_data(as_text=True)
    body = award.get_json()
    assert body["credits"] == 10
    assert sum(used["credits"] for used in body["used"]) == 10
    assert _size(world.bank) == before + 2
    ((_, redeemed),) = _entries(world.bank, "credits.redeemed")
    ((_, awarded),) = _entries(world.bank, "qualification.awarded")
    assert redeemed["award"] == awarded["award"] == body["id"]
    account = world.account()
    assert account["accounts"][0]["available"] == 1.5
    assert account["awards"][0]["qualification"] == "test-cert"
    assert [m["type"] for m in account["accounts"][0]["statement"]].count("redeemed") == 2

    again = world.client.post(
        f"/api/v1/learners/{world.learner}/qualifications", json={"qualification": "test-cert"}, headers=world.headers()
    )
    assert again.status_code == 422
    problem = again.get_json()
    assert {"outcome.DL-1", "category.digital_literacy", "total"} <= set(problem["errors"])
    assert _size(world.bank) == before + 2


def test_mooc_credits_are_capped_at_thirty_percent(world: CreditWorld) -> None:
    world.record("mooc-x", "M1", hours=80)  # 8 MOOC credits at level 3
    world.record("uni-a", "R1", credits=5)  # 8 credits at level 4
    progress = world.client.get(
        f"/api/v1/learners/{world.learner}/progress?qualification=test-diploma", headers=world.headers()
    ).get_json()
    total = next(r for r in progress["requirements"] if r["requirement"] == "total")
    assert (total["counted"], total["missing"]) == (14, 6)  # 8 university + 30% of 20 = 6 MOOC
    assert "30%" in progress["limits"][0]["en"]
    refused = world.client.post(
        f"/api/v1/learners/{world.learner}/qualifications",
        json={"qualification": "test-diploma"},
        headers=world.headers(),
    )
    assert refused.status_code == 422
    assert "6 more credits" in refused.get_json()["errors"]["total"][0]


def test_who_may_award(world: CreditWorld) -> None:
    world.record("uni-a", "R1", credits=20)
    url = f"/api/v1/learners/{world.learner}/qualifications"
    not_listed = world.client.post(url, json={"qualification": "test-diploma"}, headers=world.headers("uni-b"))
    assert not_listed.status_code == 403
    reader = api_keys.issue(world.bank, "uni-a", ("records:read",)).token
    no_scope = world.client.post(
        url, json={"qualification": "test-diploma"}, headers={"Authorization": f"Bearer {reader}"}
    )
    assert no_scope.status_code == 403
    assert "qualifications:award" in no_scope.get_json()["detail"]
    unknown = world.client.post(url, json={"qualification": "no-such"}, headers=world.headers())
    assert unknown.status_code == 404
    stranger = world.client.post(
        "/api/v1/learners/lrn_00000000000000000000/qualifications",
        json={"qualification": "test-diploma"},
        headers=world.headers(),
    )
    assert stranger.status_code == 404


def test_awards_retry_under_an_idempotency_key(world: CreditWorld) -> None:
    world.record("uni-a", "R1", credits=20)
    url = f"/api/v1/learners/{world.learner}/qualifications"
    headers = world.headers(**{"Idempotency-Key": "award-1"})
    first = world.client.post(url, json={"qualification": "test-diploma"}, headers=headers)
    size = _size(world.bank)
    second = world.client.post(url, json={"qualification": "test-diploma"}, headers=headers)
    assert (first.status_code, second.status_code) == (201, 201)
    assert first.get_json() == second.get_json()
    assert _size(world.bank) == size


def test_preview_appends_nothing(world: CreditWorld) -> None:
    before = _size(world.bank)
    data = {
        "kind": "course",
        "title": {"en": "x"},
        "completed": "2026-01-10",
        "credits": 2,
        "result": {"type": "score", "score": 40, "max": 100},
    }
    response = world.client.post("/api/v1/conversions/preview", json={"achievement": data}, headers=world.headers())
    assert response.status_code == 200
    (conversion,) = response.get_json()["conversions"]
    assert conversion["credits"] == 0
    assert "below the minimum of 60%" in conversion["explanation"][1]["en"]
    assert _size(world.bank) == before
    unknown = world.client.post(
        "/api/v1/conversions/preview", json={"achievement": data, "framework": "nope"}, headers=world.headers()
    )
    assert unknown.status_code == 404


def test_reconvert_appends_only_where_the_result_changes(world: CreditWorld) -> None:
    world.record("uni-a", "R1", credits=3)
    world.record("senior-c", "S1", hours=120)
    credit_rules.publish_rules(
        world.bank,
        rules(
            "t-2",
            institutions=[*RULES["institutions"][:3], {"id": "senior-c", "basis": "hours", "levels": {"default": 3}}],
        ),
        source="test",
    )
    before = _size(world.bank)
    report = conversion.reconvert(world.bank, "t-2")
    assert (report["changed"], report["unchanged"]) == (1, 1)
    assert _size(world.bank) == before + 2  # one reversal, one conversion
    *_, (_, reversal), (_, again) = _entries(world.bank, "credits.converted")
    assert reversal["rules"] == "t-1"
    assert reversal["credits"] == -12
    assert (again["rules"], again["level"], again["credits"]) == ("t-2", 3, 12)
    assert conversion.reconvert(world.bank, "t-2") == {**report, "changed": 0, "unchanged": 2}
    with pytest.raises(Exception, match="no rule set 'nope'"):
        conversion.reconvert(world.bank, "nope")


def test_published_versions_are_fixed(world: CreditWorld) -> None:
    before = _size(world.bank)
    same = credit_rules.publish_rules(world.bank, RULES, source="test")
    assert not same.created
    with pytest.raises(Conflict, match="other content"):
        credit_rules.publish_rules(world.bank, {**RULES, "caps": []}, source="test")
    with pytest.raises(Conflict, match="other content"):
        credit_rules.publish_framework(world.bank, {**FRAMEWORK, "example": False}, source="test")
    with pytest.raises(InvalidInput, match="unknown institution 'nobody'"):
        credit_rules.publish_rules(world.bank, rules("t-9", awarding={"test-cert": ["nobody"]}), source="test")
    assert _size(world.bank) == before


def test_frameworks_and_catalogue_are_public(world: CreditWorld) -> None:
    listed = world.client.get("/api/v1/frameworks").get_json()["items"]
    assert [f["id"] for f in listed] == ["test-fw"]
    one = world.client.get("/api/v1/frameworks/test-fw").get_json()
    assert one["active_rules"] == "t-1"
    assert len(one["levels"]) == 5
    assert one["qualifications"][0]["required_outcomes"] == ["DL-1"]
    assert world.client.get("/api/v1/frameworks/none").status_code == 404
    outcomes = world.client.get("/api/v1/catalogue/outcomes").get_json()["items"]
    assert [(o["code"], o["status"]) for o in outcomes] == [("DL-1", "approved")]


def test_only_approved_outcomes_take_part(world: CreditWorld) -> None:
    proposal = {**world_outcome("DL-2"), "credits": 5}
    response = world.client.post("/api/v1/catalogue/outcomes", json=proposal, headers=world.headers())
    assert response.status_code == 201
    assert world.client.post("/api/v1/catalogue/outcomes", json=proposal, headers=world.headers()).status_code == 200
    credit_rules.publish_rules(
        world.bank, rules("t-3", equivalences=[{"from": "uni-a:D2", "to": "DL-2"}]), source="test"
    )
    world.record("uni-a", "P1", code="D2", credits=1)
    *_, (_, pending) = _entries(world.bank, "credits.converted")
    assert pending["outcome"] is None
    assert "not an approved catalogue outcome" in " ".join(step["en"] for step in pending["explanation"])
    credit_rules.approve_outcome(world.bank, "DL-2", "reviewer-2")
    world.record("uni-a", "P2", code="D2", credits=1)
    *_, (_, approved) = _entries(world.bank, "credits.converted")
    assert (approved["outcome"], approved["credits"]) == ("DL-2", 5)


def world_outcome(code: str) -> dict[str, Any]:
    from tests.integration.credit_world import OUTCOME

    return {**OUTCOME, "code": code}


def test_replay_reproduces_every_balance(world: CreditWorld, bank: Bank) -> None:
    world.record("uni-b", "T1", code="DIG1", credits=4)
    first = world.record("uni-a", "R1", credits=6)
    world.record("mooc-x", "M1", hours=30)
    world.client.post(
        f"/api/v1/learners/{world.learner}/qualifications", json={"qualification": "test-cert"}, headers=world.headers()
    )
    world.client.post(f"/api/v1/achievements/{first['id']}/revocation", json={"reason": "x"}, headers=world.headers())
    live = _snapshot(bank)
    account = world.account()
    with bank.db.writing() as session:
        replay(session)
    assert _snapshot(bank) == live
    assert world.account() == account
    assert live["credit_redemptions"]
    assert live["qualification_awards"]
    assert live["catalogue_outcomes"]
    assert audit.audit(bank, deep=True).ok


def _snapshot(bank: Bank) -> dict[str, list[tuple[Any, ...]]]:
    with bank.db.reading() as session:
        return {
            table.name: sorted(tuple(row) for row in session.execute(select(table)).all())
            for table in PROJECTION_TABLES
        }
