"""Names, titles and ids from data sit in <bdi> on the learner's and the public's pages, in Arabic and in English.

In a right-to-left page a Latin name such as "Open University (Shanghai) 2" would otherwise have its brackets and
digits laid out by the Arabic around it. The pages are parsed as HTML: the names must be the whole text of a <bdi>
element, the page's own words must not be, and a value put into a catalogue sentence stays escaped.
"""

from __future__ import annotations

import datetime
import html
import re
from collections.abc import Iterator
from html.parser import HTMLParser
from typing import Any

import pytest
from flask import Flask, render_template_string
from flask.testing import FlaskClient
from markupsafe import Markup

from creditbank import demo
from creditbank.languages import i18n
from creditbank.runtime import bank_of
from creditbank.services import credentials
from creditbank.services.learner_access import accounts
from creditbank.services.records import achievements, institutions, learners
from creditbank.services.records.achievements import Submission
from creditbank.services.records.api_keys import SCOPES, Principal
from creditbank.services.records.institutions import InstitutionInput
from tests.conftest import BACKENDS, configuration, database_url, running_app
from tests.portal.test_portal_pages import csrf, login

INSTITUTION = "Open University (Shanghai) 2"
COURSE = "Data Analysis (Level 3) 2.5"
LATIN_NAME = "Zhou Jiu"
PASSWORD = "bidi names password"


class _Isolated(HTMLParser):
    """The text of each <bdi> element of a page, and the page's direction."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []
        self.open: list[list[str]] = []
        self.direction = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "html":
            self.direction = dict(attrs).get("dir") or ""
        if tag == "bdi":
            self.open.append([])

    def handle_endtag(self, tag: str) -> None:
        if tag == "bdi" and self.open:
            self.found.append("".join(self.open.pop()).strip())

    def handle_data(self, data: str) -> None:
        for parts in self.open:
            parts.append(data)


def isolated(page: str) -> tuple[str, list[str]]:
    parser = _Isolated()
    parser.feed(page)
    parser.close()
    assert parser.open == [], "every <bdi> is closed"
    return parser.direction, parser.found


@pytest.fixture(scope="module", params=BACKENDS)
def world(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """A learner of an institution known by its English name alone, with a course recorded in English only."""
    folder = tmp_path_factory.mktemp("bidi")
    with running_app(configuration(database_url(request.param, request, folder), folder)) as app:
        bank = bank_of(app)
        demo.seed(bank, 1)
        institutions.register(
            bank, InstitutionInput("bidi-open-university", "open_university", INSTITUTION, None, None, "credit", 16)
        )
        staff = Principal("test", "bidi-open-university", frozenset(SCOPES))
        person = learners.LearnerInput(birth_date=datetime.date(1952, 4, 9), name_zh="周九", name_latin=LATIN_NAME)
        enrolled = learners.enroll(bank, staff, person).body
        data = {"kind": "course", "title": {"en": COURSE}, "credits": 3.5, "completed": "2025-06-01"}
        achievements.record(bank, staff, [Submission(enrolled["id"], "BIDI-1", data)], batch=True)
        accounts.activate(bank, enrolled["activation_code"], "1952-04-09", PASSWORD, login_name="zhou-jiu-bidi")
        yield {"app": app, "bank": bank, "learner": enrolled["id"]}


def _signed_in(world: dict[str, Any], language: str) -> FlaskClient:
    client: FlaskClient = world["app"].test_client()
    client.set_cookie(i18n.COOKIE, language)
    assert login(client, "zhou-jiu-bidi", PASSWORD).status_code == 302
    return client


def _certificate(world: dict[str, Any], client: FlaskClient) -> str:
    """The learner's certificate for the course, made from the documents page the first time it is asked for."""
    made = [item["id"] for item in credentials.list_for_learner(world["bank"], world["learner"])]
    if made:
        return str(made[0])
    page = client.get("/me/documents").get_data(as_text=True)
    option = re.search(r'<select id="achievement" name="achievement"><option value="([^"]+)"', page)
    assert option, page
    form = {"kind": "achievement", "achievement": option.group(1), "language": "en", "csrf_token": csrf(page)}
    assert client.post("/me/documents", data=form).status_code == 302
    (only,) = credentials.list_for_learner(world["bank"], world["learner"])
    return str(only["id"])


