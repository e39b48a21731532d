"""Probes of the doors onto recognition, as an outside prober would try them: the API (scopes, strangers, hostile
JSON and base64, retries, path tricks, the OpenAPI document), the learner's portal pages (CSRF, someone else's
application, closed applications, hostile uploads and descriptions, headers), the staff console (every role against
every route, evidence downloads, decide forms with odd numbers, re-authentication) and the trust list with what it
fetches (SSRF bait in DIDs, hostile mapping files, slow, huge and redirecting remotes, foreign keys in a DID document).

Each probe asserts the correct behaviour; the holes these probes found were fixed, and the probes stay as their
guard.
"""

from __future__ import annotations

import base64
import contextlib
import io
import json
import os
import re
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy import update
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Response

from creditbank.errors import InvalidInput
from creditbank.models import StaffSession
from creditbank.runtime import bank_of
from creditbank.services.recognition import applications, decisions, remote, trust_list
from creditbank.services.recognition.applications import Applicant
from creditbank.services.recognition.decisions import Recognize, Refuse
from creditbank.services.recognition.evidence_files import EvidenceFile
from creditbank.services.records import learners
from creditbank.services.records.api_keys import Principal
from creditbank.services.records.learners import LearnerInput
from tests.attack.recognition_doors_world import Doors, counts, make_doors, slow_server
from tests.attack.recognition_world import PNG
from tests.conftest import BACKENDS, configuration, database_url, running_app
from tests.console.staff_helpers import csrf
from tests.integration.credit_world import build

UNI_A = Principal("test", "uni-a", frozenset({"records:read", "records:write"}))
APPS = "/api/v1/recognition/applications"
PROBLEM = "application/problem+json"


@pytest.fixture(scope="module", params=BACKENDS)
def doors(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Doors]:
    folder = tmp_path_factory.mktemp("recognition-doors")
    with running_app(configuration(database_url(request.param, request, folder), folder)) as app:
        bank = bank_of(app)
        world = build(app.test_client(), bank)
        # Reviewers who can be given applications: the console's two, made by make_doors, are set up and signed in.
        yield make_doors(app, bank, world)


_SERIAL = iter(range(1, 1_000_000))


def learner(doors: Doors) -> str:
    """A fresh learner enrolled at uni-a, so no probe meets another's open applications (at most 10 each)."""
    number = next(_SERIAL)
    person = {"name": {"zh": f"测试{number}"}, "birth_date": f"19{40 + number % 50}-01-0{1 + number % 9}"}
    answer = doors.world.client.post("/api/v1/learners", json=person, headers=doors.world.headers())
    assert answer.status_code == 201, answer.get_data(as_text=True)
    return str(answer.get_json()["id"])


def scan(text: str) -> EvidenceFile:
    return EvidenceFile(PNG + text.encode(), "scan.png", text)


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def assert_problem(answer: Any, *statuses: int) -> dict[str, Any]:
    text = answer.get_data(as_text=True)
    assert answer.status_code in statuses, (answer.status_code, text[:400])
    assert answer.content_type == PROBLEM, (answer.content_type, text[:200])
    assert "Traceback" not in text
    assert 'File "' not in text
    body: dict[str, Any] = answer.get_json()
    assert body["status"] == answer.status_code
    assert body["type"].startswith("https://")
    return body


def decided(doors: Doors, who: str, text: str, *, by_institution: bool = False) -> dict[str, Any]:
    """An application of ``who`` refused by the console's first reviewer (assigned to them: they have no cases)."""
    bank = doors.bank
    applicant = Applicant.for_institution(UNI_A) if by_institution else Applicant.learner()
    extra = {"principal": UNI_A} if by_institution else {}
    view = applications.apply(bank, applicant, who, [scan(text)], **extra)
    if view["reviewer"] != doors.staff["reviewer"].staff_id:
        applications.assign(bank, view["id"], doors.staff["reviewer"].login)
    alice = decisions.reviewer_by_id(bank, doors.staff["reviewer"].staff_id)
    decisions.decide(bank, view["id"], alice, [], [Refuse(1, "No assessment shown")])
    return applications.get(bank, view["id"])


def submitted(doors: Doors, who: str, text: str, *, by_institution: bool = True) -> dict[str, Any]:
    applicant = Applicant.for_institution(UNI_A) if by_institution else Applicant.learner()
    extra = {"principal": UNI_A} if by_institution else {}
    return applications.apply(doors.bank, applicant, who, [scan(text)], **extra)


# == the API ======================================================================================================


def test_api_writes_need_a_write_key_and_strangers_find_nothing(doors: Doors) -> None:
    world, bank = doors.world, doors.bank
    who = learner(doors)
    mine = submitted(doors, who, "API course one")
    done = decided(doors, who, "API course two", by_institution=True)
    body = {"learner": who, "evidence": [{"content_base64": b64(PNG + b"x"), "description": "Evening class"}]}
    held = counts(bank)
    read_only = {"Authorization": f"Bearer {doors.read_only}"}
    for method, path, payload in (
        ("post", APPS, body),
        ("post", f"{APPS}/{mine['id']}/withdraw", {}),
        ("post", f"{APPS}/{done['id']}/appeal", {"reason": "Please look again"}),
        ("post", "/api/v1/agreements", {"id": "x", "version": "1"}),
    ):
        assert_problem(getattr(world.client, method)(path, json=payload, headers=read_only), 403)
        assert_problem(getattr(world.client, method)(path, json=payload), 401)
        assert_problem(getattr(world.client, method)(path, json=payload, headers={"Authorization": "Bearer nope"}), 401)
        assert_problem(getattr(world.client, method)(path, json=payload, headers={"Authorization": "Basic eDp5"}), 401)
    # Another institution: not found, whether reading, withdrawing or appealing, and its list does not hold them.
    stranger = world.headers("uni-b")
    for path in (f"{APPS}/{mine['id']}", f"{APPS}/{done['id']}"):
        assert_problem(world.client.get(path, headers=stranger), 404)
    assert_problem(world.client.post(f"{APPS}/{mine['id']}/withdraw", json={}, headers=stranger), 404)
    assert_problem(world.client.post(f"{APPS}/{done['id']}/appeal", json={"reason": "again"}, headers=stranger), 404)
    listed = world.client.get(APPS, headers=stranger).get_json()["items"]
    assert {mine["id"], done["id"]}.isdisjoint(item["id"] for item in listed)
    # uni-b has the learner enrolled too, and still cannot act on uni-a's application for them.
    assert counts(bank) == held
    # The read-only key reads its own institution's applications.
    assert world.client.get(f"{APPS}/{mine['id']}", headers=read_only).status_code == 200


def test_api_base64_is_read_strictly_and_every_refusal_is_a_problem(doors: Doors) -> None:
    world, bank = doors.world, doors.bank
    who = learner(doors)
    content = PNG + b"\xfb\xff\xfe base64 probe"  # bytes whose base64 holds + and /
    good = b64(content)
    assert "+" in good or "/" in good
    bad = [
        good.rstrip("="),  # padding dropped
        good + "=",  # padding added
        good[:8] + " " + good[8:],  # a space
        good[:8] + "\n" + good[8:],  # a line break (MIME style)
        good.replace("+", "-").replace("/", "_"),  # the URL-safe alphabet
        "data:image/png;base64," + good,  # a data URL
        good + "\x00",
        "＝" + good,  # full-width
        "",  # nothing
    ]
    held = counts(bank)
    for variant in bad:
        answer = world.client.post(
            APPS,
            json={"learner": who, "evidence": [{"content_base64": variant, "description": "Evening class"}]},
            headers=world.headers(),
        )
        body = assert_problem(answer, 400, 422)
        assert any("content_base64" in place or "evidence" in place for place in body.get("errors", {})), (
            variant[:30],
            body,
        )
    assert counts(bank) == held


