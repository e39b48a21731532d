"""The columns an import spreadsheet may have: one row per achievement, with the learner it belongs to.

Lengths and ranges are the API's (``api/record_schemas.py``: PersonNameSchema, NationalIdSchema, LearnerInputSchema,
TitleSchema, ResultSchema, AchievementDataSchema and the item's ``record_id``), copied here because the application
may not import the API; a spreadsheet refused by a looser rule here would only be refused later, row by row, by the
service, while a stricter one would refuse what the API takes, so the numbers must stay the same.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from decimal import Decimal

from creditbank.credits.kinds import ACHIEVEMENT_KINDS

KINDS = ("text", "date", "number", "choice", "bool", "list")


@dataclass(frozen=True)
class Choice:
    """One allowed value of a choice column, with the labels a registrar may write instead of it."""

    value: str
    zh: str
    en: str
    also: tuple[str, ...] = ()

    @property
    def spellings(self) -> tuple[str, ...]:
        return (self.value, self.zh, self.en, *self.also)


@dataclass(frozen=True)
class Column:
    field: str
    zh: str
    en: str
    kind: str
    max_length: int | None = None
    choices: tuple[str, ...] = ()
    required: bool = False
    # Additions to the interface the import service builds on; all optional.
    labels: tuple[Choice, ...] = ()
    minimum: Decimal | None = None
    maximum: Decimal | None = None
    pattern: str = ""  # a regular expression the whole text must match (after the normalization below)
    upper: bool = False  # text folded to upper case before the pattern is tried (country codes)
    max_items: int | None = None  # list columns: how many items at most; max_length is then per item
    width: int = 16  # template column width, in characters

    @property
    def header(self) -> str:
        return f"{self.zh} / {self.en}"

    def label(self, language: str) -> str:
        return self.zh if language == "zh" else self.en


def _values(labels: tuple[Choice, ...]) -> tuple[str, ...]:
    return tuple(label.value for label in labels)


KIND_LABELS = (
    Choice("course", "课程", "Course"),
    Choice("module", "模块", "Module", ("单元",)),
    Choice("micro_credential", "微证书", "Micro-credential", ("微认证",)),
    Choice("certificate", "证书", "Certificate"),
    Choice("diploma", "文凭", "Diploma"),
    Choice("degree", "学位", "Degree"),
    Choice("non_formal", "非正规学习", "Non-formal learning", ("非正式学习",)),
    Choice("prior_learning", "先前学习", "Prior learning", ("先前学习成果",)),
)
assert _values(KIND_LABELS) == ACHIEVEMENT_KINDS, "a kind without Chinese and English labels"

# api/record_schemas.py MODES and RESULT_TYPES
MODE_LABELS = (
    Choice("online", "线上", "Online", ("在线", "网络")),
    Choice("in_person", "线下", "In person", ("面授", "现场")),
    Choice("blended", "混合", "Blended", ("线上线下混合",)),
)
RESULT_LABELS = (
    Choice("score", "分数", "Score", ("百分制", "分数制")),
    Choice("grade", "等级", "Grade", ("等级制",)),
    Choice("pass_fail", "通过与否", "Pass/fail", ("合格制", "通过制")),
)

SCORE_MIN, SCORE_MAX = Decimal(-1_000_000), Decimal(1_000_000)

COLUMNS: tuple[Column, ...] = (
    # learner
    Column("name_zh", "中文姓名", "Chinese name", "text", max_length=100, width=12),
    Column("name_latin", "拉丁字母姓名", "Latin name", "text", max_length=200, width=18),
    Column("birth_date", "出生日期", "Birth date", "date", required=True, width=14),
    Column(
        "national_id_country", "证件国家", "ID country", "text", max_length=2, pattern="[A-Z]{2}", upper=True, width=10
    ),
    Column("national_id", "证件号码", "ID number", "text", max_length=40, width=22),
    Column("email", "电子邮箱", "E-mail", "text", max_length=254, width=24),
    # achievement
    Column("record_id", "记录编号", "Record ID", "text", max_length=128, required=True, width=18),
    Column("kind", "类型", "Kind", "choice", required=True, width=10, choices=_values(KIND_LABELS), labels=KIND_LABELS),
    Column("title_zh", "中文名称", "Title (Chinese)", "text", max_length=500, width=20),
    Column("title_en", "英文名称", "Title (English)", "text", max_length=500, width=24),
    Column("code", "课程代码", "Course code", "text", max_length=64, width=12),
    Column("level", "级别", "Level", "text", max_length=100, width=10),
    Column("credits", "学分", "Credits", "number", minimum=Decimal(0), maximum=Decimal(1000), width=8),
    Column("hours", "学时", "Hours", "number", minimum=Decimal(0), maximum=Decimal(100000), width=8),
    Column("started", "开始日期", "Started", "date", width=14),
    Column("completed", "完成日期", "Completed", "date", required=True, width=14),
    Column("mode", "学习方式", "Mode", "choice", width=10, choices=_values(MODE_LABELS), labels=MODE_LABELS),
    Column(
        "result_type",
        "成绩类型",
        "Result type",
        "choice",
        width=10,
        choices=_values(RESULT_LABELS),
        labels=RESULT_LABELS,
    ),
    Column("result_score", "分数", "Score", "number", width=8, minimum=SCORE_MIN, maximum=SCORE_MAX),
    Column("result_max", "满分", "Maximum score", "number", width=8, minimum=SCORE_MIN, maximum=SCORE_MAX),
    Column("result_min", "最低分", "Minimum score", "number", width=8, minimum=SCORE_MIN, maximum=SCORE_MAX),
    Column("result_pass_mark", "及格分", "Pass mark", "number", width=8, minimum=SCORE_MIN, maximum=SCORE_MAX),
    Column("result_grade", "等级", "Grade", "text", max_length=32, width=8),
    Column("result_passed", "是否通过", "Passed", "bool", width=8),
    # BCP 47, as AchievementDataSchema.language; 35 characters is the longest tag that pattern admits.
    Column(
        "language", "语言", "Language", "text", max_length=35, pattern=r"[a-zA-Z]{2,3}(-[a-zA-Z0-9]{2,8}){0,3}", width=8
    ),
    Column("outcomes", "学习成果", "Outcomes", "list", max_length=1000, max_items=100, width=30),
)

BY_FIELD: dict[str, Column] = {column.field: column for column in COLUMNS}
assert len(BY_FIELD) == len(COLUMNS)

# Every row names one learner and one title, in either language; a file needs at least one column of each pair.
ONE_OF: tuple[tuple[str, ...], ...] = (("name_zh", "name_latin"), ("title_zh", "title_en"))

# Columns Excel must keep as text: a long ID number typed into a number cell loses its last digits, and a record id
# such as 0012 loses its zeros.
TEXT_FORMAT_FIELDS = ("national_id", "record_id", "code")

_FOLDED_AWAY = re.compile(r"[\s_\-/]+")


def fold(text: str) -> str:
    """How headers and choice labels are compared: NFKC (full-width letters, digits and slashes fold to their
    ordinary forms), case-insensitive, with spaces, underscores, hyphens and slashes ignored."""
    return _FOLDED_AWAY.sub("", unicodedata.normalize("NFKC", text).casefold())


def _header_spellings() -> dict[str, str]:
    found: dict[str, str] = {}
    for column in COLUMNS:
        for spelling in (column.header, column.zh, column.en, column.field):
            key = fold(spelling)
            assert found.get(key, column.field) == column.field, f"header {spelling!r} names two columns"
            found[key] = column.field
    return found


HEADERS: dict[str, str] = _header_spellings()


def field_of_header(text: str) -> str | None:
    """The field a header cell names, or None for a header this bank does not know."""
    return HEADERS.get(fold(text))
