"""A long transcript renders fast without changing what it shows: issuance fingerprints the PDF's visible text, and a
rendering that reads differently is refused (DocumentOutdated), so every transcript and certificate issued before
the render was sped up must still read, word for word, as it did."""

from __future__ import annotations

import hashlib
import io
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from pypdf import PdfReader

from certificates import fonts
from certificates.pdf_pages import LABELS, Bilingual, CertificatePage, TranscriptPage, TranscriptRow
from certificates.pdf_read import visible_text
from certificates.pdf_render import render_certificate, render_transcript
from certificates.receipts import issued_body
from creditbank import demo
from creditbank.runtime import Bank, bank_of
from creditbank.services import credentials
from creditbank.services.credentials import credential_pages
from creditbank.services.records import achievements, learners
from creditbank.services.records.achievements import Submission
from creditbank.services.records.api_keys import SCOPES, Principal
from tests.conftest import BACKENDS, configuration, database_url, running_app

# A few labels in Arabic, so the right-to-left vector sets Arabic in the page margins, the headers and the cells
# (the rest falls back to English, as a page does for a value the ledger keeps only in Chinese and English).
_ARABIC = {
    "transcript": "كشف الدرجات",
    "records": "سجل الإنجازات",
    "seq": "الرقم",
    "status": "الحالة",
    "status_recorded": "مسجَّل",
    "status_revoked": "ملغى",
    "page_number": "الصفحة {page} من {pages}",
}
ARABIC_LABELS = {
    key: Bilingual(label.zh, label.en, (("ar", _ARABIC[key]),)) if key in _ARABIC else label
    for key, label in LABELS.items()
}


def _row(n: int) -> TranscriptRow:
    """Row n of a transcript that has every kind of cell: long titles that wrap in both languages, a title with its
    own Arabic, no completion date, no category, a revoked row struck through."""
    if n % 7 == 3:
        title = Bilingual(
            f"老年大学书法与篆刻艺术鉴赏及创作实践高级研修课程（第{n}期，含结业作品展览）",
            f"Advanced seminar in calligraphy and seal carving: appreciation and creative practice, term {n}, "
            "with a graduation exhibition",
        )
    elif n % 13 == 6:
        title = Bilingual(
            f"阿拉伯语入门（第{n}期）", f"Arabic for beginners, term {n}", (("ar", f"مبادئ اللغة العربية {n}"),)
        )
    else:
        title = Bilingual(f"课程 {n}：数据素养与社会", f"Course {n}: data literacy and society")
    institution = (
        Bilingual("示范开放大学", "Demo Open University")
        if n % 3
        else Bilingual("示范社区学院继续教育学院", "Demo Community College School of Continuing Education")
    )
    return TranscriptRow(
        title=title,
        institution=institution,
        completed=date(2025, 1 + n % 12, 1 + n % 28) if n % 11 else None,
        credits=str(1 + n % 3) if n % 5 else "1.5",
        level=Bilingual(f"第{1 + n % 4}级", f"Level {1 + n % 4}"),
        category=Bilingual("通识", "General") if n % 2 else Bilingual("", ""),
        seq=1000 + n,
        status="revoked" if n % 17 == 5 else "recorded",
    )


def transcript(order: tuple[str, str], rows: int = 100) -> TranscriptPage:
    return TranscriptPage(
        learner_name="陈秀英",
        other_names=("Chen Xiuying",),
        bank=Bilingual("终身学习学分银行", "Lifelong Learning Credit Bank"),
        rows=[_row(n) for n in range(rows)],
        credits_by_level=[(Bilingual("第1级", "Level 1"), "50"), (Bilingual("第2级", "Level 2"), "150.5")],
        total_credits="200.5",
        qualifications=[Bilingual("数字素养证书 · 第2级", "Digital literacy certificate · Level 2")],
        issued=date(2026, 12, 4),
        ledger_seq=4321,
        credential_id="urn:uuid:00000000-0000-4000-8000-000000000000",
        verify_url="https://bank.example/v/urn:uuid:00000000-0000-4000-8000-000000000000",
        language_order=order,
        labels=ARABIC_LABELS if "ar" in order else LABELS,
    )


CERTIFICATE = CertificatePage(
    title=Bilingual("数字素养与技能（基础）", "Digital literacy and skills (foundation)"),
    learner_name="欧阳䶮堃",
    other_names=("Ouyang Yankun",),
    institution=Bilingual("示范开放大学", "Demo Open University"),
    bank=Bilingual("终身学习学分银行", "Lifelong Learning Credit Bank"),
    credits="2",
    level=Bilingual("第2级", "Level 2"),
    framework=Bilingual("终身学习资历框架（示例）", "Lifelong learning framework (example)"),
    issued=date(2026, 11, 23),
    ledger_seq=12345,
    credential_id="urn:uuid:00000000-0000-4000-8000-000000000000",
    verify_url="http://localhost:5000/v/urn:uuid:00000000-0000-4000-8000-000000000000",
    completed=date(2026, 6, 30),
    result=Bilingual("合格", "Pass"),
    hours="32",
)


