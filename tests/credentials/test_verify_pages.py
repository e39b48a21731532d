"""What the verify doors show: what the credential says, in the visitor's language, and the holder comparison
reported apart from the verdict.

A person holding a paper copy compares title, institution, credits, level, framework, dates, credential id and
ledger entry; someone who types the holder's name the way they know it (traditional characters, full-width, the
Latin name in the other order) is told it matches, and a wrong name is "does not match what you entered", never
a verdict against the credential.
"""

from __future__ import annotations

import html
import io
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from babel import dates as babel_dates
from flask.testing import FlaskClient

from certificates.verify import CHECKS
from creditbank.languages.i18n import text as words
from creditbank.runtime import bank_of
from creditbank.services import credentials
from tests.conftest import BACKENDS, configuration, database_url, running_app
from tests.integration.credit_world import build

HOLDER = {
    "name": {"zh": "陈秀英", "latin": "Chen Xiuying"},
    "birth_date": "1952-10-03",
    "national_id": {"number": "110105195210030028"},
}
NOT_THE_HOLDER = {"zh": "与您输入的不一致", "en": "Does not match what you entered"}
MATCHES = {"zh": "姓名和出生日期与证书持有人一致", "en": "The name and birth date match the credential"}
# The one Latin word a Chinese reader of these pages meets: the file format's name.
LATIN_WORD = re.compile(r"[A-Za-z]+")


@dataclass
class Held:
    client: FlaskClient
    credential_id: str
    bundle: dict[str, Any]
    pdf: bytes

    @property
    def credential(self) -> dict[str, Any]:
        credential: dict[str, Any] = self.bundle["credential"]
        return credential

    @property
    def seq(self) -> int:
        (item,) = [item for item in self.bundle["receipt"]["entries"] if item["role"] == "credential"]
        return int(item["entry"]["seq"])


@pytest.fixture(scope="module", params=BACKENDS)
def held(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Held]:
    folder = tmp_path_factory.mktemp("verify-pages")
    config = configuration(database_url(request.param, request, folder), folder)
    config["CREDITBANK_PUBLIC_URL"] = "http://localhost:5000"
    with running_app(config) as application:
        world = build(application.test_client(), bank_of(application))
        enrolled = world.client.post("/api/v1/learners", json=HOLDER, headers=world.headers("uni-a"))
        assert enrolled.status_code == 201, enrolled.get_data(as_text=True)
        learner = enrolled.get_json()["id"]
        recorded = world.record(
            "uni-a", "DL-220", learner=learner, title={"zh": "智能手机入门", "en": "Smartphone basics"}, credits=3
        )
        issued = world.client.post(
            f"/api/v1/learners/{learner}/credentials",
            json={"kind": "achievement", "achievement": recorded["id"]},
            headers=world.headers("uni-a"),
        )
        assert issued.status_code == 201, issued.get_data(as_text=True)
        credential_id = issued.get_json()["id"]
        bank = world.bank
        yield Held(
            world.client,
            credential_id,
            credentials.bundle(bank, None, credential_id),
            credentials.pdf(bank, None, credential_id),
        )


def _in(language: str, client: FlaskClient) -> FlaskClient:
    client.set_cookie("lang", language)
    return client


def verify_page(held: Held, language: str, **form: str) -> tuple[int, str]:
    client = _in(language, held.client)
    response = client.post("/verify", data={"json": json.dumps(held.bundle), **form})
    return response.status_code, html.unescape(response.get_data(as_text=True))


def _verdict(page: str) -> str:
    found = re.search(r'id="verdict"[^>]*>(.*?)</p>', page, re.S)
    assert found, page
    return " ".join(found.group(1).split())


def _what_it_says(held: Held, language: str) -> list[str]:
    """The values of the credential a paper copy shows, read from the signed document itself, with its dates as
    people write them in ``language`` (the day it was completed; the moment it is valid from, in Shanghai time)."""
    subject = held.credential["credentialSubject"]
    achievement = subject["achievement"]
    (level,) = [item for item in achievement["alignment"] if item["targetType"] == "ext:FrameworkLevel"]
    return [
        achievement["name"],
        achievement["creator"]["name"],
        str(subject["creditsEarned"]),
        level["targetName"],
        level["targetFramework"],
        babel_dates.format_date(date.fromisoformat(subject["activityEndDate"][:10]), "long", locale=language),
        _shanghai_day(held.credential["validFrom"], language),
        held.credential_id,
    ]


