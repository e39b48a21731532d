"""Learner records end to end on both databases: erasure, replay equality, retries under concurrency,
and the promise that no personal data reaches the ledger."""

from __future__ import annotations

import base64
import json
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from flask import Flask
from sqlalchemy import func, select

from creditbank import ledger_store
from creditbank.models import Achievement, LearnerPersonalData, LedgerBody
from creditbank.projections import PROJECTION_TABLES, replay
from creditbank.runtime import Bank
from creditbank.services.records import achievement_reads, api_keys, consent, learners
from creditbank.services.transparency.audit import audit
from ledger.canonical import canonical_bytes
from tests.helpers import register

NATIONAL_ID = "11010519491231002X"
PERSON = {
    "name": {"zh": "刘龑𠈌", "latin": "Liu Yan"},
    "birth_date": "1949-12-31",
    "national_id": {"country": "CN", "number": NATIONAL_ID},
    "email": "liu.yan@example.org",
}


def _item(learner: str, record_id: str, **changes: Any) -> dict[str, Any]:
    item = {
        "learner": learner,
        "record_id": record_id,
        "kind": "course",
        "title": {"zh": "数字素养", "en": "Digital Literacy"},
        "credits": 2,
        "hours": 36,
        "result": {"type": "score", "score": 91.5, "max": 100},
        "started": "2025-09-01",
        "completed": "2026-01-10",
    }
    item.update(changes)
    return item


def _headers(token: str, **extra: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}", **extra}


@pytest.fixture
def setup(app: Flask, bank: Bank) -> dict[str, Any]:
    register(bank, "uni-a")
    register(bank, "ou-b", type="open_university")
    tokens = {name: api_keys.issue(bank, name).token for name in ("uni-a", "ou-b")}
    client = app.test_client()
    learner = client.post("/api/v1/learners", json=PERSON, headers=_headers(tokens["uni-a"])).get_json()["id"]
    return {"tokens": tokens, "learner": learner, "client": client}


def _size(bank: Bank) -> int:
    with bank.db.reading() as session:
        return ledger_store.tree_size(session)


def _snapshot(bank: Bank) -> dict[str, list[tuple[Any, ...]]]:
    with bank.db.reading() as session:
        return {
            table.name: sorted(tuple(row) for row in session.execute(select(table)).all())
            for table in PROJECTION_TABLES
        }


def test_linking_by_a_matching_identity_does_not_duplicate_the_learner(setup: dict[str, Any], bank: Bank) -> None:
    client, tokens = setup["client"], setup["tokens"]
    # The number written another way, and only one name form, in other case and spacing: the same person.
    spaced = {**PERSON, "national_id": {"number": "110105 19491231 002x"}, "name": {"latin": "LIU  yan"}}
    linked = client.post("/api/v1/learners", json=spaced, headers=_headers(tokens["ou-b"]))
    assert linked.status_code == 201
    assert linked.get_json()["id"] == setup["learner"]
    assert linked.get_json()["status"] == "linked"
    again = client.post("/api/v1/learners", json=PERSON, headers=_headers(tokens["ou-b"]))
    assert again.status_code == 200
    assert again.get_json()["status"] == "already_enrolled"
    rows = learners.list_all(bank)
    assert [(row["id"], sorted(row["institutions"])) for row in rows] == [(setup["learner"], ["ou-b", "uni-a"])]


def test_the_ledger_holds_no_personal_data(setup: dict[str, Any], bank: Bank) -> None:
    with bank.db.reading() as session:
        bodies = b"".join(session.scalars(select(LedgerBody.body)))
        sealed = session.get(LearnerPersonalData, setup["learner"])
    for secret in ("刘龑𠈌", "Liu Yan", "1949-12-31", NATIONAL_ID, "liu.yan@example.org"):
        assert secret.encode() not in bodies
        assert sealed is not None
        assert secret.encode() not in sealed.sealed
    with bank.db.reading() as session:
        body = json.loads(session.scalars(select(LedgerBody.body).order_by(LedgerBody.seq.desc())).first())
    assert set(body) == {"learner", "institution", "identity"}


