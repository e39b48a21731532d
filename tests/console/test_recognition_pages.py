"""Recognition by application through the console: the reviewer's queue and decision page with the evidence served
safely, partial decisions feeding the account, the appeal decided by another reviewer, the affiliated reviewer kept
out, refusals at their fields, the admin's desk, and the registrar applying for the institution's own learners."""

from __future__ import annotations

import io
import json
import re
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select, update

from creditbank.models import LedgerEntry, StaffSession
from creditbank.runtime import Bank
from creditbank.services import credentials
from creditbank.services.recognition import applications, decisions
from creditbank.services.recognition.applications import Applicant
from creditbank.services.recognition.evidence_files import EvidenceFile
from creditbank.services.records import api_keys, learners
from creditbank.services.records.api_keys import Principal
from creditbank.services.staff import accounts
from creditbank.services.staff.members import ROLE_SCOPES
from tests.console.staff_helpers import SignedIn, csrf, set_up, staff_member
from tests.helpers import register
from tests.integration.credit_world import CreditWorld, build

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
REASON_1 = "Matches DL-1 in content and hours"
REASON_2 = "No assessment of learning outcomes"


@pytest.fixture
def world(client: FlaskClient, bank: Bank) -> CreditWorld:
    return build(client, bank)


def member(bank: Bank, app: Flask, login: str, role: str, institution: str | None = None) -> SignedIn:
    signed = staff_member(bank, app.test_client(), login, role, institution)
    signed.client.set_cookie("lang", "en")
    return signed


def affiliated_reviewer(bank: Bank, app: Flask, login: str, affiliation: str) -> SignedIn:
    created = accounts.add(bank, login, "reviewer", None, created_by="bank:test", affiliation=affiliation)
    client = app.test_client()
    authenticator = set_up(client, created.setup_token, login)
    client.set_cookie("lang", "en")
    return SignedIn(client, created.staff.login, created.staff.id, authenticator)


def scans(*descriptions: str) -> list[EvidenceFile]:
    return [EvidenceFile(PNG + text.encode(), f"scan{n}.png", text) for n, text in enumerate(descriptions)]


def uni_a() -> Principal:
    return Principal("test", "uni-a", frozenset({"records:read", "records:write"}))


def ledger_size(bank: Bank) -> int:
    with bank.db.reading() as session:
        return int(session.scalar(select(func.count()).select_from(LedgerEntry)) or 0)


def decide(signed: SignedIn, application: str, fields: dict[str, str]) -> Any:
    path = f"/staff/recognition/{application}"
    token = csrf(signed.page(path))
    return signed.client.post(f"{path}/decide", data={**fields, "csrf_token": token})


def partly(extra: dict[str, str] | None = None) -> dict[str, str]:
    return {
        "decision-1": "recognize",
        "credits-1": "4",
        "outcome-1": "DL-1",
        "reason-1": REASON_1,
        "decision-2": "refuse",
        "reason-2": REASON_2,
        **(extra or {}),
    }


