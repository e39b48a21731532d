"""Bad input to the learner and achievement API: every refusal is problem+json with a stable type URI and a
field path (``"$"`` for the body as a whole), and nothing reaches the ledger.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from creditbank import create_app, ledger_store, migrate
from creditbank.runtime import Bank, bank_of
from creditbank.services.records import api_keys
from tests.api.records_fixtures import VALID_ID, World, assert_problem, headers, item, signed
from tests.helpers import register

# --- builders ------------------------------------------------------------------------------------

DROP = object()  # in a table of changes: leave the field out
CN_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
MAX_BODY = 4 * 1024 * 1024  # the app fixture's default CREDITBANK_MAX_BODY_BYTES
POSTS = [
    "/api/v1/learners",
    "/api/v1/achievements",
    "/api/v1/achievements/batch",
    "/api/v1/achievements/{achievement}/corrections",
    "/api/v1/achievements/{achievement}/revocation",
    "/api/v1/signing-keys",
]


def cn_id(first17: str) -> str:
    """A resident ID number with its GB 11643 check character."""
    total = sum(int(digit) * weight for digit, weight in zip(first17, CN_WEIGHTS, strict=True))
    return first17 + "10X98765432"[total % 11]


def wrong_check(number: str) -> str:
    """The same number with a check character that does not match."""
    return number[:17] + ("0" if number[17] != "0" else "1")


def utc_today() -> Any:
    return datetime.now(UTC).date()


def ledger_size(bank: Bank) -> int:
    with bank.db.reading() as session:
        return ledger_store.tree_size(session)


def variant(learner: str, changes: dict[str, Any], record_id: str = "REC-1") -> dict[str, Any]:
    body = item(learner, record_id)
    for name, value in changes.items():
        if value is DROP:
            body.pop(name, None)
        else:
            body[name] = value
    return body


def person(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "name": {"zh": "李雪", "latin": "Li Xue"},
        "birth_date": "1991-07-15",
        "national_id": {"country": "CN", "number": cn_id("31010419910715432")},
        "email": "li.xue@example.org",
    }
    for name, value in changes.items():
        if value is DROP:
            body.pop(name, None)
        else:
            body[name] = value
    return body


def post(world: World, path: str, body: Any, token: str | None = None, **extra: str) -> Any:
    return world.client.post(path, json=body, headers=headers(token or world.a, **extra))


def post_raw(world: World, path: str, raw: bytes, content_type: str | None = "application/json") -> Any:
    extra = {"Content-Type": content_type} if content_type is not None else {}
    return world.client.post(path, data=raw, headers=headers(world.a, **extra))


def refused(world: World, send: Callable[[], Any], status: int, kind: str, path: str | None = None) -> dict[str, Any]:
    """Send, assert the problem (status, problem+json, type URI, field path) and that the ledger did not grow."""
    before = ledger_size(world.bank)
    body = assert_problem(send(), status, kind, path)
    assert ledger_size(world.bank) == before
    return body


def recorded(world: World, record_id: str = "REC-1", **changes: Any) -> dict[str, Any]:
    response = post(world, "/api/v1/achievements", item(world.learner, record_id, **changes))
    assert response.status_code == 201, response.get_data(as_text=True)
    return dict(response.get_json())


def signing_key(world: World, token: str | None = None) -> tuple[Ed25519PrivateKey, str]:
    key = Ed25519PrivateKey.generate()
    public = base64.b64encode(key.public_key().public_bytes_raw()).decode()
    response = post(world, "/api/v1/signing-keys", {"public_key": public}, token)
    assert response.status_code == 201, response.get_data(as_text=True)
    return key, str(response.get_json()["id"])


# --- one achievement: field rules ------------------------------------------------------------------

IN_THREE_DAYS = (utc_today() + timedelta(days=3)).isoformat()

ACHIEVEMENT_CASES: list[tuple[str, dict[str, Any], str]] = [
    # missing required fields
    ("missing-learner", {"learner": DROP}, "learner"),
    ("missing-record-id", {"record_id": DROP}, "record_id"),
    ("missing-kind", {"kind": DROP}, "kind"),
    ("missing-title", {"title": DROP}, "title"),
    ("missing-completed", {"completed": DROP}, "completed"),
    ("missing-score", {"result": {"type": "score", "max": 100}}, "result.score"),
    ("missing-max", {"result": {"type": "score", "score": 50}}, "result.max"),
    ("missing-grade", {"result": {"type": "grade", "scale": "A-F"}}, "result.grade"),
    ("missing-passed", {"result": {"type": "pass_fail"}}, "result.passed"),
    ("missing-result-type", {"result": {"score": 50, "max": 100}}, "result.type"),
    ("missing-evidence-hash", {"evidence": [{"url": "https://uni-a.example/r/1"}]}, "evidence.0.sha256"),
    # unknown fields, at every level
    ("unknown-top", {"grade_point": 3.7}, "grade_point"),
    ("unknown-title-language", {"title": {"zh": "高等数学", "fr": "Mathématiques"}}, "title.fr"),
    ("unknown-result-member", {"result": {"type": "score", "score": 1, "max": 2, "curve": 1}}, "result.curve"),
    (
        "unknown-evidence-member",
        {"evidence": [{"url": "https://x.example/a", "sha256": "ab" * 32, "n": 1}]},
        "evidence.0.n",
    ),
    ("score-field-on-grade", {"result": {"type": "grade", "grade": "A", "score": 3}}, "result.score"),
    ("grade-field-on-score", {"result": {"type": "score", "score": 1, "max": 2, "grade": "A"}}, "result.grade"),
    ("score-field-on-pass-fail", {"result": {"type": "pass_fail", "passed": True, "score": 1}}, "result.score"),
    # wrong types: nothing is coerced
    ("credits-string", {"credits": "3"}, "credits"),
    ("credits-bool", {"credits": True}, "credits"),
    ("credits-object", {"credits": {"value": 3}}, "credits"),
    ("hours-string", {"hours": "64"}, "hours"),
    ("title-number", {"title": 5}, "title"),
    ("title-string", {"title": "高等数学"}, "title"),
    ("title-zh-number", {"title": {"zh": 5}}, "title.zh"),
    ("passed-string-true", {"result": {"type": "pass_fail", "passed": "true"}}, "result.passed"),
    ("passed-one", {"result": {"type": "pass_fail", "passed": 1}}, "result.passed"),
    ("score-string", {"result": {"type": "score", "score": "82", "max": 100}}, "result.score"),
    ("result-string", {"result": "pass"}, "result"),
    ("learner-number", {"learner": 12345}, "learner"),
    ("record-id-number", {"record_id": 42}, "record_id"),
    ("kind-number", {"kind": 1}, "kind"),
    ("outcomes-string", {"outcomes": "solve equations"}, "outcomes"),
    ("outcome-number", {"outcomes": [1]}, "outcomes.0"),
    ("evidence-object", {"evidence": {"url": "https://x.example/a", "sha256": "ab" * 32}}, "evidence"),
    ("started-number", {"started": 20250901}, "started"),
    # null in a new record (null only means "remove" in a correction)
    ("null-hours", {"hours": None}, "hours"),
    ("null-title", {"title": None}, "title"),
    ("null-completed", {"completed": None}, "completed"),
    ("null-signature", {"signature": None}, "signature"),
    # empty and blank strings
    ("empty-title-zh", {"title": {"zh": ""}}, "title.zh"),
    ("blank-title-en", {"title": {"en": "   "}}, "title.en"),
    ("blank-title-tabs", {"title": {"zh": "\t \u3000"}}, "title.zh"),
    ("empty-title", {"title": {}}, "title"),
    ("empty-record-id", {"record_id": ""}, "record_id"),
    ("blank-record-id", {"record_id": "   "}, "record_id"),
    ("empty-learner", {"learner": ""}, "learner"),
    ("empty-code", {"code": ""}, "code"),
    ("blank-outcome", {"outcomes": ["ok", " "]}, "outcomes.1"),
    ("empty-completed", {"completed": ""}, "completed"),
    ("empty-kind", {"kind": ""}, "kind"),
    # lengths
    ("title-100k", {"title": {"zh": "学" * 100_000}}, "title.zh"),
    ("title-501", {"title": {"en": "x" * 501}}, "title.en"),
    ("record-id-129", {"record_id": "r" * 129}, "record_id"),
    (
        "evidence-21",
        {"evidence": [{"url": f"https://x.example/{i}", "sha256": "ab" * 32} for i in range(21)]},
        "evidence",
    ),
    ("outcomes-101", {"outcomes": ["o"] * 101}, "outcomes"),
    # control characters
    ("bell-in-code", {"code": "MATH\u0007101"}, "code"),
    ("nul-in-title", {"title": {"zh": "高等\u0000数学"}}, "title.zh"),
    ("newline-in-record-id", {"record_id": "REC\n1"}, "record_id"),
    ("escape-in-level", {"level": "\u001b[31mred"}, "level"),
    ("del-in-outcome", {"outcomes": ["x\u007f"]}, "outcomes.0"),
    # numbers out of range
    ("credits-negative", {"credits": -1}, "credits"),
    ("credits-1e308", {"credits": 1e308}, "credits"),
    ("credits-1001", {"credits": 1001}, "credits"),
    ("hours-negative", {"hours": -0.5}, "hours"),
    ("score-huge", {"result": {"type": "score", "score": 1e7, "max": 1e8}}, "result.score"),
    # a score must lie inside its scale
    ("score-over-max", {"result": {"type": "score", "score": 120, "max": 100}}, "result.score"),
    ("score-under-min", {"result": {"type": "score", "score": 5, "min": 10, "max": 100}}, "result.score"),
    ("min-equals-max", {"result": {"type": "score", "score": 100, "min": 100, "max": 100}}, "result.max"),
    ("min-above-max", {"result": {"type": "score", "score": 5, "min": 50, "max": 10}}, "result.max"),
    (
        "pass-mark-over-max",
        {"result": {"type": "score", "score": 50, "max": 100, "pass_mark": 150}},
        "result.pass_mark",
    ),
    ("result-type-unknown", {"result": {"type": "stars"}}, "result.type"),
    # dates
    ("completed-before-started", {"started": "2025-09-01", "completed": "2025-08-31"}, "completed"),
    ("completed-2999", {"completed": "2999-01-01"}, "completed"),
    ("completed-in-3-days", {"completed": IN_THREE_DAYS}, "completed"),
    ("started-2999", {"started": "2999-01-01", "completed": "2026-01-12"}, "started"),
    ("completed-1899", {"started": DROP, "completed": "1899-12-31"}, "completed"),
    ("completed-feb-30", {"completed": "2025-02-30"}, "completed"),
    ("completed-month-13", {"completed": "2025-13-01"}, "completed"),
    ("started-feb-29-non-leap", {"started": "2025-02-29"}, "started"),
    ("completed-non-iso", {"completed": "2025-9-1"}, "completed"),
    ("completed-slashes", {"completed": "2025/09/01"}, "completed"),
    ("completed-with-time", {"completed": "2026-01-12T10:00:00Z"}, "completed"),
    ("completed-chinese", {"completed": "2026年1月12日"}, "completed"),
    ("completed-full-width", {"completed": "２０２６-０１-１２"}, "completed"),
    # enumerations and patterns
    ("kind-unknown", {"kind": "hobby"}, "kind"),
    ("kind-case", {"kind": "Course"}, "kind"),
    ("mode-unknown", {"mode": "by post"}, "mode"),
    ("language-bad", {"language": "Chinese!"}, "language"),
    ("evidence-ftp", {"evidence": [{"url": "ftp://x.example/a", "sha256": "ab" * 32}]}, "evidence.0.url"),
    ("evidence-upper-hash", {"evidence": [{"url": "https://x.example/a", "sha256": "AB" * 32}]}, "evidence.0.sha256"),
    ("evidence-short-hash", {"evidence": [{"url": "https://x.example/a", "sha256": "ab" * 31}]}, "evidence.0.sha256"),
    ("learner-malformed", {"learner": "not-a-learner"}, "learner"),
    ("learner-upper-case", {"learner": "LRN_00000000000000000000"}, "learner"),
    ("signature-malformed", {"signature": {"key": "rsa:1", "value": "abc"}}, "signature.key"),
    ("signature-missing-value", {"signature": {"key": "ed25519:" + "0" * 32}}, "signature.value"),
    # the learner must exist and be enrolled with the caller
    ("learner-unknown", {"learner": "lrn_00000000000000000000"}, "learner"),
]


@pytest.mark.parametrize(
    ("changes", "path"),
    [pytest.param(changes, path, id=name) for name, changes, path in ACHIEVEMENT_CASES],
)
def test_bad_achievement(shared_world: World, changes: dict[str, Any], path: str) -> None:
    world = shared_world
    refused(
        world, lambda: post(world, "/api/v1/achievements", variant(world.learner, changes)), 422, "invalid-input", path
    )


def test_missing_everything_names_every_required_field(world: World) -> None:
    body = refused(world, lambda: post(world, "/api/v1/achievements", {}), 422, "invalid-input")
    assert {"learner", "record_id", "kind", "title", "completed"} <= set(body["errors"])


def test_several_bad_fields_are_all_reported(world: World) -> None:
    changes = {"credits": "3", "title": 5, "mode": "x", "grade_point": 1}
    body = refused(
        world, lambda: post(world, "/api/v1/achievements", variant(world.learner, changes)), 422, "invalid-input"
    )
    assert {"credits", "title", "mode", "grade_point"} <= set(body["errors"])
    assert all(isinstance(messages, list) and messages for messages in body["errors"].values())


def test_learner_enrolled_only_by_another_institution(world: World) -> None:
    theirs = post(world, "/api/v1/learners", person(), world.b).get_json()["id"]
    refused(world, lambda: post(world, "/api/v1/achievements", item(theirs)), 422, "invalid-input", "learner")
    # and the other way round: ou-b cannot post for uni-a's learner
    refused(
        world,
        lambda: post(world, "/api/v1/achievements", item(world.learner), world.b),
        422,
        "invalid-input",
        "learner",
    )


def test_revoked_api_key(world: World) -> None:
    issued = api_keys.issue(world.bank, "uni-a")
    assert post(world, "/api/v1/achievements", item(world.learner, "R-OK"), issued.token).status_code == 201
    api_keys.revoke(world.bank, issued.id)
    for path, body in (
        ("/api/v1/achievements", item(world.learner, "R-LATE")),
        ("/api/v1/achievements/batch", {"items": [item(world.learner, "R-LATE")]}),
        ("/api/v1/learners", person()),
    ):
        problem = refused(world, lambda p=path, b=body: post(world, p, b, issued.token), 401, "unauthenticated")
        assert "errors" not in problem


# --- raw bodies: encoding, JSON syntax, numbers JSON cannot carry -----------------------------------

RAW_SYNTAX = [
    pytest.param(b'{"learner": "\xff\xfe"}', id="invalid-utf8"),
    pytest.param(b'{"title": {"zh": "\xe9\xab"}}', id="truncated-utf8-sequence"),
    pytest.param(b'{"learner": "\xed\xa0\x80"}', id="utf8-encoded-surrogate"),
    pytest.param(b'{"learner": ', id="truncated"),
    pytest.param(b"[1, 2", id="unclosed-array"),
    pytest.param(b'{"credits": 4,}', id="trailing-comma"),
    pytest.param(b"{'credits': 4}", id="single-quotes"),
    pytest.param(b'{"credits": 4} {"credits": 5}', id="two-documents"),
    pytest.param(b'{"credits": 0x10}', id="hex-number"),
    pytest.param(b'{"credits": 4', id="unclosed-object"),
]


@pytest.mark.parametrize("raw", RAW_SYNTAX)
@pytest.mark.parametrize("path", ["/api/v1/achievements", "/api/v1/achievements/batch", "/api/v1/learners"])
def test_malformed_json(shared_world: World, path: str, raw: bytes) -> None:
    world = shared_world
    refused(world, lambda: post_raw(world, path, raw), 400, "bad-request", "$")


@pytest.mark.parametrize(
    ("literal", "path"),
    [
        pytest.param("NaN", "credits", id="nan"),
        pytest.param("Infinity", "credits", id="infinity"),
        pytest.param("-Infinity", "credits", id="minus-infinity"),
        pytest.param("1e309", "credits", id="overflows-to-infinity"),
    ],
)
def test_numbers_json_cannot_carry(shared_world: World, literal: str, path: str) -> None:
    world = shared_world
    text = json.dumps(item(world.learner)).replace('"credits": 4', f'"credits": {literal}')
    assert literal in text
    refused(world, lambda: post_raw(world, "/api/v1/achievements", text.encode()), 422, "invalid-input", path)


def test_nan_inside_a_batch_item(world: World) -> None:
    items = [item(world.learner, f"R{i}") for i in range(3)]
    items[1]["hours"] = "@NaN@"
    raw = json.dumps({"items": items}).replace('"@NaN@"', "NaN")
    refused(
        world,
        lambda: post_raw(world, "/api/v1/achievements/batch", raw.encode()),
        422,
        "invalid-input",
        "items.1.hours",
    )


def test_integer_too_long_for_the_parser(shared_world: World) -> None:
    world = shared_world
    # Python's JSON parser refuses integers of more than 4,300 digits with a plain ValueError.
    raw = json.dumps(item(world.learner)).replace('"credits": 4', '"credits": ' + "9" * 5000).encode()
    refused(world, lambda: post_raw(world, "/api/v1/achievements", raw), 400, "bad-request", "$")


def test_nesting_too_deep_for_the_parser(shared_world: World) -> None:
    world = shared_world
    # 100,000 nested arrays is a 200 kB body (well under the size limit) that exhausts the recursive decoder.
    raw = b'{"outcomes": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    refused(world, lambda: post_raw(world, "/api/v1/achievements", raw), 400, "bad-request", "$")


@pytest.mark.parametrize(
    ("where", "path"),
    [
        ("title", "title.zh"),
        ("record_id", "record_id"),
        ("outcome", "outcomes.0"),
        ("code", "code"),
    ],
)
def test_lone_surrogate(shared_world: World, where: str, path: str) -> None:
    world = shared_world
    body = item(world.learner)
    if where == "title":
        body["title"] = {"zh": "高等\ud800数学"}
    elif where == "outcome":
        body["outcomes"] = ["a\udfffb"]
    else:
        body[where] = "X\ud800"
    text = json.dumps(body)  # ensure_ascii: the surrogate travels as the escape \ud800 / \udfff
    assert "\\ud800" in text or "\\udfff" in text
    refused(world, lambda: post_raw(world, "/api/v1/achievements", text.encode()), 422, "invalid-input", path)


def test_lone_surrogate_as_a_field_name(world: World) -> None:
    text = json.dumps({**item(world.learner), "\ud800": 1})
    body = refused(world, lambda: post_raw(world, "/api/v1/achievements", text.encode()), 422, "invalid-input")
    assert list(body["errors"]) == ["\ud800"]


@pytest.mark.parametrize(
    ("raw", "path"),
    [
        pytest.param(b"null", "$", id="null"),
        pytest.param(b"[]", "$", id="array"),
        pytest.param(b'"an achievement"', "$", id="string"),
        pytest.param(b"42", "$", id="number"),
        pytest.param(b"{}", "learner", id="empty-object"),
    ],
)
def test_body_that_is_not_an_object(shared_world: World, raw: bytes, path: str) -> None:
    world = shared_world
    refused(world, lambda: post_raw(world, "/api/v1/achievements", raw), 422, "invalid-input", path)


# --- content types and size ------------------------------------------------------------------------


def _post_path(path: str, achievement: str) -> str:
    return path.format(achievement=achievement)


@pytest.mark.parametrize("path", POSTS)
@pytest.mark.parametrize(
    "content_type",
    [
        "text/plain",
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=xyz",
        "application/xml",
        "text/json+json",  # "+json" suffix, but not an application/ type: the JSON parser ignores it
        None,
    ],
)
def test_wrong_content_type(shared_world: World, path: str, content_type: str | None) -> None:
    world = shared_world
    # The shared world keeps CT-1 from the first case; later cases get it back as an idempotent retry (200).
    first = post(world, "/api/v1/achievements", item(world.learner, "CT-1"))
    assert first.status_code in (200, 201), first.get_data(as_text=True)
    target = _post_path(path, first.get_json()["id"])
    raw = json.dumps(item(world.learner, "CT-2")).encode()
    problem = refused(world, lambda: post_raw(world, target, raw, content_type), 415, "unsupported-media-type")
    assert "errors" not in problem


def test_form_data_is_refused(world: World) -> None:
    form = {"learner": world.learner, "record_id": "F-1", "kind": "course", "completed": "2026-01-12"}
    refused(
        world,
        lambda: world.client.post("/api/v1/achievements", data=form, headers=headers(world.a)),
        415,
        "unsupported-media-type",
    )


def test_json_with_a_charset_parameter_is_accepted(world: World) -> None:
    raw = json.dumps(item(world.learner, "CS-1")).encode()
    assert post_raw(world, "/api/v1/achievements", raw, "application/json; charset=utf-8").status_code == 201


@pytest.mark.parametrize("path", POSTS)
def test_body_over_the_default_limit(world: World, path: str) -> None:
    target = _post_path(path, recorded(world, "BIG-1")["id"])
    prefix, suffix = b'{"pad": "', b'"}'
    raw = prefix + b"x" * (MAX_BODY + 1 - len(prefix) - len(suffix)) + suffix
    assert len(raw) == MAX_BODY + 1
    refused(world, lambda: post_raw(world, target, raw), 413, "payload-too-large")
    # exactly at the limit the body is read and judged on its fields
    at_limit = raw[:-3] + b'"}'
    assert len(at_limit) == MAX_BODY
    refused(world, lambda: post_raw(world, target, at_limit), 422, "invalid-input", "pad")


def test_body_over_a_configured_limit(app_config: dict[str, object], tmp_path) -> None:
    app = create_app({**app_config, "CREDITBANK_MAX_BODY_BYTES": 4096, "CREDITBANK_INSTANCE_PATH": str(tmp_path / "s")})
    app.testing = True
    bank = bank_of(app)
    try:
        migrate.upgrade(bank.db.engine)
        bank.prepare_keys()
        register(bank, "uni-a")
        token = api_keys.issue(bank, "uni-a").token
        client = app.test_client()
        learner = client.post("/api/v1/learners", json=person(), headers=headers(token)).get_json()["id"]
        assert client.post("/api/v1/achievements", json=item(learner, "S-1"), headers=headers(token)).status_code == 201
        before = ledger_size(bank)
        batch = {"items": [item(learner, f"S-{i}") for i in range(2, 12)]}
        assert len(json.dumps(batch).encode()) > 4096
        response = client.post("/api/v1/achievements/batch", json=batch, headers=headers(token))
        assert_problem(response, 413, "payload-too-large")
        long_name = person(name={"zh": "名" * 2000})  # would be a 422, but the size check comes first
        assert_problem(
            client.post("/api/v1/learners", json=long_name, headers=headers(token)), 413, "payload-too-large"
        )
        assert ledger_size(bank) == before
        assert (
            client.post(
                "/api/v1/achievements/batch", json={"items": batch["items"][:2]}, headers=headers(token)
            ).status_code
            == 201
        )
    finally:
        bank.db.dispose()


# --- batches -----------------------------------------------------------------------------------------


def test_batch_of_1001_items(world: World) -> None:
    over = {"items": [item(world.learner, f"R{i}") for i in range(1001)]}
    body = refused(world, lambda: post(world, "/api/v1/achievements/batch", over), 422, "invalid-input", "items")
    assert "1001" in " ".join(body["errors"]["items"])


def test_batch_of_1000_items_is_accepted(world: World) -> None:
    before = ledger_size(world.bank)
    full = {"items": [item(world.learner, f"R{i}") for i in range(1000)]}
    response = post(world, "/api/v1/achievements/batch", full)
    assert response.status_code == 201
    assert response.get_json()["appended"] == 1000
    assert ledger_size(world.bank) == before + 1000


@pytest.mark.parametrize(
    ("body", "path"),
    [
        pytest.param({"items": []}, "items", id="empty"),
        pytest.param({}, "items", id="no-items"),
        pytest.param({"items": None}, "items", id="null-items"),
        pytest.param({"items": "R1"}, "items", id="items-string"),
        pytest.param({"items": {"0": {}}}, "items", id="items-object"),
        pytest.param({"items": [1]}, "items.0", id="item-number"),
        pytest.param({"items": [None]}, "items.0", id="item-null"),
        pytest.param({"items": [{}]}, "items.0.learner", id="item-empty"),
    ],
)
def test_batch_shape(shared_world: World, body: dict[str, Any], path: str) -> None:
    world = shared_world
    refused(world, lambda: post(world, "/api/v1/achievements/batch", body), 422, "invalid-input", path)


def test_batch_unknown_top_level_field(world: World) -> None:
    body = {"items": [item(world.learner)], "atomic": False}
    refused(world, lambda: post(world, "/api/v1/achievements/batch", body), 422, "invalid-input", "atomic")


def test_duplicate_record_ids_in_one_batch(world: World) -> None:
    items = [item(world.learner, r) for r in ("A", "B", "A", "C", "B")]
    body = refused(world, lambda: post(world, "/api/v1/achievements/batch", {"items": items}), 422, "invalid-input")
    assert set(body["errors"]) == {"items.2.record_id", "items.4.record_id"}
    # identical values do not make a duplicate acceptable
    twins = {"items": [item(world.learner, "T"), item(world.learner, "T")]}
    refused(world, lambda: post(world, "/api/v1/achievements/batch", twins), 422, "invalid-input", "items.1.record_id")


def test_one_invalid_item_rejects_the_batch_and_a_valid_batch_follows(world: World) -> None:
    items = [item(world.learner, f"R{i}") for i in range(10)]
    for bad, path in (
        ({"credits": "4"}, "items.3.credits"),  # schema
        ({"result": {"type": "score", "score": 101, "max": 100}}, "items.3.result.score"),  # rule
        ({"completed": "2999-01-01"}, "items.3.completed"),  # rule
        ({"learner": "lrn_zzzzzzzzzzzzzzzzzzzz"}, "items.3.learner"),  # database
    ):
        broken = [dict(x) for x in items]
        broken[3].update(bad)
        body = refused(
            world, lambda b=broken: post(world, "/api/v1/achievements/batch", {"items": b}), 422, "invalid-input", path
        )
        assert set(body["errors"]) == {path}
    before = ledger_size(world.bank)
    accepted = post(world, "/api/v1/achievements/batch", {"items": items})
    assert accepted.status_code == 201
    result = accepted.get_json()
    assert (result["count"], result["appended"]) == (10, 10)
    assert [row["index"] for row in result["items"]] == list(range(10))
    assert {row["status"] for row in result["items"]} == {"created"}
    assert ledger_size(world.bank) == before + 10


def test_batch_item_for_another_institutions_learner(world: World) -> None:
    theirs = post(world, "/api/v1/learners", person(), world.b).get_json()["id"]
    items = [item(world.learner, "M-0"), item(theirs, "M-1"), item(world.learner, "M-2")]
    body = refused(world, lambda: post(world, "/api/v1/achievements/batch", {"items": items}), 422, "invalid-input")
    assert set(body["errors"]) == {"items.1.learner"}


def test_batch_item_clashing_with_a_held_record(world: World) -> None:
    recorded(world, "HELD")
    items = [item(world.learner, "NEW"), item(world.learner, "HELD", credits=1)]
    refused(
        world, lambda: post(world, "/api/v1/achievements/batch", {"items": items}), 409, "conflict", "items.1.record_id"
    )


def test_a_batch_sent_again_answers_with_the_records_held(world: World) -> None:
    items = [item(world.learner, "AGAIN-1"), item(world.learner, "AGAIN-2")]
    first = post(world, "/api/v1/achievements/batch", {"items": items})
    assert first.status_code == 201, first.get_data(as_text=True)
    before = ledger_size(world.bank)
    again = post(world, "/api/v1/achievements/batch", {"items": items})
    assert again.status_code == 200, again.get_data(as_text=True)
    assert again.get_json() == {**first.get_json(), "appended": 0} | {
        "items": [{**row, "status": "existing"} for row in first.get_json()["items"]]
    }
    assert ledger_size(world.bank) == before
    grown = post(world, "/api/v1/achievements/batch", {"items": [*items, item(world.learner, "AGAIN-3")]})
    assert grown.status_code == 201, grown.get_data(as_text=True)
    rows = grown.get_json()["items"]
    assert [(row["record_id"], row["status"]) for row in rows] == [
        ("AGAIN-1", "existing"),
        ("AGAIN-2", "existing"),
        ("AGAIN-3", "created"),
    ]
    assert ledger_size(world.bank) > before


# --- signatures ---------------------------------------------------------------------------------------


def test_invalid_signature(world: World) -> None:
    key, key_id = signing_key(world)
    good = signed(item(world.learner, "SIG-1"), key, key_id)
    tampered = {**good, "credits": 5}
    refused(world, lambda: post(world, "/api/v1/achievements", tampered), 422, "invalid-input", "signature")
    other_learner = {**good, "record_id": "SIG-X"}  # the signature covers learner and record_id too
    refused(world, lambda: post(world, "/api/v1/achievements", other_learner), 422, "invalid-input", "signature")
    zeros = {**good, "signature": {"key": key_id, "value": base64.b64encode(bytes(64)).decode()}}
    refused(world, lambda: post(world, "/api/v1/achievements", zeros), 422, "invalid-input", "signature")
    response = post(world, "/api/v1/achievements", good)
    assert response.status_code == 201
    assert response.get_json()["signed_by"] == key_id


def test_signature_by_an_unregistered_key(world: World) -> None:
    stranger = Ed25519PrivateKey.generate()
    unregistered = signed(item(world.learner, "SIG-2"), stranger, "ed25519:" + "0" * 32)
    refused(world, lambda: post(world, "/api/v1/achievements", unregistered), 422, "invalid-input", "signature")
    # a key registered by another institution does not vouch for this one
    their_key, their_id = signing_key(world, world.b)
    borrowed = signed(item(world.learner, "SIG-2"), their_key, their_id)
    refused(world, lambda: post(world, "/api/v1/achievements", borrowed), 422, "invalid-input", "signature")


def test_invalid_signature_inside_a_batch(world: World) -> None:
    key, key_id = signing_key(world)
    items = [signed(item(world.learner, f"SB-{i}"), key, key_id) for i in range(4)]
    items[2] = {**items[2], "hours": 1}
    body = refused(world, lambda: post(world, "/api/v1/achievements/batch", {"items": items}), 422, "invalid-input")
    assert set(body["errors"]) == {"items.2.signature"}
    items[3] = signed(item(world.learner, "SB-3"), key, "ed25519:" + "f" * 32)
    body = refused(world, lambda: post(world, "/api/v1/achievements/batch", {"items": items}), 422, "invalid-input")
    assert set(body["errors"]) == {"items.2.signature", "items.3.signature"}


@pytest.mark.parametrize(
    ("public_key", "path"),
    [
        pytest.param("c2hvcnQ=", "public_key", id="too-short"),
        pytest.param("", "public_key", id="empty"),
        pytest.param("not base64 at all!", "public_key", id="not-base64"),
        pytest.param(base64.b64encode(bytes(33)).decode(), "public_key", id="33-bytes"),
        pytest.param(32, "public_key", id="number"),
    ],
)
def test_bad_signing_key(world: World, public_key: Any, path: str) -> None:
    refused(world, lambda: post(world, "/api/v1/signing-keys", {"public_key": public_key}), 422, "invalid-input", path)


# --- idempotency and record ids ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "key",
    [
        pytest.param("é", id="non-ascii"),
        pytest.param("", id="empty"),
        pytest.param("a b", id="space"),
        pytest.param("k" * 256, id="256-chars"),
        pytest.param("tab\there", id="tab"),
    ],
)
@pytest.mark.parametrize("path", ["/api/v1/achievements", "/api/v1/achievements/batch", "/api/v1/learners"])
def test_bad_idempotency_key(shared_world: World, path: str, key: str) -> None:
    world = shared_world
    body: Any = {
        "/api/v1/achievements": item(world.learner, "IK-1"),
        "/api/v1/achievements/batch": {"items": [item(world.learner, "IK-1")]},
        "/api/v1/learners": person(),
    }[path]
    refused(world, lambda: post(world, path, body, **{"Idempotency-Key": key}), 400, "bad-parameter", "Idempotency-Key")


def test_idempotency_key_reused_with_a_different_body(world: World) -> None:
    first = post(world, "/api/v1/achievements", item(world.learner, "K1"), **{"Idempotency-Key": "op-1"})
    assert first.status_code == 201
    refused(
        world,
        lambda: post(world, "/api/v1/achievements", item(world.learner, "K2"), **{"Idempotency-Key": "op-1"}),
        409,
        "conflict",
        "Idempotency-Key",
    )
    # the same key on another endpoint is another request too
    refused(
        world,
        lambda: post(world, "/api/v1/learners", person(), **{"Idempotency-Key": "op-1"}),
        409,
        "conflict",
        "Idempotency-Key",
    )
    before = ledger_size(world.bank)
    again = post(world, "/api/v1/achievements", item(world.learner, "K1"), **{"Idempotency-Key": "op-1"})
    assert (again.status_code, again.get_json()) == (201, first.get_json())
    assert ledger_size(world.bank) == before


def test_a_refused_request_does_not_use_up_its_idempotency_key(world: World) -> None:
    bad = item("lrn_00000000000000000000", "K3")
    refused(
        world,
        lambda: post(world, "/api/v1/achievements", bad, **{"Idempotency-Key": "op-2"}),
        422,
        "invalid-input",
        "learner",
    )
    good = post(world, "/api/v1/achievements", item(world.learner, "K3"), **{"Idempotency-Key": "op-2"})
    assert good.status_code == 201


def test_record_id_reused_with_different_values(world: World) -> None:
    first = recorded(world, "RID-1")
    refused(
        world,
        lambda: post(world, "/api/v1/achievements", item(world.learner, "RID-1", credits=1)),
        409,
        "conflict",
        "record_id",
    )
    refused(
        world,
        lambda: post(world, "/api/v1/achievements", item(world.learner, "RID-1", hours=65)),
        409,
        "conflict",
        "record_id",
    )
    without_hours = variant(world.learner, {"hours": DROP}, "RID-1")
    refused(world, lambda: post(world, "/api/v1/achievements", without_hours), 409, "conflict", "record_id")
    other = post(world, "/api/v1/learners", person(), world.a).get_json()["id"]
    refused(world, lambda: post(world, "/api/v1/achievements", item(other, "RID-1")), 409, "conflict", "record_id")
    before = ledger_size(world.bank)
    same = post(world, "/api/v1/achievements", item(world.learner, "RID-1"))
    assert same.status_code == 200
    assert same.get_json()["id"] == first["id"]
    assert ledger_size(world.bank) == before


# --- corrections and revocations ----------------------------------------------------------------------


def test_correcting_a_revoked_achievement(world: World) -> None:
    achievement = recorded(world)["id"]
    base = f"/api/v1/achievements/{achievement}"
    assert post(world, f"{base}/revocation", {"reason": "issued in error"}).status_code == 201
    refused(
        world,
        lambda: post(world, f"{base}/corrections", {"changes": {"credits": 3}, "reason": "late"}),
        409,
        "conflict",
    )
    refused(world, lambda: post(world, f"{base}/revocation", {"reason": "again"}), 409, "conflict")


CORRECTION_CASES: list[tuple[str, Any, int, str, str]] = [
    (
        "completion-before-start",
        {"changes": {"started": "2026-02-01"}, "reason": "dates"},
        422,
        "invalid-input",
        "completed",
    ),
    (
        "completed-before-start",
        {"changes": {"completed": "2025-08-01"}, "reason": "dates"},
        422,
        "invalid-input",
        "completed",
    ),
    (
        "completed-future",
        {"changes": {"completed": "2999-01-01"}, "reason": "dates"},
        422,
        "invalid-input",
        "completed",
    ),
    (
        "completed-impossible",
        {"changes": {"completed": "2025-02-30"}, "reason": "x"},
        422,
        "invalid-input",
        "changes.completed",
    ),
    (
        "score-out-of-scale",
        {"changes": {"result": {"type": "score", "score": 120, "max": 100}}, "reason": "x"},
        422,
        "invalid-input",
        "result.score",
    ),
    ("credits-string", {"changes": {"credits": "3"}, "reason": "x"}, 422, "invalid-input", "changes.credits"),
    ("unknown-field", {"changes": {"grade_point": 3}, "reason": "x"}, 422, "invalid-input", "changes.grade_point"),
    ("remove-title", {"changes": {"title": None}, "reason": "x"}, 422, "invalid-input", "changes.title"),
    ("remove-completed", {"changes": {"completed": None}, "reason": "x"}, 422, "invalid-input", "changes.completed"),
    ("remove-kind", {"changes": {"kind": None}, "reason": "x"}, 422, "invalid-input", "changes.kind"),
    ("empty-title", {"changes": {"title": {}}, "reason": "x"}, 422, "invalid-input", "title"),
    (
        "change-learner",
        {"changes": {"learner": "lrn_00000000000000000000"}, "reason": "x"},
        422,
        "invalid-input",
        "changes.learner",
    ),
    ("no-reason", {"changes": {"credits": 3}}, 422, "invalid-input", "reason"),
    ("blank-reason", {"changes": {"credits": 3}, "reason": " "}, 422, "invalid-input", "reason"),
    ("no-changes", {"reason": "x"}, 422, "invalid-input", "changes"),
    ("changes-list", {"changes": [], "reason": "x"}, 422, "invalid-input", "changes"),
]


@pytest.mark.parametrize(
    ("body", "status", "kind", "path"),
    [pytest.param(body, status, kind, path, id=name) for name, body, status, kind, path in CORRECTION_CASES],
)
def test_bad_correction(world: World, body: Any, status: int, kind: str, path: str) -> None:
    achievement = recorded(world)["id"]
    refused(world, lambda: post(world, f"/api/v1/achievements/{achievement}/corrections", body), status, kind, path)
    view = world.client.get(f"/api/v1/achievements/{achievement}", headers=headers(world.a)).get_json()
    assert view["version"] == 1


@pytest.mark.parametrize(
    ("body", "path"),
    [
        pytest.param({}, "reason", id="no-reason"),
        pytest.param({"reason": ""}, "reason", id="empty-reason"),
        pytest.param({"reason": "\u0007"}, "reason", id="control-character"),
        pytest.param({"reason": 5}, "reason", id="number"),
        pytest.param({"reason": "x", "note": "y"}, "note", id="unknown-field"),
    ],
)
def test_bad_revocation(world: World, body: dict[str, Any], path: str) -> None:
    achievement = recorded(world)["id"]
    url = f"/api/v1/achievements/{achievement}/revocation"
    refused(world, lambda: post(world, url, body), 422, "invalid-input", path)
    view = world.client.get(f"/api/v1/achievements/{achievement}", headers=headers(world.a)).get_json()
    assert (view["status"], view["version"]) == ("active", 1)


@pytest.mark.parametrize("suffix", ["corrections", "revocation"])
def test_amending_an_unknown_achievement(shared_world: World, suffix: str) -> None:
    world = shared_world
    body = {"changes": {"credits": 3}, "reason": "x"} if suffix == "corrections" else {"reason": "x"}
    refused(
        world, lambda: post(world, f"/api/v1/achievements/ach_00000000000000000000/{suffix}", body), 404, "not-found"
    )


# --- learners --------------------------------------------------------------------------------------------

IN_TWO_DAYS = (utc_today() + timedelta(days=2)).isoformat()

LEARNER_CASES: list[tuple[str, dict[str, Any], str]] = [
    ("no-name", {"name": DROP}, "name"),
    ("empty-name", {"name": {}}, "name"),
    ("null-name", {"name": None}, "name"),
    ("name-string", {"name": "李雪"}, "name"),
    ("empty-zh-name", {"name": {"zh": ""}}, "name.zh"),
    ("blank-latin-name", {"name": {"latin": "   "}}, "name.latin"),
    ("bell-in-name", {"name": {"zh": "李\u0007雪"}}, "name.zh"),
    ("nul-in-name", {"name": {"latin": "Li\u0000Xue"}}, "name.latin"),
    ("newline-in-name", {"name": {"latin": "Li\nXue"}}, "name.latin"),
    ("long-zh-name", {"name": {"zh": "李" * 101}}, "name.zh"),
    ("unknown-name-part", {"name": {"zh": "李雪", "nick": "雪"}}, "name.nick"),
    ("no-birth-date", {"birth_date": DROP}, "birth_date"),
    ("birth-date-2999", {"birth_date": "2999-01-01"}, "birth_date"),
    ("birth-date-in-two-days", {"birth_date": IN_TWO_DAYS}, "birth_date"),
    ("birth-date-1899", {"birth_date": "1899-12-31"}, "birth_date"),
    ("birth-date-impossible", {"birth_date": "1991-02-30"}, "birth_date"),
    ("birth-date-non-iso", {"birth_date": "1991-7-15"}, "birth_date"),
    ("birth-date-number", {"birth_date": 19910715}, "birth_date"),
    (
        "national-id-check-digit",
        {"national_id": {"country": "CN", "number": wrong_check(VALID_ID)}},
        "national_id.number",
    ),
    ("national-id-17-chars", {"national_id": {"number": VALID_ID[:17]}}, "national_id.number"),
    ("national-id-letters", {"national_id": {"number": "ABCDEFGHIJKLMNOPQR"}}, "national_id.number"),
    ("national-id-empty", {"national_id": {"number": ""}}, "national_id.number"),
    ("national-id-missing-number", {"national_id": {"country": "CN"}}, "national_id.number"),
    ("national-id-number-int", {"national_id": {"number": 110105194912310021}}, "national_id.number"),
    ("national-id-country-lower", {"national_id": {"country": "cn", "number": VALID_ID}}, "national_id.country"),
    ("national-id-unknown-field", {"national_id": {"number": VALID_ID, "type": "passport"}}, "national_id.type"),
    ("email-invalid", {"email": "not an address"}, "email"),
    ("email-too-long", {"email": "a" * 250 + "@example.org"}, "email"),
    ("unknown-field", {"nickname": "雪"}, "nickname"),
]


@pytest.mark.parametrize(
    ("changes", "path"), [pytest.param(changes, path, id=name) for name, changes, path in LEARNER_CASES]
)
def test_bad_learner(shared_world: World, changes: dict[str, Any], path: str) -> None:
    world = shared_world
    refused(world, lambda: post(world, "/api/v1/learners", person(**changes)), 422, "invalid-input", path)


def test_learner_name_with_a_lone_surrogate(world: World) -> None:
    text = json.dumps(person(name={"zh": "李\udc00"}))
    assert "\\udc00" in text
    refused(world, lambda: post_raw(world, "/api/v1/learners", text.encode()), 422, "invalid-input", "name.zh")


def test_valid_learner_shapes_are_accepted(world: World) -> None:
    """Control for the table above: the builder's person and its variants are acceptable."""
    assert post(world, "/api/v1/learners", person()).get_json()["status"] == "enrolled"
    again = post(world, "/api/v1/learners", person())
    assert (again.status_code, again.get_json()["status"]) == (200, "already_enrolled")
    lower_x = person(national_id={"number": VALID_ID.lower()}, name={"latin": "Zhao Min"})
    assert post(world, "/api/v1/learners", lower_x).status_code == 201


