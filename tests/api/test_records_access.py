"""Who may do what: every learner-record endpoint against every kind of caller, and institutions sharing a
learner each see and write only their own records.

Callers: no key, malformed and forged keys, a revoked key (401); a key of the institution without the
endpoint's scope (403); another institution's key (404 for what it cannot see, 422 on ``learner`` when it
posts for a learner not enrolled with it, its own data where the endpoint is about the caller); the right key.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from creditbank import ledger_store
from creditbank.runtime import Bank
from creditbank.services.records import api_keys
from tests.api.records_fixtures import VALID_ID, World, assert_problem, headers, item

# --- builders ------------------------------------------------------------------------------------


def ledger_size(bank: Bank) -> int:
    with bank.db.reading() as session:
        return ledger_store.tree_size(session)


def public_key() -> str:
    return base64.b64encode(Ed25519PrivateKey.generate().public_key().public_bytes_raw()).decode()


def get(world: World, url: str, token: str) -> Any:
    return world.client.get(url, headers=headers(token))


def post(world: World, url: str, body: Any, token: str, **extra: str) -> Any:
    return world.client.post(url, json=body, headers=headers(token, **extra))


@dataclass
class Scene:
    """uni-a with a learner, an achievement and a signing key; ou-b with a learner of its own."""

    world: World
    achievement: str
    a_key: str  # uni-a's signing key id
    b_learner: str

    def view(self, token: str | None = None) -> dict[str, Any]:
        response = get(self.world, f"/api/v1/achievements/{self.achievement}", token or self.world.a)
        assert response.status_code == 200
        return dict(response.get_json())


@pytest.fixture
def scene(world: World) -> Scene:
    achievement = post(world, "/api/v1/achievements", item(world.learner), world.a)
    assert achievement.status_code == 201
    key = post(world, "/api/v1/signing-keys", {"public_key": public_key()}, world.a)
    assert key.status_code == 201
    theirs = {"name": {"latin": "Ama Owusu"}, "birth_date": "1979-11-30"}
    b_learner = post(world, "/api/v1/learners", theirs, world.b)
    assert b_learner.status_code == 201
    return Scene(world, achievement.get_json()["id"], key.get_json()["id"], b_learner.get_json()["id"])


# --- the matrix ------------------------------------------------------------------------------------------

Check = Callable[[Scene, Any], None]


def _no_check(scene: Scene, body: Any) -> None:
    return None


@dataclass(frozen=True)
class Endpoint:
    method: str
    path: str  # {learner} and {achievement} are filled in from the scene
    scope: str
    body: Callable[[Scene], Any] | None = None
    ok: int = 200
    appends: int = 0  # entries a successful call adds to the ledger
    right: Check = _no_check  # what the owning institution's successful answer must hold
    # another institution: (status, field path) when refused, or None when it gets its own data
    other: tuple[int, str | None] | None = None
    other_check: Check = _no_check  # what the other institution's successful answer must hold


def _new_person(_: Scene) -> dict[str, Any]:
    return {"name": {"zh": "陈静", "latin": "Chen Jing"}, "birth_date": "1986-02-14"}


def _enrolled(scene: Scene, body: Any) -> None:
    assert body["status"] == "enrolled"
    assert body["id"].startswith("lrn_")
    assert body["id"] not in (scene.world.learner, scene.b_learner)


def _lists_a(scene: Scene, body: Any) -> None:
    assert [row["id"] for row in body["items"]] == [scene.world.learner]
    assert body["next_cursor"] is None


def _lists_b(scene: Scene, body: Any) -> None:
    assert [row["id"] for row in body["items"]] == [scene.b_learner]


def _profile(scene: Scene, body: Any) -> None:
    assert body["id"] == scene.world.learner
    assert body["name"] == {"zh": "王堃"}


def _achievements(scene: Scene, body: Any) -> None:
    assert [row["id"] for row in body["items"]] == [scene.achievement]


def _recorded(scene: Scene, body: Any) -> None:
    assert (body["record_id"], body["institution"], body["version"]) == ("NEW-1", "uni-a", 1)


def _batch(scene: Scene, body: Any) -> None:
    assert (body["count"], body["appended"]) == (1, 1)
    assert body["items"][0]["record_id"] == "NEW-2"


def _history(scene: Scene, body: Any) -> None:
    assert body["id"] == scene.achievement
    assert [version["change"] for version in body["history"]] == ["recorded"]


def _corrected(scene: Scene, body: Any) -> None:
    assert (body["version"], body["data"]["credits"]) == (2, 5)


def _revoked(scene: Scene, body: Any) -> None:
    assert (body["status"], body["version"]) == ("revoked", 2)


def _key_added(scene: Scene, body: Any) -> None:
    assert body["algorithm"] == "Ed25519"
    assert body["id"].startswith("ed25519:")


def _keys_a(scene: Scene, body: Any) -> None:
    assert [row["id"] for row in body] == [scene.a_key]


def _keys_b(scene: Scene, body: Any) -> None:
    assert body == []


ENDPOINTS = {
    "enroll-learner": Endpoint(
        "POST", "/api/v1/learners", "records:write", _new_person, 201, 1, _enrolled, None, _enrolled
    ),
    "list-learners": Endpoint("GET", "/api/v1/learners", "records:read", None, 200, 0, _lists_a, None, _lists_b),
    "get-learner": Endpoint("GET", "/api/v1/learners/{learner}", "records:read", right=_profile, other=(404, None)),
    "learner-achievements": Endpoint(
        "GET", "/api/v1/learners/{learner}/achievements", "records:read", right=_achievements, other=(404, None)
    ),
    "record-achievement": Endpoint(
        "POST",
        "/api/v1/achievements",
        "records:write",
        lambda s: item(s.world.learner, "NEW-1"),
        201,
        1,
        _recorded,
        (422, "learner"),
    ),
    "record-batch": Endpoint(
        "POST",
        "/api/v1/achievements/batch",
        "records:write",
        lambda s: {"items": [item(s.world.learner, "NEW-2")]},
        201,
        1,
        _batch,
        (422, "items.0.learner"),
    ),
    "get-achievement": Endpoint(
        "GET", "/api/v1/achievements/{achievement}", "records:read", right=_history, other=(404, None)
    ),
    "correct-achievement": Endpoint(
        "POST",
        "/api/v1/achievements/{achievement}/corrections",
        "records:write",
        lambda _: {"changes": {"credits": 5}, "reason": "re-marked"},
        201,
        1,
        _corrected,
        (404, None),
    ),
    "revoke-achievement": Endpoint(
        "POST",
        "/api/v1/achievements/{achievement}/revocation",
        "records:write",
        lambda _: {"reason": "issued in error"},
        201,
        1,
        _revoked,
        (404, None),
    ),
    "add-signing-key": Endpoint(
        "POST",
        "/api/v1/signing-keys",
        "records:write",
        lambda _: {"public_key": public_key()},
        201,
        1,
        _key_added,
        None,
        _key_added,
    ),
    "list-signing-keys": Endpoint("GET", "/api/v1/signing-keys", "records:read", None, 200, 0, _keys_a, None, _keys_b),
}

CALLERS = ["no-key", "malformed-key", "forged-key", "revoked-key", "other-institution", "missing-scope", "right-key"]


def _token(scene: Scene, caller: str, endpoint: Endpoint) -> str | None:
    world = scene.world
    if caller == "no-key":
        return None
    if caller == "malformed-key":
        return "not-a-creditbank-key"
    if caller == "forged-key":
        issued = api_keys.issue(world.bank, "uni-a")
        secret = issued.token[-43:]
        return issued.token[:-43] + ("A" * 43 if secret != "A" * 43 else "B" * 43)
    if caller == "revoked-key":
        issued = api_keys.issue(world.bank, "uni-a")
        api_keys.revoke(world.bank, issued.id)
        return issued.token
    if caller == "other-institution":
        return world.b
    if caller == "missing-scope":
        others = tuple(scope for scope in api_keys.SCOPES if scope != endpoint.scope)
        return api_keys.issue(world.bank, "uni-a", others).token
    return world.a


@pytest.mark.parametrize("name", [n for n, e in ENDPOINTS.items() if e.method == "POST"])
def test_credentials_write_scope_alone_cannot_touch_records(scene: Scene, name: str) -> None:
    endpoint = ENDPOINTS[name]
    token = api_keys.issue(scene.world.bank, "uni-a", ("credentials:write",)).token
    url = endpoint.path.format(learner=scene.world.learner, achievement=scene.achievement)
    before = ledger_size(scene.world.bank)
    body = endpoint.body(scene) if endpoint.body else None
    assert_problem(post(scene.world, url, body, token), 403, "forbidden")
    assert ledger_size(scene.world.bank) == before


def test_revoking_a_key_takes_effect_at_once(scene: Scene) -> None:
    issued = api_keys.issue(scene.world.bank, "uni-a")
    url = f"/api/v1/achievements/{scene.achievement}"
    assert get(scene.world, url, issued.token).status_code == 200
    api_keys.revoke(scene.world.bank, issued.id)
    assert_problem(get(scene.world, url, issued.token), 401, "unauthenticated")
    # the institution's other keys keep working
    assert get(scene.world, url, scene.world.a).status_code == 200


# --- two institutions, one learner ----------------------------------------------------------------------

PERSON = {
    "name": {"zh": "周敏", "latin": "Zhou Min"},
    "birth_date": "1990-03-08",
    "national_id": {"country": "CN", "number": VALID_ID},
}


def _shared_learner(world: World) -> str:
    first = post(world, "/api/v1/learners", PERSON, world.a)
    assert (first.status_code, first.get_json()["status"]) == (201, "enrolled")
    # ou-b knows the same person by the same ID number, written with spaces and a lower-case check character
    spaced = {**PERSON, "national_id": {"number": f"{VALID_ID[:6]} {VALID_ID[6:14]} {VALID_ID[14:].lower()}"}}
    linked = post(world, "/api/v1/learners", spaced, world.b)
    assert (linked.status_code, linked.get_json()["status"]) == (201, "linked")
    assert linked.get_json()["id"] == first.get_json()["id"]
    return str(first.get_json()["id"])


def _record_ids(world: World, learner: str, token: str, limit: int = 50) -> list[tuple[str, str]]:
    """(institution, record_id) of every achievement the caller sees for the learner, walking every page."""
    seen: list[tuple[str, str]] = []
    cursor = None
    while True:
        url = f"/api/v1/learners/{learner}/achievements?limit={limit}" + (f"&cursor={cursor}" if cursor else "")
        response = get(world, url, token)
        assert response.status_code == 200, response.get_data(as_text=True)
        page = response.get_json()
        assert len(page["items"]) <= limit
        seen += [(row["institution"], row["record_id"]) for row in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            return seen


def test_each_institution_sees_only_its_own_records_of_a_shared_learner(world: World) -> None:
    learner = _shared_learner(world)
    # interleave the two institutions' writes; ou-b reuses one of uni-a's record ids (they are per institution)
    for token, record_id in (
        (world.a, "A-1"),
        (world.b, "B-1"),
        (world.a, "A-2"),
        (world.b, "A-1"),
        (world.a, "A-3"),
        (world.b, "B-2"),
    ):
        response = post(world, "/api/v1/achievements", item(learner, record_id), token)
        assert response.status_code == 201, response.get_data(as_text=True)
    batch = post(world, "/api/v1/achievements/batch", {"items": [item(learner, "B-3"), item(learner, "B-4")]}, world.b)
    assert batch.status_code == 201

    mine = [("uni-a", "A-1"), ("uni-a", "A-2"), ("uni-a", "A-3")]
    theirs = [("ou-b", "B-1"), ("ou-b", "A-1"), ("ou-b", "B-2"), ("ou-b", "B-3"), ("ou-b", "B-4")]
    assert _record_ids(world, learner, world.a) == mine
    assert _record_ids(world, learner, world.b) == theirs
    # one item per page: the cursor walks only the caller's rows too
    assert _record_ids(world, learner, world.a, limit=1) == mine
    assert _record_ids(world, learner, world.b, limit=2) == theirs
    # both may read the person; neither may read the other's achievements directly
    assert get(world, f"/api/v1/learners/{learner}", world.a).status_code == 200
    assert get(world, f"/api/v1/learners/{learner}", world.b).status_code == 200
    b_ids = [row["id"] for row in get(world, f"/api/v1/learners/{learner}/achievements", world.b).get_json()["items"]]
    a_ids = [row["id"] for row in get(world, f"/api/v1/learners/{learner}/achievements", world.a).get_json()["items"]]
    for achievement in b_ids:
        assert_problem(get(world, f"/api/v1/achievements/{achievement}", world.a), 404, "not-found")
    for achievement in a_ids:
        assert_problem(get(world, f"/api/v1/achievements/{achievement}", world.b), 404, "not-found")


def test_another_institution_can_never_write_for_the_owner(world: World) -> None:
    learner = _shared_learner(world)
    created = post(world, "/api/v1/achievements", item(learner, "A-1"), world.a).get_json()
    url = f"/api/v1/achievements/{created['id']}"
    original = get(world, url, world.a).get_json()
    before = ledger_size(world.bank)

    # ou-b is enrolled with the same learner, yet uni-a's achievement is not there for it to amend
    correction = {"changes": {"credits": 0, "result": {"type": "pass_fail", "passed": False}}, "reason": "ours now"}
    assert_problem(post(world, f"{url}/corrections", correction, world.b), 404, "not-found")
    assert_problem(post(world, f"{url}/revocation", {"reason": "void"}, world.b), 404, "not-found")
    # nor under a retry key uni-a has used
    post(
        world, f"{url}/corrections", {"changes": {"hours": 60}, "reason": "typo"}, world.a, **{"Idempotency-Key": "k1"}
    )
    after_owner = ledger_size(world.bank)
    assert after_owner == before + 1
    same_key = post(
        world, f"{url}/corrections", {"changes": {"hours": 60}, "reason": "typo"}, world.b, **{"Idempotency-Key": "k1"}
    )
    assert_problem(same_key, 404, "not-found")
    # ou-b's record under uni-a's record id is its own achievement, not a change to uni-a's
    own = post(world, "/api/v1/achievements", item(learner, "A-1", credits=1), world.b)
    assert own.status_code == 201
    assert own.get_json()["id"] != created["id"]
    assert own.get_json()["institution"] == "ou-b"
    assert ledger_size(world.bank) == after_owner + 1

    now = get(world, url, world.a).get_json()
    assert now["status"] == "active"
    assert now["data"] == {**original["data"], "hours": 60}
    assert [v["change"] for v in now["history"]] == ["recorded", "corrected"]
    # and the ledger entries amending uni-a's achievement are all uni-a's
    for version in now["history"]:
        entry = world.client.get(f"/ledger/entries/{version['seq']}").get_json()
        assert entry["entry"]["actor"] == "inst:uni-a"


def test_another_institution_cannot_post_for_a_learner_only_the_owner_enrolled(world: World) -> None:
    before = ledger_size(world.bank)
    single = post(world, "/api/v1/achievements", item(world.learner, "X-1"), world.b)
    assert_problem(single, 422, "invalid-input", "learner")
    mixed = {"items": [item(world.learner, "X-2"), item(world.learner, "X-3")]}
    problem = assert_problem(post(world, "/api/v1/achievements/batch", mixed, world.b), 422, "invalid-input")
    assert set(problem["errors"]) == {"items.0.learner", "items.1.learner"}
    assert ledger_size(world.bank) == before
    assert _record_ids(world, world.learner, world.a) == []


def test_idempotency_keys_are_per_institution(world: World) -> None:
    learner = _shared_learner(world)
    a = post(world, "/api/v1/achievements", item(learner, "I-1"), world.a, **{"Idempotency-Key": "shared"})
    assert a.status_code == 201
    # the very same request from ou-b is ou-b's own, not a replay of uni-a's answer
    b = post(world, "/api/v1/achievements", item(learner, "I-1"), world.b, **{"Idempotency-Key": "shared"})
    assert b.status_code == 201
    assert b.get_json()["institution"] == "ou-b"
    assert b.get_json()["id"] != a.get_json()["id"]
