"""Recognition by application over the API, on both databases: an institution applies for a learner it enrolled
with a scanned document, reads and lists its own applications, appeals a decision once, withdraws an open one;
another institution's applications are not found, bad input is a 422 naming the field, and the paths are in the
OpenAPI document."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest

from creditbank import ledger_store
from creditbank.runtime import Bank, bank_of
from creditbank.services import credentials
from creditbank.services.recognition import decisions
from creditbank.services.recognition.decisions import Recognize, Refuse, Reviewer
from creditbank.services.records import api_keys
from creditbank.services.records.api_keys import Principal
from tests.conftest import BACKENDS, configuration, database_url, running_app
from tests.helpers import register
from tests.integration.credit_world import CreditWorld, build
from tests.integration.test_recognition import PNG, reviewer

PATH = "/api/v1/recognition/applications"
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 64


@pytest.fixture(scope="module", params=BACKENDS)
def world(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[CreditWorld]:
    folder = tmp_path_factory.mktemp("recognition-api")
    with running_app(configuration(database_url(request.param, request, folder), folder)) as app:
        bank = bank_of(app)
        built = build(app.test_client(), bank)
        register(bank, "far-away")
        built.tokens["far-away"] = api_keys.issue(bank, "far-away").token
        reviewer(bank, "alice")
        reviewer(bank, "bob")
        yield built


def _scan(text: str, data: bytes = PNG) -> dict[str, str]:
    # The description goes into the bytes too: each application holds learning never handed in before.
    return {
        "content_base64": base64.b64encode(data + text.encode()).decode(),
        "filename": "scan.png",
        "description": text,
    }


def _apply(world: CreditWorld, *texts: str, institution: str = "uni-a", **extra: Any) -> Any:
    body = {"learner": world.learner, "evidence": [_scan(text) for text in texts], **extra}
    return world.client.post(PATH, json=body, headers=world.headers(institution))


def _size(bank: Bank) -> int:
    with bank.db.reading() as session:
        return ledger_store.tree_size(session)


def _assigned(world: CreditWorld, view: dict[str, Any]) -> Reviewer:
    return decisions.reviewer_by_id(world.bank, view["reviewer"])


def test_an_institution_applies_with_a_scan_and_finds_it_listed(world: CreditWorld) -> None:
    answer = _apply(world, "Evening course in bookkeeping, 36 hours, API")
    assert answer.status_code == 201, answer.get_data(as_text=True)
    view = answer.get_json()
    assert view["state"] == "under_review"
    assert view["institution"] == "uni-a"
    assert view["framework"] == "test-fw"
    assert view["reviewer"]
    assert view["due"]
    assert [(item["kind"], item["description"]) for item in view["items"]] == [
        ("document", "Evening course in bookkeeping, 36 hours, API")
    ]
    listed = world.client.get(PATH, headers=world.headers()).get_json()["items"]
    assert view["id"] in [item["id"] for item in listed]
    shown = world.client.get(f"{PATH}/{view['id']}", headers=world.headers())
    assert shown.status_code == 200
    assert shown.get_json()["lines"] == []
    assert world.client.get(f"{PATH}?state=withdrawn", headers=world.headers()).get_json()["items"] == [
        item for item in listed if item["state"] == "withdrawn"
    ]


def test_a_jpeg_scan_and_a_qualification_are_taken(world: CreditWorld) -> None:
    body = {"learner": world.learner, "qualification": "test-cert", "evidence": [_scan("Knitting club, JPEG", JPEG)]}
    answer = world.client.post(PATH, json=body, headers=world.headers())
    assert answer.status_code == 201, answer.get_data(as_text=True)
    assert answer.get_json()["qualification"] == "test-cert"


def test_a_retry_under_the_same_key_gets_the_first_answer(world: CreditWorld) -> None:
    key = {"Idempotency-Key": "recognition-retry-1"}
    body = {"learner": world.learner, "evidence": [_scan("Pottery, retried")]}
    first = world.client.post(PATH, json=body, headers=world.headers(**key))
    assert first.status_code == 201, first.get_data(as_text=True)
    size = _size(world.bank)
    again = world.client.post(PATH, json=body, headers=world.headers(**key))
    assert again.status_code == 201
    assert again.get_json()["id"] == first.get_json()["id"]
    assert _size(world.bank) == size
    other = {"learner": world.learner, "evidence": [_scan("Something else under the same key")]}
    assert world.client.post(PATH, json=other, headers=world.headers(**key)).status_code == 409
    # Without the key, the same evidence is already waiting for a decision.
    assert world.client.post(PATH, json=body, headers=world.headers()).status_code == 409


def test_a_decision_is_appealed_once(world: CreditWorld) -> None:
    view = _apply(world, "Choir, two years, API").get_json()
    first = _assigned(world, view)
    decisions.decide(world.bank, view["id"], first, [], [Refuse(1, "No assessment of learning outcomes")])
    decided = world.client.get(f"{PATH}/{view['id']}", headers=world.headers()).get_json()
    assert decided["state"] == "decided"
    assert decided["decision"]["refused"][0]["reason"] == "No assessment of learning outcomes"
    assert decided["appeal_until"]
    path = f"{PATH}/{view['id']}/appeal"
    blank = world.client.post(path, json={"reason": "   "}, headers=world.headers())
    assert blank.status_code == 422
    assert "reason" in blank.get_json()["errors"]
    appealed = world.client.post(path, json={"reason": "The choir sang in graded exams"}, headers=world.headers())
    assert appealed.status_code == 200, appealed.get_data(as_text=True)
    body = appealed.get_json()
    assert body["state"] == "appealed"
    assert body["reviewer"] not in (None, first.staff_id)
    second = world.client.post(path, json={"reason": "Again"}, headers=world.headers())
    assert second.status_code == 409
    assert second.mimetype == "application/problem+json"
    final = decisions.decide(
        world.bank, view["id"], _assigned(world, body), [Recognize(1, Decimal(2), "Graded exams shown")], []
    )
    assert final["state"] == "final"
    shown = world.client.get(f"{PATH}/{view['id']}", headers=world.headers()).get_json()
    assert shown["appeal"]["decision"]["recognized"][0]["credits"] == 2
    assert [line["credits"] for line in shown["lines"]] == [2]


def test_an_open_application_is_withdrawn(world: CreditWorld) -> None:
    view = _apply(world, "Photography, to withdraw").get_json()
    path = f"{PATH}/{view['id']}/withdraw"
    answer = world.client.post(path, json={}, headers=world.headers())
    assert answer.status_code == 200, answer.get_data(as_text=True)
    assert answer.get_json()["state"] == "withdrawn"
    assert world.client.post(path, json={}, headers=world.headers()).status_code == 409
    assert world.client.post(path, json={"why": "x"}, headers=world.headers()).status_code == 422
    # Appealing something never decided is a conflict with its state.
    early = world.client.post(f"{PATH}/{view['id']}/appeal", json={"reason": "x"}, headers=world.headers())
    assert early.status_code == 409


def test_another_institution_sees_nothing_of_it(world: CreditWorld) -> None:
    view = _apply(world, "Calligraphy, uni-a's").get_json()
    # uni-b enrolled the same learner, yet the application is uni-a's.
    for institution in ("uni-b", "far-away"):
        headers = world.headers(institution)
        assert world.client.get(f"{PATH}/{view['id']}", headers=headers).status_code == 404
        assert world.client.post(f"{PATH}/{view['id']}/withdraw", json={}, headers=headers).status_code == 404
        appeal = {"reason": "not mine to appeal"}
        assert world.client.post(f"{PATH}/{view['id']}/appeal", json=appeal, headers=headers).status_code == 404
        listed = world.client.get(PATH, headers=headers).get_json()["items"]
        assert view["id"] not in [item["id"] for item in listed]
    # Applying for a learner it never enrolled is not found either, and appends nothing.
    size = _size(world.bank)
    assert _apply(world, "Not enrolled there", institution="far-away").status_code == 404
    assert _size(world.bank) == size
    for bad in ("rap-00000000000000000000", "x", "RAP-" + view["id"][4:]):
        assert world.client.get(f"{PATH}/{bad}", headers=world.headers()).status_code == 404
    assert world.client.get(PATH).status_code == 401


def test_writing_needs_the_write_scope(world: CreditWorld) -> None:
    reader = {"Authorization": f"Bearer {api_keys.issue(world.bank, 'uni-a', ('records:read',)).token}"}
    view = _apply(world, "Embroidery, scope check").get_json()
    body = {"learner": world.learner, "evidence": [_scan("Embroidery, read-only key")]}
    assert world.client.post(PATH, json=body, headers=reader).status_code == 403
    assert world.client.post(f"{PATH}/{view['id']}/withdraw", json={}, headers=reader).status_code == 403
    assert world.client.get(f"{PATH}/{view['id']}", headers=reader).status_code == 200


def _refused(world: CreditWorld, body: dict[str, Any]) -> dict[str, Any]:
    size = _size(world.bank)
    answer = world.client.post(PATH, json=body, headers=world.headers())
    assert answer.status_code == 422, (body, answer.get_data(as_text=True))
    assert answer.mimetype == "application/problem+json"
    assert _size(world.bank) == size
    problem: dict[str, Any] = answer.get_json()
    return problem


@pytest.mark.parametrize(
    ("evidence", "place"),
    [
        ([], "evidence"),
        (None, "evidence"),
        ([{"content_base64": base64.b64encode(b"GIF89a" + b"\x00" * 16).decode()}], "evidence.0"),
        ([{"content_base64": base64.b64encode(PNG + b"blank").decode(), "description": " "}], "evidence.0.description"),
        ([{"content_base64": base64.b64encode(PNG + b"none").decode()}], "evidence.0.description"),
        ([{"content_base64": "not base64!"}], "evidence.0.content_base64"),
        ([{"content_base64": ""}], "evidence.0"),
        ([_scan(f"file {n}") for n in range(6)], "evidence"),
    ],
)
def test_bad_evidence_is_refused_naming_the_field(world: CreditWorld, evidence: Any, place: str) -> None:
    body: dict[str, Any] = {"learner": world.learner}
    if evidence is not None:
        body["evidence"] = evidence
    problem = _refused(world, body)
    assert place in problem["errors"], problem
    assert problem["type"].endswith("/invalid-input")


def test_a_bad_framework_or_qualification_names_the_field(world: CreditWorld) -> None:
    scan = [_scan("Framework check")]
    assert "framework" in _refused(world, {"learner": world.learner, "framework": "nope", "evidence": scan})["errors"]
    problem = _refused(world, {"learner": world.learner, "qualification": "nope", "evidence": scan})
    assert "qualification" in problem["errors"]
    assert "learner" in _refused(world, {"learner": "someone", "evidence": scan})["errors"]


def test_a_body_past_the_limit_is_413(world: CreditWorld) -> None:
    limit = world.client.application.config["MAX_CONTENT_LENGTH"]
    data = base64.b64encode(PNG + b"\x00" * limit).decode()
    body = {"learner": world.learner, "evidence": [{"content_base64": data, "description": "huge"}]}
    answer = world.client.post(PATH, json=body, headers=world.headers())
    assert answer.status_code == 413
    assert answer.mimetype == "application/problem+json"


def test_the_openapi_document_lists_the_paths(world: CreditWorld) -> None:
    spec = world.client.get("/api/v1/openapi.json").get_json()
    paths = spec["paths"]
    assert set(paths[PATH]) == {"get", "post"}
    for tail, method in (("", "get"), ("/withdraw", "post"), ("/appeal", "post")):
        assert method in paths[f"{PATH}/{{application_id}}{tail}"]
    post = paths[PATH]["post"]
    assert any(p["name"] == "Idempotency-Key" for p in post["parameters"])
    for status in ("401", "403", "404", "409", "413", "422"):
        assert status in post["responses"], status
    evidence = spec["components"]["schemas"]["RecognitionEvidenceInput"]["properties"]["content_base64"]
    assert evidence["format"] == "byte"


def _own_credential(world: CreditWorld, record_id: str, **data: Any) -> bytes:
    """The bank's {credential, receipt} bundle for an achievement uni-a records for the learner."""
    achievement = world.record("uni-a", record_id, **data)
    principal = Principal("test", "uni-a", frozenset({"credentials:write", "records:read"}))
    request = credentials.Request(world.learner, "achievement", achievement["id"])
    issued = credentials.issue(world.bank, principal, request)
    answer = world.client.get(f"/api/v1/credentials/{issued['id']}?receipt=true", headers=world.headers())
    assert answer.status_code == 200
    return answer.get_data()


