"""The OpenAPI document covers every route, and the docs page needs nothing from the internet."""

from __future__ import annotations

import re

from flask import Flask
from flask.testing import FlaskClient

WRITES = [
    ("/api/v1/learners", "post"),
    ("/api/v1/achievements", "post"),
    ("/api/v1/achievements/batch", "post"),
    ("/api/v1/achievements/{achievement_id}/corrections", "post"),
    ("/api/v1/achievements/{achievement_id}/revocation", "post"),
    ("/api/v1/signing-keys", "post"),
]


def _flask_routes(app: Flask) -> set[tuple[str, str]]:
    routes = set()
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith(("/api/v1/", "/ledger/")) or rule.endpoint.startswith(("api-docs.", "api_docs.")):
            continue
        path = re.sub(r"<(?:[^:>]+:)?([^>]+)>", r"{\1}", rule.rule)
        routes.update((path, method.lower()) for method in rule.methods - {"HEAD", "OPTIONS"})
    return routes


def test_every_route_is_documented(app: Flask, client: FlaskClient) -> None:
    spec = client.get("/api/v1/openapi.json").get_json()
    documented = {(path, method) for path, item in spec["paths"].items() for method in item}
    assert _flask_routes(app) <= documented


def test_writes_document_their_problems_and_the_idempotency_header(client: FlaskClient) -> None:
    spec = client.get("/api/v1/openapi.json").get_json()
    for path, method in WRITES:
        operation = spec["paths"][path][method]
        responses = operation["responses"]
        for status in ("401", "403", "413", "415", "422"):
            assert "application/problem+json" in responses[status]["content"], (path, status)
        assert any(p["name"] == "Idempotency-Key" for p in operation["parameters"]), path
        assert operation["security"] == [{"bearerAuth": []}]
    schemas = spec["components"]["schemas"]
    for name in ("AchievementInput", "AchievementData", "Result", "BatchInput", "Problem", "LearnerInput"):
        assert name in schemas
    assert set(schemas["AchievementData"]["properties"]["kind"]["enum"]) >= {"course", "prior_learning"}


def test_docs_page_is_self_contained(client: FlaskClient) -> None:
    page = client.get("/api/docs")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "/api/v1/achievements/batch" in html
    assert 'id="schema-AchievementInput"' in html
    assert "https://creditbank.example/problems/invalid-input" in html
    # No scripts, styles, fonts or images from elsewhere.
    assert not re.search(r"<(script|link|img)[^>]+(src|href)=\"https?://", html)
    assert client.get("/api/v1/docs").status_code == 200
