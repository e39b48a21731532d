"""The scale benchmark's bulk path, run small: the bank it makes is one the real code accepts. It passes the audit,
replaying its ledger rebuilds exactly its projections, the read endpoints answer for its learners with the planned
counts, and what it writes for an achievement is what the API writes for the same values."""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from benchmarks import scale
from creditbank import projections
from creditbank.runtime import Bank, bank_of
from creditbank.services.learner_access.portal import RECORD_PAGE
from creditbank.services.records import personal_records
from creditbank.services.transparency.audit import audit
from tests.conftest import BACKENDS, configuration, fresh_postgres_url, running_app

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif("postgresql" not in BACKENDS, reason="the bulk path loads with PostgreSQL's COPY"),
]

LEARNERS, ENTRIES = 200, 2000


@pytest.fixture(scope="module")
def generated(pg_cluster: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Any, Bank, Any]]:
    folder = tmp_path_factory.mktemp("scale")
    with running_app(configuration(fresh_postgres_url(pg_cluster), folder)) as app:
        bank = bank_of(app)
        result = scale.generate(
            bank,
            learner_count=LEARNERS,
            entries=ENTRIES,
            workers=2,
            unit_entries=256,
            checkpoint_every=0.0,
            say=lambda _: None,
        )
        yield app, bank, result


def test_the_plan_is_exact_and_spread(generated: tuple[Any, Bank, Any]) -> None:
    plan = generated[2].plan
    assert plan.setup_entries + plan.enrollments + plan.achievements * (1 + plan.conversions) == ENTRIES
    assert plan.conversions == 1
    assert len(plan.units) > 2
    assert max(plan.counts) >= 100, "some learners have hundreds of achievements"
    assert len({place for places in plan.places for place in places}) == len(scale.RECORDING)


def test_the_generated_ledger_passes_the_audit(generated: tuple[Any, Bank, Any]) -> None:
    _, bank, result = generated
    report = audit(bank, deep=True)
    assert report.ok, report.problems
    assert report.entries == ENTRIES
    # One checkpoint after every unit, each checked against the recomputed tree.
    assert report.checkpoints == len(result.plan.units)
    assert scale.count_check(bank, result.plan)["ok"]


def _projections(session: Session) -> dict[str, list[tuple[Any, ...]]]:
    return {
        table.name: sorted(tuple(row) for row in session.execute(select(table)).all())
        for table in projections.PROJECTION_TABLES
    }


def test_replaying_the_ledger_rebuilds_the_generated_projections(generated: tuple[Any, Bank, Any]) -> None:
    _, bank, result = generated
    session = Session(bank.db.engine)
    try:
        before = _projections(session)
        assert projections.replay(session) == ENTRIES
        after = _projections(session)
    finally:
        session.rollback()
        session.close()
    assert len(before["achievements"]) == result.plan.achievements
    for name in before:
        assert after[name] == before[name], name
    sample = result.plan.learner_ids[:20] + [result.plan.learner_ids[i] for i in result.plan.heavy]
    assert scale.reprojection_check(bank, sample)["ok"]


