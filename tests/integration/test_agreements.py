"""Mutual recognition agreements on both databases: publication and its refusals, conversion by a matching term
for achievements recorded after it and re-evaluation of those recorded before, the rule set outside the window,
decision lines left alone, and replay rebuilding the agreement tables."""

from __future__ import annotations

import copy
import json
import threading
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from creditbank import ledger_store, recording
from creditbank.errors import Conflict, InvalidInput
from creditbank.models import CreditLine, LedgerBody, LedgerEntry
from creditbank.projections import PROJECTION_TABLES, replay
from creditbank.runtime import Bank
from creditbank.services.credits import agreements, conversion, credit_rules
from tests.helpers import register
from tests.integration.credit_world import CreditWorld, build, rules

AGREEMENT: dict[str, Any] = {
    "id": "ab-digital",
    "version": "1",
    "name": {"zh": "甲乙数字素养互认", "en": "A-B digital literacy recognition"},
    "parties": ["uni-a", "uni-b"],
    "recognizing": "uni-a",
    "terms": [
        {
            "from": "uni-b:NET1",
            "outcome": "DL-1",
            "credits": 3.5,
            "completed_from": "2026-01-01",
            "completed_until": "2026-06-30",
        }
    ],
}


def agreement(version: str = "1", **changes: Any) -> dict[str, Any]:
    document = copy.deepcopy(AGREEMENT)
    document["version"] = version
    document.update(changes)
    return document


def term(**changes: Any) -> dict[str, Any]:
    return {**AGREEMENT["terms"][0], **changes}


@pytest.fixture
def world(client: FlaskClient, bank: Bank) -> CreditWorld:
    return build(client, bank)


def _converted(bank: Bank) -> list[tuple[int, dict[str, Any]]]:
    with bank.db.reading() as session:
        rows = session.execute(
            select(LedgerEntry.seq, LedgerBody.body)
            .join(LedgerBody, LedgerBody.seq == LedgerEntry.seq)
            .where(LedgerEntry.kind == "credits.converted")
            .order_by(LedgerEntry.seq)
        ).all()
    return [(seq, json.loads(body)) for seq, body in rows]


def _size(bank: Bank) -> int:
    with bank.db.reading() as session:
        return ledger_store.tree_size(session)


def _refused(bank: Bank, document: dict[str, Any], error: type[Exception] = InvalidInput) -> Any:
    before = _size(bank)
    with pytest.raises(error) as caught:
        agreements.publish(bank, document, source="test")
    assert _size(bank) == before
    return caught.value


def test_an_achievement_recorded_after_publication_converts_by_the_agreement(world: CreditWorld) -> None:
    published = agreements.publish(world.bank, agreement(), source="test")
    assert published.created
    assert published.reevaluated == 0
    recorded = world.record("uni-b", "N1", code="NET1", credits=4, completed="2026-03-01")
    ((_, body),) = _converted(world.bank)
    assert body["achievement"] == recorded["id"]
    assert (body["credits"], body["level"], body["category"], body["outcome"]) == (3.5, 2, "digital_literacy", "DL-1")
    assert body["agreement"] == {"id": "ab-digital", "version": "1", "hash": published.hash}
    assert (body["rules"], body["framework"]) == ("t-1", "test-fw")
    english = " ".join(step["en"] for step in body["explanation"])
    assert "agreement ab-digital version 1 terms[0]" in english
    assert "uni-a, uni-b" in english
    assert "recognized by uni-a" in english
    assert "协议" in body["explanation"][0]["zh"]
    assert world.available() == 3.5


def test_publication_re_evaluates_achievements_recorded_before(world: CreditWorld) -> None:
    inside = world.record("uni-b", "N1", code="NET1", credits=4, completed="2026-02-01")
    outside = world.record("uni-b", "N2", code="NET1", credits=4, completed="2025-12-31")
    other = world.record("uni-b", "N3", code="OTHER", credits=4, completed="2026-02-01")
    assert world.available() == 24  # three times 4 credits x ratio 2
    published = agreements.publish(world.bank, agreement(), source="test", chunk=1)
    assert published.reevaluated == 1
    lines = _converted(world.bank)
    assert len(lines) == 5
    (_, reversal), (_, again) = lines[3:]
    assert reversal["achievement"] == again["achievement"] == inside["id"]
    assert reversal["credits"] == -8
    assert "agreement ab-digital version 1" in reversal["explanation"][0]["en"]
    assert again["agreement"]["id"] == "ab-digital"
    assert again["credits"] == 3.5
    assert {body["achievement"] for _, body in lines[:3]} == {inside["id"], outside["id"], other["id"]}
    assert world.available() == 19.5
    # Publishing the same document again changes nothing.
    assert agreements.publish(world.bank, agreement(), source="test").created is False
    assert len(_converted(world.bank)) == 5


