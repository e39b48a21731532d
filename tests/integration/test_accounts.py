"""Portal accounts: activation (code and birth date, checked and throttled before any scrypt work), login by e-mail
or chosen login name only, an atomic lockout, keyed throttle rows, password changes and erasure."""

from __future__ import annotations

import statistics
import time
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select, update

from creditbank.errors import AccountError
from creditbank.models import ActivationCode, LearnerAccount, LoginThrottle
from creditbank.services import throttle
from creditbank.services.learner_access import accounts, passwords
from creditbank.services.records import learners
from tests.helpers import register

PASSWORD = "correct horse 42"
NEW = "a new password 7"
BORN = "1960-05-06"


@pytest.fixture
def institution(bank):
    from creditbank.services.records import api_keys

    register(bank, "uni-a")
    return {"Authorization": f"Bearer {api_keys.issue(bank, 'uni-a').token}"}


def _enroll(client, institution, name: str = "王芳", born: str = BORN, email: str | None = None):
    person = {"name": {"zh": name}, "birth_date": born, **({"email": email} if email else {})}
    response = client.post("/api/v1/learners", json=person, headers=institution)
    assert response.status_code == 201, response.get_data(as_text=True)
    return response.get_json()


@pytest.fixture
def enrolled(client, institution):
    return _enroll(client, institution, email="Wang.Fang@example.com")


def _refusal(call, *args, **kwargs) -> str:
    with pytest.raises(AccountError) as refused:
        call(*args, **kwargs)
    return refused.value.reason


def test_a_code_and_the_birth_date_activate_once_and_the_learner_id_is_no_login(bank, enrolled) -> None:
    code = enrolled["activation_code"]
    assert len(code.replace("-", "")) == 12
    learner = accounts.activate(bank, code.lower(), BORN, PASSWORD, "wang.fang@example.com", login_name="Wang.Fang60")
    assert learner == enrolled["id"]
    assert _refusal(accounts.activate, bank, code, BORN, "another password 1") == "code_used"
    by_mail = accounts.authenticate(bank, " WANG.FANG@example.com", PASSWORD, "10.0.0.1")
    by_name = accounts.authenticate(bank, "wang.fang60", PASSWORD, "10.0.0.1")
    assert by_mail.learner_id == by_name.learner_id == enrolled["id"]
    # Printed on every credential and PDF: with the right password it still signs nobody in.
    assert _refusal(accounts.authenticate, bank, enrolled["id"], PASSWORD, "10.0.0.1") == "wrong"


def test_a_wrong_birth_date_is_answered_like_an_unknown_code_and_spends_nothing(bank, enrolled) -> None:
    code = enrolled["activation_code"]
    wrong = _refusal(accounts.activate, bank, code, "1960-05-07", PASSWORD, login_name="wangfang")
    unknown = _refusal(accounts.activate, bank, "ABCD-EFGH-JKLM", BORN, PASSWORD, login_name="wangfang")
    assert wrong == unknown == "code_unknown"
    assert _refusal(accounts.activate, bank, code, "6 May 1960", PASSWORD, login_name="x1y") == "birth_date_invalid"
    assert accounts.activate(bank, code, BORN, PASSWORD, login_name="wangfang") == enrolled["id"]


def test_activation_needs_a_login_and_login_names_are_unique_without_regard_to_case(
    bank, client, institution, enrolled
) -> None:
    assert _refusal(accounts.activate, bank, enrolled["activation_code"], BORN, PASSWORD) == "login_needed"
    accounts.activate(bank, enrolled["activation_code"], BORN, PASSWORD, login_name="Garden.Reader")
    other = _enroll(client, institution, name="李强", born="1950-01-01")
    for name in ("lrn_abc", "LRN-0123", "ab", "名字abc", "has space", "a" * 65, "x@y"):
        assert _refusal(accounts.activate, bank, other["activation_code"], "1950-01-01", PASSWORD, login_name=name) == (
            "login_name_invalid"
        ), name
    taken = _refusal(
        accounts.activate, bank, other["activation_code"], "1950-01-01", PASSWORD, login_name="garden.READER"
    )
    assert taken == "login_name_taken"
    # Being refused a taken name does not spend the code.
    assert (
        accounts.activate(bank, other["activation_code"], "1950-01-01", PASSWORD, login_name="li.qiang")
        == (other["id"])
    )


def test_codes_expire_and_a_new_code_replaces_the_old(bank, enrolled) -> None:
    old = enrolled["activation_code"]
    fresh = accounts.new_code(bank, enrolled["id"])
    assert _refusal(accounts.activate, bank, old, BORN, PASSWORD, login_name="wangfang") == "code_unknown"
    with bank.db.writing() as session:
        session.execute(update(ActivationCode).values(expires_at=datetime.now(UTC) - timedelta(seconds=1)))
    assert _refusal(accounts.activate, bank, fresh, BORN, PASSWORD, login_name="wangfang") == "code_expired"
    short = _refusal(accounts.activate, bank, accounts.new_code(bank, enrolled["id"]), BORN, "short")
    assert short == "password_short"


