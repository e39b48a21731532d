"""Attacks on staff sessions and codes that need more than one request at a time, or the portal beside the console.

A passing test is a defence that held; an ``xfail(strict=True)`` test is an open finding.
"""

from __future__ import annotations

import contextlib
import threading

from sqlalchemy import func, select

from creditbank.errors import AccountError
from creditbank.models import StaffSession
from creditbank.services.staff import accounts, second_factor
from tests.console.staff_helpers import PASSWORD, csrf, staff_member
from tests.helpers import register


def live_sessions(bank, staff_id: str) -> int:
    with bank.db.reading() as session:
        return int(
            session.scalar(select(func.count()).select_from(StaffSession).where(StaffSession.staff_id == staff_id)) or 0
        )


def test_one_totp_code_signs_in_once_even_when_two_sign_ins_race(bank, app, db_url, request, monkeypatch):
    """Two sign-ins with the same password and code at the same moment (a code seen over a shoulder, replayed while
    its owner types it): only one may be accepted."""
    register(bank, "uni-a")
    member = staff_member(bank, app.test_client(), "race.one", "registrar", "uni-a")
    code = member.authenticator.code()
    real = second_factor.accepted_step
    both_checking = threading.Barrier(2, timeout=10)

    def meeting(secret, typed, last_step, now=None):
        # Both sign-ins hold their read of the account here before either writes; if the database makes the second
        # wait for the first (as a row lock would), the barrier times out and they go one after the other.
        with contextlib.suppress(threading.BrokenBarrierError):
            both_checking.wait()
        return real(secret, typed, last_step, now)

    monkeypatch.setattr(second_factor, "accepted_step", meeting)
    results: list[object] = []

    def attempt(address: str) -> None:
        try:
            results.append(accounts.authenticate(bank, member.login, PASSWORD, code, address)[1])
        except AccountError as refused:
            results.append(refused.reason)

    threads = [threading.Thread(target=attempt, args=(f"10.0.0.{n}",)) for n in (1, 2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert len(results) == 2
    assert sorted(result == "wrong" for result in results) == [False, True], results


def test_signing_out_of_the_portal_ends_the_staff_session_too(bank, app):
    register(bank, "uni-a")
    client = app.test_client()
    member = staff_member(bank, client, "both.one", "registrar", "uni-a")
    copy = app.test_client()
    copy.set_cookie("creditbank_session", client.get_cookie("creditbank_session").value)
    assert copy.get("/staff/").status_code == 200
    with client.session_transaction() as cookie:
        cookie["sid"] = "a-portal-session-that-has-ended"
    token = csrf(client.get("/staff/").get_data(as_text=True))
    client.post("/logout", data={"csrf_token": token})
    assert client.get("/staff/").status_code == 302  # this browser is signed out of the console too
    assert live_sessions(bank, member.staff_id) == 0
    assert copy.get("/staff/").status_code == 302