def test_the_reviewer_sees_the_assigned_application_downloads_evidence_and_decides_part(
    world: CreditWorld, app: Flask
) -> None:
    bank = world.bank
    alice = member(bank, app, "alice", "reviewer")
    before = world.available()
    applied = applications.apply(
        bank, Applicant.learner(), world.learner, scans("Evening course in spreadsheets, 40 hours", "Choir, 2 years")
    )
    assert applied["reviewer"] == alice.staff_id
    queue = alice.page("/staff/recognition")
    mine = queue.split('id="rec_q_mine"')[1].split('id="rec_q_appeals"')[0]
    assert f'href="/staff/recognition/{applied["id"]}"' in mine
    assert "Under review" in mine
    assert applied["due"] in mine
    assert 'href="/staff/recognition" aria-current="page"' in queue

    page = alice.page(f"/staff/recognition/{applied['id']}")
    assert "Evening course in spreadsheets, 40 hours" in page
    assert "Scanned document" in page
    assert "a scanned document is yours to judge" in page
    assert 'name="decision-2"' in page

    answer = alice.client.get(f"/staff/recognition/{applied['id']}/evidence/2")
    assert answer.status_code == 200
    assert answer.data == PNG + b"Choir, 2 years"
    assert answer.headers["Content-Type"] == "image/png"
    assert answer.headers["Content-Disposition"].startswith("attachment;")
    assert answer.headers["X-Content-Type-Options"] == "nosniff"
    assert answer.headers["Content-Security-Policy"] == "sandbox"
    assert alice.client.get(f"/staff/recognition/{applied['id']}/evidence/3").status_code == 404

    decided = decide(alice, applied["id"], partly())
    assert decided.status_code == 302, decided.get_data(as_text=True)
    shown = alice.page(f"/staff/recognition/{applied['id']}")
    assert "Decided (may be appealed)" in shown
    assert REASON_1 in shown
    assert REASON_2 in shown
    assert "The decision is written to the ledger." in shown
    assert 'name="decision-1"' not in shown  # nothing more to decide
    assert world.available() == before + 4
    view = applications.get(bank, applied["id"])
    assert view["state"] == "decided"
    given = view["decision"]["recognized"][0]
    assert (given["item"], given["credits"], given["outcome"], given["level"]) == (1, 4, "DL-1", 2)
    assert view["decision"]["refused"][0]["reason"] == REASON_2
    assert view["decision"]["reviewer"] == alice.staff_id


def test_the_appeal_goes_to_another_reviewer_and_the_first_cannot_decide_it(world: CreditWorld, app: Flask) -> None:
    bank = world.bank
    alice = member(bank, app, "alice", "reviewer")
    applied = applications.apply(bank, Applicant.learner(), world.learner, scans("Tai chi instructor, 60 hours"))
    first = decide(
        alice, applied["id"], {"decision-1": "refuse", "reason-1": "Not at a level this framework recognizes"}
    )
    assert first.status_code == 302
    bob = member(bank, app, "bob", "reviewer")
    decisions.appeal(bank, applied["id"], Applicant.learner(), "60 assessed hours", learner_id=world.learner)

    appeals = bob.page("/staff/recognition").split('id="rec_q_appeals"')[1].split('id="rec_q_unassigned"')[0]
    assert f'href="/staff/recognition/{applied["id"]}"' in appeals
    assert "Appealed" in appeals
    page = bob.page(f"/staff/recognition/{applied['id']}")
    assert "First decision" in page
    assert "Not at a level this framework recognizes" in page
    assert "Decide the appeal (final)" in page
    assert 'value="refuse" checked' in page  # the first decision is where the form starts

    own = alice.page(f"/staff/recognition/{applied['id']}")
    assert "You made the first decision; another reviewer decides the appeal." in own
    assert 'name="decision-1"' not in own
    size = ledger_size(bank)
    refused = decide(alice, applied["id"], {"decision-1": "recognize", "credits-1": "2", "reason-1": "fine"})
    assert refused.status_code == 403
    assert "You made the first decision; another reviewer decides the appeal." in refused.get_data(as_text=True)
    assert ledger_size(bank) == size

    final = decide(bob, applied["id"], {"decision-1": "recognize", "credits-1": "2.5", "reason-1": "Hours shown"})
    assert final.status_code == 302, final.get_data(as_text=True)
    shown = bob.page(f"/staff/recognition/{applied['id']}")
    assert "Appeal decided (final)" in shown
    assert "Appeal decision (final)" in shown
    assert "Hours shown" in shown
    assert applications.get(bank, applied["id"])["appeal"]["decision"]["recognized"][0]["credits"] == 2.5


