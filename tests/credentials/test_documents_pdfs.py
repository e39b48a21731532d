"""The learner's documents as printed: what a transcript and a certificate show, in whose names and which
languages, at what size, under what file name — read back from the rendered PDFs and pages."""

from __future__ import annotations

import io
import math
import re
import subprocess
import unicodedata
from collections.abc import Iterator
from datetime import date
from typing import Any
from urllib.parse import unquote

import pytest
from flask.testing import FlaskClient
from pypdf import PdfReader

from certificates.pdf_pages import LABELS, Bilingual
from certificates.pdf_render import TranscriptPage, TranscriptRow, render_transcript
from creditbank import demo
from creditbank.languages import i18n
from creditbank.runtime import Bank, bank_of
from creditbank.services import credentials
from creditbank.services.credentials import credential_pages
from tests.conftest import BACKENDS, configuration, database_url, running_app
from tests.portal.test_portal_pages import csrf, login

SMALLEST_POINTS = 9.0


@pytest.fixture(scope="module", params=BACKENDS)
def seeded(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Any, Bank]]:
    folder = tmp_path_factory.mktemp("documents")
    with running_app(configuration(database_url(request.param, request, folder), folder)) as app:
        bank = bank_of(app)
        demo.seed(bank, 2)
        yield app, bank


def _client(seeded: tuple[Any, Bank], language: str = "zh") -> FlaskClient:
    app, bank = seeded
    client: FlaskClient = app.test_client()
    client.set_cookie(i18n.COOKIE, language)
    found = demo.demo_login(bank)
    assert found is not None
    assert login(client, found[1], found[2]).status_code == 302
    return client


def text_of(pdf: bytes) -> str:
    done = subprocess.run(["pdftotext", "-layout", "-", "-"], input=pdf, capture_output=True, check=True)
    # Shaped Arabic comes back as presentation forms; NFKC reads them as the letters they are.
    return unicodedata.normalize("NFKC", done.stdout.decode())


def flat(text: str) -> str:
    return re.sub(r"\s+", "", text)


def smallest_text(pdf: bytes) -> float:
    """The smallest size, in points, any visible text is set at on any page (font size × text and page scaling)."""
    sizes: list[float] = []

    def seen(text: str, cm: list[float], tm: list[float], font: Any, size: float) -> None:
        if text.strip():
            sizes.append(size * math.hypot(tm[2], tm[3]) * math.hypot(cm[2], cm[3]))

    for page in PdfReader(io.BytesIO(pdf)).pages:
        page.extract_text(visitor_text=seen)
    assert sizes, "no text found"
    return min(sizes)


def _issue(client: FlaskClient, **form: str) -> None:
    page = client.get("/me/documents").get_data(as_text=True)
    answer = client.post("/me/documents", data={**form, "csrf_token": csrf(page)})
    assert answer.status_code == 302, answer.get_data(as_text=True)


def _newest(bank: Bank, kind: str) -> dict[str, Any]:
    found = demo.demo_login(bank)
    assert found is not None
    return next(item for item in reversed(credentials.list_for_learner(bank, found[0])) if item["kind"] == kind)


def _verified(client: FlaskClient, pdf: bytes) -> dict[str, Any]:
    report: dict[str, Any] = client.post("/api/v1/verify", data=pdf, content_type="application/pdf").get_json()
    return report


def test_a_transcript_lists_the_awarded_qualification_in_french_and_both_names(seeded: tuple[Any, Bank]) -> None:
    client = _client(seeded, "fr")
    _issue(client, kind="transcript", language="fr")
    made = _newest(seeded[1], "transcript")
    assert made["languages"] == ["fr", "zh"]  # the page's language first, since the learner reads it
    download = client.get(f"/me/documents/{made['id']}.pdf")
    assert download.status_code == 200
    text = text_of(download.data)
    assert "已获资历" in text
    assert "Qualifications obtenues" in text
    assert "暂无" not in text
    assert "Aucune pour l'instant" not in text
    assert "数字素养" in flat(text)  # the example digital-literacy qualification awarded to her
    assert "Relevé de formation tout au long de la vie" in text
    assert "陈秀英" in text
    assert "Chen Xiuying" in text
    assert text.index("陈秀英") < text.index("Chen Xiuying")
    assert re.search(
        r"\d{1,2} (janvier|février|mars|avril|mai|juin|juillet|août|septembre|octobre|novembre|décembre) \d{4}", text
    )
    assert "2025-06-30" not in text  # no ISO dates: each language writes its own
    assert smallest_text(download.data) >= SMALLEST_POINTS
    # The same document downloaded again shows the same words, and verifies.
    assert text_of(client.get(f"/me/documents/{made['id']}.pdf").data) == text
    report = _verified(client, download.data)
    assert report["valid"] is True, report

    disposition = download.headers["Content-Disposition"]
    assert re.fullmatch(
        r"attachment; filename=\"transcript-\d{4}-\d{2}-\d{2}\.pdf\"; filename\*=UTF-8''[A-Za-z0-9%._-]+", disposition
    ), disposition
    assert unquote(disposition.split("UTF-8''")[1]).startswith("relevé-")
    bundle = client.get(f"/me/documents/{made['id']}.json")
    assert re.search(r'filename="transcript-\d{4}-\d{2}-\d{2}\.json"', bundle.headers["Content-Disposition"])


