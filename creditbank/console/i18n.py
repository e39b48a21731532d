"""The console's words in Chinese and English; the language choice is the portal's (one cookie for the site).

Each area of the console keeps its words in a module of its own (``words_*.py``); they are merged here, and a key
defined twice is an error at import, so one area cannot silently change another's text.
"""

from __future__ import annotations

from collections.abc import Mapping

from creditbank.console import (
    words_auth,
    words_erasure,
    words_recognition,
    words_records,
    words_reset,
    words_review,
)
from creditbank.languages.i18n import language, pick

LANGUAGES = ("zh", "en")

__all__ = ["LANGUAGES", "MESSAGES", "console_language", "language", "pick", "translate"]


def _merge(*parts: Mapping[str, dict[str, str]]) -> dict[str, dict[str, str]]:
    merged: dict[str, dict[str, str]] = {}
    for part in parts:
        twice = merged.keys() & part.keys()
        if twice:
            raise RuntimeError(f"console words defined twice: {sorted(twice)}")
        merged.update(part)
    return merged


MESSAGES = _merge(
    words_auth.WORDS,
    words_records.WORDS,
    words_review.WORDS,
    words_erasure.WORDS,
    words_recognition.WORDS,
    words_reset.WORDS,
)


def console_language() -> str:
    """The visitor's language if the console speaks it, else English."""
    chosen = language()
    return chosen if chosen in LANGUAGES else "en"


def translate(key: str, **values: object) -> str:
    entry = MESSAGES.get(key)
    if entry is None:
        return key
    # The console is for the bank's and institutions' staff and speaks Chinese and English; a visitor who chose
    # another language on the public pages reads it in English.
    text = entry[console_language()]
    return text.format(**values) if values else text
