"""Linking a second institution to a learner the bank already holds: only when the identity matches.

Institution B knowing someone's ID number (it is printed on documents) must not be enough to reach the person that
institution A enrolled: a mismatch is one opaque 409 that appends nothing, and a link never touches the portal
account's activation."""

from __future__ import annotations

import statistics
import time
from typing import Any

import pytest
from sqlalchemy import select

from creditbank.models import ActivationCode, LedgerBody, LedgerEntry
from creditbank.services.records import api_keys, learners
from tests.api.records_fixtures import VALID_ID, World, assert_problem, headers
from tests.helpers import register

PERSON: dict[str, Any] = {
    "name": {"zh": "王堃", "latin": "Wang Kun"},
    "birth_date": "1961-09-27",
    "national_id": {"country": "CN", "number": VALID_ID},
    "email": "wang.kun@uni-a.example",
}


def enroll(world: World, token: str, person: dict[str, Any], **extra: str) -> Any:
    return world.client.post("/api/v1/learners", json=person, headers=headers(token, **extra))


def _with(**changes: Any) -> dict[str, Any]:
    return {**PERSON, **changes}


@pytest.fixture
def first(world: World) -> dict[str, Any]:
    response = enroll(world, world.a, PERSON)
    assert response.status_code == 201
    body: dict[str, Any] = response.get_json()
    assert body["status"] == "enrolled"
    assert body["activation_code"]
    return body


MISMATCHES = {
    "other-name": _with(name={"zh": "李四"}),
    "other-latin-name": _with(name={"latin": "Li Si"}),
    # A Latin name is no evidence for a Chinese one: the forms are compared only with their own kind.
    "latin-given-as-zh": _with(name={"zh": "Wang Kun"}),
    "zh-given-as-latin": _with(name={"latin": "王堃"}),
    "other-birth-date": _with(birth_date="1961-09-28"),
    "right-name-wrong-birth-date": _with(name={"zh": "王堃"}, birth_date="1970-01-01"),
    "no-name-in-common": _with(name={"zh": "王坤", "latin": "Wang Kunn"}),
}


@pytest.mark.parametrize("case", list(MISMATCHES))
def test_a_mismatched_identity_is_an_opaque_conflict_that_appends_nothing(
    world: World, first: dict[str, Any], case: str
) -> None:
    before = world.size()
    with world.bank.db.reading() as session:
        codes_before = session.scalars(select(ActivationCode.digest)).all()
    response = enroll(world, world.b, MISMATCHES[case])
    body = assert_problem(response, 409, "conflict")
    assert body["detail"] == learners.IDENTITY_CONFLICT
    text = response.get_data(as_text=True)
    for secret in ("王堃", "Wang Kun", "1961-09-27", "wang.kun", first["id"], VALID_ID[-4:]):
        assert secret not in text
    assert world.size() == before
    with world.bank.db.reading() as session:
        assert session.scalars(select(ActivationCode.digest)).all() == codes_before
    listed = world.client.get("/api/v1/learners", headers=headers(world.b)).get_json()["items"]
    assert listed == []
    assert world.client.get(f"/api/v1/learners/{first['id']}", headers=headers(world.b)).status_code == 404


def test_the_enrolling_institution_gets_the_same_answer_for_its_own_mismatch(world: World, first: dict) -> None:
    """The same words whoever holds the person, so the answer says nothing about who that is."""
    own = assert_problem(enroll(world, world.a, MISMATCHES["other-name"]), 409, "conflict")
    foreign = assert_problem(enroll(world, world.b, MISMATCHES["other-name"]), 409, "conflict")
    assert own == foreign


MATCHES = {
    "same": PERSON,
    "chinese-name-only": _with(name={"zh": "王堃"}, email="wk@ou-b.example"),
    "latin-name-only-other-case-and-spaces": _with(name={"latin": "  WANG   kun "}),
    "full-width-latin": _with(name={"latin": "Ｗａｎｇ　Ｋｕｎ"}),
    "one-form-right-other-new": _with(name={"zh": "王堃", "latin": "Wong Kwan"}),
    "id-with-spaces-and-lower-x": _with(
        national_id={"number": f"{VALID_ID[:6]} {VALID_ID[6:14]} {VALID_ID[14:].lower()}"}
    ),
}


@pytest.mark.parametrize("case", list(MATCHES))
def test_a_matching_identity_links_without_touching_the_portal_account(
    world: World, first: dict[str, Any], case: str
) -> None:
    with world.bank.db.reading() as session:
        codes_before = [(row.digest, row.used_at) for row in session.scalars(select(ActivationCode))]
    response = enroll(world, world.b, MATCHES[case])
    assert response.status_code == 201, response.get_data(as_text=True)
    body = response.get_json()
    assert (body["id"], body["status"]) == (first["id"], "linked")
    # No code for the linking institution, and A's outstanding code is neither replaced nor spent.
    assert "activation_code" not in body
    assert not {"has_account", "account"} & set(body)
    with world.bank.db.reading() as session:
        assert [(row.digest, row.used_at) for row in session.scalars(select(ActivationCode))] == codes_before


def test_names_with_middle_dots_match_whichever_dot_was_typed(world: World) -> None:
    person = _with(name={"zh": "阿依古丽·买买提"})
    assert enroll(world, world.a, person).status_code == 201
    for dot in ("・", "•", "･"):
        retyped = _with(name={"zh": f"阿依古丽{dot}买买提"})
        response = enroll(world, world.b, retyped)
        assert response.get_json()["status"] in ("linked", "already_enrolled"), (dot, response.get_json())


def test_a_changed_name_links_once_the_bank_records_it(world: World, first: dict[str, Any]) -> None:
    renamed = _with(name={"zh": "王新堃", "latin": "Wang Xinkun"})
    assert enroll(world, world.b, renamed).status_code == 409
    seq = learners.add_name(world.bank, first["id"], "王新堃", None)
    with world.bank.db.reading() as session:
        kind = session.get(LedgerEntry, seq)
        body = session.get(LedgerBody, seq)
        assert kind is not None
        assert kind.kind == "learner.identity_amended"
        assert body is not None
        assert "王新堃".encode() not in body.body
        assert b"Wang" not in body.body
    linked = enroll(world, world.b, renamed)
    assert linked.status_code == 201
    assert linked.get_json()["status"] == "linked"
    # The name given at enrollment keeps working: other documents still carry it.
    register(world.bank, "sc-c", type="senior_college")
    third = api_keys.issue(world.bank, "sc-c").token
    assert enroll(world, third, _with(name={"zh": "王堃"})).get_json()["status"] == "linked"


def test_conflict_timing_does_not_tell_whose_learner_it_is(world: World, first: dict[str, Any]) -> None:
    """A foreign institution's mismatch costs what the enrolling institution's own mismatch costs (both open
    the sealed identity and compare), so timing tells B nothing more than the answer does."""
    wrong = MISMATCHES["other-name"]
    enroll(world, world.a, wrong), enroll(world, world.b, wrong)  # warm both paths
    own: list[float] = []
    foreign: list[float] = []
    for _ in range(15):
        for token, times in ((world.a, own), (world.b, foreign)):
            started = time.perf_counter()
            assert enroll(world, token, wrong).status_code == 409
            times.append(time.perf_counter() - started)
    ratio = statistics.median(foreign) / statistics.median(own)
    assert 0.5 < ratio < 2.0, (statistics.median(own), statistics.median(foreign))