def test_outside_the_window_the_rule_set_applies(world: CreditWorld) -> None:
    agreements.publish(world.bank, agreement(), source="test")
    world.record("uni-b", "N1", code="NET1", credits=4, completed="2026-07-01")
    world.record("uni-a", "N2", code="NET1", credits=1, completed="2026-03-01")  # another institution's course
    world.record(
        "uni-b", "N3", code="NET1", credits=4, completed="2026-03-01", result={"type": "pass_fail", "passed": False}
    )
    bodies = [body for _, body in _converted(world.bank)]
    assert all("agreement" not in body for body in bodies)
    assert [body["credits"] for body in bodies] == [8, 1.5, 0]


def test_a_new_rule_set_keeps_the_agreement_line(world: CreditWorld) -> None:
    agreements.publish(world.bank, agreement(), source="test")
    world.record("uni-b", "N1", code="NET1", credits=4, completed="2026-03-01")
    credit_rules.publish_rules(world.bank, rules("t-2"), source="test")
    report = conversion.reconvert(world.bank, "t-2")
    assert report["changed"] == 0
    assert report["unchanged"] == 1
    assert world.available() == 3.5


def test_a_correction_moves_the_achievement_in_and_out_of_the_agreement(world: CreditWorld) -> None:
    agreements.publish(world.bank, agreement(), source="test")
    recorded = world.record("uni-b", "N1", code="NET1", credits=4, completed="2026-03-01")
    fix = {"changes": {"completed": "2026-08-01"}, "reason": "wrong date"}
    url = f"/api/v1/achievements/{recorded['id']}/corrections"
    assert world.client.post(url, json=fix, headers=world.headers("uni-b")).status_code == 201
    assert world.available() == 8
    fix = {"changes": {"completed": "2026-04-01"}, "reason": "wrong date again"}
    assert world.client.post(url, json=fix, headers=world.headers("uni-b")).status_code == 201
    assert world.available() == 3.5
    *_, (_, last) = _converted(world.bank)
    assert last["agreement"]["id"] == "ab-digital"


def test_overlapping_versions_are_refused_naming_the_conflict(world: CreditWorld) -> None:
    agreements.publish(world.bank, agreement(), source="test")
    overlapping = agreement("2", terms=[term(completed_from="2026-06-30", completed_until="2026-12-31")])
    error = _refused(world.bank, overlapping)
    assert "agreement ab-digital version 1 terms[0]" in error.errors["terms[0].from"][0]
    # Another agreement over the same course and dates is refused the same way.
    register(world.bank, "uni-c")
    third = agreement("1", id="cb-digital", parties=["uni-c", "uni-b"], recognizing="uni-c")
    assert "ab-digital" in _refused(world.bank, third).errors["terms[0].from"][0]
    # Two terms of one document may not overlap either.
    twice = agreement("3", terms=[term(completed_from="2027-01-01", completed_until="2027-12-31")] * 2)
    assert "terms[0] of this document" in _refused(world.bank, twice).errors["terms[1].from"][0]
    # The next window is fine.
    assert agreements.publish(
        world.bank,
        agreement("2", terms=[term(completed_from="2026-07-01", completed_until="2026-12-31")]),
        source="test",
    ).created


def test_bad_documents_are_refused_naming_the_place(world: CreditWorld) -> None:
    error = _refused(world.bank, agreement(parties=["uni-a", "nowhere"]))
    assert "unknown party 'nowhere'" in error.errors["parties[1]"][0]
    assert "recognizing" in _refused(world.bank, agreement(recognizing="mooc-x")).errors
    assert "terms[0].from" in _refused(world.bank, agreement(terms=[term(**{"from": "uni-a:NET1"})])).errors
    assert "terms[0].from" in _refused(world.bank, agreement(terms=[term(**{"from": "mooc-x:NET1"})])).errors
    assert "approved" in _refused(world.bank, agreement(terms=[term(outcome="DL-9")])).errors["terms[0].outcome"][0]
    bad_date = _refused(world.bank, agreement(terms=[term(completed_from="2026-02-30")]))
    assert "not a real date" in bad_date.errors["terms[0].completed_from"][0]
    backwards = _refused(world.bank, agreement(terms=[term(completed_until="2025-01-01")]))
    assert "before completed_from" in backwards.errors["terms[0].completed_until"][0]
    assert "parties" in _refused(world.bank, agreement(parties=["uni-a"], terms=[])).errors
    agreements.publish(world.bank, agreement(), source="test")
    changed = agreement(name={"zh": "改", "en": "changed"})
    assert "seq" in str(_refused(world.bank, changed, Conflict))


def test_a_decision_line_is_left_alone(world: CreditWorld, bank: Bank) -> None:
    recorded = world.record("uni-b", "N1", code="NET1", credits=4, completed="2026-02-01")
    ((seq, _),) = _converted(bank)
    _decide(bank, recorded["id"], seq)
    published = agreements.publish(bank, agreement(), source="test")
    assert (published.reevaluated, published.decided) == (0, 1)
    credit_rules.publish_rules(bank, rules("t-2"), source="test")
    assert conversion.reconvert(bank, "t-2")["decided"] == 1
    with bank.db.reading() as session:
        standing = session.scalars(
            select(CreditLine).where(CreditLine.reverses.is_(None), CreditLine.reversed_seq.is_(None))
        ).all()
    assert [line.application_id for line in standing] == ["app_decision"]


