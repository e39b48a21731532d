"""Words, names and titles in a named language, with no web request around them.

Services that write documents and file names call these with the language they were given; the web pages call them
through :mod:`creditbank.languages.i18n`, which adds the visitor's language and a per-request catalogue cache.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from creditbank.languages import catalogues

LANGUAGES = ("zh", "en", "fr", "ru", "es", "ar")
DEFAULT = "zh"
# Each language named in itself, for the switcher: a visitor must recognise their own language in a list they
# cannot read the rest of.
NAMES = {"zh": "中文", "en": "English", "fr": "Français", "ru": "Русский", "es": "Español", "ar": "العربية"}
RIGHT_TO_LEFT = frozenset({"ar"})
# The BCP 47 tag written in <html lang>: Simplified Chinese as used on the mainland, so screen readers and fonts
# pick the right voice and glyph forms.
HTML_TAGS = {"zh": "zh-CN", "en": "en", "fr": "fr", "ru": "ru", "es": "es", "ar": "ar"}
DEFAULT_TIMEZONE = "Asia/Shanghai"

Source = Callable[[str], Any]


def lookup(source: Source, key: str, code: str, /, **values: object) -> str:
    """``key`` in language ``code`` from ``source``; English where that catalogue lacks it, and the key itself where
    every one does, so a missing word is visible (and a test looks for keys on the pages) rather than an empty gap."""
    found = source(code).gettext(key)
    if found == key and code != "en":
        found = source("en").gettext(key)
    return str(found.format(**values) if values else found)


def lookup_plural(source: Source, key: str, count: int, code: str) -> str:
    """The form of ``key`` for ``count`` by the language's own plural rule (Russian has three forms, Arabic six),
    still unformatted."""
    found = source(code).ngettext(key, key, count)
    if found == key and code != "en":
        found = source("en").ngettext(key, key, count)
    return str(found)


def text(key: str, code: str, /, **values: object) -> str:
    return lookup(catalogues.translations, key, code, **values)


def pick(value: object, code: str) -> str:
    """A multilingual value (``{"zh": …, "en": …}``, as the ledger stores titles and names) in language ``code``,
    else English, else Chinese: a title recorded in two languages is shown in the one a French reader is likelier to
    read."""
    if isinstance(value, dict):
        for candidate in (code, "en", "zh"):
            if value.get(candidate):
                return str(value[candidate])
        return next((str(item) for item in value.values() if item), "")
    return "" if value is None else str(value)
