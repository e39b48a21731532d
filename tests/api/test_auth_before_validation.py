"""A caller without a valid key is answered 401 (or 403 without the scope) before its body is read at all.

The proof does not patch the service: the request body is a stream that counts the bytes taken from it,
handed to the application as the WSGI input, and a refused request must leave it untouched. The bodies
are ones that would otherwise be refused for what they contain (not JSON, a duplicated key, the wrong
media type), so a 401 can only come from checking the caller first.
"""

from __future__ import annotations

import io
import json
import time
from typing import Any

import pytest
from flask import Flask
from werkzeug.routing import Rule

from api import auth
from api.blueprint import PublicId
from creditbank.services.records import api_keys
from tests.api.records_fixtures import World, assert_problem, headers, item

# Operations that anyone may call. A new operation is either declared with @auth.requires / @auth.optional or
# listed here on purpose; anything else fails test_every_operation_declares_who_may_call_it.
PUBLIC = {
    "institutions.list_institutions",
    "institutions.get_institution",
    "credits.list_frameworks",
    "credits.get_framework",
    "credits.list_outcomes",
    "credentials.verify_credential",
    "exchanges.interaction",
    "exchanges.participate",
    "api-docs.openapi_json",
    "api_docs.docs",
    "ledger.checkpoint",
    "ledger.key",
    "ledger.inclusion",
    "ledger.consistency",
    # The log as tiles, for standard transparency-log tools.
    "tiles.tile",
    "tiles.bundle",
    # Published documents: the issuers this bank trusts and the agreements it recognizes learning by.
    "trust.list_trusted",
    "agreement.list_agreements",
    "agreement.get_agreement",
}
_UNREADABLE = [
    pytest.param(b'{"items": [', "application/json", id="truncated-json"),
    pytest.param(b'{"learner": "a", "learner": "b"}', "application/json", id="duplicate-key"),
    pytest.param(b"\xff\xfe{", "application/json", id="not-utf8"),
    pytest.param(b"name=x", "application/x-www-form-urlencoded", id="form-encoded"),
]


class CountingStream(io.BytesIO):
    """A request body that remembers how much of it the application read."""

    taken = 0

    def read(self, size: int | None = -1) -> bytes:
        chunk = super().read(size)
        self.taken += len(chunk)
        return chunk

    def read1(self, size: int | None = -1) -> bytes:
        chunk = super().read1(size)
        self.taken += len(chunk)
        return chunk

    def readline(self, size: int | None = -1) -> bytes:
        chunk = super().readline(size)
        self.taken += len(chunk)
        return chunk

    def readinto(self, buffer: Any) -> int:
        count = super().readinto(buffer)
        self.taken += count
        return count


def _api_rules(app: Flask) -> list[Rule]:
    return [rule for rule in app.url_map.iter_rules() if rule.rule.startswith(("/api/v1/", "/ledger/"))]


def _path(app: Flask, rule: Rule) -> str:
    values: dict[str, Any] = {}
    for name in rule.arguments:
        converter = rule._converters[name]
        values[name] = "lrn_" + "a" * 20 if isinstance(converter, PublicId) else "1" if "seq" in name else "x"
    with app.test_request_context():
        adapter = app.url_map.bind("localhost")
        return adapter.build(rule.endpoint, values)


def _guarded(app: Flask, method: str) -> list[tuple[str, str, auth.Requirement]]:
    found = []
    for rule in _api_rules(app):
        requirement = auth.requirement_of(app.view_functions[rule.endpoint])
        if requirement is not None and not requirement.optional and method in (rule.methods or ()):
            found.append((rule.endpoint, _path(app, rule), requirement))
    return found


def _send(world: World, method: str, path: str, body: bytes, content_type: str, token: str | None) -> Any:
    stream = CountingStream(body)
    response = world.client.open(
        path,
        method=method,
        input_stream=stream,
        content_length=len(body),
        content_type=content_type,
        headers=headers(token) if token else {},
    )
    return response, stream.taken