def test_a_correction_reverses_a_decision_line_and_leaves_the_framework_to_a_new_decision(
    world: CreditWorld, bank: Bank
) -> None:
    recorded = world.record("uni-b", "N1", code="NET1", credits=4, completed="2026-02-01")
    ((seq, _),) = _converted(bank)
    _decide(bank, recorded["id"], seq)
    agreements.publish(bank, agreement(), source="test")
    fix = {"changes": {"credits": 3}, "reason": "entered wrongly"}
    url = f"/api/v1/achievements/{recorded['id']}/corrections"
    assert world.client.post(url, json=fix, headers=world.headers("uni-b")).status_code == 201
    *_, (_, decision), (_, reversal) = _converted(bank)
    assert reversal["reverses"] is not None
    assert reversal["credits"] == -5
    assert (reversal["application"], reversal["learning"]) == ("app_decision", f"ach:{recorded['id']}")
    assert decision["application"] == "app_decision"
    assert world.available() == 0
    # Revoking it later finds nothing left to reverse.
    url = f"/api/v1/achievements/{recorded['id']}/revocation"
    assert world.client.post(url, json={"reason": "x"}, headers=world.headers("uni-b")).status_code == 201
    assert len(_converted(bank)) == 4


def _decide(bank: Bank, achievement: str, converted_seq: int) -> None:
    """Stand in for a recognition decision: reverse the engine's line and write a decision's line, as the
    recognition service does, through the ledger so replay sees it too."""
    with bank.db.writing() as session:
        line = session.get(CreditLine, converted_seq)
        assert line is not None
        body = {
            "learner": line.learner_id,
            "achievement": achievement,
            "source_seq": line.source_seq,
            "institution": line.institution_id,
            "framework": line.framework,
            "rules": line.rules_version,
            "credits": 5,
            "level": 3,
            "category": "professional",
            "source": "university",
            "outcome": None,
            "explanation": [{"zh": "认定", "en": "recognized"}],
            "application": "app_decision",
            "learning": f"ach:{achievement}",
        }
        reversal = {
            **{key: value for key, value in body.items() if key not in ("application", "learning")},
            "reverses": converted_seq,
            "credits": -line.cents / 100,
            "level": line.level,
            "category": line.category,
            "source": line.source,
            "outcome": line.outcome,
        }
        recording.record(
            session,
            [
                ledger_store.NewEntry("credits.converted", "bank:conversion", reversal),
                ledger_store.NewEntry("credits.converted", "bank:reviewer", body),
            ],
        )


def test_replay_rebuilds_the_agreements(world: CreditWorld, bank: Bank) -> None:
    world.record("uni-b", "N1", code="NET1", credits=4, completed="2026-02-01")
    agreements.publish(bank, agreement(), source="test")
    world.record("uni-b", "N2", code="NET1", credits=4, completed="2026-03-01")
    live = _snapshot(bank)
    assert live["agreements"]
    assert live["agreement_terms"]
    with bank.db.writing() as session:
        replay(session)
    assert _snapshot(bank) == live
    assert agreements.get_agreement(bank, "ab-digital")["versions"][0]["version"] == "1"


def _snapshot(bank: Bank) -> dict[str, list[tuple[Any, ...]]]:
    with bank.db.reading() as session:
        return {
            table.name: sorted(tuple(row) for row in session.execute(select(table)).all())
            for table in PROJECTION_TABLES
        }


def test_a_preview_shows_the_agreement(world: CreditWorld) -> None:
    agreements.publish(world.bank, agreement(), source="test")
    before = _size(world.bank)
    achievement = {"kind": "course", "title": {"en": "x"}, "code": "NET1", "credits": 4, "completed": "2026-03-01"}
    response = world.client.post(
        "/api/v1/conversions/preview", json={"achievement": achievement}, headers=world.headers("uni-b")
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    (view,) = response.get_json()["conversions"]
    assert view["credits"] == 3.5
    assert "ab-digital" in view["explanation"][0]["en"]
    assert _size(world.bank) == before


def test_two_overlapping_agreements_published_at_once_cannot_both_stand(world: CreditWorld) -> None:
    register(world.bank, "uni-c")
    documents = [agreement(), agreement("1", id="cb-digital", parties=["uni-c", "uni-b"], recognizing="uni-c")]
    outcomes: list[str] = []
    barrier = threading.Barrier(len(documents))

    def publish(document: dict[str, Any]) -> None:
        barrier.wait()
        try:
            agreements.publish(world.bank, document, source="test")
            outcomes.append("published")
        except InvalidInput as error:
            outcomes.append("overlaps" if "overlaps" in str(error) else str(error))

    threads = [threading.Thread(target=publish, args=(document,)) for document in documents]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["overlaps", "published"]
    assert len(agreements.list_agreements(world.bank)) == 1
