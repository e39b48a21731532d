"""Portal accounts: activation codes, passwords, throttled logins, password changes and erasure."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import update

from creditbank.models import ActivationCode, LoginThrottle
from creditbank.services import accounts, learners
from tests.helpers import register

PASSWORD = "correct horse 42"


@pytest.fixture
def enrolled(client, bank):
    from creditbank.services import api_keys

    register(bank, "uni-a")
    token = api_keys.issue(bank, "uni-a").token
    person = {"name": {"zh": "王芳"}, "birth_date": "1960-05-06", "email": "Wang.Fang@example.com"}
    response = client.post("/api/v1/learners", json=person, headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 201
    return response.get_json()


def test_enrollment_hands_out_a_code_that_activates_once(bank, enrolled) -> None:
    code = enrolled["activation_code"]
    assert len(code.replace("-", "")) == 12
    learner = accounts.activate(bank, code.lower(), PASSWORD, "wang.fang@example.com")
    assert learner == enrolled["id"]
    with pytest.raises(accounts.AccountError) as reused:
        accounts.activate(bank, code, "another password 1")
    assert reused.value.reason == "code_used"
    by_id = accounts.authenticate(bank, enrolled["id"], PASSWORD, "10.0.0.1")
    by_mail = accounts.authenticate(bank, " WANG.FANG@example.com", PASSWORD, "10.0.0.1")
    assert by_id.learner_id == by_mail.learner_id == enrolled["id"]


def test_codes_expire_and_a_new_code_replaces_the_old(bank, enrolled) -> None:
    old = enrolled["activation_code"]
    fresh = accounts.new_code(bank, enrolled["id"])
    with pytest.raises(accounts.AccountError) as replaced:
        accounts.activate(bank, old, PASSWORD)
    assert replaced.value.reason == "code_unknown"
    with bank.db.writing() as session:
        session.execute(update(ActivationCode).values(expires_at=datetime.now(UTC) - timedelta(seconds=1)))
    with pytest.raises(accounts.AccountError) as expired:
        accounts.activate(bank, fresh, PASSWORD)
    assert expired.value.reason == "code_expired"
    with pytest.raises(accounts.AccountError) as short:
        accounts.activate(bank, accounts.new_code(bank, enrolled["id"]), "short")
    assert short.value.reason == "password_short"


def test_wrong_passwords_get_one_generic_answer_then_a_lockout(bank, enrolled) -> None:
    accounts.activate(bank, enrolled["activation_code"], PASSWORD)
    answers = set()
    for login in (enrolled["id"], "lrn_doesnotexist000000", "nobody@example.com"):
        with pytest.raises(accounts.AccountError) as wrong:
            accounts.authenticate(bank, login, "not the password", "10.0.0.2")
        answers.add((wrong.value.reason, str(wrong.value)))
    assert answers == {("wrong", accounts.WRONG)}
    for _ in range(accounts.MAX_FAILURES - 1):
        with pytest.raises(accounts.AccountError):
            accounts.authenticate(bank, enrolled["id"], "still wrong", "10.0.0.3")
    with pytest.raises(accounts.AccountError) as locked:
        accounts.authenticate(bank, enrolled["id"], PASSWORD, "10.0.0.4")
    assert locked.value.reason == "throttled"
    with bank.db.writing() as session:
        session.execute(update(LoginThrottle).values(locked_until=datetime.now(UTC) - timedelta(seconds=1)))
    assert accounts.authenticate(bank, enrolled["id"], PASSWORD, "10.0.0.4").learner_id == enrolled["id"]


def test_a_password_change_ends_older_sessions_and_erasure_ends_the_account(bank, enrolled) -> None:
    accounts.activate(bank, enrolled["activation_code"], PASSWORD)
    login = accounts.authenticate(bank, enrolled["id"], PASSWORD, "10.0.0.5")
    stamp = login.password_changed_at.isoformat()
    assert accounts.session_valid(bank, enrolled["id"], stamp)
    with pytest.raises(accounts.AccountError) as mismatch:
        accounts.change_password(bank, enrolled["id"], PASSWORD, "a new password 7", "a new password 8")
    assert mismatch.value.reason == "password_mismatch"
    accounts.change_password(bank, enrolled["id"], PASSWORD, "a new password 7", "a new password 7")
    assert not accounts.session_valid(bank, enrolled["id"], stamp)
    learners.erase(bank, enrolled["id"])
    with pytest.raises(accounts.AccountError):
        accounts.authenticate(bank, enrolled["id"], "a new password 7", "10.0.0.5")
