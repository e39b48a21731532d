"""One spreadsheet row as the API would receive it: a learner's input and an achievement in the API's JSON shape.

The reader has already judged every cell on its own (type, length, range, allowed values, required cells). What is
left here are the rules the API applies to values together, restated because services may not import ``api``:

- ``learners.check_input`` (a name form, birth date range, the ID number's form and check character);
- ``api/record_schemas.py`` ``ResultSchema._fits_type``: the fields each result type needs and allows
  (score: score and max, with min and pass_mark allowed; grade: grade, with passed allowed; pass_fail: passed);
- ``creditbank.achievement_rules.check`` (a title, dates in range and in order, a score inside its scale).

Numbers become ``int`` when whole and ``float`` otherwise, dates ISO strings and lists lists, which is how the
API's schema loads the same values from JSON; so a row and a posted item with equal values compare equal, and an
upload of a record already held is recognized as the same.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from creditbank import achievement_rules
from creditbank.errors import InvalidInput
from creditbank.personal_data import Vault
from creditbank.services.imports.views import RowProblem
from creditbank.services.records.learners import LearnerInput, check_input
from creditbank.spreadsheets.columns import RESULT_LABELS

LEARNER_FIELDS = ("name_zh", "name_latin", "birth_date", "national_id_country", "national_id", "email")
RESULT_FIELDS = {
    "score": "result_score",
    "max": "result_max",
    "min": "result_min",
    "pass_mark": "result_pass_mark",
    "grade": "result_grade",
    "passed": "result_passed",
}
# ResultSchema._NEEDS and _ALLOWS (without "scale", which has no column).
_NEEDS = {"score": ("score", "max"), "grade": ("grade",), "pass_fail": ("passed",)}
_ALLOWS = {"score": {"score", "min", "max", "pass_mark"}, "grade": {"grade", "passed"}, "pass_fail": {"passed"}}
_TEXT_FIELDS = ("code", "level", "mode", "language")
_NUMBER_FIELDS = ("credits", "hours")

# achievement_rules.check's field paths, and learners.check_input's, as columns.
_PATH_FIELDS = {
    "title": "title_zh",
    "started": "started",
    "completed": "completed",
    "result.max": "result_max",
    "result.score": "result_score",
    "result.pass_mark": "result_pass_mark",
    "name": "name_zh",
    "birth_date": "birth_date",
    "national_id.number": "national_id",
}


@dataclass
class RowInput:
    """A row made ready for the bank, or the problems that keep it from being."""

    number: int
    learner: LearnerInput | None = None
    # The ID number normalized as the bank matches it ("CN:1101…"), and its keyed digest.
    national_key: str | None = None
    digest: bytes | None = None
    record_id: str = ""
    data: dict[str, Any] = field(default_factory=dict)
    problems: list[RowProblem] = field(default_factory=list)

    @property
    def has_email(self) -> bool:
        return self.learner is not None and bool(self.learner.email)


class _Row:
    """Collects a row's problems, each named by the column header the file uses."""

    def __init__(self, number: int, values: Mapping[str, object], headers: Mapping[str, str], flagged: set[str]):
        self.number, self.values, self.headers, self.flagged = number, values, headers, flagged
        self.problems: list[RowProblem] = []

    def problem(self, name: str, code: str, **params: object) -> None:
        if name in self.flagged:
            return  # the reader already said what is wrong with this cell
        self.flagged.add(name)
        self.problems.append(RowProblem(self.number, self.headers.get(name, name), name, code, params))

    def text(self, name: str) -> str | None:
        value = self.values.get(name)
        if value is None or name in self.flagged:
            return None
        if isinstance(value, str):
            return value
        self.problem(name, "wrong_value_type")
        return None

    def day(self, name: str) -> date | None:
        value = self.values.get(name)
        if value is None or name in self.flagged:
            return None
        if isinstance(value, date):
            return value if type(value) is date else date(value.year, value.month, value.day)
        self.problem(name, "wrong_value_type")
        return None

    def number_of(self, name: str) -> int | float | None:
        value = self.values.get(name)
        if value is None or name in self.flagged:
            return None
        if isinstance(value, Decimal) and value.is_finite():
            return int(value) if value == value.to_integral_value() else float(value)
        if isinstance(value, int | float) and not isinstance(value, bool):
            return value
        self.problem(name, "wrong_value_type")
        return None

    def flag(self, name: str) -> bool | None:
        value = self.values.get(name)
        if value is None or name in self.flagged:
            return None
        if isinstance(value, bool):
            return value
        self.problem(name, "wrong_value_type")
        return None

    def items(self, name: str) -> list[str] | None:
        value = self.values.get(name)
        if value is None or name in self.flagged:
            return None
        if isinstance(value, tuple | list) and all(isinstance(item, str) for item in value):
            return list(value)
        self.problem(name, "wrong_value_type")
        return None


def build(
    number: int,
    values: Mapping[str, object],
    headers: Mapping[str, str],
    flagged: set[str],
    vault: Vault,
    today: date,
) -> RowInput:
    """The row's learner and achievement, with every problem of the row that needs no database."""
    row = _Row(number, values, headers, set(flagged))
    made = RowInput(number)
    made.learner, made.national_key = _learner(row)
    if made.national_key is not None:
        made.digest = vault.id_digest(made.national_key)
    made.record_id = row.text("record_id") or ""
    if not made.record_id and "record_id" not in row.flagged:
        row.problem("record_id", "value_missing")
    made.data = _achievement(row, today)
    made.problems = row.problems
    return made


