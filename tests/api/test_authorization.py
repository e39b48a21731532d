"""Authorization matrix: every learner-record endpoint × no key, revoked key, another institution's key,
a key without the scope, and the right key. Refusals append nothing."""

from __future__ import annotations

import base64
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from creditbank.services.records import api_keys
from tests.api.records_fixtures import World, assert_problem, headers, item


@dataclass(frozen=True)
class Endpoint:
    method: str
    path: str  # {learner} and {achievement} are filled in
    body: Callable[[World], Any] | None
    ok: int
    other: tuple[int, str | None]  # status and field path for another institution's key
    scope: str


def _person(_: World) -> dict[str, Any]:
    return {"name": {"latin": "Ada Mensah"}, "birth_date": "1985-03-03"}


def _public_key(_: World) -> dict[str, str]:
    return {"public_key": base64.b64encode(Ed25519PrivateKey.generate().public_key().public_bytes_raw()).decode()}


ENDPOINTS = {
    "enroll": Endpoint("POST", "/api/v1/learners", _person, 201, (201, None), "records:write"),
    "list-learners": Endpoint("GET", "/api/v1/learners", None, 200, (200, None), "records:read"),
    "learner": Endpoint("GET", "/api/v1/learners/{learner}", None, 200, (404, None), "records:read"),
    "learner-achievements": Endpoint(
        "GET", "/api/v1/learners/{learner}/achievements", None, 200, (404, None), "records:read"
    ),
    "record": Endpoint(
        "POST", "/api/v1/achievements", lambda w: item(w.learner, "NEW-1"), 201, (422, "learner"), "records:write"
    ),
    "batch": Endpoint(
        "POST",
        "/api/v1/achievements/batch",
        lambda w: {"items": [item(w.learner, "NEW-2")]},
        201,
        (422, "items.0.learner"),
        "records:write",
    ),
    "achievement": Endpoint("GET", "/api/v1/achievements/{achievement}", None, 200, (404, None), "records:read"),
    "correct": Endpoint(
        "POST",
        "/api/v1/achievements/{achievement}/corrections",
        lambda _: {"changes": {"credits": 5}, "reason": "re-marked"},
        201,
        (404, None),
        "records:write",
    ),
    "revoke": Endpoint(
        "POST",
        "/api/v1/achievements/{achievement}/revocation",
        lambda _: {"reason": "void"},
        201,
        (404, None),
        "records:write",
    ),
    "add-signing-key": Endpoint("POST", "/api/v1/signing-keys", _public_key, 201, (201, None), "records:write"),
    "signing-keys": Endpoint("GET", "/api/v1/signing-keys", None, 200, (200, None), "records:read"),
}
CALLERS = ["none", "revoked", "other", "wrong-scope", "right"]


@pytest.fixture
def achievement(world: World) -> str:
    response = world.client.post("/api/v1/achievements", json=item(world.learner), headers=headers(world.a))
    return str(response.get_json()["id"])


def _token(world: World, caller: str, endpoint: Endpoint) -> str | None:
    if caller == "none":
        return None
    if caller == "revoked":
        issued = api_keys.issue(world.bank, "uni-a")
        api_keys.revoke(world.bank, issued.id)
        return issued.token
    if caller == "other":
        return world.b
    if caller == "wrong-scope":
        others = tuple(scope for scope in api_keys.SCOPES if scope != endpoint.scope)
        return api_keys.issue(world.bank, "uni-a", others).token
    return world.a


@pytest.mark.parametrize("caller", CALLERS)
@pytest.mark.parametrize("name", list(ENDPOINTS))
def test_matrix(world: World, achievement: str, name: str, caller: str) -> None:
    endpoint = ENDPOINTS[name]
    token = _token(world, caller, endpoint)
    path = endpoint.path.format(learner=world.learner, achievement=achievement)
    before = world.size()
    kwargs: dict[str, Any] = {"headers": headers(token) if token else {}}
    if endpoint.body is not None:
        kwargs["json"] = endpoint.body(world)
    response = world.client.open(path, method=endpoint.method, **kwargs)

    if caller in ("none", "revoked"):
        assert_problem(response, 401, "unauthenticated")
    elif caller == "wrong-scope":
        assert_problem(response, 403, "forbidden")
    elif caller == "other" and endpoint.other[0] >= 400:
        status, field = endpoint.other
        assert_problem(response, status, "not-found" if status == 404 else "invalid-input", field)
    else:
        expected = endpoint.ok if caller == "right" else endpoint.other[0]
        assert response.status_code == expected, response.get_data(as_text=True)
    if response.status_code >= 400 or endpoint.method == "GET":
        assert world.size() == before


def test_other_institutions_see_only_their_own_records(world: World, achievement: str) -> None:
    linked = world.client.post(
        "/api/v1/learners",
        json={"name": {"zh": "王堃"}, "birth_date": "1970-05-04", "national_id": {"number": "11010519491231002X"}},
        headers=headers(world.a),
    ).get_json()["id"]
    same = world.client.post(
        "/api/v1/learners",
        json={"name": {"zh": "王堃"}, "birth_date": "1970-05-04", "national_id": {"number": "11010519491231002X"}},
        headers=headers(world.b),
    ).get_json()
    assert same["id"] == linked
    assert same["status"] == "linked"
    for token, record in ((world.a, "A-1"), (world.b, "B-1"), (world.b, "B-2")):
        response = world.client.post("/api/v1/achievements", json=item(linked, record), headers=headers(token))
        assert response.status_code == 201
    seen = {
        token: [
            row["record_id"]
            for row in world.client.get(f"/api/v1/learners/{linked}/achievements", headers=headers(token)).get_json()[
                "items"
            ]
        ]
        for token in (world.a, world.b)
    }
    assert seen == {world.a: ["A-1"], world.b: ["B-1", "B-2"]}
    listed = world.client.get("/api/v1/learners", headers=headers(world.b)).get_json()["items"]
    assert [row["id"] for row in listed] == [linked]
    # ou-b's entries carry its own actor; uni-a's achievement stays out of its reach.
    assert world.client.get(f"/api/v1/achievements/{achievement}", headers=headers(world.b)).status_code == 404
