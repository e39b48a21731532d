"""The verify answer is the report dumped through ReportSchema, and the schema knows the whole report: dumping a real
report loses and changes nothing, loading it refuses nothing, and the OpenAPI document names every field and value.

A field the engine's report gains that the schema does not know fails here instead of vanishing from the answer.
"""

from __future__ import annotations

import copy
import io
import json
from typing import Any

import pytest

from api.credential_schemas import ReportSchema
from certificates.verify import CHECKS, did_document_trust, verify_bytes
from creditbank.services import credentials
from creditbank.services.credentials import credential_keys
from tests.credentials.issued_world import Issued

# The learner of tests/integration/credit_world.py.
HOLDER = {"name": "李娟", "birth_date": "1958-03-04"}


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False)


def _assert_known_whole(report: dict[str, Any]) -> None:
    schema = ReportSchema()
    # Loading refuses any key the schema does not declare, at every level, and checks every enumerated value.
    assert schema.validate(report) == {}, report
    # Dumping (what the API does) gives back the very same document: nothing dropped, no number rewritten.
    assert _canonical(schema.dump(report)) == _canonical(report)


def _reports(issued: Issued) -> dict[str, dict[str, Any]]:
    bank = issued.world.bank
    bundle = json.dumps(issued.bundle).encode()
    tampered = copy.deepcopy(issued.bundle)
    tampered["credential"]["credentialSubject"]["creditsEarned"] = 99
    transcript = credentials.issue(bank, None, credentials.Request(issued.world.learner, "transcript", None))
    offline = did_document_trust(credential_keys.did_document(bank))
    return {
        "valid json": credentials.verify(bank, bundle),
        "valid pdf": credentials.verify(bank, issued.pdf),
        "valid transcript": credentials.verify(
            bank, json.dumps(credentials.bundle(bank, None, transcript["id"])).encode()
        ),
        "invalid json": credentials.verify(bank, json.dumps(tampered).encode()),
        "invalid pdf": credentials.verify(bank, issued.pdf[: len(issued.pdf) // 2]),
        "not a credential": credentials.verify(bank, b'{"not": "a credential"}'),
        "unchecked json": verify_bytes(bundle, offline).to_json(),
        "unchecked pdf": verify_bytes(issued.pdf, offline).to_json(),
        "holder matches": credentials.verify(bank, bundle, _identity(HOLDER["birth_date"])),
        "holder does not match": credentials.verify(bank, issued.pdf, _identity("1952-01-01")),
    }


def _identity(born: str) -> Any:
    from creditbank.verify_input import holder

    return holder(HOLDER["name"], born)


def test_real_reports_pass_through_the_schema_unchanged(issued: Issued) -> None:
    reports = _reports(issued)
    # The cases are the ones named: each verdict, both sources, a transcript's claims and the holder comparison.
    assert {name: report["verdict"] for name, report in reports.items()} == {
        "valid json": "valid",
        "valid pdf": "valid",
        "valid transcript": "valid",
        "invalid json": "invalid",
        "invalid pdf": "invalid",
        "not a credential": "invalid",
        "unchecked json": "authentic_unchecked",
        "unchecked pdf": "authentic_unchecked",
        "holder matches": "valid",
        "holder does not match": "valid",
    }
    assert reports["valid pdf"]["source"] == reports["unchecked pdf"]["source"] == "pdf"
    assert reports["invalid pdf"]["source"] == "pdf"
    assert reports["not a credential"]["summary"] is None
    assert reports["holder matches"]["identity"] == "matches"
    assert reports["holder does not match"]["identity"] == "does_not_match"
    assert "identity" in {check["check"] for check in reports["holder matches"]["checks"]}
    claims = reports["valid transcript"]["summary"]["achievements"]
    assert claims
    assert all(claim["credential_id"] for claim in claims)
    for name, report in reports.items():
        try:
            _assert_known_whole(report)
        except AssertionError as exc:
            raise AssertionError(f"{name}: {exc}") from None


def test_a_field_the_schema_does_not_know_fails(issued: Issued) -> None:
    report = credentials.verify(issued.world.bank, json.dumps(issued.bundle).encode())
    grown = [
        {**report, "expires_soon": True},
        {**report, "checks": [{**report["checks"][0], "hint": "x"}, *report["checks"][1:]]},
        {**report, "summary": {**report["summary"], "language": "zh"}},
        {
            **report,
            "summary": {**report["summary"], "achievements": [{**report["summary"]["achievements"][0], "x": 1}]},
        },
        {**report, "verdict": "probably_valid"},
    ]
    for changed in grown:
        with pytest.raises(AssertionError):
            _assert_known_whole(changed)


def test_credits_keep_their_json_form(issued: Issued) -> None:
    report = credentials.verify(issued.world.bank, json.dumps(issued.bundle).encode())
    claim = report["summary"]["achievements"][0]
    for credits in (2, 2.5, None):
        changed = {**report, "summary": {**report["summary"], "achievements": [{**claim, "credits": credits}]}}
        assert _canonical(ReportSchema().dump(changed)) == _canonical(changed)


@pytest.mark.parametrize("upload", ["json", "pdf", "multipart pdf", "tampered json"])
def test_the_api_answer_is_the_report_the_schema_describes(issued: Issued, upload: str) -> None:
    client = issued.world.client
    tampered = copy.deepcopy(issued.bundle)
    tampered["credential"]["validFrom"] = "2020-01-01T00:00:00Z"
    data, content_type, expected = {
        "json": (json.dumps(issued.bundle).encode(), "application/json", "valid"),
        "pdf": (issued.pdf, "application/pdf", "valid"),
        "multipart pdf": ({"file": (io.BytesIO(issued.pdf), "c.pdf"), **HOLDER}, "multipart/form-data", "valid"),
        "tampered json": (json.dumps(tampered).encode(), "application/json", "invalid"),
    }[upload]
    response = client.post("/api/v1/verify", data=data, content_type=content_type)
    assert response.status_code == 200, response.get_data(as_text=True)
    answer = response.get_json()
    assert answer["verdict"] == expected
    _assert_known_whole(answer)
    assert answer["identity"] == ("matches" if upload == "multipart pdf" else "not_checked")


def _properties(spec: dict[str, Any], name: str) -> dict[str, Any]:
    properties: dict[str, Any] = spec["components"]["schemas"][name]["properties"]
    return properties


def test_the_openapi_document_names_every_field_and_value_of_the_report(issued: Issued) -> None:
    spec = issued.world.client.get("/api/v1/openapi.json").get_json()
    operation = spec["paths"]["/api/v1/verify"]["post"]
    content = operation["responses"]["200"]["content"]["application/json"]["schema"]
    assert content == {"$ref": "#/components/schemas/Report"}
    report = credentials.verify(issued.world.bank, json.dumps(issued.bundle).encode(), _identity(HOLDER["birth_date"]))
    assert set(_properties(spec, "Report")) == set(report)
    assert set(_properties(spec, "Check")) == set(report["checks"][0])
    assert set(_properties(spec, "Summary")) == set(report["summary"])
    assert set(_properties(spec, "Claim")) >= set(report["summary"]["achievements"][0])
    assert set(_properties(spec, "Report")["verdict"]["enum"]) == {"valid", "invalid", "authentic_unchecked"}
    assert set(_properties(spec, "Report")["identity"]["enum"]) == {"matches", "does_not_match", "not_checked"}
    assert set(_properties(spec, "Check")["check"]["enum"]) == set(CHECKS)
    assert set(_properties(spec, "Check")["result"]["enum"]) == {"pass", "fail", "skip"}
    # The request is documented too: the upload's content types and the holder's two fields.
    assert {"application/pdf", "application/json", "multipart/form-data"} <= set(operation["requestBody"]["content"])
    assert {"name", "birth_date"} <= {parameter["name"] for parameter in operation["parameters"]}
