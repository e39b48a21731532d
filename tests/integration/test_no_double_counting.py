"""No credit is counted twice, whatever mix of rule sets, agreements, corrections, revocations (and recognition
decisions) applies to the same learning: over random histories on each database, every achievement has at most
one standing line per framework — exactly one while it stands and a rule set is active, none once revoked —, the
line comes from the agreement term that matches it when one does, and the account's balance is the sum of the
standing lines.

Decisions go through the recognition service (:func:`decide`): the learner applies with the bank's own credential
for an achievement and a reviewer recognizes it; learning counted already is refused there.
"""

from __future__ import annotations

import datetime as dt
import json
import tempfile
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from creditbank import ledger_store
from creditbank.credits import agreements as agreement_documents
from creditbank.errors import Conflict, DomainError, InvalidInput
from creditbank.models import Achievement, CreditLine, LedgerBody, StaffAccount
from creditbank.projections import replay
from creditbank.runtime import bank_of
from creditbank.services import credentials
from creditbank.services.credits import agreements, conversion, credit_rules
from creditbank.services.recognition import applications, decisions
from creditbank.services.recognition.applications import Applicant
from creditbank.services.recognition.decisions import Recognize, Reviewer
from creditbank.services.recognition.evidence_files import EvidenceFile
from creditbank.services.staff import accounts as staff_accounts
from tests.conftest import BACKENDS, configuration, database_url, running_app
from tests.integration.credit_world import CreditWorld, build, rules

FRAMEWORK = "test-fw"
COURSES = ["NET1", "NET2", "OTHER"]
DAYS = [1, 15, 28]

months = st.integers(1, 11)
steps = st.lists(
    st.one_of(
        st.tuples(st.just("record"), st.sampled_from(COURSES), months, st.sampled_from(DAYS), st.booleans()),
        st.tuples(st.just("agreement"), st.sampled_from(["ab", "xb"]), months, st.integers(0, 3), st.integers(1, 5)),
        st.tuples(st.just("rules"), st.integers(1, 3)),
        st.tuples(st.just("correct"), st.integers(0, 9), months, st.sampled_from(COURSES)),
        st.tuples(st.just("revoke"), st.integers(0, 9)),
        st.tuples(st.just("decide"), st.integers(0, 9)),
    ),
    min_size=2,
    max_size=10,
)


def _on(month: int, day: int) -> str:
    return dt.date(2026, month, day).isoformat()


def _agreement(world: CreditWorld, name: str, number: int, start: int, length: int, credits: int) -> None:
    recognizing = "uni-a" if name == "ab" else "mooc-x"
    course = COURSES[number % 2]
    document = {
        "id": name,
        "version": str(number),
        "name": {"zh": "协议", "en": "Agreement"},
        "parties": [recognizing, "uni-b"],
        "recognizing": recognizing,
        "terms": [
            {
                "from": f"uni-b:{course}",
                "outcome": "DL-1",
                "credits": credits,
                "completed_from": _on(start, 1),
                "completed_until": _on(min(start + length, 11), 28),
            }
        ],
    }
    with world.bank.db.reading() as session:
        before = ledger_store.tree_size(session)
    refusal = ""
    try:
        agreements.publish(world.bank, document, source="property", chunk=2)
    except InvalidInput as error:
        refusal = str(error)
    if refusal:
        # Only an overlap with what is published may refuse this document, and then nothing is appended.
        assert "overlaps" in refusal
        with world.bank.db.reading() as session:
            assert ledger_store.tree_size(session) == before


def decide(world: CreditWorld, achievement_id: str) -> None:
    """The learner applies for recognition of this achievement with the bank's own credential for it, and a
    reviewer recognizes it, through the recognition service. Learning already counted is refused there (a
    Conflict, nothing appended), which is the property from the other side."""
    try:
        issued = credentials.issue(world.bank, None, credentials.Request(world.learner, "achievement", achievement_id))
    except DomainError:
        return  # a revoked achievement gets no credential
    bundle = json.dumps(credentials.bundle(world.bank, None, issued["id"])).encode()
    with world.bank.db.reading() as session:
        before = ledger_store.tree_size(session)
    refusal: Conflict | None = None
    try:
        view = applications.apply(world.bank, Applicant.learner(), world.learner, [EvidenceFile(bundle, "c.json")])
    except Conflict as refused:
        refusal = refused
    if refusal is not None:
        assert refusal.errors in ({"evidence": "already counted"}, {"evidence": "already applied for"})
        with world.bank.db.reading() as session:
            assert ledger_store.tree_size(session) == before
        return
    reviewer = _reviewer(world)
    decisions.decide(world.bank, view["id"], reviewer, [Recognize(1, Decimal(6), "Recognized on review")], [])


def _reviewer(world: CreditWorld) -> Reviewer:
    with world.bank.db.writing() as session:
        account = session.scalar(select(StaffAccount).where(StaffAccount.login == "property.reviewer"))
    if account is None:
        created = staff_accounts.add(world.bank, "property.reviewer", "reviewer", None, created_by="property")
        return decisions.reviewer_by_id(world.bank, created.staff.id)
    return decisions.reviewer_by_id(world.bank, account.id)


