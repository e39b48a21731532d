"""What a certificate or transcript page shows, and the labels printed on it: Chinese and one second language.

A document is bilingual: Chinese plus the learner's chosen second language (English, French, Russian, Spanish or
Arabic). The bank hands its labels in from its catalogues (one place for every wording, in every language); the
Chinese and English set here is for pages built without the bank, and a test holds it equal to the catalogues.
Values from the ledger (titles, institutions, levels) exist in Chinese and English only, so a French page shows a
title's English text, marked as English.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Final

CHINESE: Final = "zh"
SECOND_LANGUAGES: Final = ("en", "fr", "ru", "es", "ar")
LANGUAGES: Final = (CHINESE, *SECOND_LANGUAGES)
RIGHT_TO_LEFT: Final = frozenset({"ar"})
# BCP 47 tags for the lang attribute: they steer Pango's choice of glyph forms, shaping and line breaking.
LANGUAGE_TAGS: Final[Mapping[str, str]] = {"zh": "zh-Hans", "en": "en", "fr": "fr", "ru": "ru", "es": "es", "ar": "ar"}

# (day, language) → the date as that language writes it.
DateWriter = Callable[[date, str], str]


@dataclass(frozen=True)
class Bilingual:
    """A text in Chinese and English, and optionally in more languages as (language, text) pairs."""

    zh: str
    en: str
    more: tuple[tuple[str, str], ...] = ()

    def source(self, language: str) -> tuple[str, str]:
        """(the language the text is really in, the text): a language the value lacks reads its English."""
        if language == CHINESE:
            return CHINESE, self.zh
        for code, text in self.more:
            if code == language and text:
                return code, text
        if language in LANGUAGES:
            return "en", self.en
        raise ValueError(f"no text in language {language!r}")

    def get(self, language: str) -> str:
        return self.source(language)[1]


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
    """A date as Chinese and English write it; no locale lookup, so every machine prints the same."""
    return Bilingual(f"{day.year}年{day.month}月{day.day}日", f"{day.day} {_MONTHS[day.month - 1]} {day.year}")


def plain_dates(day: date, language: str) -> str:
    """The writer for pages built without the bank's locale data: Chinese and English as above, ISO otherwise."""
    if language in (CHINESE, "en"):
        return date_text(day).get(language)
    return day.isoformat()


LABELS: Final[Mapping[str, Bilingual]] = {
    "certificate": Bilingual("学习成果证书", "Certificate of Learning Achievement"),
    "qualification_certificate": Bilingual("资历证书", "Qualification Certificate"),
    "transcript": Bilingual("终身学习成绩单", "Lifelong Learning Transcript"),
    "certify": Bilingual("兹证明", "This is to certify that"),
    "achieved": Bilingual(
        "已取得下列学习成果，并已记入学分银行账本", "has achieved the following, recorded in the credit bank's ledger"
    ),
    "awarded": Bilingual(
        "已获得此项资历，并已记入学分银行账本",
        "has been awarded this qualification, recorded in the credit bank's ledger",
    ),
    "learner": Bilingual("学习者", "Learner"),
    "achievement": Bilingual("学习成果", "Achievement"),
    "credits": Bilingual("学分", "Credits"),
    "level": Bilingual("级别", "Level"),
    "framework": Bilingual("资历框架", "Qualifications framework"),
    "institution": Bilingual("认定机构", "Recorded by"),
    "awarded_by": Bilingual("授予机构", "Awarded by"),
    "completed": Bilingual("完成日期", "Completed"),
    "awarded_on": Bilingual("授予日期", "Awarded"),
    "result": Bilingual("成绩", "Result"),
    "hours": Bilingual("学习时长", "Learning hours"),
    "hours_value": Bilingual("{hours} 小时", "{hours} hours"),
    "passed": Bilingual("合格", "Pass"),
    "failed": Bilingual("不合格", "Not passed"),
    "category": Bilingual("类别", "Category"),
    "achievement_category": Bilingual("学习成果 · 类别", "Achievement · Category"),
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
    "status_recorded": Bilingual("有效", "Recorded"),
    "status_active": Bilingual("有效", "Active"),
    "status_corrected": Bilingual("已更正", "Corrected"),
    "status_revoked": Bilingual("已撤销", "Revoked"),
    "status_suspended": Bilingual("已暂停", "Suspended"),
}
STATUSES: Final = ("recorded", "active", "corrected", "revoked", "suspended")


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
    # "achievement" (a course or other learning) or "qualification" (an award the bank made).
    kind: str = "achievement"
    # The learner's other name forms (the Latin one after the Chinese), printed under the first.
    other_names: Sequence[str] = ()
    completed: date | None = None
    result: Bilingual | None = None
    hours: str | None = None
    labels: Mapping[str, Bilingual] = field(default_factory=lambda: LABELS)
    dates: DateWriter = plain_dates


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
    other_names: Sequence[str] = ()
    labels: Mapping[str, Bilingual] = field(default_factory=lambda: LABELS)
    dates: DateWriter = plain_dates


def status_text(status: str, labels: Mapping[str, Bilingual] = LABELS) -> Bilingual:
    return labels.get(f"status_{status}", Bilingual(status, status))


def check_order(order: tuple[str, str]) -> tuple[str, str]:
    """Chinese and one second language, either first."""
    if len(order) != 2 or CHINESE not in order or not any(code in SECOND_LANGUAGES for code in order):
        raise ValueError(f"language_order must be Chinese and one of {', '.join(SECOND_LANGUAGES)}, not {order!r}")
    return order


def second_language(order: tuple[str, str]) -> str:
    return order[1] if order[0] == CHINESE else order[0]