def test_api_bodies_past_the_limit_and_claimed_sizes_are_413_before_reading(doors: Doors) -> None:
    world, bank = doors.world, doors.bank
    who = learner(doors)
    held = counts(bank)
    limit = int(doors.app.config["MAX_CONTENT_LENGTH"])
    padding = "A" * (limit + 16)
    answer = world.client.post(
        APPS, data=json.dumps({"learner": who, "evidence": [{"content_base64": padding}]}),
        content_type="application/json", headers=world.headers(),
    )  # fmt: skip
    assert_problem(answer, 413)
    # A body that claims 100 MB and sends a few bytes: refused on the claim.
    builder = EnvironBuilder(
        path=APPS, method="POST", data=b"{}", content_type="application/json", headers=world.headers()
    )
    environ = builder.get_environ()
    environ["CONTENT_LENGTH"] = str(100 * 1024 * 1024)  # the test client would correct it; the app is called bare
    assert_problem(Response.from_app(doors.app, environ), 413)
    builder.close()
    assert counts(bank) == held


@pytest.mark.parametrize(
    "body",
    [
        pytest.param({"evidence": "not a list"}, id="evidence-string"),
        pytest.param({"evidence": None}, id="evidence-null"),
        pytest.param({"evidence": {"content_base64": "AAAA"}}, id="evidence-object"),
        pytest.param({"evidence": [[{"content_base64": "AAAA"}]]}, id="evidence-nested-list"),
        pytest.param({"evidence": [{"content_base64": {"nested": "AAAA"}}]}, id="content-object"),
        pytest.param({"evidence": [{"content_base64": ["AAAA"]}]}, id="content-list"),
        pytest.param({"evidence": [{"content_base64": 12}]}, id="content-number"),
        pytest.param({"evidence": [{"content_base64": True}]}, id="content-bool"),
        pytest.param({"evidence": [{"content_base64": "iVBORw0KGgo=", "description": ["x"]}]}, id="description-list"),
        pytest.param({"evidence": [{"content_base64": "iVBORw0KGgo=", "filename": 7}]}, id="filename-number"),
        pytest.param({"evidence": [{"content_base64": "iVBORw0KGgo=", "extra": 1}]}, id="unknown-item-field"),
        pytest.param({"evidence": [{"content_base64": "iVBORw0KGgo="}] * 1000}, id="1000-files"),
        pytest.param({"evidence": [{}]}, id="empty-item"),
        pytest.param({"evidence": [{"content_base64": "iVBORw0KGgo="}], "learner": 5}, id="learner-number"),
        pytest.param({"evidence": [{"content_base64": "iVBORw0KGgo="}], "learner": ["x"]}, id="learner-list"),
        pytest.param(
            {"evidence": [{"content_base64": "iVBORw0KGgo="}], "learner": "lrn_' OR 1=1 --"}, id="learner-sql"
        ),
        pytest.param(
            {"evidence": [{"content_base64": "iVBORw0KGgo="}], "framework": "ＥＱＦ"}, id="framework-fullwidth"
        ),
        pytest.param({"evidence": [{"content_base64": "iVBORw0KGgo="}], "framework": 3}, id="framework-number"),
        pytest.param({"evidence": [{"content_base64": "iVBORw0KGgo="}], "qualification": {}}, id="qualification-obj"),
        pytest.param({"evidence": [{"content_base64": "iVBORw0KGgo="}], "surprise": True}, id="unknown-field"),
    ],
)
def test_api_wrong_shapes_are_422_and_append_nothing(doors: Doors, body: dict[str, Any]) -> None:
    world, bank = doors.world, doors.bank
    payload = {"learner": world.learner, **body}
    held = counts(bank)
    assert_problem(world.client.post(APPS, json=payload, headers=world.headers()), 400, 422)
    assert counts(bank) == held


def test_api_bodies_that_are_not_objects_or_not_json_are_problems(doors: Doors) -> None:
    world, bank = doors.world, doors.bank
    who = learner(doors)
    one = f'{{"content_base64": "{b64(PNG + b"dup")}", "description": "Evening class"}}'
    held = counts(bank)
    for raw, media in (
        (f'{{"learner": "{who}", "learner": "{world.learner}", "evidence": [{one}]}}', "application/json"),
        (f'{{"learner": "{who}", "evidence": [{one[:-1]}, "description": "other"}}]}}', "application/json"),
        ("[]", "application/json"),
        ('"a string"', "application/json"),
        ("null", "application/json"),
        ("{" * 10_000, "application/json"),
        ('{"learner": NaN}', "application/json"),
        (b"\xff\xfe{}".decode("latin-1"), "application/json"),
        (f'{{"learner": "{who}", "evidence": [{one}]}}', "text/plain"),
        (f'{{"learner": "{who}", "evidence": [{one}]}}', "application/x-www-form-urlencoded"),
    ):
        answer = world.client.post(APPS, data=raw.encode("latin-1", "replace") if raw.startswith("\xff") else raw,
                                   content_type=media, headers=world.headers())  # fmt: skip
        assert_problem(answer, 400, 415, 422)
    assert counts(bank) == held


def test_api_a_retry_with_another_body_under_the_same_key_is_a_conflict(doors: Doors) -> None:
    world, bank = doors.world, doors.bank
    who = learner(doors)
    first = {"learner": who, "evidence": [{"content_base64": b64(PNG + b"retry one"), "description": "Retry one"}]}
    other = {"learner": who, "evidence": [{"content_base64": b64(PNG + b"retry two"), "description": "Retry two"}]}
    key = {"Idempotency-Key": "door-retry-1"}
    made = world.client.post(APPS, json=first, headers=world.headers(**key))
    assert made.status_code == 201, made.get_data(as_text=True)
    held = counts(bank)
    again = world.client.post(APPS, json=first, headers=world.headers(**key))
    assert again.status_code == 201
    assert again.get_json()["id"] == made.get_json()["id"]
    body = assert_problem(world.client.post(APPS, json=other, headers=world.headers(**key)), 409)
    assert "Idempotency-Key" in body.get("errors", {})
    # The same key on another operation, and another institution's same key, are not the first answer either.
    wanted = made.get_json()["id"]
    assert_problem(world.client.post(f"{APPS}/{wanted}/withdraw", json={}, headers=world.headers(**key)), 409)
    theirs = world.client.post(APPS, json=first, headers=world.headers("uni-b", **key))
    assert theirs.status_code != 200 or theirs.get_json().get("id") != wanted
    for bad in ("", " ", "k" * 256, "ключ", "a\tb"):
        assert_problem(world.client.post(APPS, json=first, headers=world.headers(**{"Idempotency-Key": bad})), 400, 422)
    assert counts(bank)[0] == held[0]


@pytest.mark.parametrize(
    "tail",
    [
        pytest.param("rap-' OR '1'='1", id="sql"),
        pytest.param("rap-%27%3B%20DROP%20TABLE%20recognition_applications%3B--", id="sql-encoded"),
        pytest.param("rap-ａａａａａａａａａａａａａａａａａａａａ", id="fullwidth"),
        pytest.param("rap-AAAAAAAAAAAAAAAAAAAA", id="uppercase"),
        pytest.param("rap-%00aaaaaaaaaaaaaaaaaa", id="nul"),
        pytest.param("rap-" + "a" * 10_000, id="10000-chars"),
        pytest.param("..%2F..%2Fledger%2Fcheckpoint", id="traversal"),
        pytest.param("rap-aaaaaaaaaaaaaaaaaaaa%0d%0aX-Injected:%201", id="crlf"),
    ],
)
def test_api_application_ids_that_name_nothing_are_404_problems(doors: Doors, tail: str) -> None:
    world, bank = doors.world, doors.bank
    held = counts(bank)
    assert_problem(world.client.get(f"{APPS}/{tail}", headers=world.headers()), 404)
    assert_problem(world.client.post(f"{APPS}/{tail}/withdraw", json={}, headers=world.headers()), 404)
    answer = world.client.post(f"{APPS}/{tail}/appeal", json={"reason": "x"}, headers=world.headers())
    assert_problem(answer, 404)
    assert "X-Injected" not in answer.headers
    assert counts(bank) == held