def test_erasure_destroys_the_person_but_keeps_the_records(setup: dict[str, Any], bank: Bank) -> None:
    client, token, learner = setup["client"], setup["tokens"]["uni-a"], setup["learner"]
    posted = client.post("/api/v1/achievements", json=_item(learner, "R1"), headers=_headers(token))
    assert posted.status_code == 201
    before = client.get(f"/api/v1/learners/{learner}", headers=_headers(token)).get_json()
    assert before["name"]["zh"] == "刘龑𠈌"

    seq = learners.erase(bank, learner)

    profile = client.get(f"/api/v1/learners/{learner}", headers=_headers(token))
    assert profile.status_code == 200
    assert profile.get_json() == {
        "id": learner,
        "status": "erased",
        "enrolled_seq": before["enrolled_seq"],
        "erased_seq": seq,
    }
    with bank.db.reading() as session:
        assert session.get(LearnerPersonalData, learner) is None
        assert session.scalar(select(func.count()).select_from(Achievement)) == 1
    records = client.get(f"/api/v1/learners/{learner}/achievements", headers=_headers(token)).get_json()
    assert [item["record_id"] for item in records["items"]] == ["R1"]
    assert "刘龑" not in json.dumps(records, ensure_ascii=False)
    # The same person enrolling again is a stranger now: the match digest went with the data.
    again = client.post("/api/v1/learners", json=PERSON, headers=_headers(token)).get_json()
    assert again["id"] != learner
    assert again["status"] == "enrolled"
    # No more achievements for an erased learner, and the ledger still audits.
    refused = client.post("/api/v1/achievements", json=_item(learner, "R2"), headers=_headers(token))
    assert refused.status_code == 422
    assert "learner" in refused.get_json()["errors"]
    report = audit(bank, deep=True)
    assert report.ok, report.problems


def test_replay_rebuilds_identical_projections(setup: dict[str, Any], bank: Bank) -> None:
    client, tokens, learner = setup["client"], setup["tokens"], setup["learner"]
    uni = _headers(tokens["uni-a"])
    key = Ed25519PrivateKey.generate()
    public = base64.b64encode(key.public_key().public_bytes_raw()).decode()
    key_id = client.post("/api/v1/signing-keys", json={"public_key": public}, headers=uni).get_json()["id"]
    signed = _item(learner, "S1")
    signed["signature"] = {"key": key_id, "value": base64.b64encode(key.sign(canonical_bytes(signed))).decode()}
    assert client.post("/api/v1/achievements", json=signed, headers=uni).status_code == 201
    batch = {"items": [_item(learner, f"B{i}", credits=i) for i in range(5)]}
    ids = [row["id"] for row in client.post("/api/v1/achievements/batch", json=batch, headers=uni).get_json()["items"]]
    fix = {"changes": {"credits": 9, "hours": None}, "reason": "typo"}
    assert client.post(f"/api/v1/achievements/{ids[0]}/corrections", json=fix, headers=uni).status_code == 201
    assert (
        client.post(f"/api/v1/achievements/{ids[1]}/revocation", json={"reason": "x"}, headers=uni).status_code == 201
    )
    client.post("/api/v1/learners", json=PERSON, headers=_headers(tokens["ou-b"]))
    other = client.post("/api/v1/learners", json={"name": {"latin": "Kofi"}, "birth_date": "1980-02-02"}, headers=uni)
    kept = consent.grant(bank, learner, "ou-b", "records", 30)
    ended = consent.grant(bank, learner, "ou-b", "credits", 30)
    consent.withdraw(bank, learner, ended)
    learners.add_name(bank, learner, None, "Liu Yanmei")
    consent.grant(bank, other.get_json()["id"], "ou-b", "profile", 30)
    learners.erase(bank, other.get_json()["id"])

    live = _snapshot(bank)
    with bank.db.writing() as session:
        replay(session)
    assert _snapshot(bank) == live
    assert sorted((row[0], row[-1] is None) for row in live["consent_grants"])[:2] == [(kept, True), (ended, False)]
    assert live["achievement_versions"]
    assert live["institution_keys"]
    assert live["enrollments"]


@pytest.mark.parametrize("with_key", [True, False], ids=["idempotency-key", "record-id"])
def test_ten_concurrent_retries_append_one_entry(setup: dict[str, Any], app: Flask, bank: Bank, with_key: bool) -> None:
    token, learner = setup["tokens"]["uni-a"], setup["learner"]
    headers = _headers(token, **({"Idempotency-Key": "retry-7"} if with_key else {}))
    before = _size(bank)

    def post(_: int) -> tuple[int, dict[str, Any]]:
        response = app.test_client().post("/api/v1/achievements", json=_item(learner, "SAME"), headers=headers)
        return response.status_code, response.get_json()

    with ThreadPoolExecutor(max_workers=10) as pool:
        answers = list(pool.map(post, range(10)))
    assert _size(bank) == before + 1
    assert {body["id"] for _, body in answers} == {answers[0][1]["id"]}
    statuses = sorted(status for status, _ in answers)
    # Under a key every retry replays the first answer (201); by record id the later ones say 200.
    assert statuses == ([201] * 10 if with_key else [200] * 9 + [201])


