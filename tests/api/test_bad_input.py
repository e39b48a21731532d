"""Bad input answers problem+json with a field path, and appends nothing."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from creditbank import create_app, migrate
from creditbank.runtime import bank_of
from creditbank.services.records import api_keys
from tests.api.records_fixtures import World, assert_problem, headers, item, signed
from tests.helpers import register


def _post_raw(world: World, path: str, raw: bytes, content_type: str = "application/json") -> Any:
    return world.client.post(path, data=raw, headers=headers(world.a, **{"Content-Type": content_type}))


# (changes to a valid item, status, problem kind, field path)
ITEM_CASES = [
    ({"record_id": None}, 422, "invalid-input", "record_id"),
    ({"extra": 1}, 422, "invalid-input", "extra"),
    ({"credits": "3"}, 422, "invalid-input", "credits"),
    ({"title": 5}, 422, "invalid-input", "title"),
    ({"title": {"zh": ""}}, 422, "invalid-input", "title.zh"),
    ({"title": {"en": "   "}}, 422, "invalid-input", "title.en"),
    ({"title": {"en": "x" * 100_000}}, 422, "invalid-input", "title.en"),
    ({"title": {}}, 422, "invalid-input", "title"),
    ({"code": "A\u0007B"}, 422, "invalid-input", "code"),
    ({"credits": -1}, 422, "invalid-input", "credits"),
    ({"credits": 1e308}, 422, "invalid-input", "credits"),
    ({"credits": True}, 422, "invalid-input", "credits"),
    ({"result": {"type": "score", "score": 120, "max": 100}}, 422, "invalid-input", "result.score"),
    ({"result": {"type": "score", "score": 5, "min": 10, "max": 10}}, 422, "invalid-input", "result.max"),
    ({"result": {"type": "score", "max": 100}}, 422, "invalid-input", "result.score"),
    ({"result": {"type": "pass_fail", "passed": "true"}}, 422, "invalid-input", "result.passed"),
    ({"result": {"type": "pass_fail", "passed": 1}}, 422, "invalid-input", "result.passed"),
    ({"result": {"type": "grade", "grade": "A", "score": 3}}, 422, "invalid-input", "result.score"),
    ({"result": {"type": "stars"}}, 422, "invalid-input", "result.type"),
    ({"completed": "2025-08-01"}, 422, "invalid-input", "completed"),
    ({"completed": "2999-01-01"}, 422, "invalid-input", "completed"),
    ({"completed": "2025-02-30"}, 422, "invalid-input", "completed"),
    ({"completed": "2025-9-1"}, 422, "invalid-input", "completed"),
    ({"kind": "hobby"}, 422, "invalid-input", "kind"),
    ({"mode": "by post"}, 422, "invalid-input", "mode"),
    ({"language": "Chinese!"}, 422, "invalid-input", "language"),
    ({"evidence": [{"url": "ftp://x.example/a", "sha256": "ab" * 32}]}, 422, "invalid-input", "evidence.0.url"),
    ({"evidence": [{"url": "https://x.example/a", "sha256": "AB" * 32}]}, 422, "invalid-input", "evidence.0.sha256"),
    ({"hours": None}, 422, "invalid-input", "hours"),
    ({"learner": "lrn_00000000000000000000"}, 422, "invalid-input", "learner"),
    ({"learner": "not-a-learner"}, 422, "invalid-input", "learner"),
]


@pytest.mark.parametrize(("changes", "status", "kind", "path"), ITEM_CASES)
def test_bad_achievement_fields(world: World, changes: dict[str, Any], status: int, kind: str, path: str) -> None:
    body = {**item(world.learner), **changes}
    body = {key: value for key, value in body.items() if not (key == "record_id" and value is None)}
    before = world.size()
    assert_problem(world.client.post("/api/v1/achievements", json=body, headers=headers(world.a)), status, kind, path)
    assert world.size() == before


@pytest.mark.parametrize(
    ("raw", "path"),
    [
        (b'{"learner": "\xff\xfe"}', "$"),
        (b'{"learner": ', "$"),
        (b"[1, 2", "$"),
    ],
    ids=["invalid-utf8", "truncated", "unclosed"],
)
def test_malformed_bodies(world: World, raw: bytes, path: str) -> None:
    before = world.size()
    assert_problem(_post_raw(world, "/api/v1/achievements", raw), 400, "bad-request", path)
    assert world.size() == before


def test_nan_and_lone_surrogates(world: World) -> None:
    text = json.dumps(item(world.learner)).replace('"credits": 4', '"credits": NaN')
    assert_problem(_post_raw(world, "/api/v1/achievements", text.encode()), 422, "invalid-input", "credits")
    text = json.dumps(item(world.learner, title={"zh": "a\ud800b"}))
    assert "\\ud800" in text
    assert_problem(_post_raw(world, "/api/v1/achievements", text.encode()), 422, "invalid-input", "title.zh")


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded"])
def test_wrong_content_type(world: World, content_type: str) -> None:
    raw = json.dumps(item(world.learner)).encode()
    assert_problem(_post_raw(world, "/api/v1/achievements", raw, content_type), 415, "unsupported-media-type")


def test_body_over_the_size_limit(tmp_path) -> None:
    app = create_app(
        {
            "CREDITBANK_INSTANCE_PATH": str(tmp_path / "small"),
            "CREDITBANK_KEY_PASSPHRASE": "p",
            "CREDITBANK_MAX_BODY_BYTES": 2048,
        }
    )
    bank = bank_of(app)
    try:
        migrate.upgrade(bank.db.engine)
        bank.prepare_keys()
        register(bank, "uni-a")
        token = api_keys.issue(bank, "uni-a").token
        raw = json.dumps({"items": [item("lrn_00000000000000000000", f"R{i}") for i in range(20)]}).encode()
        response = app.test_client().post(
            "/api/v1/achievements/batch", data=raw, headers=headers(token, **{"Content-Type": "application/json"})
        )
        assert_problem(response, 413, "payload-too-large")
    finally:
        bank.db.dispose()


def test_learner_enrolled_by_someone_else(world: World) -> None:
    before = world.size()
    response = world.client.post("/api/v1/achievements", json=item(world.learner), headers=headers(world.b))
    assert_problem(response, 422, "invalid-input", "learner")
    assert world.size() == before


def test_batch_limits_and_duplicates(world: World) -> None:
    before = world.size()
    over = {"items": [item(world.learner, f"R{i}") for i in range(1001)]}
    assert_problem(
        world.client.post("/api/v1/achievements/batch", json=over, headers=headers(world.a)),
        422,
        "invalid-input",
        "items",
    )
    empty = {"items": []}
    assert_problem(
        world.client.post("/api/v1/achievements/batch", json=empty, headers=headers(world.a)),
        422,
        "invalid-input",
        "items",
    )
    twice = {"items": [item(world.learner, "SAME"), item(world.learner, "OTHER"), item(world.learner, "SAME")]}
    body = assert_problem(
        world.client.post("/api/v1/achievements/batch", json=twice, headers=headers(world.a)),
        422,
        "invalid-input",
        "items.2.record_id",
    )
    assert "items.0.record_id" not in body["errors"]
    assert world.size() == before


def test_one_bad_item_rejects_the_whole_batch(world: World) -> None:
    before = world.size()
    items = [item(world.learner, f"R{i}") for i in range(10)]
    items[7]["result"] = {"type": "score", "score": 101, "max": 100}
    items[3]["learner"] = "lrn_zzzzzzzzzzzzzzzzzzzz"
    response = world.client.post("/api/v1/achievements/batch", json={"items": items}, headers=headers(world.a))
    body = assert_problem(response, 422, "invalid-input", "items.7.result.score")
    assert set(body["errors"]) == {"items.7.result.score"}  # value rules are checked before the database
    assert world.size() == before
    items[7] = item(world.learner, "R7")
    response = world.client.post("/api/v1/achievements/batch", json={"items": items}, headers=headers(world.a))
    assert_problem(response, 422, "invalid-input", "items.3.learner")
    assert world.size() == before
    items[3] = item(world.learner, "R3")
    accepted = world.client.post("/api/v1/achievements/batch", json={"items": items}, headers=headers(world.a))
    assert accepted.status_code == 201
    assert world.size() == before + 10


def test_signatures_are_checked(world: World) -> None:
    key = Ed25519PrivateKey.generate()
    public = base64.b64encode(key.public_key().public_bytes_raw()).decode()
    key_id = world.client.post(
        "/api/v1/signing-keys", json={"public_key": public}, headers=headers(world.a)
    ).get_json()["id"]
    before = world.size()
    good = signed(item(world.learner, "SIG-1"), key, key_id)
    tampered = {**good, "credits": 5}
    assert_problem(
        world.client.post("/api/v1/achievements", json=tampered, headers=headers(world.a)),
        422,
        "invalid-input",
        "signature",
    )
    stranger = signed(item(world.learner, "SIG-1"), key, "ed25519:" + "0" * 32)
    assert_problem(
        world.client.post("/api/v1/achievements", json=stranger, headers=headers(world.a)),
        422,
        "invalid-input",
        "signature",
    )
    batch = {"items": [good, {**signed(item(world.learner, "SIG-2"), key, key_id), "hours": 1}]}
    assert_problem(
        world.client.post("/api/v1/achievements/batch", json=batch, headers=headers(world.a)),
        422,
        "invalid-input",
        "items.1.signature",
    )
    assert world.size() == before
    accepted = world.client.post("/api/v1/achievements", json=good, headers=headers(world.a))
    assert accepted.status_code == 201
    assert accepted.get_json()["signed_by"] == key_id
    entry = world.client.get(
        f"/ledger/entries/{accepted.get_json()['recorded_seq']}", headers=headers(world.a)
    ).get_json()
    assert entry["body"]["signature"] == {"key": key_id, "value": good["signature"]["value"]}
    bad_key = world.client.post("/api/v1/signing-keys", json={"public_key": "c2hvcnQ="}, headers=headers(world.a))
    assert_problem(bad_key, 422, "invalid-input", "public_key")


def test_idempotency_key_misuse(world: World) -> None:
    bad = world.client.post(
        "/api/v1/achievements", json=item(world.learner), headers=headers(world.a, **{"Idempotency-Key": "é"})
    )
    assert_problem(bad, 400, "bad-parameter", "Idempotency-Key")
    first = world.client.post(
        "/api/v1/achievements", json=item(world.learner, "K1"), headers=headers(world.a, **{"Idempotency-Key": "k"})
    )
    assert first.status_code == 201
    before = world.size()
    clash = world.client.post(
        "/api/v1/achievements", json=item(world.learner, "K2"), headers=headers(world.a, **{"Idempotency-Key": "k"})
    )
    assert_problem(clash, 409, "conflict", "Idempotency-Key")
    reused = world.client.post(
        "/api/v1/achievements", json=item(world.learner, "K1", credits=1), headers=headers(world.a)
    )
    assert_problem(reused, 409, "conflict", "record_id")
    assert world.size() == before


def test_corrections_and_revocations_refuse_bad_changes(world: World) -> None:
    created = world.client.post("/api/v1/achievements", json=item(world.learner), headers=headers(world.a)).get_json()
    base = f"/api/v1/achievements/{created['id']}"
    before = world.size()
    backwards = {"changes": {"started": "2026-02-01"}, "reason": "dates"}
    assert_problem(
        world.client.post(f"{base}/corrections", json=backwards, headers=headers(world.a)),
        422,
        "invalid-input",
        "completed",
    )
    no_reason = {"changes": {"credits": 3}}
    assert_problem(
        world.client.post(f"{base}/corrections", json=no_reason, headers=headers(world.a)),
        422,
        "invalid-input",
        "reason",
    )
    drop_title = {"changes": {"title": None}, "reason": "x"}
    assert_problem(
        world.client.post(f"{base}/corrections", json=drop_title, headers=headers(world.a)),
        422,
        "invalid-input",
        "changes.title",
    )
    assert world.size() == before
    assert world.client.post(f"{base}/revocation", json={"reason": "void"}, headers=headers(world.a)).status_code == 201
    after = world.size()
    late = {"changes": {"credits": 3}, "reason": "too late"}
    assert_problem(world.client.post(f"{base}/corrections", json=late, headers=headers(world.a)), 409, "conflict")
    assert_problem(
        world.client.post(f"{base}/revocation", json={"reason": "again"}, headers=headers(world.a)), 409, "conflict"
    )
    assert world.size() == after


@pytest.mark.parametrize(
    ("person", "path"),
    [
        ({"birth_date": "1970-01-01"}, "name"),
        ({"name": {}, "birth_date": "1970-01-01"}, "name"),
        ({"name": {"zh": "王\u0000堃"}, "birth_date": "1970-01-01"}, "name.zh"),
        ({"name": {"latin": "Wang\nKun"}, "birth_date": "1970-01-01"}, "name.latin"),
        ({"name": {"zh": "王堃"}, "birth_date": "2999-01-01"}, "birth_date"),
        ({"name": {"zh": "王堃"}}, "birth_date"),
        (
            {"name": {"zh": "王堃"}, "birth_date": "1970-01-01", "national_id": {"number": "110105194912310021"}},
            "national_id.number",
        ),
        ({"name": {"zh": "王堃"}, "birth_date": "1970-01-01", "email": "not an address"}, "email"),
        ({"name": {"zh": "王堃"}, "birth_date": "1970-01-01", "nickname": "k"}, "nickname"),
    ],
)
def test_bad_learners(world: World, person: dict[str, Any], path: str) -> None:
    before = world.size()
    assert_problem(
        world.client.post("/api/v1/learners", json=person, headers=headers(world.a)), 422, "invalid-input", path
    )
    assert world.size() == before


def test_bad_page_parameters(world: World) -> None:
    url = f"/api/v1/learners/{world.learner}/achievements"
    assert_problem(world.client.get(f"{url}?limit=0", headers=headers(world.a)), 422, "invalid-input", "limit")
    assert_problem(world.client.get(f"{url}?cursor=abc", headers=headers(world.a)), 400, "bad-parameter", "cursor")