def test_api_list_query_tricks_are_422(doors: Doors) -> None:
    world = doors.world
    for query in ("limit=0", "limit=201", "limit=-1", "limit=1e2", "limit=١٢", "limit=abc", "state=DECIDED",
                  "state=decided'--", "limit=99999999999999999999999"):  # fmt: skip
        assert_problem(world.client.get(f"{APPS}?{query}", headers=world.headers()), 400, 422)


def test_api_appeal_and_withdraw_bodies_are_checked(doors: Doors) -> None:
    world, bank = doors.world, doors.bank
    who = learner(doors)
    done = decided(doors, who, "Appeal body probe", by_institution=True)
    path = f"{APPS}/{done['id']}"
    held = counts(bank)
    for body in ({}, {"reason": ""}, {"reason": 5}, {"reason": ["x"]}, {"reason": "x" * 1001},
                 {"reason": "bell \x07"}, {"reason": "ok", "extra": 1}):  # fmt: skip
        assert_problem(world.client.post(f"{path}/appeal", json=body, headers=world.headers()), 400, 422)
    assert_problem(world.client.post(f"{path}/withdraw", json={"why": "x"}, headers=world.headers()), 400, 422)
    # A decided application is not withdrawn (it is appealed, or revoked by the bank).
    assert_problem(world.client.post(f"{path}/withdraw", json={}, headers=world.headers()), 409)
    assert counts(bank) == held


def test_agreements_publish_refuses_hostile_documents_as_problems(doors: Doors) -> None:
    world, bank = doors.world, doors.bank
    held = counts(bank)
    term = {"from": "uni-b:NET1", "outcome": "DL-1", "credits": 3, "completed_from": "2026-01-01",
            "completed_until": "2026-06-30"}  # fmt: skip
    base = {"id": "door-agr", "version": "1", "name": {"zh": "协议", "en": "Agreement"},
            "parties": ["uni-a", "uni-b"], "recognizing": "uni-a", "terms": [term]}  # fmt: skip
    for body in (
        {**base, "recognizing": "uni-b"},  # not the caller's to publish
        {**base, "parties": ["uni-a", "uni-nobody"]},
        {**base, "terms": [{**term, "outcome": "NOPE"}]},
        {**base, "terms": [{**term, "credits": "3"}]},
        {**base, "terms": [{**term, "credits": -1}]},
        {**base, "terms": [{**term, "credits": 1e308}]},
        {**base, "terms": [{**term, "completed_from": "2026-13-01"}]},
        {**base, "terms": "all"},
        {**base, "terms": [term] * 5000},
        {**base, "id": {"$ne": 1}},
        {**base, "id": "x" * 10_000},
        {**base, "version": None},
        {**base, "name": "Agreement"},
        {**base, "parties": "uni-a"},
        {**base, "extra": {"deep": [[[[[]]]]]}},
    ):
        answer = world.client.post("/api/v1/agreements", json=body, headers=world.headers())
        assert_problem(answer, 400, 403, 404, 409, 413, 422)
    for raw in ("[]", '"x"', '{"id": "a", "id": "b", "version": "1"}'):
        answer = world.client.post("/api/v1/agreements", data=raw, content_type="application/json",
                                   headers=world.headers())  # fmt: skip
        assert_problem(answer, 400, 422)
    assert counts(bank) == held


def test_the_trust_list_is_public_json_and_ignores_bad_credentials(doors: Doors) -> None:
    world = doors.world
    for headers in ({}, {"Authorization": "Bearer nope"}, world.headers()):
        answer = world.client.get("/api/v1/trust", headers=headers)
        assert answer.status_code == 200
        assert answer.content_type == "application/json"
        assert isinstance(answer.get_json()["items"], list)
    assert_problem(world.client.post("/api/v1/trust", json={"did": "did:web:evil.example"}), 405)


def test_the_openapi_document_lists_each_recognition_operation_with_its_guard(doors: Doors) -> None:
    spec = doors.world.client.get("/api/v1/openapi.json").get_json()
    paths = spec["paths"]
    expected = {
        ("/api/v1/recognition/applications", "post"): True,
        ("/api/v1/recognition/applications", "get"): True,
        ("/api/v1/recognition/applications/{application_id}", "get"): True,
        ("/api/v1/recognition/applications/{application_id}/withdraw", "post"): True,
        ("/api/v1/recognition/applications/{application_id}/appeal", "post"): True,
        ("/api/v1/agreements", "post"): True,
        ("/api/v1/agreements", "get"): False,
        ("/api/v1/trust", "get"): False,
    }
    for (path, method), guarded in expected.items():
        operation = paths[path][method]
        assert bool(operation.get("security")) == guarded, (path, method, operation.get("security"))
        if guarded:
            for status in ("401", "403"):
                assert PROBLEM in operation["responses"][status]["content"], (path, method, status)
        if method == "post" and "recognition" in path:
            assert any(p.get("name") == "Idempotency-Key" for p in operation.get("parameters", [])), path
            assert "422" in operation["responses"], path
    content = paths["/api/v1/recognition/applications"]["post"]["requestBody"]["content"]["application/json"]
    assert content["schema"]


# == the portal ===================================================================================================


def portal_form(client: Any, data: dict[str, Any], path: str = "/me/recognition/new") -> Any:
    builder = EnvironBuilder(path=path, method="POST", data=data, content_type="multipart/form-data")
    environ = builder.get_environ()
    try:
        return client.open(environ)
    finally:
        environ["wsgi.input"].close()
        builder.close()


def portal_token(client: Any, path: str = "/me/recognition/new") -> str:
    return csrf(client.get(path).get_data(as_text=True))


def test_portal_forms_without_their_own_session_s_csrf_token_do_nothing(doors: Doors) -> None:
    bank = doors.bank
    li, zhao = doors.portal["li"], doors.portal["zhao"]
    open_one = submitted(doors, doors.world.learner, "Portal CSRF open", by_institution=False)
    theirs = portal_token(zhao)
    held = counts(bank)
    files = {"evidence": [(io.BytesIO(PNG + b"csrf"), "scan.png")], "description": ["Evening class"]}
    for token in (None, "", theirs, "x" * 64):
        data: dict[str, Any] = dict(files) if token is None else {**files, "csrf_token": token}
        data["evidence"] = [(io.BytesIO(PNG + b"csrf"), "scan.png")]
        answer = portal_form(li, data)
        assert answer.status_code in (400, 403), answer.status_code
        for action in ("withdraw", "appeal"):
            form = {"action": action, "reason": "Please"} if token is None else {"action": action, "reason": "Please",
                                                                                 "csrf_token": token}  # fmt: skip
            answer = li.post(f"/me/recognition/{open_one['id']}", data=form)
            assert answer.status_code in (400, 403), (action, answer.status_code)
    assert counts(bank) == held
    assert applications.get(bank, open_one["id"])["state"] in applications.OPEN_STATES
    applications.withdraw(bank, open_one["id"], Applicant.bank())