def _apply(world: CreditWorld, number: int, step: tuple[Any, ...], recorded: list[str]) -> None:
    action = step[0]
    if action == "record":
        _, course, month, day, passed = step
        # A failed result converts to a line of no credits, which a recognition decision may then replace.
        result = {"type": "pass_fail", "passed": passed}
        body = world.record("uni-b", f"R{number}", code=course, credits=2, completed=_on(month, day), result=result)
        recorded.append(body["id"])
    elif action == "agreement":
        _, name, start, length, credits = step
        _agreement(world, name, number, start, length, credits)
    elif action == "rules":
        version = f"t-{number + 2}"
        institutions = [dict(item) for item in rules(version)["institutions"]]
        institutions[1]["ratio"] = step[1]
        credit_rules.publish_rules(world.bank, rules(version, institutions=institutions), source="property")
        conversion.reconvert(world.bank, version, chunk=2)
    elif recorded:
        achievement = recorded[step[1] % len(recorded)]
        if action == "correct":
            changes = {"completed": _on(step[2], 15), "code": step[3]}
            url = f"/api/v1/achievements/{achievement}/corrections"
            response = world.client.post(url, json={"changes": changes, "reason": "r"}, headers=world.headers("uni-b"))
            assert response.status_code in (200, 201, 409), response.get_data(as_text=True)
        elif action == "revoke":
            url = f"/api/v1/achievements/{achievement}/revocation"
            response = world.client.post(url, json={"reason": "r"}, headers=world.headers("uni-b"))
            assert response.status_code in (200, 201, 409), response.get_data(as_text=True)
        else:
            decide(world, achievement)


def _check(world: CreditWorld) -> None:
    with world.bank.db.reading() as session:
        lines = session.scalars(select(CreditLine).order_by(CreditLine.seq)).all()
        achievements = {a.id: a for a in session.scalars(select(Achievement))}
        standing = [line for line in lines if line.reverses is None and line.reversed_seq is None]
        bodies = {
            seq: json.loads(body)
            for seq, body in session.execute(
                select(LedgerBody.seq, LedgerBody.body).where(LedgerBody.seq.in_([line.seq for line in standing]))
            )
        }
        terms = agreements.terms_for(session, {("uni-b", code) for code in COURSES})
    counted: dict[tuple[str, str], list[CreditLine]] = {}
    for line in standing:
        learning = line.learning or f"ach:{line.achievement_id}"
        counted.setdefault((learning, line.framework), []).append(line)
    for (learning, framework), held in counted.items():
        assert len(held) == 1, f"{learning} counted {len(held)} times in {framework}"
    # A decision recognized the values it saw: once a correction reverses it, the achievement waits for a new
    # decision instead of falling back to the rule set.
    undecided = {line.achievement_id for line in lines if line.application_id is not None and line.reversed_seq}
    for achievement in achievements.values():
        held = counted.get((f"ach:{achievement.id}", FRAMEWORK), [])
        if achievement.status != "active":
            assert not held, f"revoked {achievement.id} still counts"
            continue
        if achievement.id in undecided and not held:
            continue
        assert len(held) == 1, f"{achievement.id} has no standing line"
        (line,) = held
        if line.application_id is not None:
            continue
        data = json.loads(achievement.data)
        term = agreement_documents.match(terms.get(("uni-b", data["code"]), []), "uni-b", data, FRAMEWORK)
        if data.get("result", {}).get("passed") is False:
            term = None  # a failed course is no completion an agreement recognizes
        named = bodies[line.seq].get("agreement")
        assert (named or {}).get("id") == (term.agreement if term else None)
        assert (named or {}).get("version") == (term.version if term else None)
    account = world.account()
    (framework,) = account["accounts"] or [{"available": 0, "earned": 0}]
    total = sum(line.cents for line in standing) / 100
    assert abs(framework["available"] - total) < 1e-9
    assert abs(framework["earned"] - total) < 1e-9


@pytest.mark.parametrize("backend", BACKENDS)
@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(history=steps)
@example(history=[("record", "NET1", 2, 15, False), ("decide", 0), ("correct", 0, 3, "NET1"), ("rules", 2)])
@example(history=[("record", "NET1", 2, 15, False), ("decide", 0), ("agreement", "ab", 1, 2, 3), ("rules", 3)])
@example(history=[("record", "NET2", 2, 15, True), ("decide", 0), ("decide", 0), ("revoke", 0), ("decide", 0)])
def test_no_learning_is_counted_twice(backend: str, request: pytest.FixtureRequest, history: list[Any]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        url = database_url(backend, request, Path(folder))
        with running_app(configuration(url, Path(folder))) as app:
            world = build(app.test_client(), bank_of(app))
            recorded: list[str] = []
            for number, step in enumerate(history):
                _apply(world, number, step, recorded)
                _check(world)
            live = world.account()
            with world.bank.db.writing() as session:
                replay(session)
            assert world.account() == live