def _shanghai_day(moment: str, language: str) -> str:
    local = datetime.fromisoformat(moment.replace("Z", "+00:00")).astimezone(ZoneInfo("Asia/Shanghai"))
    return f"{babel_dates.format_date(local, 'long', locale=language)}"


@pytest.mark.parametrize("language", ["zh", "en"])
def test_the_verify_page_shows_what_the_credential_says(held: Held, language: str) -> None:
    status, page = verify_page(held, language)
    assert status == 200
    values = _what_it_says(held, language)
    assert "智能手机入门" in values[0]
    assert "Smartphone basics" in values[0]
    assert "Institution uni-a" in values[1]
    assert values[2] == "4.5"  # 3 university credits of 16 hours, in the framework's 10-hour credits
    for value in values:
        assert value in page, value
    labels = ("summary_title", "summary_institution", "summary_credits", "summary_level", "summary_framework")
    for key in (*labels, "summary_completed", "summary_valid_from", "summary_credential_id", "summary_ledger_seq"):
        assert words(key, language) in page, key
    seq = {"zh": f"第 {held.seq} 条", "en": f"#{held.seq} ("}[language]
    assert seq in page


@pytest.mark.parametrize("language", ["zh", "en"])
def test_the_qr_page_shows_what_the_credential_says(held: Held, language: str) -> None:
    response = _in(language, held.client).get(f"/v/{held.credential_id}")
    assert response.status_code == 200
    page = html.unescape(response.get_data(as_text=True))
    for value in _what_it_says(held, language):
        assert value in page, value
    for key in ("summary_institution", "summary_credits", "summary_level", "summary_framework", "summary_ledger_seq"):
        assert words(key, language) in page, key
    assert {"zh": f"第 {held.seq} 条", "en": f"#{held.seq} ("}[language] in page


@pytest.mark.parametrize("language", ["zh", "en"])
@pytest.mark.parametrize(
    ("name", "born"), [("陈秀英", "1952-10-04"), ("陈秀兰", "1952-10-03"), ("Chen Xiuyang", "1952-10-03")]
)
def test_a_wrong_holder_does_not_match_and_the_verdict_stays(held: Held, language: str, name: str, born: str) -> None:
    _, plain = verify_page(held, language)
    status, page = verify_page(held, language, name=name, birth_date=born)
    assert status == 200
    assert NOT_THE_HOLDER[language] in page
    assert _verdict(page) == _verdict(plain)
    assert words("verify_invalid", language) not in _verdict(page)


@pytest.mark.parametrize(
    ("name", "born"),
    [
        ("陈秀英", "1952-10-03"),
        ("陳秀英", "1952-10-03"),  # traditional characters
        ("陈 秀英", "1952年10月3日"),  # the surname spaced off, the date written in Chinese
        ("陈秀英", "１９５２年１０月０３日"),  # full-width digits
        ("Chen Xiuying", "1952-10-03"),
        ("Xiuying Chen", "1952-10-03"),  # given name first
        ("  chen   XIUYING ", "1952-10-03"),
        ("ＣＨＥＮ　Ｘｉｕｙｉｎｇ", "1952-10-03"),  # full-width letters and an ideographic space
        ("Chen, Xiuying", "1952-10-03"),
    ],
)
def test_the_holder_matches_however_they_are_written(held: Held, name: str, born: str) -> None:
    for language in ("zh", "en"):
        _, page = verify_page(held, language, name=name, birth_date=born)
        assert MATCHES[language] in page
        assert NOT_THE_HOLDER[language] not in page
    report = held.client.post(
        "/api/v1/verify", data=json.dumps(held.bundle), query_string={"name": name, "birth_date": born}
    ).get_json()
    assert report["identity"] == "matches", report