def test_the_read_endpoints_answer_for_generated_learners(generated: tuple[Any, Bank, Any]) -> None:
    app, bank, result = generated
    plan = result.plan
    client = app.test_client()
    chosen = [*plan.heavy, *[i for i in range(LEARNERS) if plan.counts[i] and len(plan.places[i]) > 1][:3]]
    for learner in chosen:
        learner_id = plan.learner_ids[learner]
        seen = 0
        for place in plan.places[learner]:
            headers = {"Authorization": f"Bearer {result.tokens[scale.RECORDING[place]]}"}
            profile = client.get(f"/api/v1/learners/{learner_id}", headers=headers).get_json()
            assert profile["status"] == "active"
            assert profile["birth_date"] == scale.person(learner, random.Random(0)).birth_date.isoformat()
            cursor = ""
            while True:
                page = client.get(f"/api/v1/learners/{learner_id}/achievements?limit=100{cursor}", headers=headers)
                assert page.status_code == 200
                body = page.get_json()
                seen += len(body["items"])
                if body["next_cursor"] is None:
                    break
                cursor = f"&cursor={body['next_cursor']}"
        assert seen == plan.counts[learner]
        # Each institution sees its own credit lines whole (an awarding body also sees the others', without their
        # institution); together the own lines are the learner's whole statement.
        lines = 0
        for place in plan.places[learner]:
            institution = scale.RECORDING[place]
            headers = {"Authorization": f"Bearer {result.tokens[institution]}"}
            account = client.get(f"/api/v1/learners/{learner_id}/credits", headers=headers).get_json()
            statement = [line for item in account["accounts"] for line in item["statement"]]
            lines += sum(1 for line in statement if line.get("institution") == institution)
        assert lines == plan.counts[learner]
        signed_in = scale._sign_in(app, bank, learner_id)
        pages = -(-plan.counts[learner] // RECORD_PAGE) or 1
        cards = sum(
            len(scale._CARD.findall(signed_in.get(f"/me?page={number}").get_data(as_text=True)))
            for number in range(1, pages + 1)
        )
        assert cards == plan.counts[learner]


def _entry(session: Session, seq: int) -> tuple[str, str, dict[str, Any]]:
    kind, actor, body = session.execute(
        text("SELECT e.kind, e.actor, b.body FROM ledger_entries e JOIN ledger_bodies b USING (seq) WHERE seq = :s"),
        {"s": seq},
    ).one()
    return kind, actor, json.loads(bytes(body))


def _without(row: Any, *names: str) -> dict[str, Any]:
    return _drop(dict(row._mapping), *names)


def _drop(values: dict[str, Any], *names: str) -> dict[str, Any]:
    return {key: value for key, value in values.items() if key not in names}


def test_a_generated_achievement_is_written_as_the_api_writes_it(generated: tuple[Any, Bank, Any]) -> None:
    app, bank, result = generated
    plan = result.plan
    learner = next(i for i in range(LEARNERS) if plan.counts[i])
    learner_id = plan.learner_ids[learner]
    with bank.db.reading() as session:
        made = session.execute(
            text("SELECT * FROM achievements WHERE learner_id = :l ORDER BY recorded_seq LIMIT 1"), {"l": learner_id}
        ).one()
    headers = {"Authorization": f"Bearer {result.tokens[made.institution_id]}"}
    client = app.test_client()
    person = {
        "name": {"zh": "接口学员"},
        "birth_date": "1980-05-05",
        "national_id": {"country": "FR", "number": "API0001"},
    }
    enrolled = client.post("/api/v1/learners", json=person, headers=headers)
    assert enrolled.status_code == 201, enrolled.get_data(as_text=True)
    other = enrolled.get_json()["id"]
    posted = client.post(
        "/api/v1/achievements",
        json={**json.loads(made.data), "learner": other, "record_id": "API-0001"},
        headers=headers,
    )
    assert posted.status_code == 201, posted.get_data(as_text=True)

    with bank.db.reading() as session:
        ours = session.execute(text("SELECT * FROM achievements WHERE id = :i"), {"i": posted.get_json()["id"]}).one()
        rows = {}
        for name, row in (("generated", made), ("api", ours)):
            version = session.execute(
                text("SELECT * FROM achievement_versions WHERE achievement_id = :i"), {"i": row.id}
            ).one()
            line = session.execute(text("SELECT * FROM credit_lines WHERE achievement_id = :i"), {"i": row.id}).one()
            enrollment = session.execute(
                text("SELECT * FROM enrollments WHERE learner_id = :l AND institution_id = :i"),
                {"l": row.learner_id, "i": row.institution_id},
            ).one()
            codes = session.execute(
                text("SELECT count(*) FROM activation_codes WHERE learner_id = :l AND used_at IS NULL"),
                {"l": row.learner_id},
            ).scalar_one()
            recorded_kind, recorded_actor, recorded = _entry(session, row.recorded_seq)
            converted_kind, converted_actor, converted = _entry(session, line.seq)
            enrolled_kind, enrolled_actor, enrolled_body = _entry(session, enrollment.seq)
            identity = personal_records.identity_of(bank, session, row.learner_id)
            assert identity is not None
            rows[name] = {
                "achievement": _without(row, "id", "learner_id", "record_id", "recorded_seq", "last_seq"),
                "version": _without(version, "achievement_id", "seq", "time"),
                "line": _without(line, "seq", "learner_id", "achievement_id", "source_seq", "time"),
                "entries": [
                    (recorded_kind, recorded_actor, _drop(recorded, "achievement", "learner", "record_id")),
                    (converted_kind, converted_actor, _drop(converted, "achievement", "learner", "source_seq")),
                    (enrolled_kind, enrolled_actor, sorted(enrolled_body)),
                ],
                "links": (
                    recorded["achievement"] == row.id and recorded["learner"] == row.learner_id,
                    converted["source_seq"] == row.recorded_seq and converted["achievement"] == row.id,
                    len(enrolled_body["identity"]) == 44,
                    converted["as_of"] == version.time[:10],
                ),
                "identity": {"birth_date", "name", "national_id"} <= set(identity),
                "unused_codes": codes,
            }
    assert rows["generated"] == rows["api"]
    assert rows["api"]["links"] == (True, True, True, True)


def test_the_tile_figures_read_the_generated_ledger_as_a_tlog_client(generated: tuple[Any, Bank, Any]) -> None:
    app, bank, _ = generated
    figures = scale.measure_tiles(app, bank, 60, random.Random(3), proof_p99_ms=1.0)
    # 2,000 entries: seven full level-0 tiles, so the named tile is the last of them.
    assert figures["tree_size"] == ENTRIES
    assert figures["named_tile"]["path"] == "tile/0/006"
    assert figures["named_tile"]["requests"] == 60
    assert figures["root_rebuilt_from_tiles_matches_checkpoint"]
    assert figures["tiles_read_to_rebuild_root"] >= 2
    assert figures["bundles_checked_against_their_tiles"] >= 1
    assert figures["throughput"]["requests"] == 60
    assert figures["throughput"]["ratio"] > 0
    # A tile the tree does not have is a failure of the figure, not a number.
    with pytest.raises(AssertionError):
        scale._fetch_tile(app.test_client(), "tile/0/007", 256)
