"""Strict marshmallow fields for what institutions send: values are checked, never coerced.

Submitted achievements are kept (and may be signed) exactly as sent, so a field may refuse a
value but must not rewrite it: ``"3"`` is not a number here, and ``2025-9-1`` is not a date.
"""

from __future__ import annotations

import math
import re
import unicodedata
from datetime import date
from typing import Any

from marshmallow import ValidationError, fields

from creditbank.errors import BadParameter
from ledger.numbers import NotADecimal, OutOfRange, parse_decimal

# Unicode's Cc (U+0000-001F, U+007F-009F) and Cs (the surrogates), searched in one pass instead of char by char.
_NOT_TEXT_LINE = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff]")
_NOT_TEXT_MULTILINE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]")


def _check_text(value: str, *, max_length: int, multiline: bool) -> None:
    if not value.strip():
        raise ValidationError("must not be empty or blank")
    if len(value) > max_length:
        raise ValidationError(f"must have at most {max_length} characters")
    bad = (_NOT_TEXT_MULTILINE if multiline else _NOT_TEXT_LINE).search(value)
    if bad is not None:
        char = bad.group()
        if unicodedata.category(char) == "Cs":
            raise ValidationError("contains a lone surrogate, which is not Unicode text")
        raise ValidationError(f"contains the control character U+{ord(char):04X}")


def text_ok(value: Any, *, max_length: int, multiline: bool) -> bool:
    """Whether :class:`Text` accepts ``value`` as it is (the batch loader's quick path)."""
    return (
        type(value) is str
        and len(value) <= max_length
        and bool(value.strip())
        and (_NOT_TEXT_MULTILINE if multiline else _NOT_TEXT_LINE).search(value) is None
    )


# The same rule for clients, in the ECMA-262 dialect OpenAPI uses: something besides white space, and no C0 or C1
# control character (tab and newline allowed in multiline text).
_TEXT_LINE = r"^(?!\s*$)[^\x00-\x1f\x7f-\x9f]*$"
_TEXT_MULTILINE = r"^(?!\s*$)[^\x00-\x08\x0b-\x1f\x7f-\x9f]*$"


class Text(fields.String):
    """Non-blank Unicode text without control characters (``multiline`` allows newline and tab)."""

    def __init__(self, *, max_length: int, multiline: bool = False, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.max_length = max_length
        self.multiline = multiline
        self.metadata.setdefault("maxLength", max_length)
        self.metadata.setdefault("pattern", _TEXT_MULTILINE if multiline else _TEXT_LINE)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        if not isinstance(value, str):
            raise self.make_error("invalid")
        _check_text(value, max_length=self.max_length, multiline=self.multiline)
        return value


class Number(fields.Float):
    """A finite JSON number within [minimum, maximum]; strings and booleans are refused."""

    def __init__(self, *, minimum: float, maximum: float, **kwargs: Any) -> None:
        super().__init__(allow_nan=False, **kwargs)
        self.minimum, self.maximum = minimum, maximum
        self.metadata.setdefault("minimum", minimum)
        self.metadata.setdefault("maximum", maximum)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ValidationError("must be a JSON number")
        if isinstance(value, float) and not math.isfinite(value):
            raise ValidationError("must be a finite number")
        if not self.minimum <= value <= self.maximum:
            raise ValidationError(f"must be between {self.minimum:g} and {self.maximum:g}")
        return value

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> Any:
        # Echo numbers as recorded: 3 stays 3, not 3.0.
        return value


DATE_FORM = re.compile(r"\d{4}-\d{2}-\d{2}")


class IsoDate(fields.String):
    """A calendar date written ``YYYY-MM-DD``, kept as that string."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.metadata.setdefault("format", "date")

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        if not isinstance(value, str) or not DATE_FORM.fullmatch(value):
            raise ValidationError("must be a date written YYYY-MM-DD")
        try:
            date.fromisoformat(value)
        except ValueError:
            raise ValidationError("is not a calendar date") from None
        return value


class Pattern(fields.String):
    """A string matching a regular expression (identifiers, codes, language tags)."""

    def __init__(self, pattern: str, *, message: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.regex = re.compile(pattern)
        self.message = message
        # The value must match whole (fullmatch); a JSON Schema pattern matches anywhere unless anchored.
        self.metadata.setdefault("pattern", f"^(?:{pattern})$")

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        if not isinstance(value, str) or not self.regex.fullmatch(value):
            raise ValidationError(self.message)
        return value


class StrictBoolean(fields.Boolean):
    """``true`` or ``false`` only; 1, "yes" and "true" are refused."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> bool:
        if not isinstance(value, bool):
            raise ValidationError("must be true or false")
        return value


class QueryInteger(fields.Integer):
    """A whole number in a query string, written in ASCII digits with no sign, space, underscore or leading zero.

    A numeral in another spelling is a malformed request (400) whatever status the schema gives to values out of
    its range, since ``1_0`` or ``１`` read as a number by one reader and as garbage by the next."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> int:
        try:
            return parse_decimal(value) if isinstance(value, str) else _refuse(value)
        except OutOfRange as exc:
            raise ValidationError(str(exc)) from None
        except NotADecimal as exc:
            name = self.data_key or attr or "$"
            raise BadParameter(f"{name} {exc}", errors={name: [str(exc)]}) from None


def _refuse(value: Any) -> int:
    raise NotADecimal(f"{type(value).__name__} is not a query-string numeral")