def test_guessing_birth_dates_or_codes_is_throttled_per_code_and_per_address(bank, enrolled) -> None:
    code = enrolled["activation_code"]
    for day in range(1, accounts.MAX_CODE_FAILURES + 1):
        guess = f"1961-01-{day:02d}"
        reason = _refusal(accounts.activate, bank, code, guess, PASSWORD, login_name="wangfang", client=f"10.2.0.{day}")
        assert reason == "code_unknown"
    # Now even the right birth date from a fresh address waits: the code has had its guesses.
    right = _refusal(accounts.activate, bank, code, BORN, PASSWORD, login_name="wangfang", client="10.3.0.1")
    assert right == "throttled"
    for attempt in range(accounts.MAX_ADDRESS_FAILURES):
        made_up = f"ZZZZ-ZZZZ-{attempt:04d}"
        assert _refusal(accounts.activate, bank, made_up, BORN, PASSWORD, login_name="w-f", client="10.9.9.9") == (
            "code_unknown"
        )
    assert _refusal(accounts.activate, bank, "ZZZZ-ZZZZ-ZZZZ", BORN, PASSWORD, login_name="w-f", client="10.9.9.9") == (
        "throttled"
    )


def test_refused_activations_do_no_scrypt_work(bank, enrolled) -> None:
    started = time.perf_counter()
    passwords.hash_password("calibration password")
    scrypt = time.perf_counter() - started
    refused = []
    for attempt in range(5):
        started = time.perf_counter()
        _refusal(
            accounts.activate, bank, enrolled["activation_code"], f"1970-02-0{attempt + 1}", PASSWORD,
            login_name="wangfang", client=f"10.4.0.{attempt}",
        )  # fmt: skip
        refused.append(time.perf_counter() - started)
    assert statistics.median(refused) < scrypt / 2, (refused, scrypt)


def test_wrong_passwords_get_one_generic_answer_then_a_lockout(bank, enrolled) -> None:
    accounts.activate(bank, enrolled["activation_code"], BORN, PASSWORD, "wang.fang@example.com")
    answers = set()
    for login in ("wang.fang@example.com", enrolled["id"], "nobody@example.com", "some-name"):
        with pytest.raises(AccountError) as wrong:
            accounts.authenticate(bank, login, "not the password", "10.0.0.2")
        answers.add((wrong.value.reason, str(wrong.value)))
    assert answers == {("wrong", accounts.WRONG)}
    for _ in range(accounts.MAX_FAILURES - 1):
        assert _refusal(accounts.authenticate, bank, "Wang.Fang@example.com", "still wrong", "10.0.0.3") == "wrong"
    assert _refusal(accounts.authenticate, bank, "wang.fang@example.com", PASSWORD, "10.0.0.4") == "throttled"
    with bank.db.writing() as session:
        session.execute(update(LoginThrottle).values(locked_until=datetime.now(UTC) - timedelta(seconds=1)))
    assert accounts.authenticate(bank, "wang.fang@example.com", PASSWORD, "10.0.0.4").learner_id == enrolled["id"]


def test_the_learner_id_cannot_lock_the_owner_out(bank, enrolled) -> None:
    accounts.activate(bank, enrolled["activation_code"], BORN, PASSWORD, login_name="wangfang")
    # Typing the id only ever locks that typed text, never the account behind it.
    reasons = {_refusal(accounts.authenticate, bank, enrolled["id"], "a guess", "10.5.0.1") for _ in range(12)}
    assert reasons == {"wrong", "throttled"}
    assert accounts.authenticate(bank, "wangfang", PASSWORD, "10.5.0.2").learner_id == enrolled["id"]


def test_the_throttle_keeps_keyed_digests_of_what_was_typed(bank, enrolled) -> None:
    accounts.activate(bank, enrolled["activation_code"], BORN, PASSWORD, login_name="wangfang")
    typed = ["Stranger.Name@Example.org", "someone-else", "wangfang"]
    for login in typed:
        _refusal(accounts.authenticate, bank, login, "a wrong password", "203.0.113.77")
    _refusal(accounts.activate, bank, "QQQQ-RRRR-SSSS", BORN, PASSWORD, login_name="wangfang", client="203.0.113.78")
    with bank.db.reading() as session:
        keys = list(session.scalars(select(LoginThrottle.key)))
    stored = " ".join(keys).casefold()
    for text in ("stranger", "someone", "wangfang", "203.0.113", enrolled["id"].casefold(), "qqqq"):
        assert text not in stored, (text, keys)
    assert throttle.key(bank, "login", "stranger.name@example.org") in keys
    assert throttle.key(bank, "account", enrolled["id"]) in keys
    assert throttle.key(bank, "ip", "203.0.113.77") in keys