def test_an_affiliated_reviewer_is_refused(world: CreditWorld, app: Flask) -> None:
    bank = world.bank
    carol = affiliated_reviewer(bank, app, "carol", "uni-a")
    applied = applications.apply(
        bank, Applicant.for_institution(uni_a()), world.learner, scans("Course"), principal=uni_a()
    )
    assert applied["reviewer"] is None  # she is the only reviewer, and may not take it
    unassigned = carol.page("/staff/recognition").split('id="rec_q_unassigned"')[1]
    assert applied["id"] in unassigned
    message = "You are affiliated with the institution that applied, so you may not decide this"
    assert message in carol.page(f"/staff/recognition/{applied['id']}")
    size = ledger_size(bank)
    refused = decide(carol, applied["id"], {"decision-1": "recognize", "credits-1": "1", "reason-1": "ok"})
    assert refused.status_code == 403
    assert message in refused.get_data(as_text=True)
    assert ledger_size(bank) == size
    assert applications.get(bank, applied["id"])["state"] == "submitted"


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"credits-1": "abc"}, "credits", "Credits must be a number, such as 2 or 2.5."),
        ({"credits-1": "1E+3"}, "credits", "Credits must be a number, such as 2 or 2.5."),
        ({"credits-1": ""}, "credits", "Give the credits to recognize."),
        ({"credits-1": "0"}, "credits", "Credits must be more than 0 and within the limit."),
        ({"credits-1": "1.001"}, "credits", "Credits have at most two decimals."),
        ({"level-1": "99"}, "level", "Choose one of this framework&#39;s levels."),
        ({"level-1": "two"}, "level", "Choose one of this framework&#39;s levels."),
        ({"category-1": "nope"}, "category", "Choose one of this framework&#39;s categories."),
        ({"outcome-1": "XX-9"}, "outcome", "That is not an approved catalogue outcome of this framework."),
        ({"reason-1": "  "}, "reason", "Give the reason."),
        ({"reason-2": "The learner 李娟 did not attend"}, "reason", "The reason names the learner"),
        ({"decision-2": ""}, "decision", "Choose to recognize or to refuse this item."),
    ],
)
def test_a_bad_decision_is_shown_at_its_field_and_appends_nothing(
    world: CreditWorld, app: Flask, fields: dict[str, str], field: str, message: str
) -> None:
    bank = world.bank
    alice = member(bank, app, "alice", "reviewer")
    applied = applications.apply(bank, Applicant.learner(), world.learner, scans("Spreadsheets", "Choir"))
    size = ledger_size(bank)
    answer = decide(alice, applied["id"], partly(fields))
    assert answer.status_code == 422
    page = answer.get_data(as_text=True)
    number = 2 if any(name.endswith("-2") for name in fields) else 1
    found = re.search(rf'<p class="error" role="alert" id="err-{field}-{number}">([^<]*)</p>', page)
    assert found, page
    assert message in found.group(1)
    if field != "decision":
        assert f'id="{field}-{number}"' in page
        assert f'err-{field}-{number}" aria-invalid="true"' in page
    assert REASON_2 in page or "decision-2" in fields or "reason-2" in fields  # what was typed stays
    assert ledger_size(bank) == size
    assert applications.get(bank, applied["id"])["state"] == "under_review"