def test_portal_someone_else_s_application_is_not_found_to_read_appeal_or_withdraw(doors: Doors) -> None:
    bank = doors.bank
    zhao = doors.portal["zhao"]
    li_open = submitted(doors, doors.world.learner, "Portal not yours open", by_institution=False)
    li_done = decided(doors, doors.world.learner, "Portal not yours decided")
    token = portal_token(zhao, "/me/recognition")
    held = counts(bank)
    for view in (li_open, li_done):
        assert zhao.get(f"/me/recognition/{view['id']}").status_code == 404
        for action in ("withdraw", "appeal"):
            answer = zhao.post(f"/me/recognition/{view['id']}", data={"action": action, "reason": "Mine now",
                                                                       "csrf_token": token})  # fmt: skip
            assert answer.status_code == 404, (action, answer.status_code)
    for tail in ("rap-' OR 1=1 --aaaaaaaaa", "rap-ａａａａａａａａａａａａａａａａａａａａ", "rap-" + "a" * 10_000):
        assert doors.portal["li"].get(f"/me/recognition/{tail}").status_code == 404
    assert counts(bank) == held
    applications.withdraw(bank, li_open["id"], Applicant.bank())


def test_portal_a_late_appeal_and_a_withdrawal_of_a_decided_application_are_refused(doors: Doors) -> None:
    bank = doors.bank
    li = doors.portal["li"]
    late = decided(doors, doors.world.learner, "Portal late appeal")
    # The decision's appeal period ends in the past (as if decided long ago): the view is what the service keeps.
    path = f"/me/recognition/{late['id']}"
    token = portal_token(li, path)
    held = counts(bank)
    answer = li.post(path, data={"action": "withdraw", "csrf_token": token})
    assert answer.status_code == 409
    assert counts(bank) == held
    real = decisions._today

    def later(now: Any = None) -> Any:
        return real(now) + timedelta(days=400)

    decisions._today = later  # type: ignore[assignment]
    try:
        answer = li.post(path, data={"action": "appeal", "reason": "Please look again", "csrf_token": token})
    finally:
        decisions._today = real  # type: ignore[assignment]
    assert answer.status_code == 409
    assert counts(bank) == held
    assert li.post(path, data={"action": "delete", "csrf_token": token}).status_code == 400
    assert li.post(path, data={"csrf_token": token}).status_code == 400
    assert counts(bank) == held


def test_portal_hostile_multipart_bodies_are_refused_whole(doors: Doors) -> None:
    bank = doors.bank
    zhao = doors.portal["zhao"]
    held = counts(bank)
    # 50 file fields, each a different scan: too many files, nothing written.
    data: dict[str, Any] = {
        "csrf_token": portal_token(zhao),
        "evidence": [(io.BytesIO(PNG + f"fifty {n}".encode()), f"s{n}.png") for n in range(50)],
        "description": [f"Scan {n}" for n in range(50)],
    }
    answer = portal_form(zhao, data)
    assert answer.status_code == 400, answer.status_code
    # A file field without a filename (as curl -F 'evidence=<bytes' sends it) and an empty one.
    for name in ("", None):
        files = [(io.BytesIO(b""), "")] if name is None else [(io.BytesIO(PNG + b"nameless"), name)]
        answer = portal_form(zhao, {"csrf_token": portal_token(zhao), "evidence": files, "description": ["x"]})
        assert answer.status_code in (302, 400), answer.status_code
    # A JSON file said to be a PNG and a picture said to be JSON: told from the bytes, neither believed.
    lying = [(io.BytesIO(b'{"not": "a credential"}'), "scan.png", "image/png")]
    answer = portal_form(zhao, {"csrf_token": portal_token(zhao), "evidence": lying, "description": ["A scan"]})
    assert answer.status_code == 400
    # The whole form as JSON, or as urlencoded text: no CSRF token is read from it, nothing is done.
    answer = zhao.post("/me/recognition/new", json={"evidence": [b64(PNG)]})
    assert answer.status_code in (400, 403, 415)
    # Only the nameless scan may have been taken (a 302: recognition.applied and .assigned); nothing else.
    after = counts(bank)
    assert after[2] - held[2] <= 1, (held, after)
    assert after[1] - held[1] <= 1, (held, after)
    assert after[0] - held[0] <= 2, (held, after)
    for view in applications.list_applications(bank, learner_id=doors.other):
        if view["state"] in applications.OPEN_STATES:
            applications.withdraw(bank, view["id"], Applicant.bank())


MARKUP = "<script>alert(1)</script><img src=x onerror=alert(2)>\"'&"


def test_portal_descriptions_with_markup_are_escaped_for_the_learner_and_the_reviewer(doors: Doors) -> None:
    bank = doors.bank
    zhao = doors.portal["zhao"]
    answer = portal_form(zhao, {
        "csrf_token": portal_token(zhao), "evidence": [(io.BytesIO(PNG + b"markup"), "<b>x</b>.png")],
        "description": [f"Pottery 20 hours {MARKUP}"],
    })  # fmt: skip
    assert answer.status_code == 302, answer.get_data(as_text=True)[:500]
    application = answer.headers["Location"].rsplit("/", 1)[1]
    pages = [zhao.get(answer.headers["Location"]), zhao.get("/me/recognition")]
    # The reviewer whose page is read must be the one it is assigned to: another reviewer is not shown it.
    applications.assign(bank, application, doors.staff["reviewer"].login)
    pages.append(doors.staff["reviewer"].client.get(f"/staff/recognition/{application}"))
    pages.append(doors.staff["admin"].client.get(f"/staff/recognition/{application}"))
    pages.append(doors.staff["admin"].client.get("/staff/recognition"))
    for page in pages:
        text = page.get_data(as_text=True)
        assert page.status_code == 200
        assert "<script>" not in text
        assert "<img src=x" not in text
        assert "<b>x</b>" not in text
    assert "&lt;script&gt;" in pages[0].get_data(as_text=True)
    assert "&lt;script&gt;" in pages[2].get_data(as_text=True)
    applications.withdraw(bank, application, Applicant.bank())


def test_portal_recognition_pages_carry_no_store_and_a_policy_without_scripts(doors: Doors) -> None:
    li = doors.portal["li"]
    view = submitted(doors, doors.world.learner, "Portal headers", by_institution=False)
    for path in ("/me/recognition", "/me/recognition/new", f"/me/recognition/{view['id']}",
                 "/me/recognition/rap-aaaaaaaaaaaaaaaaaaaa"):  # fmt: skip
        answer = li.get(path)
        policy = answer.headers.get("Content-Security-Policy", "")
        assert answer.headers.get("Cache-Control") == "no-store", path
        assert "default-src 'none'" in policy, (path, policy)
        body = answer.get_data(as_text=True)
        if path == "/me/recognition/new":
            # The form loads the portal's own script (the file picker's button in the page's language): that one
            # file from this site, nothing inline, nothing from elsewhere.
            assert "script-src 'self';" in policy, (path, policy)
            assert re.findall(r"<script[^>]*>", body) == ['<script src="/static/portal.js" defer>']
        else:
            assert "script-src" not in policy, (path, policy)
            assert "<script" not in body
        assert "frame-ancestors 'none'" in policy
        assert answer.headers.get("X-Frame-Options") == "DENY"
        assert answer.headers.get("X-Content-Type-Options") == "nosniff"
    # Signed out, the pages are not shown at all.
    stranger = doors.app.test_client()
    for path in ("/me/recognition", "/me/recognition/new", f"/me/recognition/{view['id']}"):
        answer = stranger.get(path)
        assert answer.status_code in (302, 401), path
        assert answer.headers.get("Location", "").startswith("/login"), path
    applications.withdraw(doors.bank, view["id"], Applicant.bank())


