"""Dates as registrars type them, and Excel serial numbers that lost their date format."""

from __future__ import annotations

import re
import unicodedata
from datetime import date, timedelta

# 2026-01-10, 2026/1/10, 2026.1.10 and 2026年1月10日: the year first, always four digits, so no form is ambiguous
# the way 1/10/2026 is (January or October?), which is refused.
_TEXT_DATE = re.compile(r"(\d{4})(?:([-/.])(\d{1,2})\2(\d{1,2})|年(\d{1,2})月(\d{1,2})日)")

# Excel's day 0 is 1899-12-30 once its fictitious 1900-02-29 (serial 60) is passed; workbooks saved in the 1904
# system (old Mac Excel) count from 1904-01-01.
_EPOCH_1900 = date(1899, 12, 30)
_EPOCH_1904 = date(1904, 1, 1)
# A bare number is taken for a date only between 1900-03-01 and 2099-12-31: below that the 1900 leap-year bug makes
# the day uncertain, and a larger number is far more likely a typing slip (or a score in the wrong column) than a
# date of birth or of completion.
SERIAL_FIRST = date(1900, 3, 1)
SERIAL_LAST = date(2099, 12, 31)


class NotADate(ValueError):
    pass


def parse_text(text: str) -> date:
    """A date written year first: ``2026-01-10``, ``2026/1/10``, ``2026.1.10`` or ``2026年1月10日``."""
    # NFKC folds full-width digits and punctuation (２０２６－０１－１０), as a Chinese input method types them.
    folded = unicodedata.normalize("NFKC", text).strip()
    match = _TEXT_DATE.fullmatch(folded)
    if match is None:
        raise NotADate(text)
    year, _, month, day, month_zh, day_zh = match.groups()
    try:
        return date(int(year), int(month or month_zh), int(day or day_zh))
    except ValueError:
        raise NotADate(text) from None


def from_serial(serial: int, *, epoch_1904: bool = False) -> date:
    """The day an Excel serial number stands for, within the range a bare number is believed to be a date."""
    try:
        day = (_EPOCH_1904 if epoch_1904 else _EPOCH_1900) + timedelta(days=serial)
    except OverflowError:
        raise NotADate(str(serial)) from None
    if not SERIAL_FIRST <= day <= SERIAL_LAST:
        raise NotADate(str(serial))
    return day
