"""No credit is counted twice, whatever mix of rule sets, agreements, corrections, revocations (and recognition
decisions) applies to the same learning: over random histories on each database, every achievement has at most
one standing line per framework — exactly one while it stands and a rule set is active, none once revoked —, the
line comes from the agreement term that matches it when one does, and the account's balance is the sum of the
standing lines.

Decisions enter through :func:`decide`, the one hook a recognition decision needs: today it writes what a
decision writes (the engine's line reversed, the decision's line naming the application and the learning) straight
to the ledger; the recognition service can take its place without changing the properties checked.
"""

from __future__ import annotations

import datetime as dt
import json
import tempfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from creditbank import ledger_store, recording
from creditbank.credits import agreements as agreement_documents
from creditbank.errors import InvalidInput
from creditbank.models import Achievement, CreditLine, LedgerBody
from creditbank.projections import replay
from creditbank.runtime import bank_of
from creditbank.services.credits import agreements, conversion, credit_rules
from tests.conftest import BACKENDS, configuration, database_url, running_app
from tests.integration.credit_world import CreditWorld, build, rules

FRAMEWORK = "test-fw"
COURSES = ["NET1", "NET2", "OTHER"]
DAYS = [1, 15, 28]

months = st.integers(1, 11)
steps = st.lists(
    st.one_of(
        st.tuples(st.just("record"), st.sampled_from(COURSES), months, st.sampled_from(DAYS)),
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
    """A recognition decision counting this achievement's learning in the framework: the hook for decisions."""
    with world.bank.db.writing() as session:
        if (achievement_id, FRAMEWORK) in conversion.decided(session, [achievement_id]):
            return
        achievement = session.get(Achievement, achievement_id)
        assert achievement is not None
        if achievement.status != "active":
            return
        standing = session.scalars(
            select(CreditLine).where(
                CreditLine.achievement_id == achievement_id,
                CreditLine.framework == FRAMEWORK,
                CreditLine.reverses.is_(None),
                CreditLine.reversed_seq.is_(None),
            )
        ).all()
        entries = []
        common = {"learner": achievement.learner_id, "achievement": achievement_id, "framework": FRAMEWORK}
        for line in standing:
            reversal = {
                **common,
                "source_seq": achievement.last_seq,
                "institution": line.institution_id,
                "rules": line.rules_version,
                "reverses": line.seq,
                "credits": -line.cents / 100,
                "level": line.level,
                "category": line.category,
                "source": line.source,
                "outcome": line.outcome,
                "explanation": [{"zh": "冲销", "en": "reversed for a decision"}],
            }
            entries.append(ledger_store.NewEntry("credits.converted", "bank:reviewer", reversal))
        decision = {
            **common,
            "source_seq": achievement.last_seq,
            "institution": achievement.institution_id,
            "rules": "t-1",
            "credits": 6,
            "level": 3,
            "category": "professional",
            "source": "university",
            "outcome": None,
            "explanation": [{"zh": "认定", "en": "recognized by decision"}],
            "application": f"app_{achievement_id[4:]}",
            "learning": f"ach:{achievement_id}",
        }
        entries.append(ledger_store.NewEntry("credits.converted", "bank:reviewer", decision))
        recording.record(session, entries)


def _apply(world: CreditWorld, number: int, step: tuple[Any, ...], recorded: list[str]) -> None:
    action = step[0]
    if action == "record":
        _, course, month, day = step
        body = world.record("uni-b", f"R{number}", code=course, credits=2, completed=_on(month, day))
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
@example(history=[("record", "NET1", 2, 15), ("decide", 0), ("correct", 0, 3, "NET1"), ("rules", 2)])
@example(history=[("record", "NET1", 2, 15), ("decide", 0), ("agreement", "ab", 1, 2, 3), ("rules", 3)])
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
