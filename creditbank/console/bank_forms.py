"""What the bank's console forms share: uploads bounded before they are read, and service refusals as field messages.

A refusal's field paths come from the services (``InvalidInput.errors``); a page shows each next to its field, in
the page's words where the console has them and in the service's own words otherwise.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from functools import wraps
from typing import Any, TypeVar

from flask import request
from werkzeug.exceptions import RequestEntityTooLarge

from creditbank.errors import DomainError
from creditbank.services.credits.credit_rules import UPLOAD_LIMIT

F = TypeVar("F", bound=Callable[..., Any])
# What a one-line field may not hold, as the API's text fields refuse it: control characters (NUL among them, which
# PostgreSQL cannot store) and lone surrogates.
NOT_TEXT = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff]")
# Room for the form's other fields and the multipart framing around the file.
FORM_ROOM = 16 * 1024
BODY_LIMIT = UPLOAD_LIMIT + FORM_ROOM


def bounded_upload(view: F) -> F:
    """Refuse a body past the limit before anything (the CSRF check included) parses it.

    A declared length is judged at once; a body without one is cut off by werkzeug at the same limit."""

    @wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        if request.method == "POST":
            if (request.content_length or 0) > BODY_LIMIT:
                raise RequestEntityTooLarge()
            request.max_content_length = BODY_LIMIT
        return view(*args, **kwargs)

    return wrapped  # type: ignore[return-value]


def not_text(form: Mapping[str, str], word: str) -> dict[str, str]:
    """The fields holding characters no text field takes, each with the console's word for it."""
    return {name: word for name, value in form.items() if NOT_TEXT.search(value)}


def uploaded(field: str = "file") -> tuple[bytes, str]:
    """The file's bytes (at most one past the limit, so the service can tell a file too large) and its name."""
    upload = request.files.get(field)
    if upload is None:
        return b"", ""
    return upload.stream.read(UPLOAD_LIMIT + 1), upload.filename or ""


def field_messages(error: DomainError, known: Mapping[tuple[str, str], str]) -> dict[str, str]:
    """Each field the service named, with the console's word key for (field, reason) where there is one, the
    service's own message otherwise."""
    found: dict[str, str] = {}
    for place, said in (error.errors or {}).items():
        message = said[0] if isinstance(said, list) and said else str(said)
        found[str(place)] = known.get((str(place), message)) or known.get((str(place), "*")) or message
    return found


def faults(error: DomainError) -> list[tuple[str, str]]:
    """Every fault of a document, by place, in the order the reader found them."""
    return [
        (str(place), str(message))
        for place, said in (error.errors or {}).items()
        for message in (said if isinstance(said, list) else [said])
    ]
