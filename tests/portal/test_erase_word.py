"""The word a learner types to erase their data is their page's language's own, and any of the six is taken.

A French, Russian, Spanish or Arabic reader is asked for a word of their language (EFFACER, УДАЛИТЬ, BORRAR, حذف),
shown set apart in the page; a wrong word gives the page again (400) in that language and erases nothing; a
language changed between seeing the form and sending it does not lock anyone out; ERASE and 删除 still work.
"""

from __future__ import annotations

import datetime
import html
import itertools
import re
from collections.abc import Iterator
from typing import Any

import pytest
from flask.testing import FlaskClient

from creditbank import demo
from creditbank.languages import i18n
from creditbank.models import Learner
from creditbank.portal.views import _as_typed, _erase_word_typed
from creditbank.runtime import Bank, bank_of
from creditbank.services.learner_access import accounts
from creditbank.services.records import learners
from creditbank.services.records.api_keys import SCOPES, Principal
from tests.conftest import BACKENDS, configuration, database_url, running_app
from tests.portal.test_portal_pages import csrf, login

WORDS = {"zh": "删除", "en": "ERASE", "fr": "EFFACER", "ru": "УДАЛИТЬ", "es": "BORRAR", "ar": "حذف"}
PASSWORD = "erase word password"
_people = itertools.count(1)


@pytest.fixture(scope="module", params=BACKENDS)
def seeded(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Any, Bank]]:
    folder = tmp_path_factory.mktemp("erase-word")
    with running_app(configuration(database_url(request.param, request, folder), folder)) as app:
        bank = bank_of(app)
        demo.seed(bank, 1)
        yield app, bank


def _signed_in(app: Any, bank: Bank, language: str) -> tuple[FlaskClient, str]:
    """A new learner with an activated account, signed in with the page language ``language``: (client, id)."""
    number = next(_people)
    staff = Principal("test", "demo-university", frozenset(SCOPES))
    person = learners.LearnerInput(birth_date=datetime.date(1948, 5, number % 28 + 1), name_zh=f"删词{number}")
    enrolled = learners.enroll(bank, staff, person).body
    login_name = f"erase-word-{number}"
    accounts.activate(bank, enrolled["activation_code"], person.birth_date.isoformat(), PASSWORD, login_name=login_name)
    client = app.test_client()
    client.set_cookie("lang", language)
    assert login(client, login_name, PASSWORD).status_code == 302
    return client, enrolled["id"]


def _status(bank: Bank, learner: str) -> str:
    with bank.db.reading() as session:
        row = session.get(Learner, learner)
        assert row is not None
        return str(row.status)


def _erase(client: FlaskClient, word: str) -> Any:
    page = client.get("/me/data").get_data(as_text=True)
    return client.post(
        "/me/data", data={"action": "erase", "confirm": word, "password": PASSWORD, "csrf_token": csrf(page)}
    )


def _shown_word(page: str) -> str:
    found = re.search(r'<label for="confirm">(.*?)</label>', page, re.S)
    assert found, page
    word = re.search(r'<strong class="erase-word"[^>]*>([^<]+)</strong>', found.group(1))
    assert word, found.group(1)
    return html.unescape(word.group(1))


def _said(page: str) -> str:
    """The page's text without its tags, as a reader sees it."""
    return html.unescape(re.sub(r"<[^>]+>", "", page))


def test_the_catalogues_hold_each_languages_own_word() -> None:
    assert {code: i18n.text("data_erase_word", code) for code in i18n.LANGUAGES} == WORDS