# == the console ==================================================================================================


def console_routes(application: str) -> list[tuple[str, str, dict[str, str]]]:
    base = f"/staff/recognition/{application}"
    return [
        ("get", "/staff/recognition", {}),
        ("get", base, {}),
        ("get", f"{base}/evidence/1", {}),
        ("post", f"{base}/decide", {"decision-1": "refuse", "reason-1": "Probe"}),
        ("post", f"{base}/assign", {"reviewer": "door.reviewer2"}),
        ("post", f"{base}/revoke", {"reason": "Probe"}),
        ("get", "/staff/recognition/apply", {}),
        ("post", "/staff/recognition/apply", {"learner": "lrn_aaaaaaaaaaaaaaaaaaaa"}),
    ]


# Who may use each route (by index in console_routes): the rule the README sets. A registrar and a viewer follow their
# institution's applications in the list, and read no application's page or evidence; only bank staff do.
ALLOWED = {
    0: {"reviewer", "reviewer2", "admin", "registrar", "registrar_b", "viewer"},
    1: {"reviewer", "reviewer2", "admin"},
    2: {"reviewer", "reviewer2", "admin"},
    3: {"reviewer", "reviewer2"},
    4: {"admin"},
    5: {"admin"},
    6: {"registrar", "registrar_b"},
    7: {"registrar", "registrar_b"},
}


def test_console_every_role_against_every_recognition_route(doors: Doors) -> None:
    bank = doors.bank
    view = submitted(doors, learner(doors), "Console matrix")
    held = counts(bank)
    for role, member in doors.staff.items():
        page = member.client.get("/staff/recognition").get_data(as_text=True)
        token = csrf(page)
        for index, (method, path, form) in enumerate(console_routes(view["id"])):
            if method == "get":
                answer = member.client.get(path)
            else:
                answer = member.client.post(path, data={**form, "csrf_token": token})
            if role in ALLOWED[index]:
                # The service may still refuse (a reviewer the case is not assigned to): then it is the page, with
                # the refusal at the form, not the bare 403 of a role that has no business there.
                refused_by_service = index == 3 and view["id"].encode() in answer.get_data()
                assert answer.status_code != 500, (role, path)
                assert answer.status_code != 403 or refused_by_service, (role, path, answer.status_code)
            else:
                assert answer.status_code == 403, (role, method, path, answer.status_code)
    # Only the reviewer's refusal (the assigned one decides), the admin's assignment and nothing else may have
    # happened: no evidence row, no application and at most those two entries.
    after = counts(bank)
    assert after[1:] == held[1:]
    assert after[0] - held[0] <= 3
    # Signed out, every route asks for a sign-in and shows nothing.
    stranger = doors.app.test_client()
    for method, path, form in console_routes(view["id"]):
        answer = getattr(stranger, method)(path, data=form) if method == "post" else stranger.get(path)
        assert answer.status_code in (302, 400, 403), (path, answer.status_code)
        assert view["id"] not in answer.get_data(as_text=True) or answer.status_code == 302
    current = applications.get(bank, view["id"])
    if current["state"] in applications.OPEN_STATES:
        applications.withdraw(bank, view["id"], Applicant.bank())


def test_console_registrars_see_only_their_own_institution_s_applications(doors: Doors) -> None:
    view = submitted(doors, learner(doors), "Console registrar list")
    mine = doors.staff["registrar"].client.get("/staff/recognition").get_data(as_text=True)
    theirs = doors.staff["registrar_b"].client.get("/staff/recognition").get_data(as_text=True)
    assert view["id"] in mine
    assert view["id"] not in theirs
    for role in ("registrar", "registrar_b", "viewer"):
        client = doors.staff[role].client
        assert client.get(f"/staff/recognition/{view['id']}").status_code == 403
        assert client.get(f"/staff/recognition/{view['id']}/evidence/1").status_code == 403
    applications.withdraw(doors.bank, view["id"], Applicant.bank())


def test_console_a_reviewer_cannot_download_evidence_of_an_application_not_theirs(doors: Doors) -> None:
    bank = doors.bank
    view = submitted(doors, learner(doors), "Console not my case")
    applications.assign(bank, view["id"], doors.staff["reviewer"].login)
    alice = decisions.reviewer_by_id(bank, doors.staff["reviewer"].staff_id)
    decisions.decide(bank, view["id"], alice, [], [Refuse(1, "Not assessed")])
    try:
        # Decided by another reviewer, no appeal: nothing for reviewer2 to do with the learner's scan.
        answer = doors.staff["reviewer2"].client.get(f"/staff/recognition/{view['id']}/evidence/1")
        assert answer.status_code in (403, 404), answer.status_code
    finally:
        decisions.revoke(bank, view["id"], "probe over")


def test_console_evidence_is_an_attachment_of_its_stored_type_that_nothing_renders(doors: Doors) -> None:
    bank = doors.bank
    who = learner(doors)
    hostile_name = 'x".png\r\nContent-Type: text/html\r\nX-Injected: 1\r\n\r\n<script>alert(1)</script>'
    files = [
        EvidenceFile(PNG + b"<html><script>alert(1)</script>", hostile_name, "A scan with markup"),
        EvidenceFile(b"\xff\xd8\xff\xe0<svg onload=alert(1)>", "../../etc/photo.svg", "A JPEG scan"),
    ]
    view = applications.apply(bank, Applicant.for_institution(UNI_A), who, files, principal=UNI_A)
    client = doors.staff["admin"].client
    for number, media in ((1, "image/png"), (2, "image/jpeg")):
        answer = client.get(f"/staff/recognition/{view['id']}/evidence/{number}")
        assert answer.status_code == 200
        assert answer.headers["Content-Type"] == media
        disposition = answer.headers["Content-Disposition"]
        assert re.fullmatch(rf'attachment; filename="{view["id"]}-{number}\.(png|jpg)"', disposition), disposition
        assert answer.headers["X-Content-Type-Options"] == "nosniff"
        assert "sandbox" in answer.headers["Content-Security-Policy"]
        assert answer.headers.get("Cache-Control") == "no-store"
        assert "X-Injected" not in answer.headers
    applications.withdraw(bank, view["id"], Applicant.bank())


@pytest.mark.parametrize(
    "number",
    [
        pytest.param("0", id="zero"),
        pytest.param("-1", id="negative"),
        pytest.param("6", id="past-the-files"),
        pytest.param("1.0", id="decimal"),
        pytest.param("1e0", id="exponent"),
        pytest.param("٣", id="arabic-indic"),
        pytest.param("9223372036854775807", id="int64-max"),
        pytest.param("2147483648", id="past-int32"),
        pytest.param("9223372036854775808", id="past-int64"),
        pytest.param("9" * 400, id="400-digits"),
    ],
)
def test_console_evidence_numbers_out_of_range_are_404_never_500(doors: Doors, number: str) -> None:
    # Past what the column holds (int4 on PostgreSQL, int64 on SQLite) a driver would raise instead of finding
    # nothing; the number is bounded before any query.
    view = applications.list_applications(doors.bank, state="submitted", limit=1) or [
        submitted(doors, learner(doors), "Console evidence number")
    ]
    answer = doors.staff["admin"].client.get(f"/staff/recognition/{view[0]['id']}/evidence/{number}")
    assert answer.status_code in (400, 404), answer.status_code
    assert "Traceback" not in answer.get_data(as_text=True)


