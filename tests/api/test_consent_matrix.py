"""Authorization matrix for consent: an institution that never enrolled the learner, holding one consent scope
(or a withdrawn one, or none), against every endpoint that reads or writes a learner. Consent opens exactly its
own scope's reads, and never a write."""

from __future__ import annotations

from typing import Any

import pytest

from creditbank.services.credits import credit_rules
from creditbank.services.records import api_keys, consent
from tests.api.records_fixtures import World, headers, item
from tests.helpers import register
from tests.integration.credit_world import FRAMEWORK

# endpoint -> (method, path, body, the consent scope that opens it or None when nothing does)
ENDPOINTS: dict[str, tuple[str, str, Any, str | None]] = {
    "learner": ("GET", "/api/v1/learners/{learner}", None, "profile"),
    "learner-achievements": ("GET", "/api/v1/learners/{learner}/achievements", None, "records"),
    "credits": ("GET", "/api/v1/learners/{learner}/credits", None, "credits"),
    "progress": ("GET", "/api/v1/learners/{learner}/progress?qualification=test-cert", None, "credits"),
    "record": ("POST", "/api/v1/achievements", "item", None),
    "issue-transcript": ("POST", "/api/v1/learners/{learner}/credentials", {"kind": "transcript"}, None),
    "award": ("POST", "/api/v1/learners/{learner}/qualifications", {"qualification": "test-cert"}, None),
}
HOLDINGS = ["none", "profile", "records", "credits", "withdrawn-credits"]


@pytest.fixture
def stranger(world: World) -> str:
    register(world.bank, "uni-z")
    credit_rules.publish_framework(world.bank, FRAMEWORK, source="test")
    return api_keys.issue(world.bank, "uni-z").token


@pytest.mark.parametrize("holding", HOLDINGS)
@pytest.mark.parametrize("name", list(ENDPOINTS))
def test_consent_matrix(world: World, stranger: str, name: str, holding: str) -> None:
    method, path, body, opens = ENDPOINTS[name]
    if holding == "withdrawn-credits":
        consent.withdraw(world.bank, world.learner, consent.grant(world.bank, world.learner, "uni-z", "credits", 30))
    elif holding != "none":
        consent.grant(world.bank, world.learner, "uni-z", holding, 30)
    before = world.size()
    payload = item(world.learner, "Z-1") if body == "item" else body
    response = world.client.open(
        path.format(learner=world.learner), method=method, json=payload, headers=headers(stranger)
    )
    if opens is not None and holding == opens:
        assert response.status_code == 200, response.get_data(as_text=True)
    elif name == "record":
        # Not enrolled with the caller: the item names a learner it may not write for.
        assert response.status_code == 422, response.get_data(as_text=True)
    else:
        assert response.status_code == 404, response.get_data(as_text=True)
    assert world.size() == before
