"""One cell's value as its column wants it, or the reason it cannot be that.

A cell comes from python-calamine (str, int for a whole number, float, bool, date, datetime, time, timedelta; see
``xlsx_values``) or from a CSV (always str). Nothing is
guessed: a number is a plain decimal with a point, a date is written year first, and a value Excel has already
mangled (a long ID number kept as a floating-point number, a course code turned into a date) is refused with the
fix, never passed on with its damage.
"""

from __future__ import annotations

import math
import re
import unicodedata
from datetime import date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation

from creditbank.spreadsheets import dates
from creditbank.spreadsheets.columns import BY_FIELD, COLUMNS, Column, fold

Value = str | Decimal | date | bool | tuple[str, ...]

# Unicode's Cc and Cs, as the API's Text field refuses them (api/fields.py).
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff]")
_DECIMAL = re.compile(r"[+-]?[0-9]+(?:\.[0-9]+)?")
_COMMA_NUMBER = re.compile(r"[+-]?[0-9]+(?:,[0-9]+)+(?:\.[0-9]+)?")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
_ITEM_SEPARATORS = re.compile(r"[;；\r\n]+")
# Excel keeps 15 significant digits; an integer this large may already have lost some.
_EXACT_LIMIT = 10**15
_SHOWN = 40  # characters of a refused value quoted back in a message

TRUE_WORDS = frozenset(fold(word) for word in ("是", "通过", "合格", "yes", "y", "true", "1", "passed", "pass"))
FALSE_WORDS = frozenset(fold(word) for word in ("否", "不通过", "不合格", "no", "n", "false", "0", "failed", "fail"))
_PATTERN_CODES = {"national_id_country": "bad_country", "language": "bad_language"}


class Bad(Exception):
    """A cell refused; ``code`` and ``params`` become a Problem."""

    def __init__(self, code: str, **params: object) -> None:
        super().__init__(code)
        self.code = code
        self.params = params


def shown(value: object) -> str:
    text = str(value)
    return text if len(text) <= _SHOWN else text[: _SHOWN - 1] + "…"


def is_blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def convert(column: Column, value: object, *, epoch_1904: bool = False) -> Value:
    """The cell as the column's kind; raises Bad. A blank cell is never passed here."""
    if column.kind == "text":
        return _text(column, value)
    if column.kind == "number":
        return _number(column, value)
    if column.kind == "date":
        return _date(value, epoch_1904)
    if column.kind == "choice":
        return _choice(column, value)
    if column.kind == "bool":
        return _bool(value)
    if column.kind == "list":
        return _list(column, value)
    raise AssertionError(f"unknown column kind {column.kind}")


def _plain_text(column: Column, value: object) -> str:
    """A text column's cell as text: strings as typed, numbers without Excel's floating-point dress."""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, bool):
        raise Bad("not_text", value=shown(value))
    if isinstance(value, datetime | date | time | timedelta):
        raise Bad("date_in_text_column", value=shown(value))
    if isinstance(value, int | float):
        if column.field == "national_id":
            raise Bad("id_number_as_number", value=shown(value))
        if isinstance(value, float) and not math.isfinite(value):
            raise Bad("not_text", value=shown(value))
        if abs(value) >= _EXACT_LIMIT:
            raise Bad("digits_lost", value=shown(value))
        if isinstance(value, float) and not value.is_integer():
            return format(Decimal(repr(value)), "f")
        return str(int(value))
    raise Bad("not_text", value=shown(value))


def _checked_line(text: str, column: Column) -> str:
    bad = _CONTROL.search(text)
    if bad is not None:
        if bad.group() in "\r\n":
            raise Bad("line_break")
        raise Bad("control_character", char=f"U+{ord(bad.group()):04X}")
    if column.max_length is not None and len(text) > column.max_length:
        raise Bad("too_long", length=len(text), max=column.max_length)
    return text


def _text(column: Column, value: object) -> str:
    text = _checked_line(_plain_text(column, value), column)
    if column.upper:
        text = text.upper()
    if column.pattern and not re.fullmatch(column.pattern, text):
        raise Bad(_PATTERN_CODES.get(column.field, "bad_text"), value=shown(text))
    if column.field == "email" and not _EMAIL.fullmatch(text):
        raise Bad("bad_email", value=shown(text))
    return text


