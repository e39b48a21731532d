"""The agreement endpoints: public reads, and publication by the recognizing institution's API key."""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient

from creditbank.runtime import Bank
from creditbank.services.credits import agreements
from tests.integration.credit_world import CreditWorld, build
from tests.integration.test_agreements import agreement, term


@pytest.fixture
def world(client: FlaskClient, bank: Bank) -> CreditWorld:
    return build(client, bank)


def test_agreements_are_listed_and_read_without_a_key(world: CreditWorld) -> None:
    assert world.client.get("/api/v1/agreements").get_json() == {"items": []}
    first = agreements.publish(world.bank, agreement(), source="test")
    later = [term(completed_from="2026-07-01", completed_until="2026-12-31")]
    agreements.publish(world.bank, agreement("2", terms=later), source="test")
    listed = world.client.get("/api/v1/agreements")
    assert listed.status_code == 200
    items = listed.get_json()["items"]
    assert [(item["id"], item["version"]) for item in items] == [("ab-digital", "1"), ("ab-digital", "2")]
    assert items[0]["hash"] == first.hash
    assert items[0]["terms"][0]["from"] == "uni-b:NET1"
    one = world.client.get("/api/v1/agreements/ab-digital").get_json()
    assert one["version"] == "2"
    assert [v["version"] for v in one["versions"]] == ["1", "2"]
    assert one["parties"] == ["uni-a", "uni-b"]
    assert one["recognizing"] == "uni-a"
    assert world.client.get("/api/v1/agreements/bad%00id").status_code == 404
    missing = world.client.get("/api/v1/agreements/nothing-here")
    assert missing.status_code == 404
    assert missing.content_type == "application/problem+json"


def _post(world: CreditWorld, document: dict[str, Any], institution: str = "uni-a") -> Any:
    return world.client.post("/api/v1/agreements", json=document, headers=world.headers(institution))


def test_the_recognizing_party_publishes(world: CreditWorld) -> None:
    recorded = world.record("uni-b", "N1", code="NET1", credits=4, completed="2026-02-01")
    response = _post(world, agreement())
    assert response.status_code == 201, response.get_data(as_text=True)
    body = response.get_json()
    assert (body["id"], body["version"], body["reevaluated"]) == ("ab-digital", "1", 1)
    assert world.client.get("/api/v1/agreements/ab-digital").get_json()["published_by"] == "inst:uni-a"
    assert _post(world, agreement()).status_code == 200
    statement = world.account()["accounts"][0]["statement"]
    assert statement[-1]["credits"] == 3.5
    assert recorded["id"]


def test_another_party_may_not_publish(world: CreditWorld) -> None:
    response = _post(world, agreement(), institution="uni-b")
    assert response.status_code == 403
    assert "recognizing party" in response.get_json()["detail"]
    assert world.client.get("/api/v1/agreements").get_json() == {"items": []}
    assert world.client.post("/api/v1/agreements", json=agreement()).status_code == 401


def test_a_bad_document_is_a_422_naming_the_field(world: CreditWorld) -> None:
    response = _post(world, agreement(parties=["uni-a", "nowhere"]))
    assert response.status_code == 422
    problem = response.get_json()
    assert "parties[1]" in problem["errors"]
    control = _post(world, agreement(name={"zh": "协议", "en": "A\u0000B"}))
    assert control.status_code == 422
    assert "name.en" in control.get_json()["errors"]
    overlapping = agreement("2")
    _post(world, agreement())
    response = _post(world, overlapping)
    assert response.status_code == 422
    assert "ab-digital version 1" in str(response.get_json()["errors"]["terms[0].from"])