def _reading(pdf: bytes) -> tuple[int, str, str]:
    """Pages, the fingerprint issuance records, and a hash of the text with its lines and their order (stricter than
    the fingerprint, which sorts the words: the same lines broken in the same places)."""
    text = visible_text(pdf)
    return (
        len(PdfReader(io.BytesIO(pdf)).pages),
        credential_pages.fingerprint(pdf),
        "sha256:" + hashlib.sha256(text.encode()).hexdigest(),
    )


# What these facts printed as before transcripts were made faster to render: the page count, the fingerprint of the
# layout as issued before the speed-up (visible_text_hash in the issuance entry), and the hash of its lines in order.
# A change that moves a word, a line break or a page break changes them, and would make every document issued
# before it undownloadable. Computed with the layout of commit 58f400c.
BEFORE = {
    ("zh", "en"): (
        10,
        "sha256:c0c5dae20fcca3e136577651c5943a0bb0b8bb255518bcb39965cdcd2d582db7",
        "sha256:34d0c379e94c2ccbe1f2ae08944297c819c5bf4236bd24dd0c6e7a47be70689b",
    ),
    ("ar", "zh"): (
        10,
        "sha256:f630c9c613746e140abd56887462a01e6f222abe4b1cf75c1218e8df6c737cbe",
        "sha256:16d930e48b9a14cf361acaf544ce32ccefb311440ada4ebe671f9da674fb80af",
    ),
    ("zh", "ar"): (
        10,
        "sha256:250431ff009fa065dd19be0dc4f382ea8e52aa7e0df885e6b785a7a1d2acdcd0",
        "sha256:7116feafc55c0a171e3711f7ca81ebdf5a9e225ee3b420bc4c5d24d0e0e34643",
    ),
}
CERTIFICATE_BEFORE = (
    1,
    "sha256:7d7aedaa808fd76061876f519de6a99dfea7dac23712b52f78bd729b3ea2f309",
    "sha256:8601b6a726ea07a2a8fcd621b1b23700136bf03965e3a818975ddaf31a831fd1",
)


@pytest.fixture(scope="module", autouse=True)
def _prepared_fonts() -> None:
    # The pinned readings are of pages set in the prepared subset fonts, as a deployed bank sets them.
    fonts.prepare(fonts.font_dir())


@pytest.mark.parametrize("order", list(BEFORE), ids="-".join)
def test_a_long_transcript_reads_exactly_as_it_did_before_the_speed_up(order: tuple[str, str]) -> None:
    assert _reading(render_transcript(transcript(order), b"{}")) == BEFORE[order]


def test_a_certificate_reads_exactly_as_it_did_before_the_speed_up() -> None:
    assert _reading(render_certificate(CERTIFICATE, b"{}")) == CERTIFICATE_BEFORE


@pytest.fixture(scope="module", params=BACKENDS)
def bank(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Bank]:
    folder: Path = tmp_path_factory.mktemp("layout")
    with running_app(configuration(database_url(request.param, request, folder), folder)) as app:
        bank = bank_of(app)
        demo.seed(bank, 1)  # the demo institution that records the courses
        yield bank


@pytest.mark.parametrize("order", ["zh-en", "ar-zh", "zh-ru"])
def test_a_transcript_issued_through_the_service_downloads_as_issued(bank: Bank, order: str) -> None:
    staff = Principal("tests", "demo-university", frozenset(SCOPES))
    enrolled = learners.enroll(bank, staff, learners.LearnerInput(birth_date=date(1951, 3, 8), name_zh="陈秀英"))
    learner = str(enrolled.body["id"])
    rows = [_row(n) for n in range(40)]
    achievements.record(
        bank,
        staff,
        [
            Submission(
                learner,
                f"LAYOUT-{order}-{n}",
                {
                    "kind": "course",
                    "title": {"zh": row.title.zh, "en": row.title.en},
                    "code": f"L{n:03d}",
                    "credits": 2,
                    "completed": row.completed.isoformat() if row.completed else "2025-06-30",
                    "result": {"type": "pass_fail", "passed": n % 9 != 4},
                },
            )
            for n, row in enumerate(rows)
        ],
        batch=True,
    )
    made = credentials.issue(bank, None, credentials.Request(learner, "transcript", language_order=order))
    issued = issued_body(credentials.receipt(bank, made["id"]))["visible_text_hash"]
    # pdf() refuses (DocumentOutdated) a rendering whose fingerprint differs from the one issuance recorded.
    pdf = credentials.pdf(bank, None, made["id"])
    assert credential_pages.fingerprint(pdf) == issued
    assert len(PdfReader(io.BytesIO(pdf)).pages) >= 3