def _number(column: Column, value: object) -> Decimal:
    if isinstance(value, bool | datetime | date | time | timedelta):
        raise Bad("not_a_number", value=shown(value))
    if isinstance(value, int):
        number = Decimal(value)
    elif isinstance(value, float):
        if not math.isfinite(value):
            raise Bad("not_a_number", value=shown(value))
        # repr is the shortest text that reads back as the same float: 2.5, not 2.5000000000000000001.
        number = Decimal(repr(value))
    elif isinstance(value, str):
        text = unicodedata.normalize("NFKC", value).strip()
        if _DECIMAL.fullmatch(text):
            try:
                number = Decimal(text)
            except InvalidOperation:
                raise Bad("not_a_number", value=shown(value)) from None
        elif _COMMA_NUMBER.fullmatch(text):
            # 1,5 is one and a half in much of the world and fifteen in the rest; neither is guessed.
            raise Bad("ambiguous_number", value=shown(value))
        else:
            raise Bad("not_a_number", value=shown(value))
    else:
        raise Bad("not_a_number", value=shown(value))
    if number == number.to_integral_value():
        number = Decimal(int(number))
    if (column.minimum is not None and number < column.minimum) or (
        column.maximum is not None and number > column.maximum
    ):
        raise Bad("number_out_of_range", value=shown(value), min=column.minimum, max=column.maximum)
    return number


def _date(value: object, epoch_1904: bool) -> date:
    if isinstance(value, datetime):
        if value.time() != time():
            raise Bad("date_with_time", value=shown(value))
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, bool):
        raise Bad("bad_date", value=shown(value))
    if isinstance(value, int | float):
        # A number in a date column is an Excel date whose cell lost its date format, if it is a whole day within
        # the years dates.from_serial trusts; anything else is a number typed in the wrong column.
        if isinstance(value, float) and not (math.isfinite(value) and value.is_integer()):
            raise Bad("bad_date", value=shown(value))
        try:
            return dates.from_serial(int(value), epoch_1904=epoch_1904)
        except dates.NotADate:
            raise Bad("bad_date", value=shown(value)) from None
    if isinstance(value, str):
        try:
            return dates.parse_text(value)
        except dates.NotADate:
            raise Bad("bad_date", value=shown(value)) from None
    raise Bad("bad_date", value=shown(value))


def _spellings_of(column: Column) -> dict[str, str]:
    found = {fold(choice): choice for choice in column.choices}
    for label in column.labels:
        found.update((fold(spelling), label.value) for spelling in label.spellings)
    return found


# Built once for the bank's own columns; a column made elsewhere (a test's) is folded on each use.
_SPELLINGS = {column.field: _spellings_of(column) for column in COLUMNS if column.kind == "choice"}


def _spellings(column: Column) -> dict[str, str]:
    if BY_FIELD.get(column.field) is column:
        return _SPELLINGS[column.field]
    return _spellings_of(column)


def _choice(column: Column, value: object) -> str:
    if isinstance(value, str):
        choice = _spellings(column).get(fold(value))
        if choice is not None:
            return choice
    raise Bad(
        "unknown_choice",
        value=shown(value),
        choices_zh="、".join(label.zh for label in column.labels) or "、".join(column.choices),
        choices_en=", ".join(label.en for label in column.labels) or ", ".join(column.choices),
    )


def _bool(value: object) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float) and value in (0, 1):
        return bool(value)
    if isinstance(value, str):
        key = fold(value)
        if key in TRUE_WORDS:
            return True
        if key in FALSE_WORDS:
            return False
    raise Bad("bad_bool", value=shown(value))


def _list(column: Column, value: object) -> tuple[str, ...]:
    text = _plain_text(column, value)
    items = tuple(item.strip() for item in _ITEM_SEPARATORS.split(text) if item.strip())
    if column.max_items is not None and len(items) > column.max_items:
        raise Bad("too_many_items", count=len(items), max=column.max_items)
    for number, item in enumerate(items, start=1):
        bad = _CONTROL.search(item)
        if bad is not None:
            raise Bad("control_character", char=f"U+{ord(bad.group()):04X}")
        if column.max_length is not None and len(item) > column.max_length:
            raise Bad("item_too_long", item=number, length=len(item), max=column.max_length)
    return items