def test_every_operation_declares_who_may_call_it(world: World) -> None:
    app = world.client.application
    document = world.client.get("/api/v1/openapi.json").get_json()
    undeclared = []
    for rule in _api_rules(app):
        requirement = auth.requirement_of(app.view_functions[rule.endpoint])
        if requirement is None and rule.endpoint not in PUBLIC:
            undeclared.append(rule.endpoint)
        # What the OpenAPI document promises is what the hook enforces.
        operations = next((ops for p, ops in document["paths"].items() if _same(p, rule.rule)), None)
        if operations is None:
            continue
        for method in (rule.methods or set()) - {"HEAD", "OPTIONS"}:
            security = operations[method.lower()].get("security")
            if requirement is None:
                assert security is None, (rule.endpoint, security)
            elif requirement.optional:
                assert security == [{}, {"bearerAuth": []}], rule.endpoint
            else:
                assert security == [{"bearerAuth": []}], rule.endpoint
    assert undeclared == []


def _same(documented: str, rule: str) -> bool:
    import re

    pattern = re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(documented))
    sample = re.sub(r"<[^>]+>", "X", rule)
    return re.fullmatch(pattern, sample) is not None


@pytest.mark.parametrize(("body", "content_type"), _UNREADABLE)
@pytest.mark.parametrize("caller", ["none", "garbage", "revoked"])
def test_unauthenticated_writes_are_refused_unread(world: World, caller: str, body: bytes, content_type: str) -> None:
    token = {"none": None, "garbage": "cb_nothing_here"}.get(caller)
    if caller == "revoked":
        issued = api_keys.issue(world.bank, "uni-a")
        api_keys.revoke(world.bank, issued.id)
        token = issued.token
    guarded = _guarded(world.client.application, "POST")
    assert len(guarded) >= 10
    before = world.size()
    for endpoint, path, _ in guarded:
        response, taken = _send(world, "POST", path, body, content_type, token)
        assert response.status_code == 401, (endpoint, response.get_data(as_text=True))
        assert_problem(response, 401, "unauthenticated")
        assert taken == 0, endpoint
    assert world.size() == before


@pytest.mark.parametrize(("body", "content_type"), _UNREADABLE)
def test_a_key_without_the_scope_is_refused_unread(world: World, body: bytes, content_type: str) -> None:
    for endpoint, path, requirement in _guarded(world.client.application, "POST"):
        if not requirement.scopes:
            continue
        others = tuple(scope for scope in api_keys.SCOPES if scope not in requirement.scopes)
        token = api_keys.issue(world.bank, "uni-a", others).token
        response, taken = _send(world, "POST", path, body, content_type, token)
        assert_problem(response, 403, "forbidden")
        assert taken == 0, endpoint


def test_the_same_bodies_are_read_and_refused_for_a_valid_caller(world: World) -> None:
    # The control: with the right key, each body above is read and refused for what it is.
    expected = {0: (400, "bad-request"), 1: (400, "bad-request"), 2: (400, "bad-request"), 3: (415, None)}
    for index, param in enumerate(_UNREADABLE):
        body, content_type = param.values
        response, taken = _send(world, "POST", "/api/v1/achievements/batch", body, content_type, world.a)
        status, kind = expected[index]
        assert response.status_code == status, response.get_data(as_text=True)
        if kind is not None:
            assert_problem(response, status, kind)
            assert taken == len(body)


def test_a_large_unauthenticated_batch_is_not_parsed(world: World) -> None:
    items = [item(world.learner, f"R-{n:04d}", outcomes=["x" * 200]) for n in range(1000)]
    body = json.dumps({"items": items}).encode()
    assert len(body) > 660_000
    started = time.perf_counter()
    response, taken = _send(world, "POST", "/api/v1/achievements/batch", body, "application/json", None)
    elapsed = time.perf_counter() - started
    assert_problem(response, 401, "unauthenticated")
    assert taken == 0
    # Reading and validating 1,000 items takes far longer; refusing the caller is one indexed lookup at most.
    assert elapsed < 0.5, elapsed