@pytest.fixture
def to_decide(doors: Doors) -> Iterator[dict[str, Any]]:
    view = submitted(doors, learner(doors), "Console decide form")
    applications.assign(doors.bank, view["id"], doors.staff["reviewer"].login)
    yield view
    current = applications.get(doors.bank, view["id"])
    if current["state"] in applications.OPEN_STATES:
        applications.withdraw(doors.bank, view["id"], Applicant.bank())
    elif current["state"] in ("decided", "final"):
        decisions.revoke(doors.bank, view["id"], "probe over")


@pytest.mark.parametrize(
    "credits",
    ["1e3", "١٢", "１２", "0.001", "-1", "NaN", "Infinity", "1,5", "1_000", "0x10", "+1", "1.", ".5", "",
     "9" * 12 + ".99", "9" * 40, "0", "0.00", " ", "1\x00"],
)  # fmt: skip
def test_console_decide_refuses_credits_in_other_spellings_and_appends_nothing(
    doors: Doors, to_decide: dict[str, Any], credits: str
) -> None:
    bank, member = doors.bank, doors.staff["reviewer"]
    path = f"/staff/recognition/{to_decide['id']}"
    held = counts(bank)
    answer = member.post(f"{path}/decide", {"decision-1": "recognize", "credits-1": credits, "reason-1": "Seen"},
                         from_page=path)  # fmt: skip
    assert answer.status_code in (400, 409, 422), (credits, answer.status_code)  # type: ignore[attr-defined]
    assert counts(bank) == held


def test_console_decide_forms_missing_or_doubled_fields_decide_nothing_unexpected(
    doors: Doors, to_decide: dict[str, Any]
) -> None:
    bank, member = doors.bank, doors.staff["reviewer"]
    path = f"/staff/recognition/{to_decide['id']}"
    held = counts(bank)
    for form in (
        {},
        {"decision-1": "recognize"},
        {"decision-1": "recognize", "credits-1": "2"},  # no reason
        {"decision-1": "accept", "credits-1": "2", "reason-1": "ok"},
        {"decision-2": "refuse", "reason-2": "No such item"},
        {"decision-1": "recognize", "credits-1": "2", "reason-1": "ok", "level-1": "99"},
        {"decision-1": "recognize", "credits-1": "2", "reason-1": "ok", "level-1": "9" * 30},
        {"decision-1": "recognize", "credits-1": "2", "reason-1": "ok", "level-1": "３"},
        {"decision-1": "recognize", "credits-1": "2", "reason-1": "ok", "category-1": "nope"},
        {"decision-1": "recognize", "credits-1": "2", "reason-1": "ok", "outcome-1": "NOPE"},
        {"decision-1": "refuse", "reason-1": "x" * 5000},
        {"decision-1": "refuse", "reason-1": "bell \x07"},
    ):
        answer = member.post(f"{path}/decide", form, from_page=path)
        assert answer.status_code in (400, 409, 422), (form, answer.status_code)  # type: ignore[attr-defined]
        assert counts(bank) == held, form
    # The decision as the form sends it twice (a replayed or tampered form): the two values of one field are not
    # silently narrowed to one, and whatever is decided is what the reviewer saw first.
    token = csrf(member.page(path))
    doubled = member.client.post(f"{path}/decide", data={
        "csrf_token": token, "decision-1": ["recognize", "refuse"], "credits-1": ["2", "500"],
        "reason-1": ["Assessed", "x"],
    })  # fmt: skip
    assert doubled.status_code in (302, 400, 422)
    if doubled.status_code == 302:
        given = applications.get(bank, to_decide["id"])["decision"]["recognized"]
        assert [Decimal(str(item["credits"])) for item in given] == [Decimal(2)]


def test_console_revoke_asks_for_password_and_code_again(doors: Doors) -> None:
    bank = doors.bank
    who = learner(doors)
    view = submitted(doors, who, "Console revoke reauth")
    applications.assign(bank, view["id"], doors.staff["reviewer"].login)
    alice = decisions.reviewer_by_id(bank, doors.staff["reviewer"].staff_id)
    decisions.decide(bank, view["id"], alice, [Recognize(1, Decimal(1), "Seen")], [])
    admin = doors.staff["admin"]
    path = f"/staff/recognition/{view['id']}"
    with bank.db.writing() as session:
        session.execute(update(StaffSession).values(authenticated_at=datetime.now(UTC) - timedelta(minutes=6)))
    held = counts(bank)
    stale = admin.post(f"{path}/revoke", {"reason": "Audit", "back": path}, from_page=path)
    assert stale.status_code == 302  # type: ignore[attr-defined]
    assert "/staff/reauth" in stale.headers["Location"]  # type: ignore[attr-defined]
    assert counts(bank) == held
    admin.confirm()
    done = admin.post(f"{path}/revoke", {"reason": "Audit"}, from_page=path)
    assert done.status_code == 302  # type: ignore[attr-defined]
    assert applications.get(bank, view["id"])["state"] == "revoked"


def test_console_registrar_apply_refuses_other_institutions_learners_and_hostile_forms(doors: Doors) -> None:
    bank = doors.bank
    stranger = learners.enroll(bank, Principal("test", "uni-b", frozenset({"records:write"})),
                               LearnerInput(datetime(1970, 2, 2).date(), name_zh="钱七")).body["id"]  # fmt: skip
    member = doors.staff["registrar"]
    held = counts(bank)

    def send(data: dict[str, Any]) -> Any:
        data = {"csrf_token": csrf(member.page("/staff/recognition/apply")), **data}
        builder = EnvironBuilder(path="/staff/recognition/apply", method="POST", data=data,
                                 content_type="multipart/form-data")  # fmt: skip
        environ = builder.get_environ()
        try:
            return member.client.open(environ)
        finally:
            environ["wsgi.input"].close()
            builder.close()

    scan_file = (io.BytesIO(PNG + b"registrar"), "scan.png")
    for form in (
        {"learner": stranger, "file-1": scan_file, "description-1": "Course"},
        {"learner": "lrn_' OR 1=1 --", "file-1": (io.BytesIO(PNG), "a.png"), "description-1": "Course"},
        {"learner": doors.world.learner, "framework": "../../x", "file-1": (io.BytesIO(PNG), "a.png")},
        {"learner": doors.world.learner, "file-1": (io.BytesIO(b"GIF89a"), "a.png"), "description-1": "x"},
        {"learner": doors.world.learner, "file-1": (io.BytesIO(PNG + b"d"), "a.png"), "description-1": MARKUP + "\x07"},
        {"learner": doors.world.learner, "file-9": (io.BytesIO(PNG + b"e"), "a.png"), "description-9": "Slot 9"},
    ):
        answer = send(form)
        assert answer.status_code in (400, 404, 409, 422), (form.get("learner"), answer.status_code)
        assert "<script>" not in answer.get_data(as_text=True)
    assert counts(bank) == held


# == the trust list and what it fetches ============================================================================


@pytest.mark.parametrize(
    "did",
    [
        "did:web:[::1]",
        "did:web:%5B%3A%3A1%5D",
        "did:web:user@bank.example",
        "did:web:user%40bank.example",
        "did:web:bank.example:..:..",
        "did:web:bank.example:%2E%2E",
        "did:web:bank.example:a%2Fb",
        "did:web:Bank.Example",
        "did:web:bank.example.",
        "did:web:bücher.example",
        "did:web:bank.example%3A0",
        "did:web:bank.example%3A65536",
        "did:web:bank.example%3A22%3A80",
        "did:web:bank.example%3a443",
        "did:web:bank.example#frag",
        "did:web:bank.example?q=1",
        "did:web:bank.example/x",
        "did:web:bank.example\x00",
        "did:web:bank.example\n",
        "did:web:",
        "did:web:" + "a" * 300,
        "did:key:z6Mkinvalid",
        "did:example:123",
        "https://bank.example",
    ],
)
def test_trust_add_refuses_dids_that_are_not_one_canonical_did_web_host(did: str) -> None:
    with pytest.raises(InvalidInput):
        trust_list.check_did(did)


