"""Fuzzing every documented operation from the service's own OpenAPI document.

schemathesis reads `/api/v1/openapi.json` through the WSGI app and sends each operation generated requests, valid
and invalid. Every answer must be documented: no 500, a status code the operation lists, a content type it lists
for that status (problem documents included), and a body that matches the documented schema.

The requests go to a demo bank (institutions, learners, achievements, frameworks, an award, credentials), with the
demo university's API key and again without credentials. Generated ids are almost never ones the bank holds, and
some rules cannot be written in OpenAPI (a completion date no later than today, the fields each kind of result
takes), so ids and names have a chance of being swapped for ones the bank holds, and a write's body a chance of being
one the bank accepts: the requests then reach the handlers' success paths, whose answers are checked against the
documented schemas too.

A third run sends requests generated to break the document's schema, exactly as generated (no swapped values, the
key added outside what is generated), and each must be refused: an invalid request answered with success fails.

It runs on SQLite only: the handlers, schemas and error mapping under test are the same on both databases, and the
database-specific paths are covered by the API tests, which run on both.
"""

from __future__ import annotations

import base64
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_schema_conformance,
    status_code_conformance,
)

from creditbank import create_app, demo
from creditbank.runtime import bank_of
from tests.api.records_fixtures import VALID_ID, item
from tests.conftest import configuration, running_app

pytestmark = pytest.mark.slow

ISSUING = "POST /api/v1/learners/{learner_id}/credentials"
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
# For requests sent exactly as generated to break the document's schema: each must be refused (a documented 4xx),
# never accepted. The runs above swap held ids and accepted bodies into generated requests and add the API key,
# which can turn a request meant to be invalid into a valid one, so this check runs on a run of its own.
INVALID_CHECKS = [*CHECKS, negative_data_rejection]

# What the demo bank holds, by path or query parameter and by body field (at any depth), and a body each write
# accepts; filled in by the `demo_bank` fixture before any case is drawn.
PARAMETERS: dict[str, list[Any]] = {}
FIELDS: dict[str, list[Any]] = {}
ACCEPTED: dict[str, st.SearchStrategy[Any]] = {}


def _swapped(generated: Any, held: dict[str, list[Any]]) -> st.SearchStrategy[Any]:
    """`generated`, or a copy where some values are swapped for held ones of the same name."""
    if isinstance(generated, list):
        return st.tuples(*(_swapped(element, held) for element in generated)).map(list)
    if not isinstance(generated, dict):
        return st.just(generated)
    parts = {}
    for name, value in generated.items():
        kept = _swapped(value, held)
        parts[name] = st.one_of(kept, st.sampled_from(held[name])) if held.get(name) else kept
    return st.fixed_dictionaries(parts)


def flatmap_path_parameters(context: Any, path_parameters: dict[str, Any]) -> st.SearchStrategy[Any]:
    return _swapped(path_parameters, PARAMETERS)


def flatmap_query(context: Any, query: dict[str, Any]) -> st.SearchStrategy[Any]:
    return _swapped(query, PARAMETERS)


def flatmap_body(context: Any, body: Any) -> st.SearchStrategy[Any]:
    swapped = _swapped(body, FIELDS)
    accepted = ACCEPTED.get(context.operation.label)
    return swapped if accepted is None else st.one_of(swapped, accepted)


def _openapi_document() -> dict[str, Any]:
    # Read at collection, to name one test per operation; the document does not depend on what the bank holds.
    with tempfile.TemporaryDirectory() as folder:
        application = create_app(configuration(f"sqlite:///{folder}/spec.sqlite3", Path(folder)))
        return application.test_client().get("/api/v1/openapi.json").get_json()


