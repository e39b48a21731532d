"""The learner portal and the public pages around it: server-rendered, in the six UN languages, no build step, no
CDN."""

from __future__ import annotations

from flask import Flask, g, make_response, redirect, render_template, request
from werkzeug.wrappers import Response

from creditbank.errors import PAGE_ERRORS
from creditbank.languages import i18n
from creditbank.portal import security

_MESSAGES = {404: "not_found", 413: "too_large", 429: "throttled", 503: "unavailable"}


def _error_page(status: int, description: str | None) -> Response:
    """People get a page in their language, never a stack trace or a JSON problem document."""
    key = "csrf_failed" if description == "csrf" else _MESSAGES.get(status, "error_title")
    if status == 503:
        # The database is what failed: the page must not ask it whether someone is signed in.
        g.database_down = True
    return make_response(render_template("portal/error.html", status=status, message=key), status)


def init_portal(app: Flask) -> None:
    from creditbank.portal import account_views, badge_views, consent_views, exchange_views, recognition_views, views

    assert account_views.bp is views.bp

    assert consent_views.bp is views.bp  # its routes ride on the portal's blueprint
    assert recognition_views.bp is views.bp
    assert badge_views.bp is views.bp
    assert exchange_views.bp is views.bp

    security.configure(app)
    i18n.init_babel(app)
    app.register_blueprint(views.bp)
    app.extensions[PAGE_ERRORS] = _error_page

    @app.context_processor
    def _helpers() -> dict[str, object]:
        return {
            "t": i18n.translate,
            "plural": i18n.plural,
            "pick": i18n.pick,
            "lang": i18n.language(),
            "html_lang": i18n.html_tag(),
            "direction": i18n.direction(),
            "languages": i18n.NAMES,
            "format_date": i18n.format_date,
            "format_datetime": i18n.format_datetime,
            "format_number": i18n.format_number,
            "csrf_token": security.csrf_token,
            "signed_in": (
                security.current_learner() is not None if request.endpoint and not g.get("database_down") else False
            ),
        }

    @app.route("/lang/<string(length=2):code>")
    def switch_language(code: str) -> Response:
        # Only a path on this site, so the switch cannot be used to bounce visitors elsewhere.
        response = redirect(security.safe_next(request.args.get("next")))
        if code in i18n.LANGUAGES:
            response.set_cookie(i18n.COOKIE, code, max_age=365 * 24 * 3600, samesite="Lax", httponly=True)
        return response
