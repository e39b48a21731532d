"""A wallet exchange's interaction URL opened in a web browser: a page in the visitor's language on how to hand the
link to the wallet app, not the JSON the wallet reads. The wallet's own requests still get the JSON as before; the
page is no round of the exchange (a wallet finishes it afterwards); a link that no longer works gets a page with the
status the JSON gives it; and the page, reached by a secret, names neither the learner nor the credential and is
never cached or named to another site."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask.testing import FlaskClient

from creditbank import demo, web_headers
from creditbank.languages import i18n
from creditbank.models import WalletExchange
from creditbank.runtime import Bank, bank_of
from creditbank.services import credentials
from creditbank.services.credentials import exchanges
from tests.api.test_wallet_exchanges import _credential, _open, _post, _sign
from tests.conftest import BACKENDS, configuration, database_url, running_app
from tests.portal.test_portal_pages import login

# Chromium's Accept for a page it navigates to (Firefox and Safari say the same in the parts that matter here).
BROWSER = (
    "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,image/apng,*/*;q=0.8,"
    "application/signed-exchange;v=b3;q=0.7"
)


@pytest.fixture(scope="module", params=BACKENDS)
def seeded(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Any, Bank]]:
    folder = tmp_path_factory.mktemp("exchange-link-page")
    config = configuration(database_url(request.param, request, folder), folder)
    config["CREDITBANK_PUBLIC_URL"] = "https://bank.example"
    with running_app(config) as app:
        bank = bank_of(app)
        demo.seed(bank, 2)
        yield app, bank


@pytest.fixture
def opened(seeded: tuple[Any, Bank]) -> tuple[FlaskClient, Bank, str, str, str]:
    """A learner, signed in, who has just opened an exchange: (their client, bank, learner, credential, path)."""
    app, bank = seeded
    client = app.test_client()
    found = demo.demo_login(bank)
    assert found is not None
    assert login(client, found[1], found[2]).status_code == 302
    credential_id = _credential(bank, found[0])
    _, path = _open(client, credential_id)
    return client, bank, found[0], credential_id, path


def _browser(seeded: tuple[Any, Bank], language: str) -> FlaskClient:
    """A phone's browser with no session, asking in ``language`` as its settings say."""
    app, _ = seeded
    client = app.test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = f"{language};q=1.0, de;q=0.5"
    return client


def _row(bank: Bank, path: str) -> tuple[str, int, str | None]:
    with bank.db.reading() as session:
        row = session.get(WalletExchange, exchanges._digest(path.rsplit("/", 1)[1]))
        assert row is not None
        return row.state, row.rounds, row.holder_did


def _page(response: Any, status: int) -> str:
    assert response.status_code == status, response.get_data(as_text=True)[:500]
    assert response.mimetype == "text/html"
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert response.headers["Content-Security-Policy"] == web_headers.CONTENT_SECURITY_POLICY
    assert response.headers["X-Frame-Options"] == "DENY"
    assert "Accept" in response.headers["Vary"]
    return str(response.get_data(as_text=True))


def _private_words(bank: Bank, learner: str, credential_id: str) -> list[str]:
    """What the page must never say: the learner's names and the credential's title in every language."""
    names = credentials.holder_names(bank, learner)
    (item,) = [found for found in credentials.list_for_learner(bank, learner) if found["id"] == credential_id]
    title = item["title"]
    titles = list(title.values()) if isinstance(title, dict) else [title]
    words = [str(word) for word in [*names, *titles] if word]
    assert len(words) >= 2, words
    return words


@pytest.mark.parametrize("language", ["zh", "ar", "en"])
def test_a_browser_gets_a_page_in_its_language(seeded, opened, language: str) -> None:
    _, bank, learner, credential_id, path = opened
    page = _page(_browser(seeded, language).get(path + "?iuv=1", headers={"Accept": BROWSER}), 200)
    assert f'<html lang="{i18n.html_tag(language)}" dir="{i18n.direction(language)}">' in page
    assert ('dir="rtl"' in page) == (language == "ar")
    for key in ("exchange_page_title", "exchange_page_step_open", "exchange_page_same_phone", "exchange_back"):
        assert html.escape(i18n.text(key, language), quote=False) in page, key
    # The time it stops working, as the page's language writes a moment.
    assert re.search(r"\d{1,2}:\d{2}", page), "no local time on the page"
    # The same link, and its QR code, that the documents page handed out: from the bank's address, with ?iuv=1.
    found = re.search(r'<code id="exchange-link">([^<]+)</code>', page)
    assert found is not None
    assert html.unescape(found.group(1)) == "https://bank.example" + path + "?iuv=1"
    assert "<svg" in page
    assert 'href="/me/documents"' in page
    for word in _private_words(bank, learner, credential_id):
        assert word not in page, word