def test_trust_add_takes_punycode_and_loopback_with_a_port() -> None:
    # Punycode is the one spelling of an IDN host; loopback over plain HTTP is how two banks federate on one machine.
    for did in ("did:web:xn--bcher-kva.example", "did:web:localhost%3A8443", "did:web:127.0.0.1%3A5000:bank:a"):
        assert trust_list.check_did(did) == did
    assert remote.site_of("did:web:localhost%3A22").scheme == "http"


@pytest.mark.parametrize(
    "did",
    [
        "did:web:169.254.169.254",
        "did:web:0.0.0.0",
        "did:web:255.255.255.255",
        "did:web:224.0.0.1",
        "did:web:0",
        "did:web:127.1",
        "did:web:2130706433",
        "did:web:0x7f000001",
        "did:web:0177.0.0.1",
    ],
)
def test_trust_add_refuses_ip_hosts_that_are_ssrf_bait(did: str) -> None:
    with pytest.raises(InvalidInput):
        trust_list.check_did(did)


def test_trust_mappings_of_wrong_shape_are_refused_by_place(doors: Doors) -> None:
    bank = doors.bank
    held = counts(bank)
    good = {"achievement": "*", "framework": "test-fw", "level": 3, "category": "general", "credits": 1}
    for mappings, place in (
        ({"achievement": "*"}, "mappings"),
        ([good] * (trust_list.MAPPINGS_LIMIT + 1), "mappings"),
        (["*"], "mappings[0]"),
        ([{**good, "framework": "eqf-unknown"}], "mappings[0].framework"),
        ([{**good, "framework": ["test-fw"]}], "mappings[0].framework"),
        ([{**good, "level": 99}], "mappings[0].level"),
        ([{**good, "level": "3"}], "mappings[0].level"),
        ([{**good, "level": True}], "mappings[0].level"),
        ([{**good, "level": 3.0}], "mappings[0].level"),
        ([{**good, "category": "secret"}], "mappings[0].category"),
        ([{**good, "category": {"id": "general"}}], "mappings[0].category"),
        ([{**good, "outcome": "NOPE"}], "mappings[0].outcome"),
        ([{**good, "outcome": ["DL-1"]}], "mappings[0].outcome"),
        ([{**good, "credits": -1}], "mappings[0].credits"),
        ([{**good, "credits": 1e3 + 1}], "mappings[0].credits"),
        ([{**good, "credits": "1e3"}], "mappings[0].credits"),
        ([{**good, "credits": float("nan")}], "mappings[0].credits"),
        ([{**good, "credits": [1]}], "mappings[0].credits"),
        ([{**good, "credits_ratio": 1}], "mappings[0]"),
        ([{**good, "achievement": ""}], "mappings[0].achievement"),
        ([{**good, "achievement": "x" * 501}], "mappings[0].achievement"),
        ([{**good, "achievement": "a\u202eb"}], "mappings[0].achievement"),
        ([{**good, "surprise": 1}], "mappings[0].surprise"),
        ([good, dict(good)], "mappings[1].achievement"),
    ):
        with pytest.raises(InvalidInput) as caught:
            trust_list.add_issuer(bank, "did:web:doors-map.example", "Mapping probe", mappings=mappings)
        assert place in (caught.value.errors or {}), (place, caught.value.errors)
    assert counts(bank) == held
    assert trust_list.find(bank, "did:web:doors-map.example") is None


def test_trust_add_mapping_files_huge_deep_or_odd_are_refused_cleanly(doors: Doors, tmp_path: Path) -> None:
    from creditbank.cli import main

    bank = doors.bank
    config = dict(doors.app.config)
    files = {
        "huge.json": b'{"mappings": [' + b'{"achievement": "*"},' * 60_000 + b"{}]}",
        "deep.json": b"[" * 200_000 + b"]" * 200_000,
        "deep2.json": b'{"mappings": ' + b"[" * 200_000 + b"]" * 200_000 + b"}",
        "deep.toml": b"mappings = " + b"[" * 50_000 + b"]" * 50_000,
        "dup.json": b'{"mappings": [], "mappings": []}',
        "extra.toml": b'note = "x"\n[[mappings]]\nachievement = "*"\n',
        "date.toml": b'[[mappings]]\nachievement = 2026-01-01\nframework = "test-fw"\nlevel = 3\n'
        b'category = "general"\ncredits = inf\n',
        "latin1.json": '{"mappings": [{"achievement": "é"}]}'.encode("latin-1"),
        "empty.json": b"",
        "nul.json": b'{"mappings": [{"achievement": "\\u0000"}]}',
    }
    held = counts(bank)
    runner = CliRunner()
    for name, content in files.items():
        path = tmp_path / name
        path.write_bytes(content)
        result = runner.invoke(main, ["trust", "add", "did:web:doors-file.example", "--name", "File probe",
                                     "--mappings", str(path)], env=_cli_env(config), catch_exceptions=True)  # fmt: skip
        assert result.exit_code != 0, (name, result.output[-300:])
        assert result.exception is None or isinstance(result.exception, SystemExit), (name, repr(result.exception))
        assert "Traceback" not in result.output, name
    assert counts(bank) == held


def _cli_env(config: dict[str, Any]) -> dict[str, str]:
    names = ("CREDITBANK_DATABASE_URL", "CREDITBANK_INSTANCE_PATH", "CREDITBANK_KEY_PASSPHRASE",
             "CREDITBANK_SERVER_NAME")  # fmt: skip
    return {name: str(config[name]) for name in names if config.get(name) is not None}


def test_trust_a_mappings_file_is_read_no_further_than_its_limit(tmp_path: Path) -> None:
    fifo = tmp_path / "mappings.json"
    os.mkfifo(fifo)
    release = threading.Event()

    def write() -> None:
        try:
            with open(fifo, "wb") as handle:
                handle.write(b"[" + b" " * (trust_list.FILE_LIMIT + 1024))
                handle.flush()
                release.wait(4)  # a writer that does not end (a FIFO, /dev/zero, a file still growing)
        except BrokenPipeError:
            return

    writer = threading.Thread(target=write, daemon=True)
    writer.start()
    started = time.monotonic()
    try:
        with pytest.raises(InvalidInput) as caught:
            trust_list.read_mappings_file(fifo)
        elapsed = time.monotonic() - started
    finally:
        release.set()
        writer.join(5)
    assert caught.value.errors == {"mappings": "too large"}
    assert elapsed < 2, f"read until the writer stopped ({elapsed:.1f} s)"


def _site(port: int) -> remote.Site:
    return remote.site_of(f"did:web:127.0.0.1%3A{port}")


def test_remote_a_did_document_that_never_comes_is_given_up_within_the_timeout() -> None:
    with slow_server(mode="sleep", seconds=7) as server:
        site = _site(server.port)
        started = time.monotonic()
        with pytest.raises(remote.RemoteError):
            remote.fetch(site, site.did_document_url, remote.DID_DOCUMENT_BYTES, keep=False)
        elapsed = time.monotonic() - started
    assert elapsed < remote.TIMEOUT_SECONDS + 1, elapsed


def test_remote_a_did_document_whose_headers_drip_is_given_up_within_the_timeout() -> None:
    with slow_server(mode="drip-headers", seconds=7, every=0.5) as server:
        site = _site(server.port)
        started = time.monotonic()
        with contextlib.suppress(remote.RemoteError):
            remote.fetch(site, site.did_document_url, remote.DID_DOCUMENT_BYTES, keep=False)
        elapsed = time.monotonic() - started
    assert elapsed < remote.TIMEOUT_SECONDS + 1, elapsed