def _learner(row: _Row) -> tuple[LearnerInput | None, str | None]:
    born = row.day("birth_date")
    names = {name: row.text(name) for name in ("name_zh", "name_latin")}
    country = row.text("national_id_country")
    number = row.text("national_id")
    email = row.text("email")
    if born is None:
        if "birth_date" not in row.flagged:
            row.problem("birth_date", "value_missing")
        return None, None
    learner = LearnerInput(
        birth_date=born,
        name_zh=names["name_zh"],
        name_latin=names["name_latin"],
        national_id_country=country.upper() if country else None,
        national_id=number,
        email=email,
    )
    if any(name in row.flagged for name in LEARNER_FIELDS):
        return None, None
    try:
        normalized = check_input(learner)
    except InvalidInput as refused:
        for path in refused.errors or {}:
            row.problem(_PATH_FIELDS.get(path, path), _learner_code(path, learner), **_learner_params(path))
        return None, None
    return learner, normalized


def _learner_code(path: str, learner: LearnerInput) -> str:
    if path == "name":
        return "name_missing"
    if path == "birth_date":
        return "birth_date_out_of_range"
    number = (learner.national_id or "").strip()
    country = (learner.national_id_country or "CN").upper()
    if country == "CN" and len(number) == 18 and number.isascii() and number.isalnum():
        return "national_id_check_failed"
    return "national_id_invalid"


def _learner_params(path: str) -> dict[str, object]:
    if path == "birth_date":
        return {"earliest": "1900-01-01", "latest": date.today().isoformat()}
    return {}


def _achievement(row: _Row, today: date) -> dict[str, Any]:
    data: dict[str, Any] = {}
    kind = row.text("kind")
    if kind is not None:
        data["kind"] = kind
    elif "kind" not in row.flagged:
        row.problem("kind", "value_missing")
    title = {form: text for form in ("zh", "en") if (text := row.text(f"title_{form}"))}
    data["title"] = title
    for name in _TEXT_FIELDS[:2]:
        if (text := row.text(name)) is not None:
            data[name] = text
    for name in _NUMBER_FIELDS:
        if (number := row.number_of(name)) is not None:
            data[name] = number
    result = _result(row)
    if result is not None:
        data["result"] = result
    for name in ("started", "completed"):
        if (day := row.day(name)) is not None:
            data[name] = day.isoformat()
    if "completed" not in data and "completed" not in row.flagged:
        row.problem("completed", "value_missing")
    for name in _TEXT_FIELDS[2:]:
        if (text := row.text(name)) is not None:
            data[name] = text
    if (outcomes := row.items("outcomes")) is not None:
        data["outcomes"] = outcomes
    if not title and ("title_zh" in row.flagged or "title_en" in row.flagged):
        return data  # the reader named the bad title cell; "no title" would only repeat it
    for path, message in achievement_rules.check(data, today).items():
        name = _PATH_FIELDS.get(path, path)
        code, params = _rule_problem(path, message, data, today)
        row.problem(name, code, **params)
    return data


def _result(row: _Row) -> dict[str, Any] | None:
    kind = row.text("result_type")
    given: dict[str, Any] = {}
    for key, name in RESULT_FIELDS.items():
        value = row.flag(name) if key == "passed" else row.text(name) if key == "grade" else row.number_of(name)
        if value is not None:
            given[key] = value
    if kind is None:
        if "result_type" in row.flagged:
            return None
        if given:
            row.problem("result_type", "result_type_missing")
        return None
    if kind not in _NEEDS:
        row.problem("result_type", "invalid_value", detail=kind)
        return None
    broken = False
    for key in _NEEDS[kind]:
        if key not in given and RESULT_FIELDS[key] not in row.flagged:
            row.problem(RESULT_FIELDS[key], "result_value_required", **_type_words(kind))
            broken = True
    for key in sorted(set(given) - _ALLOWS[kind]):
        row.problem(RESULT_FIELDS[key], "result_value_not_used", **_type_words(kind))
        broken = True
    if broken or any(RESULT_FIELDS[key] in row.flagged for key in _NEEDS[kind]):
        return None
    # The API's schema keeps the members in the order it declares them; equality does not care, JCS sorts anyway.
    return {"type": kind, **given}


def _type_words(kind: str) -> dict[str, object]:
    label = next((choice for choice in RESULT_LABELS if choice.value == kind), None)
    if label is None:
        return {"type": kind}
    return {"type": kind, "type_zh": label.zh, "type_en": label.en}


def _rule_problem(path: str, message: str, data: dict[str, Any], today: date) -> tuple[str, dict[str, object]]:
    if path == "title":
        return "title_missing", {}
    if path in ("started", "completed"):
        started, completed = data.get("started"), data.get("completed")
        if path == "completed" and started and completed and completed < started and "between" not in message:
            return "completed_before_started", {}
        latest = today + achievement_rules.FUTURE_SLACK
        return "date_out_of_range", {"earliest": achievement_rules.EARLIEST.isoformat(), "latest": latest.isoformat()}
    result = data.get("result") or {}
    scale = {"min": result.get("min", 0), "max": result.get("max")}
    if path == "result.max":
        return "scale_inverted", {}
    if path == "result.score":
        return "score_outside_scale", scale
    if path == "result.pass_mark":
        return "pass_mark_outside_scale", scale
    return "invalid_value", {"detail": message}
