"""Getting in and getting back in: the login page asks only for what the learner chose, activation ends on a login
page that shows the chosen name, a forgotten password comes back with a reset code and the birth date (one use,
expiring, throttled with activation, the same answer for a wrong code and a wrong birth date, every session ended),
a warning before the pause, and the one script the sign-in pages may load."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask.testing import FlaskClient
from pypdf import PdfReader
from sqlalchemy import update

from creditbank import letters, web_headers
from creditbank.errors import AccountError
from creditbank.models import ActivationCode
from creditbank.services.learner_access import accounts
from tests.helpers import register

BORN = "1948-11-02"
PASSWORD = "first long password"
NEW = "a brand new password"


@pytest.fixture
def enrolled(client: FlaskClient, bank: Any) -> dict[str, str]:
    from creditbank.services.records import api_keys

    register(bank, "uni-a")
    key = {"Authorization": f"Bearer {api_keys.issue(bank, 'uni-a').token}"}
    answer = client.post("/api/v1/learners", json={"name": {"zh": "赵奶奶"}, "birth_date": BORN}, headers=key)
    assert answer.status_code == 201, answer.get_data(as_text=True)
    body: dict[str, str] = answer.get_json()
    return body


def _csrf(client: FlaskClient, path: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', client.get(path).get_data(as_text=True))
    assert found
    return found.group(1)


def _post(client: FlaskClient, path: str, **form: str) -> Any:
    return client.post(path, data={**form, "csrf_token": _csrf(client, path)})


def _login(client: FlaskClient, who: str, password: str) -> Any:
    return _post(client, "/login", login=who, password=password)


def _reset(client: FlaskClient, code: str, born: str = BORN, password: str = NEW) -> Any:
    return _post(client, "/reset", code=code, birth_date=born, password=password, password_again=password)


def _activated(bank: Any, enrolled: dict[str, str]) -> None:
    accounts.activate(bank, enrolled["activation_code"], BORN, PASSWORD, login_name="zhao.nainai")


@pytest.mark.parametrize("language", ["zh", "en"])
def test_the_login_page_asks_only_for_what_the_learner_chose(client: FlaskClient, language: str) -> None:
    client.set_cookie("lang", language)
    page = client.get("/login").get_data(as_text=True)
    assert "学习者编号" not in page
    assert "learner id" not in page.lower()
    assert ("电子邮箱或登录名" if language == "zh" else "E-mail or login name") in page
    assert 'href="/forgot"' in page
    # The show-password button is there for the script to reveal, and hidden without it.
    assert re.search(r'<button type="button"[^>]*data-reveal="password"[^>]*hidden>', page)


def test_activation_without_an_e_mail_shows_the_chosen_login_name_once(client: FlaskClient, enrolled: Any) -> None:
    done = _post(
        client, "/activate", code=enrolled["activation_code"], birth_date=BORN, login_name="Zhao.NaiNai",
        email="", password=PASSWORD, password_again=PASSWORD,
    )  # fmt: skip
    assert done.status_code == 302
    assert done.headers["Location"].endswith("/login")
    assert "zhao" not in done.headers["Location"].lower()  # not in the URL, the history or the request log
    page = client.get("/login").get_data(as_text=True)
    assert 'id="login-chosen"' in page
    assert "zhao.nainai" in page
    assert 'name="login" value="zhao.nainai"' in page
    again = client.get("/login").get_data(as_text=True)
    assert "zhao.nainai" not in again
    assert _login(client, "zhao.nainai", PASSWORD).status_code == 302


def test_the_forgot_page_says_whom_to_ask_in_plain_words(client: FlaskClient) -> None:
    client.set_cookie("lang", "en")
    page = client.get("/forgot")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "the bank&#39;s help desk" in text or "the bank's help desk" in text
    assert 'href="/reset"' in text
    assert page.headers["Cache-Control"] == "no-store"


def test_a_reset_code_sets_a_new_password_once_and_ends_every_session(
    app: Any, client: FlaskClient, bank: Any, enrolled: Any
) -> None:
    _activated(bank, enrolled)
    elsewhere = app.test_client()
    assert _login(elsewhere, "zhao.nainai", PASSWORD).status_code == 302
    assert elsewhere.get("/me").status_code == 200
    code = accounts.new_code(bank, enrolled["id"])
    done = _reset(client, code)
    assert done.status_code == 302
    assert done.headers["Location"].endswith("/login")
    # The other browser is signed out, the old password is gone, the new one works, the login name is kept.
    assert elsewhere.get("/me").status_code == 302
    assert _login(app.test_client(), "zhao.nainai", PASSWORD).status_code == 401
    assert _login(app.test_client(), "zhao.nainai", NEW).status_code == 302
    client.set_cookie("lang", "en")
    spent = _reset(client, code, password="yet another password")
    assert spent.status_code == 400
    assert "This code has already been used" in spent.get_data(as_text=True)


def test_a_wrong_birth_date_is_answered_like_a_wrong_code(client: FlaskClient, bank: Any, enrolled: Any) -> None:
    _activated(bank, enrolled)
    code = accounts.new_code(bank, enrolled["id"])
    client.set_cookie("lang", "en")
    wrong_date = _reset(client, code, born="1948-11-03")
    wrong_code = _reset(client, "AAAA-BBBB-CCCC")

    def message(answer: Any) -> str:
        found = re.search(r'<p class="error" id="code-error">([^<]+)</p>', answer.get_data(as_text=True))
        assert found
        return found.group(1)

    assert wrong_date.status_code == wrong_code.status_code == 400
    assert message(wrong_date) == message(wrong_code) == "The code or the birth date is not right."
    assert _reset(client, code).status_code == 302  # the right birth date still works: nothing was spent


def test_an_expired_reset_code_is_refused(client: FlaskClient, bank: Any, enrolled: Any) -> None:
    _activated(bank, enrolled)
    code = accounts.new_code(bank, enrolled["id"])
    with bank.db.writing() as session:
        session.execute(update(ActivationCode).values(expires_at=datetime.now(UTC) - timedelta(seconds=1)))
    client.set_cookie("lang", "en")
    answer = _reset(client, code)
    assert answer.status_code == 400
    assert "This code has expired" in answer.get_data(as_text=True)


def test_a_code_for_a_learner_without_an_account_is_refused_unspent(
    client: FlaskClient, bank: Any, enrolled: Any
) -> None:
    with pytest.raises(AccountError) as refused:
        accounts.reset_password(bank, enrolled["activation_code"], BORN, NEW, NEW)
    assert refused.value.reason == "no_account_yet"
    client.set_cookie("lang", "en")
    page = _reset(client, enrolled["activation_code"]).get_data(as_text=True)
    assert "This code opens a new account" in page
    assert 'href="/activate"' in page
    # Still good for what it is for.
    accounts.activate(bank, enrolled["activation_code"], BORN, PASSWORD, login_name="zhao.nainai")


def test_guessing_on_the_reset_page_is_throttled_together_with_activation(
    client: FlaskClient, bank: Any, enrolled: Any
) -> None:
    _activated(bank, enrolled)
    code = accounts.new_code(bank, enrolled["id"])
    statuses = [_reset(client, code, born=f"1948-11-{day:02d}").status_code for day in range(10, 10 + 4)]
    assert statuses == [400] * 4
    # The fifth wrong birth date for this code comes by the other door and still counts; then both doors refuse.
    with pytest.raises(AccountError):
        accounts.activate(bank, code, "1948-11-20", PASSWORD, login_name="zhao.nainai")
    assert _reset(client, code).status_code == 429
    with pytest.raises(AccountError) as refused:
        accounts.activate(bank, code, BORN, PASSWORD, login_name="zhao.nainai")
    assert refused.value.reason == "throttled"


@pytest.mark.parametrize("who", ["zhao.nainai", "nobody.here"])
def test_the_login_warns_before_it_pauses_the_same_for_any_login(
    client: FlaskClient, bank: Any, enrolled: Any, who: str
) -> None:
    _activated(bank, enrolled)
    client.set_cookie("lang", "en")
    pages = [_login(client, who, "not the password") for _ in range(accounts.MAX_FAILURES)]
    texts = [page.get_data(as_text=True) for page in pages]
    assert [page.status_code for page in pages] == [401] * accounts.MAX_FAILURES
    assert "more wrong" not in texts[0]
    assert "3 more wrong tries and login is paused for 15 minutes." in texts[1]
    assert "2 more wrong tries and login is paused for 15 minutes." in texts[2]
    assert "1 more wrong try and login is paused for 15 minutes." in texts[3]
    assert "Please wait 15 minutes" in texts[4]


def test_the_password_page_warns_before_it_pauses(client: FlaskClient, bank: Any, enrolled: Any) -> None:
    _activated(bank, enrolled)
    assert _login(client, "zhao.nainai", PASSWORD).status_code == 302
    client.set_cookie("lang", "en")
    texts = [
        _post(client, "/me/password", current="wrong", password=NEW, password_again=NEW).get_data(as_text=True)
        for _ in range(3)
    ]
    assert "2 more wrong tries" in texts[2]


def test_only_the_pages_that_load_the_script_allow_it(client: FlaskClient, bank: Any, enrolled: Any) -> None:
    _activated(bank, enrolled)
    # /verify loads it for the file picker's button in the page's language.
    for path in ("/login", "/activate", "/reset", "/verify"):
        answer = client.get(path)
        assert answer.headers["Content-Security-Policy"] == web_headers.SCRIPTED_POLICY, path
        assert '<script src="/static/portal.js" defer></script>' in answer.get_data(as_text=True)
    assert "script-src" not in client.get("/forgot").headers["Content-Security-Policy"]
    assert _login(client, "zhao.nainai", PASSWORD).status_code == 302
    assert "script-src" not in client.get("/me").headers["Content-Security-Policy"]
    assert "script-src 'self'" in client.get("/me/share").headers["Content-Security-Policy"]
    with client.get("/static/portal.js") as script:
        assert script.status_code == 200
        assert script.mimetype in ("text/javascript", "application/javascript")
        assert script.headers["X-Content-Type-Options"] == "nosniff"
        assert not re.search(r"\beval\b|new Function|innerHTML", script.get_data(as_text=True))


def test_a_new_share_link_is_in_a_readonly_field_with_a_copy_button(
    client: FlaskClient, bank: Any, enrolled: Any
) -> None:
    _activated(bank, enrolled)
    assert _login(client, "zhao.nainai", PASSWORD).status_code == 302
    page = _post(client, "/me/share", scope="whole", days="7").get_data(as_text=True)
    field = re.search(r'<input type="text" id="share-url" value="([^"]+)" readonly', page)
    assert field
    assert "/s/" in field.group(1)
    assert re.search(r'<button type="button" data-copy="share-url"[^>]*hidden>', page)
    listing = client.get("/me/share").get_data(as_text=True)
    assert 'class="share-links"' in listing
    assert "data-label=" in listing


def test_a_reset_letter_points_at_the_reset_page() -> None:
    letter = letters.Letter(
        name_zh="赵奶奶", name_latin=None, code="ABCD-EFGH-JKLM", login_url="https://bank.example/reset",
        institution_zh="老年大学", institution_en="Senior College", expires=datetime(2026, 12, 18).date(),
    )  # fmt: skip
    from io import BytesIO

    text = PdfReader(BytesIO(letters.render_letters([letter], reset=True))).pages[0].extract_text()
    assert "https://bank.example/reset" in text
    assert "重设" in text
    assert "ABCD" in text
