"""Attacks on the staff console's access rules: strangers, viewers, other institutions, CSRF, redirects, sessions.

A passing test is a defence that held; an ``xfail(strict=True)`` test is an open finding.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import func, select, update

from creditbank.models import LedgerEntry, StaffSession
from creditbank.services.records import achievements, learners
from creditbank.services.records.api_keys import Principal
from creditbank.services.staff import accounts
from creditbank.services.staff.members import ROLE_SCOPES
from tests.console.staff_helpers import PASSWORD, csrf, set_up, sign_in, staff_member
from tests.helpers import register

ID_NUMBER = "11010519491231002X"


def writer(institution: str) -> Principal:
    return Principal(f"key-{institution}", institution, ROLE_SCOPES["registrar"])


def enroll(bank, institution: str, **fields) -> str:
    data = {"birth_date": date(1988, 4, 2), "name_zh": "王堃", "name_latin": "Wang Kun", **fields}
    return learners.enroll(bank, writer(institution), learners.LearnerInput(**data)).body["id"]


def record(bank, institution: str, learner_id: str, record_id: str) -> str:
    data = {"kind": "course", "title": {"zh": "程序设计", "en": "Programming"}, "credits": 3, "completed": "2026-01-10"}
    made = achievements.record(
        bank, writer(institution), [achievements.Submission(learner_id, record_id, data)], batch=False
    )
    return made.body["id"]


def ledger_size(bank) -> int:
    with bank.db.reading() as session:
        return int(session.scalar(select(func.count()).select_from(LedgerEntry)) or 0)


def stale_confirmation(bank) -> None:
    with bank.db.writing() as session:
        session.execute(update(StaffSession).values(authenticated_at=datetime.now(UTC) - timedelta(minutes=6)))


def two_institutions(bank, app):
    register(bank, "uni-a", name_zh="甲大学")
    register(bank, "uni-b")
    theirs = enroll(bank, "uni-a", national_id_country="CN", national_id=ID_NUMBER)
    their_record = record(bank, "uni-a", theirs, "A-0001")
    intruder = staff_member(bank, app.test_client(), "reg.b", "registrar", "uni-b")
    return theirs, their_record, intruder


# --- a signed-out stranger ---------------------------------------------------------------------------------------

STAFF_GETS = [
    "/staff/",
    "/staff/activity",
    "/staff/learners",
    "/staff/learners/lrn_x",
    "/staff/imports",
    "/staff/imports/imp_x",
    "/staff/imports/template.csv",
    "/staff/imports/template.xlsx",
    "/staff/achievements/ach_x/correct",
    "/staff/credentials/x/pdf",
    "/staff/credentials/x/json",
    "/staff/review/proposals",
    "/staff/review/catalogue",
    "/staff/review/awards",
    "/staff/admin/institutions",
    "/staff/admin/institutions/uni-a",
    "/staff/admin/bank-staff",
    "/staff/admin/frameworks",
    "/staff/reauth",
]
STAFF_POSTS = [
    "/staff/imports",
    "/staff/imports/imp_x/commit",
    "/staff/imports/imp_x/letters.pdf",
    "/staff/imports/imp_x/discard",
    "/staff/achievements/ach_x/correct",
    "/staff/achievements/ach_x/revoke",
    "/staff/learners/lrn_x/credentials",
    "/staff/learners/lrn_x/activation",
    "/staff/learners/lrn_x/activation-letter.pdf",
    "/staff/review/proposals",
    "/staff/review/proposals/AB/approve",
    "/staff/review/proposals/AB/reject",
    "/staff/review/awards",
    "/staff/admin/institutions",
    "/staff/admin/institutions/uni-a/staff",
    "/staff/admin/institutions/uni-a/keys",
    "/staff/admin/keys/0123456789ab/revoke",
    "/staff/admin/bank-staff",
    "/staff/admin/staff/stf-aaaaaaaaaaaaaaaaaaaa/reset",
    "/staff/admin/staff/stf-aaaaaaaaaaaaaaaaaaaa/disable",
    "/staff/admin/frameworks",
    "/staff/reauth",
]


def test_a_stranger_is_sent_to_sign_in_from_every_page_and_form(bank, client):
    register(bank, "uni-a")
    for path in STAFF_GETS:
        answer = client.get(path)
        assert answer.status_code == 302, path
        assert answer.headers["Location"].startswith("/staff/login"), path
    for path in STAFF_POSTS:
        answer = client.post(path, data={"csrf_token": "x"})
        assert answer.status_code in (302, 400), path
        if answer.status_code == 302:
            assert answer.headers["Location"].startswith("/staff/login"), path
    assert client.get("/staff/login").status_code == 200


def test_unknown_and_wrong_logins_get_one_answer(bank, client):
    register(bank, "uni-a")
    real = staff_member(bank, bank_app_client(client), "real.one", "registrar", "uni-a")
    pending = accounts.add(bank, "pending.one", "viewer", "uni-a", created_by="bank:test")
    answers = []
    for login in ("nobody.here", real.login, pending.staff.login):
        page = client.get("/staff/login").get_data(as_text=True)
        answer = client.post(
            "/staff/login",
            data={"csrf_token": csrf(page), "login": login, "password": "wrong pass x", "code": "123456"},
        )
        body = answer.get_data(as_text=True).replace(login, "LOGIN")
        body = re.sub(r'name="csrf_token" value="[^"]+"', "", body)
        answers.append((answer.status_code, body))
    assert answers[0][0] == 401
    assert answers[0] == answers[1] == answers[2]


def bank_app_client(client):
    return client.application.test_client()


def test_set_up_tokens_are_not_guessable_or_replayable(bank, app):
    register(bank, "uni-a")
    client = app.test_client()
    assert client.get("/staff/setup/" + "A" * 43).status_code == 404
    made = accounts.add(bank, "new.one", "registrar", "uni-a", created_by="bank:test")
    set_up(client, made.setup_token, "new.one")
    # used once: the link no longer opens, shows no secret, and cannot set a new password
    again = app.test_client().get(f"/staff/setup/{made.setup_token}")
    assert again.status_code == 404
    assert "totp-secret" not in again.get_data(as_text=True)


# --- CSRF --------------------------------------------------------------------------------------------------------


def test_every_form_refuses_a_post_without_the_token(bank, app):
    theirs, their_record, _ = two_institutions(bank, app)
    registrar = staff_member(bank, app.test_client(), "reg.a", "registrar", "uni-a")
    reviewer = staff_member(bank, app.test_client(), "rev.one", "reviewer")
    admin = staff_member(bank, app.test_client(), "adm.one", "admin")
    before = ledger_size(bank)
    forms = [
        (
            registrar,
            [
                f"/staff/achievements/{their_record}/correct",
                f"/staff/achievements/{their_record}/revoke",
                f"/staff/learners/{theirs}/credentials",
                f"/staff/learners/{theirs}/activation",
                f"/staff/learners/{theirs}/activation-letter.pdf",
                "/staff/imports",
                "/staff/logout",
                "/staff/reauth",
            ],
        ),
        (reviewer, ["/staff/review/proposals/AB/approve", "/staff/review/proposals/AB/reject", "/staff/review/awards"]),
        (
            admin,
            [
                "/staff/admin/institutions",
                "/staff/admin/institutions/uni-a/staff",
                "/staff/admin/institutions/uni-a/keys",
                "/staff/admin/bank-staff",
                f"/staff/admin/staff/{registrar.staff_id}/disable",
                f"/staff/admin/staff/{registrar.staff_id}/reset",
            ],
        ),
    ]
    for signed, paths in forms:
        for path in paths:
            for token in (None, "", "forged-token"):
                data = {
                    "reason": "x",
                    "kind": "course",
                    "title_zh": "t",
                    "completed": "2026-01-10",
                    "login": "mole.one",
                    "role": "registrar",
                    "id": "evil-u",
                    "type": "university",
                    "name_en": "Evil",
                    "scope": "records:read",
                    "password": PASSWORD,
                    "code": "000000",
                }
                if token is not None:
                    data["csrf_token"] = token
                answer = signed.client.post(path, data=data)
                assert answer.status_code == 400, (path, token, answer.status_code)
    assert ledger_size(bank) == before
    assert accounts.get(bank, registrar.staff_id) is not None
    assert [s.login for s in accounts.list_all(bank) if s.login == "mole.one"] == []
    # still signed in: the logout without a token did nothing
    assert registrar.client.get("/staff/").status_code == 200


def test_login_csrf_a_cross_site_sign_in_is_refused(bank, app):
    register(bank, "uni-a")
    attacker_client = app.test_client()
    attacker = staff_member(bank, attacker_client, "att.one", "registrar", "uni-a")
    victim = app.test_client()
    answer = victim.post(
        "/staff/login",
        data={"login": attacker.login, "password": PASSWORD, "code": attacker.authenticator.code()},
    )
    assert answer.status_code == 400
    assert victim.get("/staff/").status_code == 302


# --- open redirects -------------------------------------------------------------------------------------------

EVIL_TARGETS = [
    "//evil.example/",
    "https://evil.example/",
    "/\\evil.example",
    "\\\\evil.example",
    "/%5Cevil.example",
    "%2F%2Fevil.example",
    "/%09/evil.example",
    "javascript:alert(1)",
    "/\t/evil.example",
    " //evil.example",
    "https:evil.example",
    "/%2F/evil.example",
]


def _safe_location(location: str) -> bool:
    return (
        location.startswith("/") and not location.startswith("//") and "\\" not in location and "evil" not in location
    )


def test_next_is_kept_on_the_site(bank, app):
    from creditbank.portal.security import safe_next

    with app.test_request_context("/"):
        for target in EVIL_TARGETS:
            try:
                kept = safe_next(target, "/staff/")
            except Exception:  # a raw line break: 400
                continue
            assert _safe_location(kept), (target, kept)


def test_next_after_sign_in_and_reauth_never_leaves_the_site(bank, app):
    register(bank, "uni-a")
    client = app.test_client()
    member = staff_member(bank, client, "red.one", "registrar", "uni-a")
    client.post("/staff/logout", data={"csrf_token": csrf(client.get("/staff/").get_data(as_text=True))})
    page = client.get("/staff/login").get_data(as_text=True)
    answer = client.post(
        "/staff/login",
        query_string={"next": "/%5Cevil.example"},
        data={
            "csrf_token": csrf(page),
            "login": member.login,
            "password": PASSWORD,
            "code": member.authenticator.code(),
        },
    )
    assert answer.status_code == 302
    assert _safe_location(answer.headers["Location"]), answer.headers["Location"]
    token = csrf(client.get("/staff/").get_data(as_text=True))
    answer = client.post(
        "/staff/reauth",
        query_string={"next": "//evil.example/"},
        data={"csrf_token": token, "password": PASSWORD, "code": member.authenticator.code()},
    )
    assert answer.status_code == 302
    assert _safe_location(answer.headers["Location"]), answer.headers["Location"]


def test_back_to_reauth_never_leaves_the_site(bank, app):
    from urllib.parse import unquote

    register(bank, "uni-a")
    member = staff_member(bank, app.test_client(), "red.two", "registrar", "uni-a")
    theirs = enroll(bank, "uni-a")
    stale_confirmation(bank)
    token = csrf(member.page(f"/staff/learners/{theirs}"))
    for target in EVIL_TARGETS:
        answer = member.client.post(
            f"/staff/learners/{theirs}/activation",
            data={"csrf_token": token, "back": target},
            headers={"Referer": "https://evil.example/x"},
        )
        assert answer.status_code in (302, 400), target
        if answer.status_code == 302:
            location = answer.headers["Location"]
            assert location.startswith("/staff/reauth"), location
            inner = re.search(r"next=([^&]*)", location)
            assert inner is None or _safe_location(unquote(inner.group(1))), (target, location)


# --- viewers -------------------------------------------------------------------------------------------------------


def test_a_viewer_writes_nothing_through_any_form(bank, app):
    register(bank, "uni-a")
    mine = enroll(bank, "uni-a", national_id_country="CN", national_id=ID_NUMBER)
    own_record = record(bank, "uni-a", mine, "A-0001")
    viewer = staff_member(bank, app.test_client(), "view.one", "viewer", "uni-a")
    before = ledger_size(bank)
    token = csrf(viewer.page("/staff/"))
    paths = [
        f"/staff/achievements/{own_record}/correct",
        f"/staff/achievements/{own_record}/revoke",
        f"/staff/learners/{mine}/credentials",
        f"/staff/learners/{mine}/activation",
        f"/staff/learners/{mine}/activation-letter.pdf",
        "/staff/imports",
        "/staff/imports/imp_x/commit",
        "/staff/imports/imp_x/letters.pdf",
        "/staff/imports/imp_x/discard",
        "/staff/review/proposals/AB/approve",
        "/staff/admin/institutions/uni-a/staff",
    ]
    for path in paths:
        data = {"csrf_token": token, "reason": "r", "kind": "transcript", "title_zh": "t", "completed": "2026-01-10"}
        answer = viewer.client.post(path, data=data)
        assert answer.status_code == 403, (path, answer.status_code)
    assert ledger_size(bank) == before


# --- another institution's registrar ---------------------------------------------------------------------------


def test_another_institutions_learner_record_and_codes_are_not_found(bank, app):
    theirs, their_record, intruder = two_institutions(bank, app)
    before = ledger_size(bank)
    for path in (f"/staff/learners/{theirs}", f"/staff/achievements/{their_record}/correct"):
        assert intruder.client.get(path).status_code == 404, path
    for query in (ID_NUMBER, "A-0001", theirs, "wang", "王堃"):
        page = intruder.page("/staff/learners?q=" + query)
        assert f"/staff/learners/{theirs}" not in page, query
        assert "Wang Kun" not in page, query
        assert "王堃</" not in page, query
    intruder.confirm()
    token = csrf(intruder.page("/staff/"))
    for path in (
        f"/staff/achievements/{their_record}/correct",
        f"/staff/achievements/{their_record}/revoke",
        f"/staff/learners/{theirs}/credentials",
        f"/staff/learners/{theirs}/activation",
        f"/staff/learners/{theirs}/activation-letter.pdf",
    ):
        data = {
            "csrf_token": token,
            "reason": "mine now",
            "kind": "transcript",
            "title_zh": "t",
            "completed": "2026-01-10",
        }
        answer = intruder.client.post(path, data=data)
        assert answer.status_code == 404, (path, answer.status_code)
    assert ledger_size(bank) == before


def test_a_linking_registrar_gets_no_activation_code_and_sees_only_what_it_submitted(bank, app):
    theirs, _their_record, intruder = two_institutions(bank, app)
    # uni-b links to the same person with an equal identity but other optional details
    linked = enroll(bank, "uni-b", national_id_country="CN", national_id=ID_NUMBER, name_zh=None, email="b@b.example")
    assert linked == theirs
    page = intruder.page(f"/staff/learners/{theirs}")
    assert "王堃" not in page  # uni-a submitted the Chinese name; uni-b did not
    assert "A-0001" not in page
    intruder.confirm()
    token = csrf(page)
    for path in (f"/staff/learners/{theirs}/activation", f"/staff/learners/{theirs}/activation-letter.pdf"):
        answer = intruder.client.post(path, data={"csrf_token": token})
        assert answer.status_code == 403, path
        assert answer.headers.get("Content-Type", "").startswith("text/html")


# --- stolen cookies, replayed codes ------------------------------------------------------------------------------


def test_a_copied_cookie_dies_with_logout_disable_and_reset(bank, app):
    register(bank, "uni-a")
    for ending in ("logout", "disable", "reset"):
        client = app.test_client()
        member = staff_member(bank, client, f"vic.{ending}", "registrar", "uni-a")
        thief = app.test_client()
        cookie = client.get_cookie("creditbank_session")
        assert cookie is not None
        thief.set_cookie("creditbank_session", cookie.value)
        assert thief.get("/staff/").status_code == 200
        if ending == "logout":
            client.post("/staff/logout", data={"csrf_token": csrf(client.get("/staff/").get_data(as_text=True))})
        elif ending == "disable":
            accounts.disable(bank, member.staff_id)
        else:
            accounts.reset(bank, member.staff_id)
        answer = thief.get("/staff/")
        assert answer.status_code == 302, ending
        assert answer.headers["Location"].startswith("/staff/login")


def test_a_totp_code_is_accepted_once(bank, app):
    register(bank, "uni-a")
    member = staff_member(bank, app.test_client(), "otp.one", "registrar", "uni-a")
    code = member.authenticator.code()
    first = sign_in_with(app.test_client(), member.login, code)
    assert first.status_code == 302
    replay = sign_in_with(app.test_client(), member.login, code)
    assert replay.status_code == 401


def sign_in_with(client, login: str, code: str):
    page = client.get("/staff/login").get_data(as_text=True)
    return client.post(
        "/staff/login", data={"csrf_token": csrf(page), "login": login, "password": PASSWORD, "code": code}
    )


def test_a_planted_session_cookie_does_not_survive_sign_in(bank, app):
    register(bank, "uni-a")
    client = app.test_client()
    member = staff_member(bank, client, "fix.one", "registrar", "uni-a")
    planted = client.get_cookie("creditbank_session").value
    client.post("/staff/logout", data={"csrf_token": csrf(client.get("/staff/").get_data(as_text=True))})
    assert sign_in(client, member.login, member.authenticator).status_code == 302
    attacker = app.test_client()
    attacker.set_cookie("creditbank_session", planted)
    assert attacker.get("/staff/").status_code == 302


# --- the destructive acts' confirmation --------------------------------------------------------------------------


def test_destructive_acts_need_a_fresh_confirmation(bank, app):
    register(bank, "uni-a")
    mine = enroll(bank, "uni-a")
    own_record = record(bank, "uni-a", mine, "A-0001")
    registrar = staff_member(bank, app.test_client(), "conf.one", "registrar", "uni-a")
    stale_confirmation(bank)
    before = ledger_size(bank)
    token = csrf(registrar.page(f"/staff/learners/{mine}"))
    for path in (f"/staff/achievements/{own_record}/revoke", f"/staff/learners/{mine}/activation"):
        answer = registrar.client.post(path, data={"csrf_token": token, "reason": "gone"})
        assert answer.status_code == 302
        assert answer.headers["Location"].startswith("/staff/reauth")
    assert ledger_size(bank) == before


def _admin_with_stale_confirmation(bank, app):
    register(bank, "uni-a")
    enroll(bank, "uni-a", national_id_country="CN", national_id=ID_NUMBER)
    admin = staff_member(bank, app.test_client(), "adm.stale", "admin")
    victim = staff_member(bank, app.test_client(), "reg.victim", "registrar", "uni-a")
    stale_confirmation(bank)
    # the control: a reset (which hands over a link signing in as the account) asks for confirmation
    token = csrf(admin.page("/staff/admin/institutions/uni-a"))
    answer = admin.client.post(f"/staff/admin/staff/{victim.staff_id}/reset", data={"csrf_token": token})
    assert answer.status_code == 302
    assert answer.headers["Location"].startswith("/staff/reauth")
    return admin, token


def test_adding_an_institution_registrar_needs_a_fresh_confirmation(bank, app):
    admin, token = _admin_with_stale_confirmation(bank, app)
    answer = admin.client.post(
        "/staff/admin/institutions/uni-a/staff", data={"csrf_token": token, "login": "mole.one", "role": "registrar"}
    )
    link = re.search(r"/staff/setup/([A-Za-z0-9_-]{20,})", answer.get_data(as_text=True))
    if link:  # what the finding gives the holder of the session: a registrar of uni-a, set up from the link
        mole = app.test_client()
        set_up(mole, link.group(1), "mole.one")
        assert mole.get("/staff/learners?q=" + ID_NUMBER).status_code == 200
    assert answer.status_code == 302
    assert answer.headers["Location"].startswith("/staff/reauth")


def test_issuing_an_api_key_needs_a_fresh_confirmation(bank, app):
    admin, token = _admin_with_stale_confirmation(bank, app)
    answer = admin.client.post(
        "/staff/admin/institutions/uni-a/keys", data={"csrf_token": token, "scope": "records:read"}
    )
    assert answer.status_code == 302
    assert answer.headers["Location"].startswith("/staff/reauth")


def test_adding_a_bank_admin_needs_a_fresh_confirmation(bank, app):
    admin, _token = _admin_with_stale_confirmation(bank, app)
    token = csrf(admin.page("/staff/admin/bank-staff"))
    answer = admin.client.post(
        "/staff/admin/bank-staff", data={"csrf_token": token, "login": "mole.adm", "role": "admin"}
    )
    assert answer.status_code == 302
    assert answer.headers["Location"].startswith("/staff/reauth")