def test_a_different_body_under_the_same_key_conflicts(setup: dict[str, Any], bank: Bank) -> None:
    client, token, learner = setup["client"], setup["tokens"]["uni-a"], setup["learner"]
    headers = _headers(token, **{"Idempotency-Key": "k-1"})
    first = client.post("/api/v1/achievements", json=_item(learner, "K1"), headers=headers)
    assert first.status_code == 201
    size = _size(bank)
    clash = client.post("/api/v1/achievements", json=_item(learner, "K2"), headers=headers)
    assert clash.status_code == 409
    assert "Idempotency-Key" in clash.get_json()["errors"]
    replayed = client.post("/api/v1/achievements", json=_item(learner, "K1"), headers=headers)
    assert replayed.status_code == 201
    assert replayed.get_json() == first.get_json()
    assert _size(bank) == size


def test_history_keeps_every_version_with_its_seq(setup: dict[str, Any]) -> None:
    client, token, learner = setup["client"], setup["tokens"]["uni-a"], setup["learner"]
    created = client.post("/api/v1/achievements", json=_item(learner, "H1"), headers=_headers(token)).get_json()
    fix = {"changes": {"result": {"type": "score", "score": 95, "max": 100}}, "reason": "re-marked"}
    corrected = client.post(f"/api/v1/achievements/{created['id']}/corrections", json=fix, headers=_headers(token))
    revoked = client.post(
        f"/api/v1/achievements/{created['id']}/revocation", json={"reason": "void"}, headers=_headers(token)
    )
    view = client.get(f"/api/v1/achievements/{created['id']}", headers=_headers(token)).get_json()
    assert view["status"] == "revoked"
    assert view["version"] == 3
    assert view["data"]["result"]["score"] == 95
    history = view["history"]
    assert [h["change"] for h in history] == ["recorded", "corrected", "revoked"]
    assert history[0]["seq"] == created["recorded_seq"]
    assert history[0]["data"]["result"]["score"] == 91.5
    assert history[1]["seq"] == corrected.get_json()["last_seq"]
    assert history[1]["reason"] == "re-marked"
    assert history[2]["seq"] == revoked.get_json()["last_seq"]
    assert "data" not in history[2]
    # A correction's entry names the record it amends.
    with_body = client.get(f"/ledger/entries/{history[1]['seq']}", headers=_headers(token)).get_json()
    assert with_body["body"]["amends"] == created["recorded_seq"]
    assert with_body["body"]["changed"] == ["result"]


def test_the_whole_record_reads_each_achievement_as_reading_it_alone(setup: dict[str, Any], bank: Bank) -> None:
    """The learner's whole record (the portal's page, the export) is read in two statements; each item must still
    be what reading that achievement alone gives, history included, newest first across institutions."""
    client, tokens, learner = setup["client"], setup["tokens"], setup["learner"]
    client.post("/api/v1/learners", json=PERSON, headers=_headers(tokens["ou-b"]))
    made = []
    for number, name in enumerate(("uni-a", "ou-b", "uni-a")):
        item = _item(learner, f"W{number}")
        made.append(client.post("/api/v1/achievements", json=item, headers=_headers(tokens[name])).get_json()["id"])
    fix = {"changes": {"hours": 40}, "reason": "re-counted"}
    client.post(f"/api/v1/achievements/{made[0]}/corrections", json=fix, headers=_headers(tokens["uni-a"]))
    client.post(f"/api/v1/achievements/{made[1]}/revocation", json={"reason": "void"}, headers=_headers(tokens["ou-b"]))
    record = achievement_reads.all_for_learner(bank, learner)
    assert [item["id"] for item in record] == made[::-1]
    for item, name in zip(record, ("uni-a", "ou-b", "uni-a"), strict=True):
        principal = api_keys.authenticate(bank, f"Bearer {tokens[name]}")
        assert item == achievement_reads.get(bank, principal, item["id"])
    assert [len(item["history"]) for item in record] == [1, 2, 2]


def test_pages_walk_every_record_once(setup: dict[str, Any]) -> None:
    client, token, learner = setup["client"], setup["tokens"]["uni-a"], setup["learner"]
    batch = {"items": [_item(learner, f"P{i:02d}") for i in range(23)]}
    assert client.post("/api/v1/achievements/batch", json=batch, headers=_headers(token)).status_code == 201
    seen, cursor = [], None
    while True:
        query = f"?limit=5{f'&cursor={cursor}' if cursor else ''}"
        page = client.get(f"/api/v1/learners/{learner}/achievements{query}", headers=_headers(token)).get_json()
        seen.extend(item["record_id"] for item in page["items"])
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == [f"P{i:02d}" for i in range(23)]
    bad = client.get(f"/api/v1/learners/{learner}/achievements?cursor=%%%", headers=_headers(token))
    assert bad.status_code == 400
    assert "cursor" in bad.get_json()["errors"]
