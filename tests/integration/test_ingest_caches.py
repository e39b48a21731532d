"""What the ingest path keeps between requests never outlives a change made elsewhere: a rule set published through
another bank instance on the same database is what the very next conversion uses, and an API key revoked there is
refused on the very next request."""

from __future__ import annotations

import json
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from creditbank.models import LedgerBody, LedgerEntry
from creditbank.runtime import Bank, bank_of
from creditbank.services.credits import credit_rules
from creditbank.services.records import api_keys
from tests.conftest import running_app
from tests.integration.credit_world import RULES, build, rules


def _conversions(bank: Bank) -> list[dict[str, Any]]:
    with bank.db.reading() as session:
        rows = session.scalars(
            select(LedgerBody.body)
            .join(LedgerEntry, LedgerEntry.seq == LedgerBody.seq)
            .where(LedgerEntry.kind == "credits.converted")
            .order_by(LedgerEntry.seq)
        )
        return [json.loads(body) for body in rows]


def test_a_rule_set_published_elsewhere_is_used_by_the_next_conversion(
    client: FlaskClient, bank: Bank, app_config: dict[str, object]
) -> None:
    world = build(client, bank)
    world.record("uni-a", "R1", hours=120)  # the rulebook for t-1 is now built and kept
    with running_app(app_config) as other:
        elsewhere = bank_of(other)
        assert elsewhere is not bank
        changed = [*RULES["institutions"][:3], {"id": "senior-c", "basis": "hours", "levels": {"default": 3}}]
        changed[0] = {**changed[0], "levels": {"default": 5}}
        credit_rules.publish_rules(elsewhere, rules("t-2", institutions=changed), source="test")
    world.record("uni-a", "R2", hours=120)
    first, second = _conversions(bank)
    assert (first["rules"], second["rules"]) == ("t-1", "t-2")
    assert (first["level"], second["level"]) == (4, 5)


def test_a_key_revoked_elsewhere_is_refused_on_the_next_request(
    client: FlaskClient, bank: Bank, app: Flask, app_config: dict[str, object]
) -> None:
    world = build(client, bank)
    issued = api_keys.issue(bank, "uni-a")
    item = {"learner": world.learner, "kind": "course", "title": {"en": "x"}, "completed": "2026-01-10"}
    headers = {"Authorization": f"Bearer {issued.token}"}
    assert client.post("/api/v1/achievements", json={**item, "record_id": "K1"}, headers=headers).status_code == 201
    with running_app(app_config) as other:
        api_keys.revoke(bank_of(other), issued.id)
    refused = client.post("/api/v1/achievements", json={**item, "record_id": "K2"}, headers=headers)
    assert refused.status_code == 401
    assert refused.get_json()["detail"] == "the API key is not valid or has been revoked"
    assert len(_conversions(bank)) == 1
