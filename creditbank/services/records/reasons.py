"""Reasons for corrections and revocations: free text that the ledger keeps for ever, so never the person's data.

A reason lives in an entry's body, which erasure cannot reach. So before it is written it is held against what the
bank knows of the learner (every name form, the ID number, the e-mail, the birth date) and refused when it
contains any of them. Numbers, e-mails, dates and Chinese names match ignoring case, spaces and the separators people
type into numbers; a name in Latin letters matches as whole words, so "Li Na" refuses "Li Na's record" but not
"discipline navigation". A trace must have at least two characters to count.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from datetime import date
from typing import Any

from sqlalchemy.orm import Session

from creditbank.errors import InvalidInput
from creditbank.runtime import Bank
from creditbank.services.records.personal_records import personal_of

NAMES_THE_LEARNER = (
    "the reason names the learner (a name, the ID number, the e-mail or the birth date); the ledger keeps reasons "
    "for ever, beyond erasure: describe what was wrong with the record instead"
)


def _visible(text: str) -> str:
    # Zero-width and other format characters change nothing a reader sees, so they hide nothing either.
    return "".join(char for char in unicodedata.normalize("NFKC", text) if unicodedata.category(char) != "Cf")


def _folded(text: str) -> str:
    plain = _visible(text).casefold()
    return "".join(char for char in plain if not char.isspace() and char not in "-_.·・/")


def _words(text: str) -> str:
    return " ".join(_visible(text).casefold().split())


def _found(trace: str, is_name: bool, compact: str, words: str) -> bool:
    if is_name and any("a" <= char <= "z" for char in trace.casefold()):
        name = _words(trace)
        return len(name) >= 2 and re.search(rf"(?<!\w){re.escape(name)}(?!\w)", words) is not None
    folded = _folded(trace)
    return len(folded) >= 2 and folded in compact


def _names(value: Any) -> Iterator[tuple[str, bool]]:
    if isinstance(value, dict):
        for part in ("zh", "latin"):
            if isinstance(value.get(part), str):
                yield value[part], True


def _traces(personal: dict[str, Any]) -> Iterator[tuple[str, bool]]:
    """Each thing that identifies the person, and whether it is a name (matched as words when in Latin letters)."""
    identity = personal.get("identity", {})
    sources = [identity, *personal.get("submissions", {}).values()]
    for source in sources:
        yield from _names(source.get("name"))
        number = (source.get("national_id") or {}).get("number")
        if isinstance(number, str):
            yield number, False
        if isinstance(source.get("email"), str):
            yield source["email"], False
        born = source.get("birth_date")
        if isinstance(born, str):
            yield born, False
            try:
                day = date.fromisoformat(born)
            except ValueError:
                continue
            y, m, d = day.year, day.month, day.day
            for form in (
                f"{y}年{m}月{d}日",
                f"{y}年{m:02}月{d:02}日",
                f"{y}/{m}/{d}",
                # Day first and month first, as other countries write dates (separators fold away).
                f"{d:02}{m:02}{y}",
                f"{m:02}{d:02}{y}",
                f"{d}.{m}.{y}",
                f"{m}/{d}/{y}",
            ):
                yield form, False
    for names in personal.get("other_names", ()):
        yield from _names(names)


def check(bank: Bank, session: Session, learner_id: str, reason: str) -> None:
    """Refuse a reason that carries the learner's personal data (InvalidInput on ``reason``)."""
    personal = personal_of(bank, session, learner_id)
    if personal is None:
        return  # erased: nothing of the person is left to leak
    compact, words = _folded(reason), _words(reason)
    for trace, is_name in _traces(personal):
        if _found(trace, is_name, compact, words):
            raise InvalidInput(NAMES_THE_LEARNER, errors={"reason": "names the learner"})