def test_a_qualification_certificate_has_its_own_heading_name_and_level(seeded: tuple[Any, Bank]) -> None:
    client = _client(seeded)
    made = _newest(seeded[1], "qualification")
    download = client.get(f"/me/documents/{made['id']}.pdf")
    text = text_of(download.data)
    # The English heading is set in capitals.
    assert "资历证书" in flat(text)
    assert "QUALIFICATION CERTIFICATE" in text
    assert "学习成果证书" not in flat(text)
    assert "LEARNING ACHIEVEMENT" not in text
    assert "已获得此项资历" in text
    assert "授予日期" in text
    assert made["title"]
    assert flat(unicodedata.normalize("NFKC", made["title"]["zh"])) in flat(text)
    assert smallest_text(download.data) >= SMALLEST_POINTS
    assert _verified(client, download.data)["valid"] is True
    disposition = download.headers["Content-Disposition"]
    assert re.search(r'filename="qualification-[a-z0-9-]+-\d{4}-\d{2}-\d{2}\.pdf"', disposition), disposition
    assert "资历证书-" + made["title"]["zh"][:5] in unquote(disposition.split("UTF-8''")[1])


def test_an_arabic_certificate_shows_completion_result_and_hours(seeded: tuple[Any, Bank]) -> None:
    client = _client(seeded)
    page = client.get("/me/documents").get_data(as_text=True)
    option = re.search(r'<option value="([^"]+)">手机摄影与分享', page)
    assert option, page
    _issue(client, kind="achievement", achievement=option.group(1), language="ar")
    made = _newest(seeded[1], "achievement")
    assert made["languages"] == ["zh", "ar"]
    assert made["title"] == {"zh": "手机摄影与分享", "en": "Phone Photography"}
    download = client.get(f"/me/documents/{made['id']}.pdf")
    text = text_of(download.data)
    assert "学习成果证书" in flat(text)
    assert "شهادة" in text
    assert "2025年6月30日" in text  # completed
    assert "合格" in text
    assert "ناجح" in text
    # Learning hours; pdftotext gives Arabic in visual order, so the number and the word are looked for apart.
    assert "48 小时" in text
    assert re.search(r"学习时长.*ساعة.*48", text)
    assert "陈秀英" in text
    assert "Chen Xiuying" in text
    assert smallest_text(download.data) >= SMALLEST_POINTS
    assert _verified(client, download.data)["valid"] is True
    disposition = download.headers["Content-Disposition"]
    assert re.search(r'filename="certificate-phone-photography-\d{4}-\d{2}-\d{2}\.pdf"', disposition), disposition
    assert unquote(disposition.split("UTF-8''")[1]).startswith("证书-手机摄影与分享-")


def test_the_documents_page_says_what_each_document_is_for_in_the_page_s_language(seeded: tuple[Any, Bank]) -> None:
    client = _client(seeded, "en")
    page = client.get("/me/documents").get_data(as_text=True)
    assert "<bdi>陈秀英</bdi> · <bdi>Chen Xiuying</bdi>" in page
    assert '<option value="en" lang="en" selected>' in page
    qualification = _newest(seeded[1], "qualification")
    assert qualification["title"]["en"] in page
    assert qualification["issued_at"] not in page  # the date as English writes it, not the raw timestamp
    months = "January|February|March|April|May|June|July|August|September|October|November|December"
    assert re.search(rf"Issued on ({months}) \d{{1,2}}, \d{{4}}", page)
    assert 'Languages: <bdi lang="zh">中文</bdi> · <bdi lang="en">English</bdi>' in page
    french = _client(seeded, "fr").get("/me/documents").get_data(as_text=True)
    assert '<option value="fr" lang="fr" selected>' in french
    chinese = _client(seeded).get("/me/documents").get_data(as_text=True)
    assert '<option value="en" lang="en" selected>' in chinese
    assert re.search(r"\d{4}年\d{1,2}月\d{1,2}日", chinese)


