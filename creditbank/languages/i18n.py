"""The public pages' language: which of the six UN languages a visitor reads, and the words, dates and numbers in it.

The words live in gettext catalogues (``creditbank/translations``, read by :mod:`creditbank.languages.catalogues`);
Flask-Babel picks the locale per request and formats dates and numbers by CLDR's rules for it. The choice is the
visitor's cookie, else the best match of their browser's ``Accept-Language``, else Chinese.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import flask_babel
from babel import Locale
from flask import Flask, g, has_request_context, request
from markupsafe import Markup, escape

from creditbank.languages import catalogues, words
from creditbank.languages.words import (
    DEFAULT,
    DEFAULT_TIMEZONE,
    HTML_TAGS,
    LANGUAGES,
    NAMES,
    RIGHT_TO_LEFT,
)

# The constants are the words module's; the pages and templates reach them here with the request-bound functions.
__all__ = [
    "DEFAULT",
    "DEFAULT_TIMEZONE",
    "HTML_TAGS",
    "LANGUAGES",
    "NAMES",
    "RIGHT_TO_LEFT",
    "direction",
    "format_date",
    "format_datetime",
    "format_number",
    "html_tag",
    "init_babel",
    "language",
    "pick",
    "plural",
    "text",
    "translate",
]

COOKIE = "lang"


def language() -> str:
    """The visitor's language, worked out once per request, since every translated word asks (a record of 500
    achievements asked 4,000 times). Outside a request (the CLI, the scheduler) it is Chinese."""
    if not has_request_context():
        return DEFAULT
    known = g.get("language")
    if known is not None:
        return str(known)
    chosen = request.cookies.get(COOKIE, "")
    found = chosen if chosen in LANGUAGES else request.accept_languages.best_match(LANGUAGES) or DEFAULT
    g.language = found
    return found


def direction(code: str | None = None) -> str:
    return "rtl" if (code or language()) in RIGHT_TO_LEFT else "ltr"


def html_tag(code: str | None = None) -> str:
    return HTML_TAGS[code or language()]


def _catalogue(code: str) -> Any:
    """The language's catalogue, checked for changed files once per request rather than once per word."""
    if not has_request_context():
        return catalogues.translations(code)
    held: dict[str, Any] = g.setdefault("catalogues", {})
    found = held.get(code)
    if found is None:
        found = held[code] = catalogues.translations(code)
    return found


def text(key: str, code: str, /, **values: object) -> str:
    return words.lookup(_catalogue, key, code, **values)


def translate(key: str, /, **values: object) -> str:
    if any(isinstance(value, Markup) for value in values.values()):
        return _marked(text(key, language()), values)
    return text(key, language(), **values)


def _marked(message: str, values: dict[str, object]) -> Markup:
    """A message filled with markup a template built (a name in <bdi>, a word in <strong>) kept as markup: the
    message and every plain value are escaped, as autoescaping would have escaped the whole text."""
    return escape(message).format(**values)


def plural(key: str, count: int, /, **values: object) -> str:
    """A message with a count, by the language's own plural rule; the text gets ``{n}`` as well as ``values``."""
    found = words.lookup_plural(_catalogue, key, count, language())
    if any(isinstance(value, Markup) for value in values.values()):
        return _marked(found, {"n": format_number(count), **values})
    return found.format(n=format_number(count), **values)


def pick(value: object, code: str | None = None) -> str:
    """A multilingual value in ``code``, by default the visitor's language (see :func:`words.pick`)."""
    return words.pick(value, code or language())


def locale(code: str | None = None) -> Locale:
    return Locale.parse(code or language())


def _moment(value: datetime | date | str) -> datetime | date:
    if isinstance(value, str):
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    return value


def format_date(value: datetime | date | str | None, form: str = "long") -> str:
    """A date as people write it in the page's language (2026年12月3日, 3 December 2026, 3 декабря 2026 г.), in the
    bank's time zone for a moment; an empty string for none."""
    if value is None or value == "":
        return ""
    moment = _moment(value)
    if has_request_context():
        return str(flask_babel.format_date(moment, form))
    from babel.dates import format_date as babel_date

    return str(babel_date(moment, form, locale=locale()))


def format_datetime(value: datetime | str | None, form: str = "medium") -> str:
    if value is None or value == "":
        return ""
    moment = _moment(value)
    if not isinstance(moment, datetime):
        return format_date(moment)
    return str(flask_babel.format_datetime(moment, form))


def format_number(value: float | int) -> str:
    if not has_request_context():
        return str(value)
    return str(flask_babel.format_decimal(value))


class _CatalogueDomain(flask_babel.Domain):
    """Flask-Babel's gettext (and ``_`` in templates) read the same merged catalogues as :func:`translate`."""

    def get_translations(self) -> Any:
        return _catalogue(language())


def init_babel(app: Flask) -> None:
    timezone_name = str(app.config.get("CREDITBANK_TIMEZONE") or DEFAULT_TIMEZONE)
    babel = flask_babel.Babel(
        app,
        locale_selector=language,
        default_locale=DEFAULT,
        default_timezone=timezone_name,
        default_domain="messages",
    )
    babel.domain_instance = _CatalogueDomain()  # type: ignore[misc]  # a cached_property: set once, here
