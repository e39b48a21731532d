"""`next=` on the login and on the language switch sends people only to paths on this site: every way of naming
another host falls back, a line break is a 400 (never a 500), and ordinary paths survive."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import pytest

from creditbank.runtime import Bank, bank_of
from tests.conftest import BACKENDS, configuration, database_url, running_app
from tests.portal.test_portal_pages import csrf
from tests.portal.test_sessions import PASSWORD, fresh_account

# As they arrive in the query string, already percent-encoded where a browser or an attacker would encode them.
ELSEWHERE = [
    "https://evil.example/",
    "http:evil.example",
    "javascript:alert(1)",
    "//evil.example",
    "///evil.example",
    "%2F%2Fevil.example",
    "/%2F/evil.example",
    "/%09/evil.example",
    "%09//evil.example",
    "/%0D/evil.example%0D",  # a carriage return is a line break too: see LINE_BREAKS
    "\\\\evil.example",
    "/\\evil.example",
    "%5C%5Cevil.example",
    "/%5Cevil.example",
    "/%255C/evil.example",
    "/%2509/evil.example",
    "/%250a/evil.example",
    "/%00/evil.example",
    "evil.example",
    "me",
    " /me",
    "/\u3000/evil.example".replace("\u3000", "%E3%80%80"),
]
LINE_BREAKS = ["/%0A/evil.example", "/me%0D%0ASet-Cookie:%20x=1", "%0A//evil.example"]
KEPT = ["/me/credits", "/me?page=2", "/verify", "/me/documents?kind=transcript"]


@pytest.fixture(scope="module", params=BACKENDS)
def portal(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Any, Bank]]:
    folder = tmp_path_factory.mktemp("redirects")
    with running_app(configuration(database_url(request.param, request, folder), folder)) as app:
        bank = bank_of(app)
        from creditbank import demo

        demo.seed(bank, 1)
        yield app, bank


@pytest.fixture(scope="module")
def login_name(portal: tuple[Any, Bank]) -> str:
    return fresh_account(portal[1])[1]


def _login(app: Any, name: str, query: str) -> Any:
    client = app.test_client()
    page = client.get("/login")
    return client.post(
        "/login?next=" + query, data={"login": name, "password": PASSWORD, "csrf_token": csrf(page.get_data(True))}
    )


def _lines(payloads: list[str]) -> list[str]:
    return [payload for payload in payloads if "%0D" not in payload.upper()]


@pytest.mark.parametrize("payload", _lines(ELSEWHERE))
def test_the_login_sends_nobody_elsewhere(portal: tuple[Any, Bank], login_name: str, payload: str) -> None:
    answer = _login(portal[0], login_name, payload)
    assert answer.status_code == 302, answer.get_data(as_text=True)[:300]
    assert answer.headers["Location"] == "/me"


@pytest.mark.parametrize("payload", _lines(ELSEWHERE))
def test_the_language_switch_sends_nobody_elsewhere(portal: tuple[Any, Bank], payload: str) -> None:
    answer = portal[0].test_client().get("/lang/en?next=" + payload)
    assert answer.status_code == 302
    assert answer.headers["Location"] == "/"


@pytest.mark.parametrize("payload", [*LINE_BREAKS, "/%0D/evil.example%0D"])
def test_a_line_break_in_next_is_a_400_page(portal: tuple[Any, Bank], login_name: str, payload: str) -> None:
    app = portal[0]
    switched = app.test_client().get("/lang/en?next=" + payload)
    shown = app.test_client().get("/login?next=" + payload)
    posted = _login(app, login_name, payload)
    for answer in (switched, shown, posted):
        assert answer.status_code == 400
        assert "Location" not in answer.headers
        assert "Traceback" not in answer.get_data(as_text=True)
    assert "<html" in shown.get_data(as_text=True)


@pytest.mark.parametrize("path", KEPT)
def test_paths_on_this_site_are_kept(portal: tuple[Any, Bank], login_name: str, path: str) -> None:
    app = portal[0]
    assert _login(app, login_name, quote(path, safe="")).headers["Location"] == path
    assert app.test_client().get("/lang/zh?next=" + quote(path, safe="")).headers["Location"] == path


def test_a_page_that_needs_a_login_comes_back_after_it(portal: tuple[Any, Bank], login_name: str) -> None:
    client = portal[0].test_client()
    sent = client.get("/me/credits")
    assert sent.status_code == 302
    login_page = sent.headers["Location"]
    assert login_page == "/login?next=/me/credits"
    page = client.get(login_page).get_data(as_text=True)
    answer = client.post(login_page, data={"login": login_name, "password": PASSWORD, "csrf_token": csrf(page)})
    assert answer.headers["Location"] == "/me/credits"