def test_the_admin_assigns_and_revokes_with_a_reason(world: CreditWorld, app: Flask) -> None:
    bank = world.bank
    carol = affiliated_reviewer(bank, app, "carol", "uni-a")
    admin = member(bank, app, "boss", "admin")
    applied = applications.apply(
        bank, Applicant.for_institution(uni_a()), world.learner, scans("Course"), principal=uni_a()
    )
    path = f"/staff/recognition/{applied['id']}"
    assert applied["id"] in admin.page("/staff/recognition").split('id="rec_q_unassigned"')[1]
    refused = admin.post(f"{path}/assign", {"reviewer": "carol"}, from_page=path)
    assert refused.status_code == 422  # type: ignore[attr-defined]
    assert "You are affiliated" in refused.get_data(as_text=True)  # type: ignore[attr-defined]
    unknown = admin.post(f"{path}/assign", {"reviewer": "nobody"}, from_page=path)
    assert "There is no active staff account by that login." in unknown.get_data(as_text=True)  # type: ignore[attr-defined]
    dave = member(bank, app, "dave", "reviewer")
    assigned = admin.post(f"{path}/assign", {"reviewer": "dave"}, from_page=path)
    assert assigned.status_code == 302  # type: ignore[attr-defined]
    assert applications.get(bank, applied["id"])["reviewer"] == dave.staff_id
    assert "dave" in admin.page(path)  # the admin sees logins, since that is what assigning takes
    assert carol.staff_id  # carol stays out of it
    assert (
        decide(dave, applied["id"], {"decision-1": "recognize", "credits-1": "1", "reason-1": "ok"}).status_code == 302
    )
    size = ledger_size(bank)
    # Revoking takes credits away: a sign-in more than the window ago is asked for password and code again.
    with bank.db.writing() as session:
        session.execute(update(StaffSession).values(authenticated_at=datetime.now(UTC) - timedelta(minutes=6)))
    stale = admin.post(f"{path}/revoke", {"reason": "Wrong", "back": path}, from_page=path)
    assert stale.status_code == 302  # type: ignore[attr-defined]
    assert stale.headers["Location"].startswith("/staff/reauth?next=/staff/recognition/")  # type: ignore[attr-defined]
    assert ledger_size(bank) == size
    admin.confirm()
    blank = admin.post(f"{path}/revoke", {"reason": " "}, from_page=path)
    assert blank.status_code == 422  # type: ignore[attr-defined]
    assert 'id="revoke-error">Give the reason.' in blank.get_data(as_text=True)  # type: ignore[attr-defined]
    assert ledger_size(bank) == size
    revoked = admin.post(f"{path}/revoke", {"reason": "The course records were found wrong"}, from_page=path)
    assert revoked.status_code == 302  # type: ignore[attr-defined]
    assert "Decision revoked" in admin.page(path)
    assert applications.get(bank, applied["id"])["state"] == "revoked"


def apply_as(signed: SignedIn, fields: dict[str, Any]) -> Any:
    token = csrf(signed.page("/staff/recognition"))
    return signed.client.post(
        "/staff/recognition/apply", data={**fields, "csrf_token": token}, content_type="multipart/form-data"
    )


def test_the_registrar_applies_for_an_enrolled_learner_only(world: CreditWorld, app: Flask) -> None:
    bank = world.bank
    member(bank, app, "alice", "reviewer")
    registrar = member(bank, app, "reg.a", "registrar", "uni-a")
    form = registrar.page("/staff/recognition/apply")
    assert 'name="file-1"' in form
    assert 'enctype="multipart/form-data"' in form
    missing = apply_as(
        registrar, {"learner": world.learner, "framework": "test-fw", "file-1": (io.BytesIO(PNG), "a.png")}
    )
    assert missing.status_code == 422
    assert 'id="description-error-1">Describe the learning the scanned document shows.' in missing.get_data(
        as_text=True
    )
    answer = apply_as(
        registrar,
        {
            "learner": world.learner,
            "framework": "test-fw",
            "file-1": (io.BytesIO(PNG + b"one"), "scan.png"),
            "description-1": "Community course in first aid, 20 hours",
        },
    )
    assert answer.status_code == 302, answer.get_data(as_text=True)
    (mine,) = applications.list_applications(bank, institution="uni-a")
    assert mine["learner"] == world.learner
    with bank.db.reading() as session:
        actor = session.scalar(select(LedgerEntry.actor).where(LedgerEntry.kind == "recognition.applied"))
    assert actor == f"inst:uni-a/staff:{registrar.staff_id}"
    listed = registrar.page("/staff/recognition")
    assert mine["id"] in listed
    assert "Under review" in listed
    assert "The application is handed in." in listed

    register(bank, "other-u")
    stranger = learners.enroll(
        bank,
        Principal("key-other-u", "other-u", ROLE_SCOPES["registrar"]),
        learners.LearnerInput(
            birth_date=date(1950, 3, 1), name_zh="陈秀英", national_id_country="CN", national_id="110105195803210024"
        ),
    ).body["id"]
    size = ledger_size(bank)
    elsewhere = apply_as(
        registrar,
        {"learner": stranger, "file-1": (io.BytesIO(PNG + b"two"), "scan.png"), "description-1": "Painting"},
    )
    assert elsewhere.status_code == 404
    assert "No learner with this id is enrolled with your institution." in elsewhere.get_data(as_text=True)
    assert ledger_size(bank) == size


