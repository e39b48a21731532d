"""Whole numbers written by someone outside the bank: ASCII digits, nothing else.

``int()`` reads far more than a decimal numeral: ``"1_0"``, ``"+1"``, ``" 1\\n"``, ``"-0"``, ``"007"``
and full-width ``"１"`` all become numbers, and ``str.isdigit()`` admits superscripts that ``int()`` then
refuses. Every number taken from a URL, a query string, a form or a credential's text field is read
here instead, so one spelling means one number: ``0`` or a non-zero ASCII digit followed by ASCII digits.
"""

from __future__ import annotations

import re

__all__ = ["MAX_INT64", "NotADecimal", "OutOfRange", "decimal_or", "parse_decimal"]

MAX_INT64 = 2**63 - 1
_DECIMAL = re.compile(r"0|[1-9][0-9]*")


class NotADecimal(ValueError):
    """The text is not a non-negative integer written in plain ASCII digits."""


class OutOfRange(NotADecimal):
    """The text is a proper numeral, of a number larger than allowed."""


def parse_decimal(text: str, *, maximum: int = MAX_INT64) -> int:
    """The number ``text`` spells, or :class:`NotADecimal`; at most ``maximum`` (a 64-bit column by default)."""
    if not isinstance(text, str) or _DECIMAL.fullmatch(text) is None:
        raise NotADecimal("must be a whole number written in ASCII digits 0-9, without sign or leading zeros")
    # Compared by length first, so a megabyte of digits never reaches int() (which refuses past 4,300 anyway).
    if len(text) > len(str(maximum)) or int(text) > maximum:
        raise OutOfRange(f"must be at most {maximum}")
    return int(text)


def decimal_or(text: str | None, default: int, *, maximum: int = MAX_INT64) -> int:
    """:func:`parse_decimal`, with ``default`` for a missing or malformed value (for forms that fall back)."""
    if text is None:
        return default
    try:
        return parse_decimal(text, maximum=maximum)
    except NotADecimal:
        return default