@pytest.mark.parametrize("language", ["zh", "de", "", "en-zh"])
def test_a_second_language_no_document_speaks_is_a_clear_refusal(seeded: tuple[Any, Bank], language: str) -> None:
    client = _client(seeded)
    page = client.get("/me/documents").get_data(as_text=True)
    answer = client.post("/me/documents", data={"kind": "transcript", "language": language, "csrf_token": csrf(page)})
    if language == "":
        assert answer.status_code == 302  # no choice made: the page's default
    else:
        assert answer.status_code == 400
        assert "Traceback" not in answer.get_data(as_text=True)


def test_a_long_transcript_paginates_at_nine_points_with_every_row(tmp_path: Any) -> None:
    order = ("zh", "ru")
    rows = [
        TranscriptRow(
            title=Bilingual(f"社区合唱与声乐基础（第{n}期）", f"Community Choir and Voice Basics, term {n}"),
            institution=Bilingual("示范社区学院", "Demo Community College"),
            completed=date(2025, 1 + n % 12, 1 + n % 28),
            credits=str(1 + n % 3),
            level=Bilingual(f"第{1 + n % 4}级", f"Level {1 + n % 4}"),
            category=Bilingual("通识", "General"),
            seq=1000 + n,
            status="recorded",
        )
        for n in range(150)
    ]
    page = TranscriptPage(
        learner_name="陈秀英",
        other_names=("Chen Xiuying",),
        bank=Bilingual("终身学习学分银行", "Lifelong Learning Credit Bank"),
        rows=rows,
        credits_by_level=[(Bilingual("第1级", "Level 1"), "300")],
        total_credits="300",
        qualifications=[Bilingual("数字素养证书 · 第2级", "Digital literacy certificate · Level 2")],
        issued=date(2026, 12, 4),
        ledger_seq=4321,
        credential_id="urn:uuid:00000000-0000-4000-8000-000000000000",
        verify_url="https://bank.example/v/x",
        language_order=order,
        labels=credential_pages.labels(order),
        dates=credential_pages.write_date,
    )
    pdf = render_transcript(page, b"{}")
    pages = len(PdfReader(io.BytesIO(pdf)).pages)
    assert 6 <= pages <= 20
    text = text_of(pdf)
    page_texts = text.split("\f")[:pages]
    for number, page_text in enumerate(page_texts, 1):
        assert f"Страница {number} из {pages}" in page_text
        assert "Достижение" in page_text  # the table header repeats
    squeezed = flat(text)
    assert all(str(row.seq) in squeezed for row in rows)
    assert "4 декабря 2026 г." in text
    assert smallest_text(pdf) >= SMALLEST_POINTS


def test_the_built_in_labels_are_the_catalogue_s_chinese_and_english() -> None:
    for key, label in LABELS.items():
        assert (label.zh, label.en) == (
            i18n.text(f"documents_{key}", "zh"),
            i18n.text(f"documents_{key}", "en"),
        ), key
    for language in ("fr", "ru", "es", "ar"):
        words = credential_pages.labels(("zh", language))
        assert all(words[key].get(language) != f"documents_{key}" for key in LABELS)


def test_results_print_as_recorded() -> None:
    words = credential_pages.labels(("zh", "es"))
    score = credential_pages.result_text({"type": "score", "score": 92.0, "max": 100}, words)
    assert score is not None
    assert score.get("zh") == "92 / 100"
    grade = credential_pages.result_text({"type": "grade", "grade": "A", "passed": True}, words)
    assert grade is not None
    assert (grade.get("zh"), grade.get("es")) == ("A（合格）", "A (Aprobado)")
    failed = credential_pages.result_text({"type": "pass_fail", "passed": False}, words)
    assert failed is not None
    assert failed.get("es") == "No aprobado"
    assert credential_pages.result_text(None, words) is None