def _fuzzing(document: dict[str, Any], *, examples: int, invalid_only: bool = False) -> Any:
    generation: dict[str, Any] = {"max-examples": examples, "deterministic": True, "database": "none"}
    if invalid_only:
        # The API key is added to every request, so the generator must not try leaving it out or mangling it.
        generation.update({"mode": "negative", "with-security-parameters": False})
    settings = {
        # A fixed seed and derandomized generation: a run that fails fails the same way next time.
        "seed": 2026,
        "generation": generation,
        # Each credential issued draws and signs a PDF, ten times the cost of any other request.
        "operations": [{"include-name": ISSUING, "generation": {"max-examples": min(examples, 12)}}],
        "phases": {
            # The coverage phase's cases are built while tests are collected, which would add seconds to every run
            # of the suite, this module selected or not; the fuzzing phase's invalid requests reach the same refusals.
            "coverage": {"enabled": False},
            # Operations are fuzzed one at a time; chaining them through links is not what this module checks.
            "stateful": {"enabled": False},
        },
    }
    loaded = schemathesis.openapi.from_dict(document, config=schemathesis.Config.from_dict(settings))
    if not invalid_only:
        for hook in (flatmap_path_parameters, flatmap_query, flatmap_body):
            loaded.hook(hook)
    return loaded


DOCUMENT = _openapi_document()
with_key = _fuzzing(DOCUMENT, examples=50)
# Without a key, operations that need one stop at 401 (or at the input check before it): fewer examples suffice.
without_credentials = _fuzzing(DOCUMENT, examples=15)
# Operations without parameters or a body have nothing to make invalid; nor has an institution's page, whose id the
# document lets be any string.
TAKING_NO_INPUT = [
    f"{method.upper()} {path}"
    for path, operations in DOCUMENT["paths"].items()
    for method, operation in operations.items()
    if method in {"get", "put", "post", "delete", "patch"}
    and not operation.get("parameters")
    and not operations.get("parameters")
    and "requestBody" not in operation
] + ["GET /api/v1/institutions/{institution_id}"]
invalid_with_key = _fuzzing(DOCUMENT, examples=25, invalid_only=True).exclude(name=TAKING_NO_INPUT)


def _fill_held_values(client: FlaskClient, token: str) -> None:
    auth = {"Authorization": f"Bearer {token}"}
    learners = [row["id"] for row in client.get("/api/v1/learners?limit=200", headers=auth).get_json()["items"]]
    assert learners
    # The demo spreads its records over several institutions; a few more of this one's give the fuzzer ids to use.
    for number in range(4):
        added = client.post(
            "/api/v1/achievements", json=item(learners[number % len(learners)], f"HELD-{number}"), headers=auth
        )
        assert added.status_code == 201, added.get_data(as_text=True)
    achievements = [
        record["id"]
        for learner in learners
        for record in client.get(f"/api/v1/learners/{learner}/achievements", headers=auth).get_json()["items"]
        if record["status"] == "active"
    ]
    # The credential's achievement is kept out of the fuzzed ids, so that no revocation stops its PDF being drawn.
    certified, *achievements = achievements
    issued = client.post(
        f"/api/v1/learners/{learners[0]}/credentials",
        json={"kind": "achievement", "achievement": certified},
        headers=auth,
    )
    assert issued.status_code == 201, issued.get_data(as_text=True)
    credential = issued.get_json()["credential"]
    status_list = credential["credentialStatus"]["statusListCredential"].rsplit("/", 1)[1]
    frameworks = client.get("/api/v1/frameworks").get_json()["items"]
    qualifications = [kind["id"] for framework in frameworks for kind in framework["qualifications"]]
    seqs = [0, 1, 5, 20]
    PARAMETERS.update(
        learner_id=learners,
        achievement_id=achievements,
        credential_id=[issued.get_json()["id"]],
        institution_id=[row["id"] for row in client.get("/api/v1/institutions").get_json()],
        framework_id=[framework["id"] for framework in frameworks],
        qualification=qualifications,
        cursor=[client.get("/api/v1/learners?limit=2", headers=auth).get_json()["next_cursor"]],
        name=[status_list, status_list.replace("revocation", "suspension")],
        seq=seqs,
        size=seqs[1:],
        to=seqs[1:],
        **{"from": seqs[1:]},
    )
    raw_key = Ed25519PrivateKey.generate().public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    public_key = base64.b64encode(raw_key).decode()
    FIELDS.update(
        learner=learners,
        achievement=achievements,
        framework=PARAMETERS["framework_id"],
        qualification=qualifications,
        public_key=[public_key],
    )
    learner, achievement, qualification = (
        st.sampled_from(learners),
        st.sampled_from(achievements),
        st.sampled_from(qualifications),
    )
    record_id = st.integers(min_value=1, max_value=10**6).map(lambda n: f"FUZZ-{n}")
    recorded = st.builds(item, learner, record_id)
    data = st.just({name: value for name, value in item("").items() if name not in {"learner", "record_id"}})
    example = frameworks[0]
    ACCEPTED.update(
        {
            "POST /api/v1/learners": st.sampled_from(
                [
                    {"name": {"zh": "王堃"}, "birth_date": "1970-05-04"},
                    {"name": {"latin": "Maria Rossi"}, "birth_date": "1990-01-01", "email": "maria@example.org"},
                    {"name": {"zh": "张喆"}, "birth_date": "1985-02-03", "national_id": {"number": VALID_ID}},
                ]
            ),
            "POST /api/v1/achievements": recorded,
            "POST /api/v1/achievements/batch": st.lists(recorded, min_size=1, max_size=3).map(
                lambda items: {"items": items}
            ),
            "POST /api/v1/achievements/{achievement_id}/corrections": st.just(
                {"changes": {"mode": "blended", "hours": None}, "reason": "taught partly online"}
            ),
            "POST /api/v1/achievements/{achievement_id}/revocation": st.just({"reason": "recorded in error"}),
            "POST /api/v1/signing-keys": st.just({"public_key": public_key}),
            "POST /api/v1/catalogue/outcomes": st.integers(min_value=1, max_value=999).map(
                lambda n: {
                    "code": f"FUZZ-{n}",
                    "framework": example["id"],
                    "level": example["levels"][0]["number"],
                    "credits": 1.5,
                    "category": example["categories"][0]["id"],
                    "name": {"zh": "测试", "en": "Test"},
                    "description": {"zh": "测试成果", "en": "A test outcome"},
                }
            ),
            "POST /api/v1/conversions/preview": st.builds(lambda body: {"achievement": body}, data),
            "POST /api/v1/learners/{learner_id}/qualifications": st.builds(
                lambda q: {"qualification": q}, qualification
            ),
            ISSUING: st.one_of(
                st.builds(lambda a: {"kind": "achievement", "achievement": a}, achievement),
                st.just({"kind": "transcript", "language_order": "en-zh"}),
            ),
        }
    )