def test_national_id_in_non_ascii_digits_is_not_a_second_person(world: World) -> None:
    """Arabic-Indic digits pass ``str.isdigit`` (and the check-character arithmetic) but NFKC leaves them as they
    are; the ID number is matched with every decimal digit read as its value, so the same number written in them
    is the learner already enrolled, and nothing is appended."""
    first = post(world, "/api/v1/learners", person(national_id={"number": VALID_ID})).get_json()
    assert first["status"] == "enrolled"
    arabic = VALID_ID[:17].translate(str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")) + VALID_ID[17]
    assert arabic != VALID_ID
    before = ledger_size(world.bank)
    response = post(world, "/api/v1/learners", person(national_id={"number": arabic}))
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.get_json() == {"id": first["id"], "status": "already_enrolled", "seq": first["seq"]}
    assert ledger_size(world.bank) == before


# --- page parameters and path ids ------------------------------------------------------------------------

HUGE_CURSOR = base64.urlsafe_b64encode(json.dumps([10**25]).encode()).decode().rstrip("=")
INT64_CURSOR = base64.urlsafe_b64encode(json.dumps([2**63]).encode()).decode().rstrip("=")


@pytest.mark.parametrize("listing", ["/api/v1/learners", "/api/v1/learners/{learner}/achievements"])
@pytest.mark.parametrize(
    ("query", "status", "kind", "path"),
    [
        ("limit=0", 422, "invalid-input", "limit"),
        ("limit=201", 422, "invalid-input", "limit"),
        ("limit=abc", 400, "bad-parameter", "limit"),  # not a numeral: unreadable, like a bad cursor
        ("limit=-1", 400, "bad-parameter", "limit"),
        ("cursor=abc", 400, "bad-parameter", "cursor"),
        ("cursor=W10", 400, "bad-parameter", "cursor"),  # []
        ("cursor=Wy01XQ", 400, "bad-parameter", "cursor"),  # [-5]
        ("cursor=WzEuNV0", 400, "bad-parameter", "cursor"),  # [1.5]
        (f"cursor={HUGE_CURSOR}", 400, "bad-parameter", "cursor"),  # [10**25]
        (f"cursor={INT64_CURSOR}", 400, "bad-parameter", "cursor"),  # [2**63]
    ],
)
def test_bad_page_parameters(shared_world: World, listing: str, query: str, status: int, kind: str, path: str) -> None:
    world = shared_world
    url = listing.format(learner=world.learner) + "?" + query
    refused(world, lambda: world.client.get(url, headers=headers(world.a)), status, kind, path)


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/learners/lrn_%00",
        "/api/v1/learners/lrn_%00/achievements",
        "/api/v1/achievements/ach_%00",
        "/api/v1/learners/" + "x" * 5000,
        "/api/v1/achievements/%E2%80%AE",
    ],
)
def test_malformed_ids_in_the_path_are_not_found(shared_world: World, url: str) -> None:
    world = shared_world
    refused(world, lambda: world.client.get(url, headers=headers(world.a)), 404, "not-found")


@pytest.mark.parametrize("suffix", ["corrections", "revocation"])
def test_malformed_achievement_id_when_amending(shared_world: World, suffix: str) -> None:
    world = shared_world
    body = {"changes": {"credits": 3}, "reason": "x"} if suffix == "corrections" else {"reason": "x"}
    refused(world, lambda: post(world, f"/api/v1/achievements/ach_%00/{suffix}", body), 404, "not-found")
