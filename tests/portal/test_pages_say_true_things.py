"""What the learner's and the public's pages say, read as a visitor reads them: the rendered HTML's visible text,
in each of the six languages. No raw catalogue keys or ids, no ISO timestamps, counts in the language's plural
forms, an awarded qualification that shows what its award counted, a chart measured sensibly, and a ledger entry
explained in words whose claims (its hash, its proof) the JSON one click further bears out."""

from __future__ import annotations

import base64
import re
from collections.abc import Iterator
from html.parser import HTMLParser
from typing import Any

import pytest
from flask import Flask, render_template_string
from flask.testing import FlaskClient

from creditbank import demo
from creditbank.errors import PAGE_ERRORS
from creditbank.languages import catalogues, i18n
from creditbank.portal import security
from creditbank.runtime import Bank, bank_of
from creditbank.services import credentials
from creditbank.services.learner_access import conversion_steps, portal_sessions, sharing
from creditbank.services.transparency import entry_explained
from ledger.merkle import verify_inclusion
from tests.conftest import BACKENDS, configuration, database_url, running_app

KEY_LIKE = re.compile(r"\b[a-z]+_[a-z_]+\b")
ISO_MOMENT = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")
CHINESE = r"[\u4e00-\u9fff]"


class _Visible(HTMLParser):
    """The text a visitor sees: no scripts or styles, no attribute values, and no <code> (hashes and keys meant to
    be copied as they are)."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self.hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style", "code"):
            self.hidden += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style", "code") and self.hidden:
            self.hidden -= 1

    def handle_data(self, data: str) -> None:
        if not self.hidden:
            self.parts.append(data)


def visible(page: str) -> str:
    parser = _Visible()
    # <bdi> isolates a name inside a sentence (portal/_bidi.html): no break between words.
    parser.feed(re.sub(r"</?bdi[^>]*>", "", page))
    return re.sub(r"\s+", " ", " ".join(parser.parts))


def main_text(page: str) -> str:
    return visible(page.split('<main id="main">', 1)[1].split("</main>", 1)[0])


@pytest.fixture(scope="module", params=BACKENDS)
def world(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    folder = tmp_path_factory.mktemp("true-pages")
    with running_app(configuration(database_url(request.param, request, folder), folder)) as app:
        bank = bank_of(app)
        demo.seed(bank, 3)
        found = demo.demo_login(bank)
        assert found is not None
        learner = found[0]
        documents = credentials.list_for_learner(bank, learner)
        assert documents
        yield {
            "app": app,
            "bank": bank,
            "learner": learner,
            "token": sharing.create(bank, learner, 7, None),
            "credential": documents[0]["id"],
        }


def signed_in(world: dict[str, Any], language: str) -> FlaskClient:
    """A client with a real server-side session for the demo learner, reading ``language``."""
    app: Flask = world["app"]
    client = app.test_client()
    token = portal_sessions.start(world["bank"], world["learner"], None)
    with client.session_transaction() as session:
        session[security.SESSION_KEY] = token
    client.set_cookie(i18n.COOKIE, language)
    return client


def page(client: FlaskClient, path: str, status: int = 200) -> str:
    answer = client.get(path)
    assert answer.status_code == status, (path, answer.status_code)
    assert answer.mimetype == "text/html", path
    return answer.get_data(as_text=True)


def _paths(world: dict[str, Any], client: FlaskClient) -> list[str]:
    record = page(client, "/me")
    entry = re.search(r'href="(/about/entries/\d+)"', record)
    assert entry, "the record links its entries to the page that explains them"
    return ["/", "/me", "/me/credits", f"/s/{world['token']}", f"/v/{world['credential']}", "/about", entry.group(1)]


@pytest.mark.parametrize("language", i18n.LANGUAGES)
def test_no_page_shows_a_key_an_id_or_a_raw_timestamp(world: dict[str, Any], language: str) -> None:
    client = signed_in(world, language)
    for path in _paths(world, client):
        text = visible(page(client, path))
        assert KEY_LIKE.findall(text) == [], (language, path)
        assert ISO_MOMENT.findall(text) == [], (language, path)
        assert "UTC" not in text, (language, path)
        if language == "zh":
            # No English after a Chinese label, no ASCII colon, no space a translation did not ask for before 的.
            assert not re.search(rf"{CHINESE}\s*:(?!//)", text), (path, text)
            assert not re.search(rf"{CHINESE} 的", text), (path, text)
            for english in ("credit", "professional", "university", "digital_literacy", "culture_arts"):
                assert english not in main_text(page(client, path)), (path, english)


def test_a_missing_entry_and_a_wrong_number_are_pages_not_errors(world: dict[str, Any]) -> None:
    client = signed_in(world, "en")
    assert "no entry with this number" in visible(page(client, "/about/entries/999999", 404))
    answer = client.get("/about/entries/0x1")
    assert answer.status_code == 400
    assert answer.mimetype == "text/html"
    assert "Traceback" not in answer.get_data(as_text=True)


# Every status a page path can end in: what the portal's views abort with, what the error module hands the page
# renderer for a domain error, a refused body or an unexpected failure.
ERROR_STATUSES = (400, 403, 404, 405, 409, 410, 413, 415, 422, 429, 500, 503)


@pytest.mark.parametrize("language", i18n.LANGUAGES)
def test_every_error_page_says_what_happened_in_the_pages_language(world: dict[str, Any], language: str) -> None:
    app: Flask = world["app"]
    english_heading = i18n.text("error_title", "en")
    for status in ERROR_STATUSES:
        with app.test_request_context("/no-such-page", headers={"Cookie": f"{i18n.COOKIE}={language}"}):
            answer = app.extensions[PAGE_ERRORS](status, None)
            heading, home = i18n.translate("error_title"), i18n.translate("back_home")
        assert answer.status_code == status
        said = main_text(answer.get_data(as_text=True))
        assert KEY_LIKE.findall(said) == [], (language, status, said)
        # A sentence of its own below the heading, not the heading said again.
        assert said.count(heading) == 1, (language, status, said)
        assert said.replace(heading, "").replace(home, "").strip(), (language, status)
        if language != "en":
            assert english_heading not in said, (language, status)
    with app.test_request_context("/no-such-page", headers={"Cookie": f"{i18n.COOKIE}={language}"}):
        csrf = main_text(app.extensions[PAGE_ERRORS](400, "csrf").get_data(as_text=True))
        assert i18n.translate("csrf_failed") in csrf


def test_every_status_and_change_has_words(world: dict[str, Any]) -> None:
    client = signed_in(world, "en")
    cards = page(client, "/me")
    assert "status_active" not in cards
    assert len(re.findall(r'<span class="badge active">Valid</span>', cards)) == 4
    shared = page(client, f"/s/{world['token']}")
    assert len(re.findall(r'<span class="badge active">Valid</span>', shared)) == 4


# Keys a template builds at run time: each must have words in every language, or a page would show the key.
BUILT_KEYS = (
    [f"pages_step_{kind}" for kind in conversion_steps.KINDS if kind != "text"]
    + [f"pages_source_{source}" for source in conversion_steps.SOURCES]
    + ["pages_source_other"]
    + [f"pages_entry_kind_{kind.replace('.', '_')}" for kind in entry_explained.KINDS]
    + ["pages_entry_kind_other"]
    + [f"pages_status_{status}" for status in ("active", "revoked", "other")]
    + [f"pages_history_{change}" for change in ("recorded", "corrected", "revoked", "other")]
    + [
        f"{key}_fraction"
        for key in (
            *("pages_credits", "pages_hours", "pages_native_credits", "pages_years", "pages_summary_earned"),
            *(
                "pages_summary_free",
                "pages_summary_used",
                "pages_need_category",
                "pages_need_level",
                "pages_need_total",
            ),
        )
    ]
)


@pytest.mark.parametrize("language", i18n.LANGUAGES)
def test_every_key_built_at_run_time_has_a_message(language: str) -> None:
    found = catalogues.translations(language)
    assert [key for key in BUILT_KEYS if found.gettext(key) == key] == []


def test_an_awarded_qualification_shows_what_the_award_counted(world: dict[str, Any]) -> None:
    text = page(signed_in(world, "en"), "/me/credits")
    awarded = re.search(r"<details class=\"card\"><summary><strong><bdi>([^<]+)</bdi></strong> —\s*"
                        r"<span class=\"badge valid\">✔ Awarded</span>.*?</details>", text, re.DOTALL)  # fmt: skip
    assert awarded, "the demo learner holds an awarded qualification"
    rows = re.findall(r"<tr>.*?</tr>", awarded.group(0), re.DOTALL)[1:]
    assert rows
    assert all("✔ Met" in row for row in rows), rows
    assert "✘" not in awarded.group(0)
    words = visible(awarded.group(0))
    # Names from the framework and the catalogue, the outcome's code after its name in small text.
    assert "At least 6 credits in Digital literacy" in words
    assert re.search(r"The learning outcome “[^”]+” DL-1", words), words
    assert "digital_literacy" not in words


def test_the_chart_measures_bars_against_the_largest_level_and_keeps_its_words_outside(
    world: dict[str, Any],
) -> None:
    text = page(signed_in(world, "en"), "/me/credits")
    chart = text.split('<figure class="level-chart"', 1)[1].split("</figure>", 1)[0]
    earned = [float(width) for width in re.findall(r'class="bar-earned"[^>]*width="([\d.]+)"', chart)]
    free = [float(width) for width in re.findall(r'class="bar-free"[^>]*width="([\d.]+)"', chart)]
    # The demo learner: level 1 earned 5, 1 still free; level 2 earned 4, none free.
    assert earned == [100.0, 80.0]
    assert free == [20.0, 0.0]
    assert "<text" not in chart, "labels are page text, the size of the page's own words on any screen"
    labels = visible(chart)
    assert "Level 1 (Entry): 5 credits earned, 1 credit still free" in labels
    assert "Level 2 (Foundation): 4 credits earned, 0 credits still free" in labels


SUMMARIES = {
    "zh": ["您的学习记录里有 4 项成果。", "共获得 9 学分。", "其中 1 学分还可以用来获取资历。",
           "已有 8 学分用于您获得的资历。"],
    "en": ["Your record holds 4 achievements.", "You have earned 9 credits in the", "1 credit is still free",
           "8 credits have been used"],
    "fr": ["Votre parcours compte 4 acquis.", "Vous avez obtenu 9 crédits", "1 crédit reste disponible",
           "8 crédits ont servi"],
    "ru": ["В вашей записи 4 достижения.", "Вы получили 9 кредитов", "1 кредит ещё можно",
           "8 кредитов использованы"],
    "es": ["Su historial tiene 4 logros.", "Ha obtenido 9 créditos", "Aún puede usar 1 crédito",
           "Se han usado 8 créditos"],
    "ar": ["في سجلك 4 إنجازات.", "حصلت على 9 ساعات معتمدة", "لا تزال ساعة معتمدة واحدة متاحة",
           "استُخدمت 8 ساعات معتمدة"],
}  # fmt: skip


@pytest.mark.parametrize("language", i18n.LANGUAGES)
def test_the_summaries_say_the_counts_in_the_languages_plural_forms(world: dict[str, Any], language: str) -> None:
    client = signed_in(world, language)
    record = main_text(page(client, "/me"))
    credits_page = main_text(page(client, "/me/credits"))
    expected = SUMMARIES[language]
    assert [part for part in expected[:3] if part not in record] == []
    assert [part for part in expected[1:] if part not in credits_page] == []


@pytest.mark.parametrize(
    ("language", "amounts", "expected"),
    [
        ("ru", [1, 2, 5, 21, 2.5], ["1 кредит", "2 кредита", "5 кредитов", "21 кредит", "2,5 кредита"]),
        ("ar", [0, 1, 2, 3, 11, 100], ["0 ساعة معتمدة", "ساعة معتمدة واحدة", "ساعتين معتمدتين", "3 ساعات معتمدة",
                                       "11 ساعة معتمدة", "100 ساعة معتمدة"]),
        ("fr", [0, 1, 2, 1.5], ["0 crédit", "1 crédit", "2 crédits", "1,5 crédits"]),
        ("en", [1, 2, 0.5], ["1 credit", "2 credits", "0.5 credits"]),
        ("zh", [1, 2.5], ["1 学分", "2.5 学分"]),
    ],
)  # fmt: skip
def test_counts_of_credits_take_every_plural_form(
    world: dict[str, Any], language: str, amounts: list[float], expected: list[str]
) -> None:
    app: Flask = world["app"]
    with app.test_request_context("/", headers={"Cookie": f"{i18n.COOKIE}={language}"}):
        said = render_template_string(
            '{% import "portal/_pages.html" as say with context %}'
            '{% for amount in amounts %}{{ say.count("pages_credits", amount) }}|{% endfor %}',
            amounts=amounts,
        )
    assert said.split("|")[:-1] == expected


@pytest.mark.parametrize(
    ("language", "month"), [("en", "December"), ("zh", "年"), ("fr", "décembre"), ("ru", "декабря"), ("ar", "ديسمبر")]
)
def test_dates_are_local_and_in_the_pages_language(world: dict[str, Any], language: str, month: str) -> None:
    client = signed_in(world, language)
    shared = main_text(page(client, f"/s/{world['token']}"))
    credential = main_text(page(client, f"/v/{world['credential']}"))
    for text in (shared, credential):
        assert not ISO_MOMENT.search(text)
        assert month in text


def test_the_record_explains_conversions_by_name_in_chinese(world: dict[str, Any]) -> None:
    text = main_text(page(signed_in(world, "zh"), "/me"))
    assert "这些学分是怎样算出来的" in text
    assert "（老年大学）记录" in text
    assert "按成果名录中的“数字素养一：安全使用智能手机”（DL-1）认定" in text
    assert "结果：2 学分，第2级（基础），文化艺术。" in text
    for raw in ("类别 ", "来源类别", "“credit”", "culture_arts", "senior_college"):
        assert raw not in text


def test_the_ledger_link_opens_a_page_in_words_whose_claims_the_json_bears_out(world: dict[str, Any]) -> None:
    client = signed_in(world, "en")
    record = page(client, "/me")
    link = re.search(r'<a href="(/about/entries/(\d+))">Recorded in the ledger at #\2</a>', record)
    assert link
    seq = int(link.group(2))
    explained = page(client, link.group(1))
    words = visible(explained)
    assert f"this is number {seq}." in words
    assert "An institution recorded a learning achievement." in words
    assert "✔ Yes." in words
    # The JSON is one click further, and its contract is unchanged.
    entry_url = re.search(r'href="(/ledger/entries/\d+)"', explained)
    proof_url = re.search(r'href="(/ledger/proofs/inclusion\?seq=\d+&amp;size=\d+)"', explained)
    assert entry_url
    assert proof_url
    entry = client.get(entry_url.group(1)).get_json()
    assert set(entry) == {"seq", "entry", "leaf_hash"}
    assert entry["seq"] == seq
    assert f'<code dir="ltr" style="word-break:break-all">{entry["leaf_hash"]}</code>' in explained
    # No one's name or personal data on a public page: only the public part was read.
    assert "陈秀英" not in explained
    proof = client.get(proof_url.group(1).replace("&amp;", "&")).get_json()
    _origin, size, root = client.get("/ledger/checkpoint").get_data(as_text=True).splitlines()[:3]
    assert int(size) == proof["size"]
    steps = [base64.b64decode(step) for step in proof["proof"]]
    assert verify_inclusion(base64.b64decode(entry["leaf_hash"]), seq, proof["size"], steps, base64.b64decode(root))


def test_the_home_page_is_plain_and_the_ledger_is_explained_on_its_own_page(world: dict[str, Any]) -> None:
    client = signed_in(world, "zh")
    home = page(client, "/")
    words = main_text(home)
    assert "检查点" not in words
    assert "公钥" not in words
    about = re.search(r'<a href="(/about)">学分银行怎样让您的记录安全、可信</a>', home)
    assert about
    text = main_text(page(client, about.group(1)))
    for plain in ("关于账本", "检查点", "公钥", "从不写进账本"):
        assert plain in text
    bank: Bank = world["bank"]
    assert bank.log_verifier().vkey in page(client, "/about")