def test_the_dummy_hash_costs_what_a_real_one_costs() -> None:
    assert passwords.DUMMY_HASH.split("$")[:4] == passwords.hash_password("any password").split("$")[:4]


def test_login_takes_as_long_for_an_unknown_account_as_for_a_known_one(bank, enrolled) -> None:
    accounts.activate(bank, enrolled["activation_code"], BORN, PASSWORD, login_name="wangfang")

    def timed(login: str, client: str) -> float:
        started = time.perf_counter()
        _refusal(accounts.authenticate, bank, login, "a wrong password", client)
        return time.perf_counter() - started

    known, unknown = [], []
    for attempt in range(accounts.MAX_FAILURES - 1):
        known.append(timed("wangfang", f"10.6.0.{attempt}"))
        unknown.append(timed(f"nobody-{attempt}", f"10.7.0.{attempt}"))
    ratio = statistics.median(unknown) / statistics.median(known)
    assert 0.5 < ratio < 2, (known, unknown)


def test_the_current_password_check_is_throttled_like_a_login(bank, enrolled) -> None:
    accounts.activate(bank, enrolled["activation_code"], BORN, PASSWORD, login_name="wangfang")
    for _ in range(accounts.MAX_FAILURES):
        reason = _refusal(
            accounts.change_password, bank, enrolled["id"], "guess", "a new password 7", "a new password 7"
        )
        assert reason == "current_wrong"
    locked = _refusal(accounts.change_password, bank, enrolled["id"], PASSWORD, NEW, NEW)
    assert locked == "throttled"
    # One counter per account: the login is locked too.
    assert _refusal(accounts.authenticate, bank, "wangfang", PASSWORD, "10.0.0.9") == "throttled"


def test_a_password_change_and_erasure(bank, enrolled) -> None:
    accounts.activate(bank, enrolled["activation_code"], BORN, PASSWORD, login_name="wangfang")
    mismatch = _refusal(
        accounts.change_password, bank, enrolled["id"], PASSWORD, "a new password 7", "a new password 8"
    )
    assert mismatch == "password_mismatch"
    accounts.change_password(bank, enrolled["id"], PASSWORD, "a new password 7", "a new password 7")
    assert _refusal(accounts.authenticate, bank, "wangfang", PASSWORD, "10.0.0.5") == "wrong"
    assert accounts.authenticate(bank, "wangfang", "a new password 7", "10.0.0.5").learner_id == enrolled["id"]
    learners.erase(bank, enrolled["id"])
    assert _refusal(accounts.authenticate, bank, "wangfang", "a new password 7", "10.0.0.5") == "wrong"
    with bank.db.reading() as session:
        assert session.scalar(select(func.count()).select_from(LearnerAccount)) == 0


def test_24_concurrent_wrong_passwords_on_one_account_check_at_most_five(app, bank, client, institution) -> None:
    import http.cookiejar
    import re
    import threading
    import urllib.error
    import urllib.parse
    import urllib.request
    from concurrent.futures import ThreadPoolExecutor

    from werkzeug.serving import make_server

    learner = _enroll(client, institution)
    accounts.activate(bank, learner["activation_code"], BORN, PASSWORD, login_name="crowded")
    server = make_server("127.0.0.1", 0, app, threaded=True)
    serving = threading.Thread(target=server.serve_forever, daemon=True)
    serving.start()
    base = f"http://127.0.0.1:{server.server_port}"
    start = threading.Barrier(24)

    def attempt(number: int) -> int:
        browser = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
        with browser.open(base + "/login", timeout=60) as page:
            token = re.search(r'name="csrf_token" value="([^"]+)"', page.read().decode())
        assert token is not None
        form = {"login": "crowded", "password": f"wrong guess {number}", "csrf_token": token.group(1)}
        start.wait()  # every browser submits at the same moment
        try:
            with browser.open(base + "/login", data=urllib.parse.urlencode(form).encode(), timeout=120) as answer:
                return answer.status
        except urllib.error.HTTPError as refused:
            refused.close()
            return refused.code

    try:
        with ThreadPoolExecutor(24) as pool:
            statuses = list(pool.map(attempt, range(24)))
    finally:
        server.shutdown()
        serving.join()
    # 401 is answered only after a password was checked; 429 before any scrypt work.
    checked = statuses.count(401)
    assert checked + statuses.count(429) == 24, statuses
    assert 1 <= checked <= accounts.MAX_FAILURES, statuses
    with bank.db.reading() as session:
        row = session.get(LoginThrottle, throttle.key(bank, "account", learner["id"]))
    assert row is not None
    assert row.failures == checked
    assert row.locked_until is not None