def test_remote_a_body_that_drips_is_cut_at_the_deadline() -> None:
    with slow_server(mode="big-length", length=100_000, seconds=7, every=0.5) as server:
        site = _site(server.port)
        started = time.monotonic()
        with pytest.raises(remote.RemoteError, match="took more than"):
            remote.fetch(site, f"{site.origin}/status/1-revocation", remote.STATUS_LIST_BYTES, keep=False)
        elapsed = time.monotonic() - started
    assert elapsed < remote.TIMEOUT_SECONDS + 1.5, elapsed


def test_remote_huge_answers_are_refused_on_their_claim_and_at_the_cap() -> None:
    # A status list claiming 100 MB: refused on the header, before any of it is waited for.
    with slow_server(mode="big-length", length=100 * 1024 * 1024, seconds=7, every=0.5) as server:
        site = _site(server.port)
        started = time.monotonic()
        with pytest.raises(remote.RemoteError, match="larger than"):
            remote.fetch(site, f"{site.origin}/status/1-revocation", remote.STATUS_LIST_BYTES, keep=False)
        assert time.monotonic() - started < 1.5
    # A 10 MB DID document sent whole: cut at the DID document cap.
    with slow_server(mode="body", body=b"{" + b" " * (10 * 1024 * 1024) + b"}") as server:
        site = _site(server.port)
        with pytest.raises(remote.RemoteError, match="larger than"):
            remote.fetch(site, site.did_document_url, remote.DID_DOCUMENT_BYTES, keep=False)


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
def test_remote_a_redirect_to_loopback_ssh_is_not_followed(status: int) -> None:
    with slow_server(mode="body", status=status, location="http://127.0.0.1:22/", body=b"") as server:
        site = _site(server.port)
        with pytest.raises(remote.RemoteError, match=str(status)):
            remote.fetch(site, site.did_document_url, remote.DID_DOCUMENT_BYTES, keep=False)


def test_remote_urls_off_the_issuer_s_host_are_never_fetched() -> None:
    site = remote.site_of("did:web:127.0.0.1%3A5000")
    for url in (
        "http://127.0.0.1:22/status/1",
        "http://127.0.0.1:5000@169.254.169.254/status/1",
        "http://127.0.0.1:5000\\@evil/status/1",
        "https://127.0.0.1:5000/status/1",
        "http://127.0.0.1/status/1",
        "http://127.0.0.1:05000/status/1",
        "http://127.0.0.1:5000/status/1?x=1",
        "http://127.0.0.1:5000/status/1#x",
        "http://127.0.0.1:5000",
        "file:///etc/passwd",
        "gopher://127.0.0.1:5000/",
    ):
        with pytest.raises(remote.RemoteError, match="not on the issuer"):
            remote.fetch(site, url, 10, keep=False)


def test_a_did_document_listing_keys_of_another_did_gives_no_keys_for_them() -> None:
    from certificates import verify as verification

    did = "did:web:bank-a.example"
    key = "z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK"
    document = {
        "id": did,
        "verificationMethod": [
            {"id": "did:web:bank-b.example#key-1", "type": "Multikey", "controller": did, "publicKeyMultibase": key},
            {
                "id": f"{did}#key-2",
                "type": "Multikey",
                "controller": "did:web:bank-b.example",
                "publicKeyMultibase": key,
            },
            {"id": f"{did}#key-3", "type": "Multikey", "controller": did, "publicKeyMultibase": key},
        ],
        "assertionMethod": ["did:web:bank-b.example#key-1", f"{did}#key-2", f"{did}#key-3"],
    }
    trust = verification.did_document_trust(document)
    assert [issuer_key.method for issuer_key in trust.keys] == [f"{did}#key-3"]


def test_an_untrusted_or_fetch_failing_issuer_over_the_api_is_a_problem_with_nothing_appended(doors: Doors) -> None:
    # A credential whose issuer is SSRF bait, never on the trust list: refused before any fetch, as a problem.
    world, bank = doors.world, doors.bank
    who = learner(doors)
    fetched: list[str] = []
    real = remote._get
    remote._get = lambda url, limit, timeout: fetched.append(url) or real(url, limit, timeout)  # type: ignore[assignment]
    try:
        held = counts(bank)
        for issuer in ("did:web:169.254.169.254", "did:web:localhost%3A22", "did:web:127.0.0.1%3A22:..:x"):
            credential = {"@context": ["https://www.w3.org/ns/credentials/v2"], "type": ["VerifiableCredential"],
                          "issuer": issuer, "credentialSubject": {}}  # fmt: skip
            answer = world.client.post(APPS, json={"learner": who, "evidence": [
                {"content_base64": b64(json.dumps(credential).encode())}]}, headers=world.headers())  # fmt: skip
            assert_problem(answer, 400, 409, 422)
        assert counts(bank) == held
    finally:
        remote._get = real  # type: ignore[assignment]
    assert fetched == []


def test_an_applicant_learns_nothing_of_the_bank_s_network_from_a_refusal(doors: Doors) -> None:
    # A trusted loopback issuer whose host is down: the refusal names the failure, not the address's internals.
    bank = doors.bank
    did = "did:web:127.0.0.1%3A9"
    trust_list.add_issuer(bank, did, "Down bank")
    try:
        who = learner(doors)
        credential = {"@context": ["https://www.w3.org/ns/credentials/v2"], "type": ["VerifiableCredential"],
                      "issuer": did, "credentialSubject": {}}  # fmt: skip
        with pytest.raises(InvalidInput):
            applications.apply(bank, Applicant.for_institution(UNI_A), who,
                               [EvidenceFile(json.dumps(credential).encode())], principal=UNI_A)  # fmt: skip
    finally:
        trust_list.remove_issuer(bank, did, "probe over")
        remote.forget()
    assert trust_list.find(bank, did) is None


def test_api_two_bodies_racing_under_one_key_never_leave_a_refused_request_written(doors: Doors) -> None:
    world, bank = doors.world, doors.bank
    who = learner(doors)
    key = f"door-race-{next(_SERIAL)}"
    barrier = threading.Barrier(2)
    answers: list[int] = []

    def send(text: str) -> None:
        client = doors.app.test_client()
        body = {"learner": who, "evidence": [{"content_base64": b64(PNG + text.encode()), "description": text}]}
        barrier.wait()
        answers.append(client.post(APPS, json=body, headers=world.headers(**{"Idempotency-Key": key})).status_code)

    # Both requests reach the work before either stores its answer (as two gunicorn workers may): deterministic
    # on both databases, and harmless once the key is claimed first (the wait then times out and the work goes on).
    meet = threading.Barrier(2, timeout=5)
    real = applications.apply

    def meeting(*args: Any, **kwargs: Any) -> Any:
        with contextlib.suppress(threading.BrokenBarrierError):
            meet.wait()
        return real(*args, **kwargs)

    held = counts(bank)
    applications.apply = meeting  # type: ignore[assignment]
    try:
        threads = [threading.Thread(target=send, args=(f"Race body {n}",)) for n in (1, 2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
    finally:
        applications.apply = real  # type: ignore[assignment]
    made = counts(bank)[2] - held[2]
    try:
        assert sorted(answers)[0] == 201, answers
        assert made == sum(1 for status in answers if status in (200, 201)), (answers, made)
    finally:
        for view in applications.list_applications(bank, learner_id=who):
            if view["state"] in applications.OPEN_STATES:
                applications.withdraw(bank, view["id"], Applicant.bank())