def test_the_learner_s_own_signed_in_browser_gets_the_page_and_no_names(opened) -> None:
    client, bank, learner, credential_id, path = opened
    page = _page(client.get(path + "?iuv=1", headers={"Accept": BROWSER}), 200)
    assert i18n.text("exchange_page_title", "zh") in page
    for word in _private_words(bank, learner, credential_id):
        assert word not in page, word


@pytest.mark.parametrize(
    "accept",
    [None, "application/json", "*/*", "application/json, text/plain, */*", "text/html, application/json"],
    ids=["none", "json", "anything", "json-first", "no-preference"],
)
def test_a_wallet_still_gets_the_json(seeded, opened, accept: str | None) -> None:
    _, _, _, _, path = opened
    headers = {"Accept": accept} if accept is not None else {}
    answer = _browser(seeded, "en").get(path + "?iuv=1", headers=headers)
    assert answer.status_code == 200
    assert answer.mimetype == "application/json"
    assert answer.headers["Cache-Control"] == "no-store"
    assert answer.get_json() == {"protocols": {"vcapi": "https://bank.example" + path}}


def test_the_page_is_no_round_and_the_wallet_finishes_afterwards(seeded, opened) -> None:
    _, _, _, _, path = opened
    bank = seeded[1]
    for language in ("zh", "fr", "ru", "es", "ar", "en"):
        _page(_browser(seeded, language).get(path + "?iuv=1", headers={"Accept": BROWSER}), 200)
    assert _row(bank, path) == ("pending", 0, None)
    challenge = _post(_browser(seeded, "en"), path, {}).get_json()["verifiablePresentationRequest"]["challenge"]
    # Opened again between the wallet's two rounds: still open, still one round.
    _page(_browser(seeded, "en").get(path + "?iuv=1", headers={"Accept": BROWSER}), 200)
    assert _row(bank, path) == ("presented", 1, None)
    wallet = _sign(challenge)
    delivered = _post(_browser(seeded, "en"), path, {"verifiablePresentation": wallet["presentation"]})
    assert delivered.status_code == 200, delivered.get_data(as_text=True)
    assert _row(bank, path) == ("done", 2, wallet["holder"])
    # Delivered: the page says so with the JSON's status, and changes nothing either.
    page = _page(_browser(seeded, "en").get(path + "?iuv=1", headers={"Accept": BROWSER}), 409)
    assert html.escape(i18n.text("exchange_page_used", "en"), quote=False) in page
    assert "exchange-link" not in page
    assert _row(bank, path) == ("done", 2, wallet["holder"])


def _closed(seeded: tuple[Any, Bank], path: str, status: int, key: str, language: str) -> str:
    page = _page(_browser(seeded, language).get(path + "?iuv=1", headers={"Accept": BROWSER}), status)
    assert html.escape(i18n.text("exchange_page_closed_title", language), quote=False) in page
    assert html.escape(i18n.text(key, language), quote=False) in page
    assert 'href="/me/documents"' in page
    # No link to hand on, and no code to scan: there is nothing left for a wallet to fetch.
    assert "exchange-link" not in page
    assert "<svg" not in page
    assert "problem" not in page
    return page


def test_unknown_expired_and_used_up_links_get_pages_with_the_json_s_status(seeded, opened) -> None:
    _, bank, learner, credential_id, path = opened
    _closed(seeded, "/api/v1/exchanges/" + "A" * 43, 404, "exchange_page_unknown", "zh")
    # The wallet's JSON for the same link: the problem document as before.
    assert _browser(seeded, "en").get("/api/v1/exchanges/" + "A" * 43).mimetype == "application/problem+json"

    token = path.rsplit("/", 1)[1]
    with bank.db.writing() as session:
        row = session.get(WalletExchange, exchanges._digest(token))
        assert row is not None
        row.rounds = exchanges.MAX_ROUNDS
    page = _closed(seeded, path, 409, "exchange_page_used", "ar")
    assert 'dir="rtl"' in page
    with bank.db.writing() as session:
        row = session.get(WalletExchange, exchanges._digest(token))
        assert row is not None
        row.rounds = 0
        row.expires_at = datetime.now(UTC) - timedelta(seconds=1)
    page = _closed(seeded, path, 410, "exchange_page_expired", "en")
    for word in _private_words(bank, learner, credential_id):
        assert word not in page, word
    assert _browser(seeded, "en").get(path + "?iuv=1").status_code == 410
    assert _row(bank, path) == ("pending", 0, None)
