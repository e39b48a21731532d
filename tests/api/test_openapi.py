"""The OpenAPI document covers every route, and the docs page needs nothing from the internet."""

from __future__ import annotations

import re
from typing import Any

import pytest
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


def _responses(spec: dict[str, Any], path: str, method: str = "get") -> dict[str, Any]:
    shared = spec["components"].get("responses", {})
    responses = spec["paths"][path][method]["responses"]
    return {
        status: shared[answer["$ref"].rsplit("/", 1)[1]] if "$ref" in answer else answer
        for status, answer in responses.items()
    }


def test_errors_are_documented_as_the_problem_documents_they_are(client: FlaskClient) -> None:
    spec = client.get("/api/v1/openapi.json").get_json()
    for path, item in spec["paths"].items():
        for method in set(item) - {"parameters"}:
            responses = _responses(spec, path, method)
            # No catch-all: a status an operation does not list is one it does not answer with.
            assert "default" not in responses, (path, method)
            for status, answer in responses.items():
                # The readiness probe's 503 is its report (each check and why), not an error.
                if int(status) >= 400 and (path, status) != ("/ready", "503"):
                    assert list(answer["content"]) == ["application/problem+json"], (path, method, status)
                    schema = answer["content"]["application/problem+json"]["schema"]
                    assert schema == {"$ref": "#/components/schemas/Problem"}, (path, method, status)


@pytest.mark.parametrize(
    ("template", "url", "status"),
    [
        ("/api/v1/whoami", "/api/v1/whoami", 401),
        ("/api/v1/institutions/{institution_id}", "/api/v1/institutions/nobody", 404),
        ("/ledger/checkpoint", "/ledger/checkpoint", 404),
        ("/ledger/entries/{seq}", "/ledger/entries/-1", 400),
        ("/ledger/entries/{seq}", "/ledger/entries/99", 404),
        ("/ledger/proofs/inclusion", "/ledger/proofs/inclusion?seq=0&size=9", 404),
        ("/ledger/proofs/consistency", "/ledger/proofs/consistency?from=1&to=9", 404),
    ],
)
def test_statuses_answered_are_documented(client: FlaskClient, template: str, url: str, status: int) -> None:
    response = client.get(url)
    assert response.status_code == status
    assert response.mimetype == "application/problem+json"
    assert str(status) in _responses(client.get("/api/v1/openapi.json").get_json(), template)


def test_documents_are_described_with_their_media_types(client: FlaskClient) -> None:
    spec = client.get("/api/v1/openapi.json").get_json()
    # The bare credential as VC 2.0's JSON-LD type, the joined file (?receipt=true) as plain JSON.
    for path, media_types in [
        ("/api/v1/credentials/{credential_id}", ["application/vc+ld+json", "application/json"]),
        ("/api/v1/credentials/{credential_id}/pdf", ["application/pdf"]),
        ("/.well-known/did.json", ["application/did+ld+json"]),
        ("/status/{name}", ["application/vc+ld+json"]),
    ]:
        assert list(_responses(spec, path)["200"]["content"]) == media_types, path


def test_documented_patterns_match_whole_values(client: FlaskClient) -> None:
    schemas = client.get("/api/v1/openapi.json").get_json()["components"]["schemas"]
    # JSON Schema patterns match anywhere in the value unless anchored; the service matches the whole value.
    country = schemas["NationalId"]["properties"]["country"]["pattern"]
    assert re.search(country, "CN")
    assert not re.search(country, "SELECT 1")
    url = schemas["Evidence"]["properties"]["url"]
    assert url["format"] == "uri"
    assert not re.search(url["pattern"], "ftp://example.org/x")


def test_text_fields_document_what_the_service_refuses(client: FlaskClient) -> None:
    schemas = client.get("/api/v1/openapi.json").get_json()["components"]["schemas"]
    line = schemas["PersonName"]["properties"]["zh"]["pattern"]
    assert re.search(line, "王堃")
    for refused in ("", "   ", "王\x01堃", "王\x85", "王\n堃"):
        assert not re.search(line, refused), refused
    multiline = schemas["AchievementData"]["properties"]["outcomes"]["items"]["pattern"]
    assert re.search(multiline, "first line\n\tsecond line")
    assert not re.search(multiline, "form\x0cfeed")


def test_only_corrections_document_null(client: FlaskClient) -> None:
    schemas = client.get("/api/v1/openapi.json").get_json()["components"]["schemas"]
    for name in ("AchievementData", "AchievementInput"):
        nullable = [field for field, schema in schemas[name]["properties"].items() if schema.get("nullable")]
        assert nullable == [], name
    changes = schemas["AchievementChanges"]["properties"]
    assert all(changes[field]["nullable"] for field in ("code", "hours", "started", "evidence", "language"))