def test_the_api_reports_what_the_credential_says_and_the_holder_apart(held: Held) -> None:
    data = json.dumps(held.bundle)
    right = held.client.post("/api/v1/verify", data=data).get_json()
    wrong = held.client.post(
        "/api/v1/verify", data=data, query_string={"name": "Chen Xiuying", "birth_date": "1952-10-04"}
    ).get_json()
    assert (right["identity"], wrong["identity"]) == ("not_checked", "does_not_match")
    assert (right["verdict"], right["valid"]) == (wrong["verdict"], wrong["valid"])
    summary = right["summary"]
    assert summary["id"] == held.credential_id
    assert summary["ledger_seq"] == held.seq
    assert summary["valid_from"] == held.credential["validFrom"]
    (claim,) = summary["achievements"]
    assert claim["credits"] == 4.5
    assert claim["completed"] == "2026-01-10"
    assert "Smartphone basics" in claim["title"]
    assert "Institution uni-a" in claim["institution"]
    assert claim["level"]
    assert claim["framework"]
    assert not claim["qualification"]
    # The PDF's embedded credential says the same.
    from_pdf = held.client.post("/api/v1/verify", data=held.pdf, content_type="application/pdf").get_json()
    assert from_pdf["summary"] == summary


@pytest.mark.parametrize("born", ["1952/10/03", "03.10.1952", "1952-02-30", "1952年13月1日"])
def test_a_birth_date_in_another_form_is_refused_clearly(held: Held, born: str) -> None:
    for language in ("zh", "en"):
        status, page = verify_page(held, language, name="陈秀英", birth_date=born)
        assert status == 400
        assert words("verify_bad_date", language) in page
        # The message names both forms accepted.
        assert "1952-10-03" in words("verify_bad_date", language)
        assert "1952年10月3日" in words("verify_bad_date", language)
    answer = held.client.post(
        "/api/v1/verify", data=json.dumps(held.bundle), query_string={"name": "x", "birth_date": born}
    )
    assert answer.status_code == 422
    assert "1952年10月3日" in answer.get_json()["errors"]["birth_date"][0]


def _explanations(page: str) -> list[str]:
    return [" ".join(cell.split()) for cell in re.findall(r'<td class="explanation">(.*?)</td>', page, re.S)]


def test_the_chinese_page_explains_every_check_in_chinese(held: Held) -> None:
    _, page = verify_page(held, "zh", name="陳秀英", birth_date="1952年10月3日")
    cells = _explanations(page)
    assert len(cells) >= 6
    for cell in cells:
        assert re.search(r"[\u4e00-\u9fff]", cell), cell
        assert set(LATIN_WORD.findall(cell)) <= {"PDF"}, cell
    _, english = verify_page(held, "en")
    # The engine's English details are for the English page; the Chinese page gives the same checks in Chinese.
    assert "eddsa-rdfc-2022" in english
    assert "eddsa-rdfc-2022" not in page
    assert "checkpoint" not in page
    assert all(re.search(r"[A-Za-z]{3}", cell) for cell in _explanations(english))


def test_a_pdf_upload_shows_the_same(held: Held) -> None:
    client = _in("zh", held.client)
    response = client.post(
        "/verify",
        data={"file": (io.BytesIO(held.pdf), "certificate.pdf"), "name": "Xiuying Chen", "birth_date": "1952年10月3日"},
        content_type="multipart/form-data",
    )
    assert response.status_code == 200
    page = html.unescape(response.get_data(as_text=True))
    assert MATCHES["zh"] in page
    for value in _what_it_says(held, "zh"):
        assert value in page, value
    assert _explanations(page)[0] == words("explain_pdf_signature_pass", "zh")


def test_every_check_and_result_is_explained_in_both_languages() -> None:
    for check in CHECKS:
        for result in ("pass", "fail", "skip"):
            key = f"explain_{check}_{result}"
            entry = {"zh": words(key, "zh"), "en": words(key, "en")}
            assert entry["zh"] != key
            assert re.search(r"[\u4e00-\u9fff]", entry["zh"])
            assert set(LATIN_WORD.findall(entry["zh"])) <= {"PDF"}, entry["zh"]
            assert entry["en"]
            assert not re.search(r"[\u4e00-\u9fff]", entry["en"])