@pytest.mark.parametrize("language", i18n.LANGUAGES)
def test_the_page_asks_for_its_own_languages_word(seeded: tuple[Any, Bank], language: str) -> None:
    app, bank = seeded
    client, _learner = _signed_in(app, bank, language)
    page = client.get("/me/data").get_data(as_text=True)
    assert f'lang="{i18n.HTML_TAGS[language]}"' in page
    assert _shown_word(page) == WORDS[language]
    label = _said(re.search(r'<label for="confirm">(.*?)</label>', page, re.S).group(1))  # type: ignore[union-attr]
    assert label == i18n.text("data_erase_confirm", language, word=WORDS[language])
    # No other language's word is asked for (the old page asked every reader for ERASE or 删除).
    others = [word for code, word in WORDS.items() if code != language and word in label]
    assert others == []


@pytest.mark.parametrize("language", i18n.LANGUAGES)
def test_each_language_erases_with_its_own_word_and_refuses_a_wrong_one(
    seeded: tuple[Any, Bank], language: str
) -> None:
    app, bank = seeded
    client, learner = _signed_in(app, bank, language)
    word = WORDS[language]
    for wrong in ("", "yes", word + word[-1], word[:-1], "DELETE"):
        refused = _erase(client, wrong)
        assert refused.status_code == 400, wrong
        said = _said(refused.get_data(as_text=True))
        assert i18n.text("erase_confirm", language, word=word) in said, wrong
        assert _status(bank, learner) == "active"
        assert client.get("/me").status_code == 200
    # Typed as people type: lower case (Cyrillic too), spaces around it.
    erased = _erase(client, f"  {word.lower()} ")
    assert erased.status_code == 200
    assert i18n.text("erased_title", language) in erased.get_data(as_text=True)
    assert _status(bank, learner) == "erased"
    assert client.get("/me").status_code == 302


@pytest.mark.parametrize(("shown", "sent"), [("fr", "ru"), ("ar", "zh"), ("ru", "es")])
def test_a_language_changed_between_the_form_and_sending_it_still_erases(
    seeded: tuple[Any, Bank], shown: str, sent: str
) -> None:
    app, bank = seeded
    client, learner = _signed_in(app, bank, shown)
    page = client.get("/me/data").get_data(as_text=True)
    assert _shown_word(page) == WORDS[shown]
    # The learner switches language (another tab, the switcher) and then sends the word the form showed.
    assert client.get(f"/lang/{sent}?next=/me/data").status_code == 302
    erased = client.post(
        "/me/data",
        data={"action": "erase", "confirm": WORDS[shown], "password": PASSWORD, "csrf_token": csrf(page)},
    )
    assert erased.status_code == 200
    assert i18n.text("erased_title", sent) in erased.get_data(as_text=True)
    assert _status(bank, learner) == "erased"


@pytest.mark.parametrize(("language", "word"), [("ar", "ERASE"), ("es", "删除"), ("zh", "erase"), ("en", "删除")])
def test_the_old_words_erase_and_delete_still_work_in_every_page(
    seeded: tuple[Any, Bank], language: str, word: str
) -> None:
    app, bank = seeded
    client, learner = _signed_in(app, bank, language)
    assert _erase(client, word).status_code == 200
    assert _status(bank, learner) == "erased"


@pytest.mark.parametrize(
    "typed",
    [
        "ERASE", "erase", " Erase\t", "ＥＲＡＳＥ", "“删除”", "«удалить»", "Удалить", "удалИть", "\u200fحذف\u200f",
        "حَذْف", "effacer", "'borrar'", "BORRAR\n",
    ],
)  # fmt: skip
def test_the_word_is_compared_as_people_type_it(typed: str) -> None:
    assert _erase_word_typed(typed)


@pytest.mark.parametrize("typed", ["", "   ", "“”", "ERASER", "ERAS E", "УДАЛИ", "删", "حذفت", "yes", "ERASE ERASE"])
def test_anything_else_is_not_the_word(typed: str) -> None:
    assert not _erase_word_typed(typed)


def test_cyrillic_folds_case_by_unicode_rules() -> None:
    assert _as_typed("УДАЛИТЬ") == _as_typed("удалить") == "удалить"
    # Й typed as И with a combining breve is the same letter once composed, not И with the mark dropped.
    assert _as_typed("И\u0306") == "й"
