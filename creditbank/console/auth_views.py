"""Signing in and out, first set-up with the second factor, confirming before destructive acts, home, activity."""

from __future__ import annotations

from typing import Any

import segno
from flask import abort, flash, redirect, render_template, request, url_for
from markupsafe import Markup

from creditbank.console import i18n, security
from creditbank.console.blueprint import bp
from creditbank.console.security import staff_required
from creditbank.errors import AccountError
from creditbank.runtime import current_bank
from creditbank.services.records import institutions
from creditbank.services.staff import accounts, activity


@bp.context_processor
def _helpers() -> dict[str, object]:
    return {
        "t": i18n.translate,
        "pick": i18n.pick,
        "lang": i18n.console_language(),
        "csrf_token": security.csrf_token,
        "staff": security.current_staff(),
    }


def _client() -> str:
    return request.remote_addr or "unknown"


def _member() -> Any:
    member = security.current_staff()
    assert member is not None  # staff_required ran first
    return member


@bp.route("/login", methods=["GET", "POST"])
def login() -> Any:
    target = security.safe_next(request.args.get("next"), url_for("console.home"))
    if request.method == "GET":
        return render_template("console/login.html", error=None, login_id="")
    security.check_csrf()
    login_id = request.form.get("login", "").strip()
    password = request.form.get("password", "")
    code = request.form.get("code", "")
    if not login_id or not password or not code:
        return render_template("console/login.html", error="required", login_id=login_id), 400
    try:
        _member_signed, token = accounts.authenticate(current_bank(), login_id, password, code, _client())
    except AccountError as refused:
        status = 429 if refused.reason == "throttled" else 401
        return render_template("console/login.html", error=refused.reason, login_id=login_id), status
    security.sign_in(token)
    return redirect(target)


@bp.route("/logout", methods=["POST"])
def logout() -> Any:
    security.check_csrf()
    security.sign_out()
    flash("logged_out")
    return redirect(url_for("console.login"))


def _qr(uri: str) -> Markup:
    # An inline SVG: no script, no image request, nothing for the page policy to allow.
    svg = segno.make(uri, error="m").svg_inline(scale=5, dark="#000", light="#fff", title="QR")
    return Markup(svg)  # noqa: S704 - segno writes the markup from the URI's bits; nothing of it is user text


def _where(institution_id: str | None) -> str:
    if institution_id is None:
        return i18n.translate("the_bank")
    return i18n.pick(_institution_names(institution_id))


def _institution_names(institution_id: str) -> dict[str, str]:
    found = institutions.get(current_bank(), institution_id)
    return {"zh": found.name_zh or found.name_en, "en": found.name_en}


@bp.route("/setup/<string(maxlength=64):token>", methods=["GET", "POST"])
def setup(token: str) -> Any:
    bank = current_bank()
    error = None
    status = 200
    if request.method == "POST":
        security.check_csrf()
        try:
            _signed, session_token = accounts.finish_setup(
                bank,
                token,
                request.form.get("password", ""),
                request.form.get("password_again", ""),
                request.form.get("code", ""),
                _client(),
            )
        except AccountError as refused:
            error, status = refused.reason, (429 if refused.reason == "throttled" else 400)
        else:
            security.sign_in(session_token)
            flash("setup_done")
            return redirect(url_for("console.home"))
    try:
        state = accounts.begin_setup(bank, token, i18n.MESSAGES["console"]["en"])
    except AccountError as refused:
        return render_template("console/setup_refused.html", error=refused.reason), 404
    return (
        render_template(
            "console/setup.html",
            setup=state,
            where=_where(state.institution_id),
            qr=_qr(state.totp_uri),
            error=error,
        ),
        status,
    )


@bp.route("/reauth", methods=["GET", "POST"])
@staff_required()
def reauth() -> Any:
    target = security.safe_next(request.args.get("next"), url_for("console.home"))
    if request.method == "GET":
        return render_template("console/reauth.html", error=None)
    member = _member()
    try:
        accounts.reauthenticate(
            current_bank(),
            member.id,
            security.session_token(),
            request.form.get("password", ""),
            request.form.get("code", ""),
            _client(),
        )
    except AccountError as refused:
        status = 429 if refused.reason == "throttled" else 401
        return render_template("console/reauth.html", error=refused.reason), status
    flash("reauth_done")
    return redirect(target)


@bp.route("/")
@staff_required()
def home() -> Any:
    member = _member()
    names = _institution_names(member.institution_id) if member.institution_id else None
    return render_template("console/home.html", institution=names)


@bp.route("/activity")
@staff_required()
def activity_page() -> Any:
    below = request.args.get("below", "")
    if below and not (below.isascii() and below.isdigit() and len(below) <= 16):
        abort(400)
    member = _member()
    page = activity.acts(current_bank(), member, int(below) if below else None)
    who = _where(member.institution_id)
    return render_template("console/activity.html", page=page, who=who)
