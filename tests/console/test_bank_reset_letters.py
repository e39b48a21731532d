"""Bank staff print a reset letter for any learner who has an account: a fresh one-use code on the bank's letter,
which the learner redeems with the birth date at /reset (every session ends); a learner with no account yet gets
no code; institution staff get no bank letter, and no letter at all for another institution's learner."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from io import BytesIO
from typing import Any

from flask.testing import FlaskClient
from pypdf import PdfReader
from sqlalchemy import select, update

from creditbank.models import ActivationCode, StaffSession
from creditbank.services.learner_access import accounts
from creditbank.services.records import learners
from creditbank.services.records.api_keys import Principal
from creditbank.services.staff.members import ROLE_SCOPES
from tests.console.staff_helpers import SignedIn, csrf, staff_member
from tests.helpers import register

BORN = date(1948, 11, 2)
PASSWORD = "first long password"
NEW = "a brand new password"
FORM = "/staff/reset-letter"
PRINT = "/staff/reset-letter.pdf"


def _enrolled(bank: Any, institution: str, *, activated: bool, name_zh: str = "赵秀兰") -> str:
    who = Principal(f"key-{institution}", institution, ROLE_SCOPES["registrar"])
    person = learners.LearnerInput(birth_date=BORN, name_zh=name_zh, name_latin="Zhao Xiulan")
    body = learners.enroll(bank, who, person).body
    if activated:
        accounts.activate(bank, body["activation_code"], BORN, PASSWORD, login_name=f"{body['id'][-8:]}.learner")
    return str(body["id"])


def _codes(bank: Any) -> set[bytes]:
    with bank.db.reading() as session:
        return set(session.scalars(select(ActivationCode.digest)))


def _print(member: SignedIn, learner_id: str) -> Any:
    return member.post(PRINT, {"learner": learner_id}, from_page="/staff/")


def _portal_post(client: FlaskClient, path: str, **form: str) -> Any:
    token = csrf(client.get(path).get_data(as_text=True))
    return client.post(path, data={**form, "csrf_token": token})


def _letter_code(pdf: bytes) -> tuple[str, str]:
    """(the code printed on the letter, the letter's text)."""
    text = "".join(page.extract_text() for page in PdfReader(BytesIO(pdf)).pages)
    # The code's line read without spaces: extraction may guess one inside a letter-spaced group (A J).
    codes = [squeezed for squeezed in ("".join(line.split()) for line in text.splitlines())
             if re.fullmatch(r"[A-Z2-9]{12}", squeezed)]  # fmt: skip
    assert codes, text
    return f"{codes[0][:4]}-{codes[0][4:8]}-{codes[0][8:]}", text


def test_a_reviewer_prints_a_reset_letter_that_works_once_and_ends_every_session(bank: Any, app: Any) -> None:
    register(bank, "sen-a")
    learner_id = _enrolled(bank, "sen-a", activated=True)
    login = f"{learner_id[-8:]}.learner"
    signed_in = app.test_client()
    assert _portal_post(signed_in, "/login", login=login, password=PASSWORD).status_code == 302
    assert signed_in.get("/me").status_code == 200
    reviewer = staff_member(bank, app.test_client(), "rev", "reviewer")
    page = reviewer.page(FORM)
    assert 'action="/staff/reset-letter.pdf"' in page
    assert 'href="/staff/reset-letter"' in reviewer.page("/staff/")

    first = _print(reviewer, learner_id)
    assert first.status_code == 200
    assert first.mimetype == "application/pdf"
    assert first.headers["Cache-Control"] == "no-store"
    assert first.headers["Content-Disposition"] == "attachment; filename=reset-letter.pdf"
    old_code, _text = _letter_code(first.data)
    answer = _print(reviewer, learner_id)
    assert answer.status_code == 200
    code, text = _letter_code(answer.data)
    assert code != old_code
    assert "赵秀兰" in text
    assert "Lifelong Learning Credit Bank" in text  # the bank's letter, not an institution's
    assert "/reset" in text
    assert "named at the top of this letter" in " ".join(text.split())  # whom to tell, if it was not asked for

    portal = app.test_client()
    portal.set_cookie("lang", "en")
    reset = {"birth_date": BORN.isoformat(), "password": NEW, "password_again": NEW}
    stale = _portal_post(portal, "/reset", code=old_code, **reset)
    assert stale.status_code == 400  # printing again stopped the earlier letter's code
    done = _portal_post(portal, "/reset", code=code, **reset)
    assert done.status_code == 302
    assert signed_in.get("/me").status_code == 302  # signed out everywhere
    assert _portal_post(app.test_client(), "/login", login=login, password=NEW).status_code == 302
    again = _portal_post(
        portal, "/reset", code=code, **{**reset, "password": "yet another one", "password_again": "yet another one"}
    )
    assert again.status_code == 400
    assert "This code has already been used" in again.get_data(as_text=True)


def test_an_admin_prints_one_for_any_institutions_learner(bank: Any, app: Any) -> None:
    register(bank, "sen-a")
    register(bank, "sen-b")
    learner_id = _enrolled(bank, "sen-b", activated=True, name_zh="钱桂芳")
    admin = staff_member(bank, app.test_client(), "adm", "admin")
    answer = _print(admin, learner_id)
    assert answer.status_code == 200
    _code, text = _letter_code(answer.data)
    assert "钱桂芳" in text


def test_a_learner_with_no_account_yet_gets_no_code(bank: Any, app: Any) -> None:
    register(bank, "sen-a")
    learner_id = _enrolled(bank, "sen-a", activated=False)
    before = _codes(bank)
    reviewer = staff_member(bank, app.test_client(), "rev", "reviewer")
    reviewer.client.set_cookie("lang", "en")
    answer = _print(reviewer, learner_id)
    assert answer.status_code == 409
    assert answer.mimetype == "text/html"
    assert "This learner has no account yet, so no reset code was made." in answer.get_data(as_text=True)
    assert _codes(bank) == before  # the enrollment's activation code still stands


def test_ids_that_name_no_one_get_the_forms_page(bank: Any, app: Any) -> None:
    register(bank, "sen-a")
    erased = _enrolled(bank, "sen-a", activated=True)
    learners.erase(bank, erased)
    admin = staff_member(bank, app.test_client(), "adm", "admin")
    admin.client.set_cookie("lang", "zh")
    cases = {
        "not an id": (400, "这不是学习者编号"),
        "lrn_" + "0" * 20: (404, "没有这个学习者"),
        erased: (404, "没有这个学习者"),
        "lrn_\x00<script>": (400, "这不是学习者编号"),
    }
    for typed, (status, words) in cases.items():
        answer = _print(admin, typed)
        assert answer.status_code == status, typed
        shown = answer.get_data(as_text=True)
        assert words in shown, typed
        assert "<script>" not in shown
        assert 'aria-invalid="true"' in shown


def test_institution_staff_get_no_letter_for_another_institutions_learner(bank: Any, app: Any) -> None:
    register(bank, "sen-a")
    register(bank, "sen-b")
    theirs = _enrolled(bank, "sen-a", activated=True)
    other_registrar = staff_member(bank, app.test_client(), "reg-b", "registrar", "sen-b")
    own_viewer = staff_member(bank, app.test_client(), "view-a", "viewer", "sen-a")
    before = _codes(bank)
    assert other_registrar.client.get(FORM).status_code == 403
    assert own_viewer.client.get(FORM).status_code == 403
    assert _print(other_registrar, theirs).status_code == 403
    assert _print(own_viewer, theirs).status_code == 403
    registrar_letter = f"/staff/learners/{theirs}/activation-letter.pdf"
    assert other_registrar.post(registrar_letter, {}, from_page="/staff/").status_code == 404
    assert own_viewer.post(registrar_letter, {}, from_page="/staff/").status_code == 403
    assert _codes(bank) == before


def test_printing_asks_for_password_and_code_again(bank: Any, app: Any) -> None:
    register(bank, "sen-a")
    learner_id = _enrolled(bank, "sen-a", activated=True)
    reviewer = staff_member(bank, app.test_client(), "rev", "reviewer")
    with bank.db.writing() as session:
        session.execute(update(StaffSession).values(authenticated_at=datetime.now(UTC) - timedelta(minutes=6)))
    before = _codes(bank)
    answer = reviewer.post(PRINT, {"learner": learner_id, "back": FORM}, from_page=FORM)
    assert answer.status_code == 302
    assert answer.headers["Location"].startswith("/staff/reauth?next=")
    assert _codes(bank) == before
    reviewer.confirm()
    assert _print(reviewer, learner_id).status_code == 200