@pytest.mark.parametrize(("language", "direction"), [("ar", "rtl"), ("en", "ltr")])
def test_the_record_isolates_the_institution_and_the_course(
    world: dict[str, Any], language: str, direction: str
) -> None:
    page = _signed_in(world, language).get("/me").get_data(as_text=True)
    shown, names = isolated(page)
    assert shown == direction
    assert INSTITUTION in names
    assert COURSE in names
    # The page's own words are not wrapped: the heading is the catalogue's, as it is.
    assert i18n.text("record_title", language) not in names


@pytest.mark.parametrize(("language", "direction"), [("ar", "rtl"), ("en", "ltr")])
def test_the_documents_page_isolates_the_certificate_and_the_learners_names(
    world: dict[str, Any], language: str, direction: str
) -> None:
    client = _signed_in(world, language)
    _certificate(world, client)
    shown, names = isolated(client.get("/me/documents").get_data(as_text=True))
    assert shown == direction
    assert {"周九", LATIN_NAME} <= set(names)
    assert any(COURSE in name for name in names), names
    # The two languages of each document, each named in itself.
    assert {"中文", "English"} <= set(names)


@pytest.mark.parametrize(("language", "direction"), [("ar", "rtl"), ("en", "ltr")])
def test_a_credentials_public_page_isolates_what_the_credential_names(
    world: dict[str, Any], language: str, direction: str
) -> None:
    credential = _certificate(world, _signed_in(world, language))
    visitor: FlaskClient = world["app"].test_client()
    visitor.set_cookie(i18n.COOKIE, language)
    answer = visitor.get(f"/v/{credential}")
    assert answer.status_code == 200
    shown, names = isolated(answer.get_data(as_text=True))
    assert shown == direction
    assert INSTITUTION in names
    assert any(COURSE in name for name in names), names
    assert credential in names
    assert i18n.text("summary_title", language) not in names


def test_the_ledger_entry_page_isolates_the_institution_that_wrote_it(world: dict[str, Any]) -> None:
    client = _signed_in(world, "ar")
    entry = re.search(r'href="(/about/entries/\d+)"', client.get("/me").get_data(as_text=True))
    assert entry
    shown, names = isolated(client.get(entry.group(1)).get_data(as_text=True))
    assert shown == "rtl"
    assert INSTITUTION in names


def test_a_value_in_a_catalogue_sentence_stays_escaped_inside_its_bdi(world: dict[str, Any]) -> None:
    app: Flask = world["app"]
    hostile = '<script>alert("x")</script> & Sons (Ltd.)'
    with app.test_request_context("/", headers={"Cookie": f"{i18n.COOKIE}=ar"}):
        said = render_template_string(
            '{% from "portal/_bidi.html" import bdi %}{{ t("pages_from_institution", by=bdi(name)) }}', name=hostile
        )
        plain = i18n.translate("pages_from_institution", by=hostile)
    assert "<script>" not in said
    assert "<bdi>&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; Sons (Ltd.)</bdi>" in said
    # The sentence around it is the Arabic catalogue's, the same words as without the markup.
    assert html.unescape(re.sub(r"</?bdi>", "", said)) == plain


def test_t_and_plural_keep_markup_values_and_escape_the_rest(world: dict[str, Any]) -> None:
    app: Flask = world["app"]
    with app.test_request_context("/", headers={"Cookie": f"{i18n.COOKIE}=fr"}):
        marked = i18n.translate("erase_confirm", word=Markup("<strong>EFFACER</strong>"))
        plain = i18n.translate("erase_confirm", word="<strong>EFFACER</strong>")
        counted = i18n.plural("pages_summary_earned", 2, scheme=Markup("<bdi>A &amp; B</bdi>"))
    # Marked: the value stays an element, the message's apostrophe is escaped as autoescaping would have.
    assert isinstance(marked, Markup)
    assert marked == "Rien n&#39;a été effacé. Pour confirmer, tapez le mot <strong>EFFACER</strong>."
    # Plain values give plain text, escaped by the template later as before.
    assert not isinstance(plain, Markup)
    assert plain == "Rien n'a été effacé. Pour confirmer, tapez le mot <strong>EFFACER</strong>."
    assert isinstance(counted, Markup)
    assert "<bdi>A &amp; B</bdi>" in counted
    assert "2" in counted