@pytest.fixture(scope="module")
def demo_bank(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Flask, str]]:
    folder = tmp_path_factory.mktemp("fuzz")
    with running_app(configuration(f"sqlite:///{folder / 'creditbank.sqlite3'}", folder)) as application:
        token = demo.seed(bank_of(application), 6)
        assert token is not None
        _fill_held_values(application.test_client(), token)
        try:
            yield application, token
        finally:
            PARAMETERS.clear()
            FIELDS.clear()
            ACCEPTED.clear()


def _call_and_check(case: Any, application: Flask, headers: dict[str, str], checks: list[Any] = CHECKS) -> None:
    response = case.call(app=application, headers=headers)
    if str(response.status_code) in case.operation.responses.status_codes:
        # A 5xx the operation documents (the readiness probe's 503) is an answer, not a failure.
        checks = [check for check in checks if check is not not_a_server_error]
    case.validate_response(response, checks=checks, headers=headers)


def test_the_demo_key_is_accepted(demo_bank: tuple[Flask, str]) -> None:
    application, token = demo_bank
    answer = application.test_client().get("/api/v1/whoami", headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 200
    assert answer.get_json()["institution"] == "demo-university"


# The single parameter names the caller in each test's id, next to the operation (`[POST /api/v1/learners][key]`).
@with_key.parametrize()
@pytest.mark.parametrize("caller", ["key"])
def test_with_the_demo_key(case: Any, caller: str, demo_bank: tuple[Flask, str]) -> None:
    application, token = demo_bank
    _call_and_check(case, application, {"Authorization": f"Bearer {token}"})


@without_credentials.parametrize()
@pytest.mark.parametrize("caller", ["anonymous"])
def test_without_credentials(case: Any, caller: str, demo_bank: tuple[Flask, str]) -> None:
    application, _ = demo_bank
    _call_and_check(case, application, {})


@invalid_with_key.parametrize()
@pytest.mark.parametrize("caller", ["key"])
def test_invalid_requests_are_refused(case: Any, caller: str, demo_bank: tuple[Flask, str]) -> None:
    application, token = demo_bank
    _call_and_check(case, application, {"Authorization": f"Bearer {token}"}, INVALID_CHECKS)
