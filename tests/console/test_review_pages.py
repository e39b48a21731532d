"""The bank reviewer's pages through the test client: the proposal queue, approving, rejecting with a reason,
proposing by upload, the catalogue, and awards after the requirement check."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from creditbank import actors
from creditbank.models import CatalogueOutcome, LedgerBody, LedgerEntry
from creditbank.runtime import Bank
from creditbank.services.credits import credit_rules
from creditbank.services.records import api_keys
from tests.console.staff_helpers import SignedIn, csrf, staff_member
from tests.helpers import register
from tests.integration.credit_world import FRAMEWORK, OUTCOME, RULES

EN = {"Accept-Language": "en"}


def entries(bank: Bank, kind: str) -> list[tuple[str, dict[str, Any]]]:
    with bank.db.reading() as session:
        rows = session.execute(
            select(LedgerEntry.actor, LedgerBody.body)
            .join(LedgerBody, LedgerBody.seq == LedgerEntry.seq)
            .where(LedgerEntry.kind == kind)
            .order_by(LedgerEntry.seq)
        ).all()
    return [(actor, json.loads(body)) for actor, body in rows]


def status_of(bank: Bank, code: str) -> str | None:
    with bank.db.reading() as session:
        held = session.get(CatalogueOutcome, code)
        return held.status if held is not None else None


@pytest.fixture
def reviewer(bank: Bank, client: FlaskClient) -> SignedIn:
    register(bank, "uni-a", credit_unit="credit", hours_per_unit=16)
    credit_rules.publish_framework(bank, FRAMEWORK, source="test")
    credit_rules.propose_outcomes(
        bank,
        [{**OUTCOME, "code": "DL-7"}, {**OUTCOME, "code": "DL-8", "credits": 50}],
        actor=actors.institution_actor("uni-a", "stf-registrar0000000000"),
        source="test",
    )
    client.set_cookie("lang", "en")
    return staff_member(bank, client, "rev.one", "reviewer")


def post(signed: SignedIn, path: str, data: dict[str, Any], from_page: str) -> Any:
    token = csrf(signed.page(from_page))
    return signed.client.post(path, data={**data, "csrf_token": token}, headers=EN)


def test_the_queue_shows_each_proposal_with_who_proposed_it_and_when(reviewer: SignedIn) -> None:
    page = reviewer.page("/staff/review/proposals")
    assert "DL-7" in page
    assert "DL-8" in page
    assert "Digital literacy 1" in page
    assert "inst:uni-a/staff:stf-registrar0000000000" in page
    assert 'action="/staff/review/proposals/DL-7/reject"' in page
    assert 'href="/staff/review/proposals" aria-current="page"' in page
    home = reviewer.page("/staff/")
    assert 'href="/staff/review/proposals"' in home
    assert 'href="/staff/review/awards"' in home
    assert "/staff/admin/" not in home


def test_approving_writes_an_entry_as_the_reviewer(bank: Bank, reviewer: SignedIn) -> None:
    answer = post(reviewer, "/staff/review/proposals/DL-7/approve", {}, "/staff/review/proposals")
    assert answer.status_code == 302
    assert status_of(bank, "DL-7") == "approved"
    ((actor, body),) = entries(bank, "catalogue.outcome_approved")
    assert actor == f"bank:reviewer/staff:{reviewer.staff_id}"
    assert body["outcome"] == "DL-7"
    catalogue = reviewer.page("/staff/review/catalogue")
    assert "DL-7" in catalogue
    assert "approved" in catalogue
    assert "DL-7" not in reviewer.page("/staff/review/proposals").split("Propose outcomes")[0]


def test_rejecting_needs_a_reason_and_shows_it_afterwards(bank: Bank, reviewer: SignedIn) -> None:
    refused = post(reviewer, "/staff/review/proposals/DL-8/reject", {"reason": "  "}, "/staff/review/proposals")
    assert refused.status_code == 422
    text = refused.get_data(as_text=True)
    assert "Give the reason for rejecting." in text
    assert 'aria-describedby="reason-hint-DL-8 reason-error-DL-8"' in text
    assert entries(bank, "catalogue.outcome_rejected") == []
    control = post(reviewer, "/staff/review/proposals/DL-8/reject", {"reason": "a\x00b"}, "/staff/review/proposals")
    assert control.status_code == 422
    assert "control characters" in control.get_data(as_text=True)
    reason = "50 credits is far above what this unit is worth."
    answer = post(reviewer, "/staff/review/proposals/DL-8/reject", {"reason": reason}, "/staff/review/proposals")
    assert answer.status_code == 302
    ((actor, body),) = entries(bank, "catalogue.outcome_rejected")
    assert actor == f"bank:reviewer/staff:{reviewer.staff_id}"
    assert body["reason"] == reason
    assert status_of(bank, "DL-8") == "rejected"
    assert reason in reviewer.page("/staff/review/catalogue")


def test_a_reviewer_cannot_decide_on_their_own_proposal(bank: Bank, reviewer: SignedIn, app) -> None:
    upload = b'[[outcomes]]\ncode = "DL-9"\nframework = "test-fw"\nlevel = 2\ncredits = 1\n'
    upload += b'category = "digital_literacy"\nname = { zh = "\xe4\xb9\x9d", en = "Nine" }\n'
    upload += b'description = { zh = "\xe4\xb9\x9d", en = "Nine" }\n'
    token = csrf(reviewer.page("/staff/review/proposals"))
    answer = reviewer.client.post(
        "/staff/review/proposals",
        data={"csrf_token": token, "file": (io.BytesIO(upload), "outcomes.toml")},
        content_type="multipart/form-data",
        headers=EN,
    )
    assert answer.status_code == 200, answer.get_data(as_text=True)
    assert "The file was accepted" in answer.get_data(as_text=True)
    ((actor, _body),) = [e for e in entries(bank, "catalogue.outcome_proposed") if e[1]["outcome"] == "DL-9"]
    assert actor == f"bank:reviewer/staff:{reviewer.staff_id}"
    refused = post(reviewer, "/staff/review/proposals/DL-9/approve", {}, "/staff/review/proposals")
    assert refused.status_code == 403
    assert "another reviewer must decide" in refused.get_data(as_text=True)
    refused = post(reviewer, "/staff/review/proposals/DL-9/reject", {"reason": "mine"}, "/staff/review/proposals")
    assert refused.status_code == 403
    assert status_of(bank, "DL-9") == "proposed"
    other = staff_member(bank, app.test_client(), "rev.two", "reviewer")
    assert (
        other.post("/staff/review/proposals/DL-9/approve", {}, from_page="/staff/review/proposals").status_code == 302
    )
    assert status_of(bank, "DL-9") == "approved"


def test_a_broken_proposal_file_shows_every_fault_by_place_and_writes_nothing(bank: Bank, reviewer: SignedIn) -> None:
    upload = b'[[outcomes]]\ncode = "bad code"\nframework = "nowhere"\nlevel = 0\n'
    token = csrf(reviewer.page("/staff/review/proposals"))
    before = len(entries(bank, "catalogue.outcome_proposed"))
    answer = reviewer.client.post(
        "/staff/review/proposals",
        data={"csrf_token": token, "file": (io.BytesIO(upload), "outcomes.toml")},
        content_type="multipart/form-data",
        headers=EN,
    )
    assert answer.status_code == 422
    text = answer.get_data(as_text=True)
    assert "nothing was written" in text
    assert "<code>outcomes[0].code</code>" in text
    assert "<code>outcomes[0].framework</code>" in text
    assert len(entries(bank, "catalogue.outcome_proposed")) == before


def test_an_oversized_upload_is_refused_before_it_is_read(bank: Bank, reviewer: SignedIn) -> None:
    token = csrf(reviewer.page("/staff/review/proposals"))
    before = len(entries(bank, "catalogue.outcome_proposed"))
    head = f'--b\r\nContent-Disposition: form-data; name="csrf_token"\r\n\r\n{token}\r\n--b\r\n'.encode()
    head += b'Content-Disposition: form-data; name="file"; filename="big.toml"\r\n\r\n'
    body = head + b"#" * (credit_rules.UPLOAD_LIMIT + 32 * 1024) + b"\r\n--b--\r\n"
    answer = reviewer.client.post(
        "/staff/review/proposals", data=body, content_type="multipart/form-data; boundary=b", headers=EN
    )
    assert answer.status_code == 413
    assert "too large" in answer.get_data(as_text=True)
    assert len(entries(bank, "catalogue.outcome_proposed")) == before


def test_a_forged_form_without_the_token_is_refused(bank: Bank, reviewer: SignedIn) -> None:
    answer = reviewer.client.post("/staff/review/proposals/DL-7/approve", data={}, headers=EN)
    assert answer.status_code == 400
    assert status_of(bank, "DL-7") == "proposed"


def _learner_with_credits(bank: Bank, client: FlaskClient, credits: int) -> str:
    register(bank, "uni-b")
    register(bank, "mooc-x", type="mooc_platform")
    register(bank, "senior-c", type="senior_college")
    credit_rules.approve_outcome(bank, "DL-7", "reviewer-0")
    credit_rules.publish_rules(bank, RULES, source="test")
    token = api_keys.issue(bank, "uni-a").token
    headers = {"Authorization": f"Bearer {token}"}
    person = {"name": {"zh": "李娟"}, "birth_date": "1958-03-04", "national_id": {"number": "11010519491231002X"}}
    answer = client.post("/api/v1/learners", json=person, headers=headers)
    assert answer.status_code == 201, answer.get_data(as_text=True)
    learner: str = answer.get_json()["id"]
    item = {
        "learner": learner,
        "record_id": "R1",
        "kind": "course",
        "title": {"en": "R1"},
        "completed": "2026-01-10",
        "credits": credits,
    }
    assert client.post("/api/v1/achievements", json=item, headers=headers).status_code == 201
    return learner


def test_an_award_is_refused_while_requirements_are_missing(bank: Bank, reviewer: SignedIn, app) -> None:
    learner = _learner_with_credits(bank, app.test_client(), 4)
    page = reviewer.page(f"/staff/review/awards?learner={learner}&qualification=test-diploma")
    assert "Some requirements are missing" in page
    assert 'method="post" action="/staff/review/awards"' not in page
    answer = post(
        reviewer,
        "/staff/review/awards",
        {"learner": learner, "qualification": "test-diploma"},
        "/staff/review/awards",
    )
    assert answer.status_code == 422
    text = answer.get_data(as_text=True)
    assert "Not awarded" in text
    assert "missing" in text
    assert entries(bank, "qualification.awarded") == []


def test_an_award_once_met_is_written_as_the_reviewer(bank: Bank, reviewer: SignedIn, app) -> None:
    learner = _learner_with_credits(bank, app.test_client(), 25)
    page = reviewer.page(f"/staff/review/awards?learner={learner}&qualification=test-diploma")
    assert "Every requirement is met" in page
    assert 'method="post" action="/staff/review/awards"' in page
    answer = post(
        reviewer,
        "/staff/review/awards",
        {"learner": learner, "qualification": "test-diploma"},
        f"/staff/review/awards?learner={learner}&qualification=test-diploma",
    )
    assert answer.status_code == 200, answer.get_data(as_text=True)
    assert "Awarded test-diploma" in answer.get_data(as_text=True)
    ((actor, body),) = entries(bank, "qualification.awarded")
    assert actor == f"bank:reviewer/staff:{reviewer.staff_id}"
    assert body["learner"] == learner
    assert [a for a, _ in entries(bank, "credits.redeemed")] == [actor]


def test_an_unknown_learner_or_a_malformed_id_is_a_clear_page(reviewer: SignedIn) -> None:
    for learner in ("lrn_00000000000000000000", "x' or 1=1", "\x00"):
        answer = reviewer.client.get(
            "/staff/review/awards", query_string={"learner": learner, "qualification": "test-cert"}, headers=EN
        )
        assert answer.status_code == 404
        assert "There is no such learner or qualification." in answer.get_data(as_text=True)
    assert reviewer.client.get("/staff/review/proposals/%00/approve").status_code == 405


def test_pages_speak_chinese_too(reviewer: SignedIn) -> None:
    reviewer.client.set_cookie("lang", "zh")
    page = reviewer.page("/staff/review/proposals")
    assert "待审成果" in page
    assert "驳回理由" in page
    assert "授予资格" in reviewer.page("/staff/review/awards")


def test_other_roles_cannot_reach_the_review_pages(bank: Bank, reviewer: SignedIn, app) -> None:
    admin = staff_member(bank, app.test_client(), "adm.one", "admin")
    registrar = staff_member(bank, app.test_client(), "reg.one", "registrar", "uni-a")
    for signed in (admin, registrar):
        for path in ("/staff/review/proposals", "/staff/review/catalogue", "/staff/review/awards"):
            assert signed.client.get(path).status_code == 403, (signed.login, path)
        token = csrf(signed.page("/staff/"))
        answer = signed.client.post("/staff/review/proposals/DL-7/approve", data={"csrf_token": token})
        assert answer.status_code == 403
    assert status_of(bank, "DL-7") == "proposed"
    assert reviewer.client.get("/staff/admin/institutions").status_code == 403
    anonymous = app.test_client().get("/staff/review/proposals")
    assert anonymous.status_code == 302
    assert "/staff/login" in anonymous.headers["Location"]
