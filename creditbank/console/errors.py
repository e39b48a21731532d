"""Error pages for the console's paths, in the console's frame and words; the site's renderer answers elsewhere."""

from __future__ import annotations

from collections.abc import Callable

from flask import Flask, g, make_response, render_template, request
from werkzeug.wrappers import Response

from creditbank.console import i18n, security
from creditbank.errors import PAGE_ERRORS

_MESSAGES = {
    403: "forbidden",
    404: "error_not_found",
    413: "error_too_large",
    429: "throttled",
    503: "error_unavailable",
}


def _console_page(status: int, description: str | None) -> Response:
    if status == 400:
        key = "error_csrf" if description == "csrf" else "error_bad_request"
    else:
        key = _MESSAGES.get(status, "error_other")
    # The database may be what failed: then the page must not ask it who is signed in.
    staff = None if status == 503 or g.get("database_down") else security.current_staff()
    page = render_template(
        "console/error.html",
        status=status,
        message=key,
        t=i18n.translate,
        pick=i18n.pick,
        lang=i18n.console_language(),
        csrf_token=security.csrf_token,
        staff=staff,
    )
    return make_response(page, status)


def install(app: Flask) -> None:
    """Answer errors under /staff/ with the console's page; leave every other path to the renderer before."""
    previous: Callable[[int, str | None], Response] | None = app.extensions.get(PAGE_ERRORS)

    def render(status: int, description: str | None) -> Response:
        if request.path == "/staff" or request.path.startswith("/staff/") or previous is None:
            return _console_page(status, description)
        return previous(status, description)

    app.extensions[PAGE_ERRORS] = render