def test_a_viewer_reads_the_list_but_cannot_apply(world: CreditWorld, app: Flask) -> None:
    bank = world.bank
    applications.apply(bank, Applicant.for_institution(uni_a()), world.learner, scans("Course"), principal=uni_a())
    viewer = member(bank, app, "view.a", "viewer", "uni-a")
    listed = viewer.page("/staff/recognition")
    assert "Handed in, waiting for a reviewer" in listed
    assert "/staff/recognition/apply" not in listed
    viewer.client.set_cookie("lang", "zh")
    assert "已提交，待分配" in viewer.page("/staff/recognition")
    viewer.client.set_cookie("lang", "en")
    assert viewer.client.get("/staff/recognition/apply").status_code == 403
    size = ledger_size(bank)
    refused = apply_as(viewer, {"learner": world.learner, "file-1": (io.BytesIO(PNG), "a.png"), "description-1": "x"})
    assert refused.status_code == 403
    assert ledger_size(bank) == size
    # Another institution's staff do not see uni-a's applications at all.
    other = member(bank, app, "view.b", "viewer", "uni-b")
    assert "Handed in, waiting for a reviewer" not in other.page("/staff/recognition")


def test_a_credential_item_shows_its_issuer_standing_verdict_and_suggestion(world: CreditWorld, app: Flask) -> None:
    bank = world.bank
    # An institution no rule set converts for: its record counts nothing yet, so it may be handed in as evidence.
    register(bank, "uni-z")
    world.tokens["uni-z"] = api_keys.issue(bank, "uni-z").token
    person = {"name": {"zh": "李娟"}, "birth_date": "1958-03-04", "national_id": {"number": "11010519491231002X"}}
    linked = world.client.post("/api/v1/learners", json=person, headers=world.headers("uni-z"))
    assert linked.status_code == 201
    recorded = world.record("uni-z", "Z-1", title={"zh": "摄影", "en": "Photography"}, credits=2)
    issued = credentials.issue(bank, None, credentials.Request(world.learner, "achievement", recorded["id"]))
    data = json.dumps(credentials.document(bank, None, issued["id"])).encode()
    alice = member(bank, app, "alice", "reviewer")
    applied = applications.apply(bank, Applicant.learner(), world.learner, [EvidenceFile(data, "c.json")])
    page = alice.page(f"/staff/recognition/{applied['id']}")
    assert "Item 1 · Credential (JSON) · Photography" in page
    assert bank.did in page
    assert "Issued by this bank" in page
    assert "Valid: every check passed" in page
    assert "No suggestion: yours to judge" in page
    answer = alice.client.get(f"/staff/recognition/{applied['id']}/evidence/1")
    assert answer.headers["Content-Type"] == "application/json"
    assert answer.headers["Content-Disposition"] == f'attachment; filename="{applied["id"]}-1.json"'
    assert answer.headers["Content-Security-Policy"] == "sandbox"
    assert answer.data == data


def test_an_application_past_its_due_date_is_marked_overdue(world: CreditWorld, app: Flask) -> None:
    bank = world.bank
    alice = member(bank, app, "alice", "reviewer")
    late = applications.apply(
        bank, Applicant.learner(), world.learner, scans("Pottery"), now=datetime.now(UTC) - timedelta(days=60)
    )
    fresh = applications.apply(bank, Applicant.learner(), world.learner, scans("Weaving"))
    page = alice.page("/staff/recognition")
    late_row = page.split(f'href="/staff/recognition/{late["id"]}"')[1].split("</tr>")[0]
    fresh_row = page.split(f'href="/staff/recognition/{fresh["id"]}"')[1].split("</tr>")[0]
    assert late["due"] in late_row
    assert "overdue" in late_row
    assert "overdue" not in fresh_row
    assert "overdue" in alice.page(f"/staff/recognition/{late['id']}")
