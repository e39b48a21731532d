"""Staff sign-in: set-up link, TOTP second factor, throttling, server-side sessions, CSRF, confirmation."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pyotp
import pytest
from sqlalchemy import update

from creditbank import actors
from creditbank.errors import InvalidInput
from creditbank.models import StaffAccount, StaffSession
from creditbank.services.records import learners
from creditbank.services.staff import accounts, activity, second_factor
from creditbank.services.staff.members import StaffMember
from tests.console.staff_helpers import PASSWORD, csrf, set_up, sign_in, staff_member
from tests.helpers import register


def test_a_new_account_is_set_up_with_a_password_and_a_first_code(bank, client):
    register(bank, "sen-a")
    signed = staff_member(bank, client, "Wang.Li", "registrar", "sen-a")
    home = signed.page("/staff/")
    assert "wang.li" in home
    listed = {view.login: view.state for view in accounts.list_all(bank)}
    assert listed == {"wang.li": "active"}


def test_the_set_up_link_works_once(bank, client, app):
    register(bank, "sen-a")
    created = accounts.add(bank, "reg", "registrar", "sen-a", created_by="bank:test")
    set_up(client, created.setup_token, "reg")
    again = app.test_client().get(f"/staff/setup/{created.setup_token}")
    assert again.status_code == 404
    assert "not valid" in again.get_data(as_text=True) or "无效" in again.get_data(as_text=True)


def test_an_expired_set_up_link_is_refused(bank, client):
    register(bank, "sen-a")
    created = accounts.add(bank, "reg", "registrar", "sen-a", created_by="bank:test")
    with bank.db.writing() as session:
        session.execute(update(StaffAccount).values(setup_expires_at=datetime.now(UTC) - timedelta(seconds=1)))
    answer = client.get(f"/staff/setup/{created.setup_token}", headers={"Accept-Language": "en"})
    assert answer.status_code == 404
    assert "expired" in answer.get_data(as_text=True)


def test_set_up_refuses_a_wrong_code_and_keeps_the_account_unusable(bank, client):
    register(bank, "sen-a")
    created = accounts.add(bank, "reg", "registrar", "sen-a", created_by="bank:test")
    page = client.get(f"/staff/setup/{created.setup_token}", headers={"Accept-Language": "en"}).get_data(as_text=True)
    answer = client.post(
        f"/staff/setup/{created.setup_token}",
        data={"csrf_token": csrf(page), "password": PASSWORD, "password_again": PASSWORD, "code": "000000"},
        headers={"Accept-Language": "en"},
    )
    assert answer.status_code == 400
    assert "The code is wrong" in answer.get_data(as_text=True)
    assert accounts.list_all(bank)[0].state == "setup_pending"


def test_sign_in_needs_password_and_a_fresh_code(bank, client, app):
    register(bank, "sen-a")
    signed = staff_member(bank, client, "reg", "registrar", "sen-a")
    fresh = app.test_client()
    # The right password with a code already used (the set-up's) is refused like a wrong password.
    used = signed.authenticator.totp.at(signed.authenticator.used * 30)
    page = fresh.get("/staff/login").get_data(as_text=True)
    replay = fresh.post(
        "/staff/login", data={"csrf_token": csrf(page), "login": "reg", "password": PASSWORD, "code": used}
    )
    wrong_password = fresh.post(
        "/staff/login",
        data={
            "csrf_token": csrf(page),
            "login": "reg",
            "password": "not the password",
            "code": signed.authenticator.code(),
        },
    )
    assert replay.status_code == wrong_password.status_code == 401
    assert replay.get_data(as_text=True).count("error") == wrong_password.get_data(as_text=True).count("error")
    assert sign_in(fresh, "reg", signed.authenticator).status_code == 302
    assert fresh.get("/staff/").status_code == 200


def test_failed_sign_ins_are_throttled_per_account(bank, client, app):
    register(bank, "sen-a")
    signed = staff_member(bank, client, "reg", "registrar", "sen-a")
    fresh = app.test_client()
    page = fresh.get("/staff/login").get_data(as_text=True)
    statuses = [
        fresh.post(
            "/staff/login", data={"csrf_token": csrf(page), "login": "reg", "password": "wrong!", "code": "123456"}
        ).status_code
        for _ in range(accounts.MAX_FAILURES + 1)
    ]
    assert statuses == [401] * accounts.MAX_FAILURES + [429]
    # Locked now even with everything right.
    assert sign_in(fresh, "reg", signed.authenticator).status_code == 429


def test_pages_need_a_session_and_forms_a_csrf_token(bank, client, app):
    register(bank, "sen-a")
    assert app.test_client().get("/staff/").status_code == 302
    signed = staff_member(bank, client, "reg", "registrar", "sen-a")
    forged = client.post("/staff/logout", data={})
    assert forged.status_code == 400
    assert client.get("/staff/").status_code == 200  # still signed in: the forged form did nothing
    signed.post("/staff/logout", {}, from_page="/staff/")
    assert client.get("/staff/").status_code == 302


def test_a_session_ends_when_idle_and_when_its_account_is_disabled(bank, client, app):
    register(bank, "sen-a")
    signed = staff_member(bank, client, "reg", "registrar", "sen-a")
    with bank.db.writing() as session:
        session.execute(update(StaffSession).values(seen_at=datetime.now(UTC) - timedelta(minutes=21)))
    assert client.get("/staff/").status_code == 302
    assert sign_in(client, "reg", signed.authenticator).status_code == 302
    assert client.get("/staff/").status_code == 200
    accounts.disable(bank, "reg")
    assert client.get("/staff/").status_code == 302
    assert sign_in(client, "reg", signed.authenticator).status_code == 401


def test_confirmation_is_fresh_only_for_a_few_minutes(bank, client):
    register(bank, "sen-a")
    signed = staff_member(bank, client, "reg", "registrar", "sen-a")
    with bank.db.writing() as session:
        session.execute(update(StaffSession).values(authenticated_at=datetime.now(UTC) - timedelta(minutes=6)))
    answer = signed.post("/staff/reauth", {"password": "wrong password", "code": signed.authenticator.code()})
    assert answer.status_code == 401
    signed.confirm()
    with bank.db.reading() as session:
        (row,) = session.query(StaffSession).all()
        assert row.authenticated_at > datetime.now(UTC) - timedelta(minutes=1)


def test_a_registrars_entries_name_the_institution_and_a_pseudonym(bank, client):
    register(bank, "sen-a")
    register(bank, "sen-b")
    signed = staff_member(bank, client, "wang.li", "registrar", "sen-a")
    member = StaffMember(signed.staff_id, "wang.li", "registrar", "sen-a")
    enrolled = learners.enroll(
        bank, member.principal(), learners.LearnerInput(birth_date=datetime(1950, 3, 1).date(), name_zh="陈秀英")
    )
    acts = activity.acts(bank, member).acts
    mine = [act for act in acts if act.seq == enrolled.body["seq"]]
    assert [act.actor for act in mine] == [f"inst:sen-a/staff:{signed.staff_id}"]
    assert actors.institution_of(mine[0].actor) == "sen-a"
    assert "wang" not in mine[0].actor
    other = StaffMember("stf-x", "x", "viewer", "sen-b")
    assert all(act.seq != enrolled.body["seq"] for act in activity.acts(bank, other).acts)
    page = signed.page("/staff/activity")
    assert f"staff:{signed.staff_id}" in page


@pytest.mark.parametrize(("role", "institution"), [("admin", "sen-a"), ("registrar", None), ("owner", None)])
def test_a_role_must_fit_where_the_account_works(bank, role, institution):
    register(bank, "sen-a")
    with pytest.raises(InvalidInput) as refused:
        accounts.add(bank, "someone", role, institution, created_by="bank:test")
    assert "role" in refused.value.errors
    assert accounts.list_all(bank) == []


def test_second_factor_codes_are_accepted_once_and_near_now():
    secret = pyotp.random_base32()
    totp = pyotp.TOTP(secret)
    now = 1_800_000_000.0
    step = int(now // 30)
    assert second_factor.accepted_step(secret, totp.at(now), None, now) == step
    assert second_factor.accepted_step(secret, totp.at(now), step, now) is None
    assert second_factor.accepted_step(secret, totp.at(now - 30), None, now) == step - 1
    assert second_factor.accepted_step(secret, totp.at(now - 90), None, now) is None
    assert second_factor.accepted_step(secret, "12345", None, now) is None
    assert second_factor.accepted_step(secret, "１２３４５６", None, now) is None


def test_console_errors_are_pages_in_the_consoles_words(bank, client):
    register(bank, "sen-a")
    staff_member(bank, client, "reg", "registrar", "sen-a")
    missing = client.get("/staff/no-such-page", headers={"Accept-Language": "en"})
    assert missing.status_code == 404
    assert "That page or record does not exist." in missing.get_data(as_text=True)
    assert "Credit bank console" in missing.get_data(as_text=True)
    forged = client.post(
        "/staff/reauth", data={"password": PASSWORD, "code": "123456"}, headers={"Accept-Language": "en"}
    )
    assert forged.status_code == 400
    assert "did not come from this site" in forged.get_data(as_text=True)
    # Elsewhere the site's own page still answers.
    assert "Credit bank console" not in client.get("/no-such-page", headers={"Accept-Language": "en"}).get_data(
        as_text=True
    )
