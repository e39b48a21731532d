"""What a certificate or transcript page shows, and every label printed on it, in Chinese and English.

The labels live here, not in the templates, so both documents and both language orders say the same thing and a
wording change is one edit.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Final

LANGUAGES: Final = ("zh", "en")
# BCP 47 tags for the lang attribute: they steer Pango's choice of glyph forms and line breaking.
LANGUAGE_TAGS: Final[Mapping[str, str]] = {"zh": "zh-Hans", "en": "en"}


@dataclass(frozen=True)
class Bilingual:
    zh: str
    en: str

    def get(self, language: str) -> str:
        if language == "zh":
            return self.zh
        if language == "en":
            return self.en
        raise ValueError(f"no text in language {language!r}")


@dataclass(frozen=True)
class CertificatePage:
    title: Bilingual
    learner_name: str
    institution: Bilingual
    bank: Bilingual
    credits: str
    level: Bilingual
    framework: Bilingual
    issued: date
    ledger_seq: int
    credential_id: str
    verify_url: str
    language_order: tuple[str, str] = ("zh", "en")


@dataclass(frozen=True)
class TranscriptRow:
    title: Bilingual
    institution: Bilingual
    completed: date | None
    credits: str
    level: Bilingual
    category: Bilingual
    seq: int
    status: str  # "recorded", "corrected" or "revoked"


@dataclass(frozen=True)
class TranscriptPage:
    learner_name: str
    bank: Bilingual
    rows: Sequence[TranscriptRow]
    credits_by_level: Sequence[tuple[Bilingual, str]]
    total_credits: str
    qualifications: Sequence[Bilingual]
    issued: date
    ledger_seq: int
    credential_id: str
    verify_url: str
    language_order: tuple[str, str] = ("zh", "en")


LABELS: Final[Mapping[str, Bilingual]] = {
    "certificate": Bilingual("学习成果证书", "Certificate of Learning Achievement"),
    "transcript": Bilingual("终身学习成绩单", "Lifelong Learning Transcript"),
    "certify": Bilingual("兹证明", "This is to certify that"),
    "achieved": Bilingual(
        "已取得下列学习成果，并已记入学分银行账本", "has achieved the following, recorded in the credit bank's ledger"
    ),
    "learner": Bilingual("学习者", "Learner"),
    "achievement": Bilingual("学习成果", "Achievement"),
    "credits": Bilingual("学分", "Credits"),
    "level": Bilingual("级别", "Level"),
    "framework": Bilingual("资历框架", "Qualifications framework"),
    "institution": Bilingual("认定机构", "Recorded by"),
    "completed": Bilingual("完成日期", "Completed"),
    "category": Bilingual("类别", "Category"),
    "status": Bilingual("状态", "Status"),
    "issued": Bilingual("签发日期", "Issued"),
    "ledger_seq": Bilingual("账本序号", "Ledger seq"),
    "credential_id": Bilingual("凭证编号", "Credential ID"),
    "verify": Bilingual("扫码或访问网址验证", "Scan or visit to verify"),
    "by_level": Bilingual("各级别学分", "Credits by level"),
    "total": Bilingual("学分合计", "Total credits"),
    "qualifications": Bilingual("已获资历", "Qualifications awarded"),
    "no_qualifications": Bilingual("暂无", "None yet"),
    "records": Bilingual("学习成果记录", "Recorded achievements"),
    "seq": Bilingual("序号", "Seq"),
    # {page} and {pages} become the page counters of the printed footer.
    "page_number": Bilingual("第 {page} 页", "Page {page} of {pages}"),
    "closing": Bilingual(
        "以上每条记录均可凭账本序号在学分银行公开账本中核验。",
        "Each record above can be checked in the credit bank's public ledger by its seq.",
    ),
}

STATUS: Final[Mapping[str, Bilingual]] = {
    "recorded": Bilingual("有效", "Recorded"),
    "active": Bilingual("有效", "Active"),
    "corrected": Bilingual("已更正", "Corrected"),
    "revoked": Bilingual("已撤销", "Revoked"),
    "suspended": Bilingual("已暂停", "Suspended"),
}

_MONTHS: Final = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


def date_text(day: date) -> Bilingual:
    """A date as each language writes it; no locale lookup, so every machine prints the same."""
    return Bilingual(f"{day.year}年{day.month}月{day.day}日", f"{day.day} {_MONTHS[day.month - 1]} {day.year}")


def status_text(status: str) -> Bilingual:
    return STATUS.get(status, Bilingual(status, status))


def check_order(order: tuple[str, str]) -> tuple[str, str]:
    if sorted(order) != sorted(LANGUAGES):
        raise ValueError(f"language_order must be ('zh', 'en') or ('en', 'zh'), not {order!r}")
    return order