def _as_evidence(data: bytes) -> dict[str, Any]:
    return {"content_base64": base64.b64encode(data).decode(), "filename": "credential.json"}


def test_the_bank_s_own_credential_is_verified_and_reviewed(world: CreditWorld) -> None:
    # Below the rule set's minimum result, so it converted to nothing: the learning is not counted yet.
    bundle = _own_credential(world, "REC-OWN-LOW", credits=3, result={"type": "score", "score": 40, "max": 100})
    body = {"learner": world.learner, "evidence": [_as_evidence(bundle)]}
    answer = world.client.post(PATH, json=body, headers=world.headers())
    assert answer.status_code == 201, answer.get_data(as_text=True)
    (item,) = answer.get_json()["items"]
    assert (item["kind"], item["verdict"]) == ("credential", "valid")
    assert isinstance(item["credits"], str)  # decimal text, as the credential states it
    assert item["key"].startswith("ach:")
    assert "description" not in item


def test_the_bank_s_own_credential_for_learning_already_counted_is_a_conflict(world: CreditWorld) -> None:
    body = {"learner": world.learner, "evidence": [_as_evidence(_own_credential(world, "REC-OWN-1", credits=3))]}
    answer = world.client.post(PATH, json=body, headers=world.headers())
    assert answer.status_code == 409
    assert answer.get_json()["errors"] == {"evidence": ["already counted"]}


def test_a_file_that_is_no_credential_is_refused_with_the_reason(world: CreditWorld) -> None:
    problem = _refused(world, {"learner": world.learner, "evidence": [_as_evidence(b'{"hello": "world"}')]})
    assert "evidence.0" in problem["errors"]
    assert "not a credential" in problem["detail"]
