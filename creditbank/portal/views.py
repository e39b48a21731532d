"""The learner's pages. Thin: read the form, call one service, render; words come from the i18n catalogue."""

from __future__ import annotations

import json
import unicodedata
from typing import Any

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, session, url_for

from creditbank import web_headers
from creditbank.errors import AccountError, Conflict, DocumentOutdated, InvalidInput, NotFound, RenderLimit
from creditbank.languages import i18n
from creditbank.portal import security
from creditbank.portal.security import login_required
from creditbank.runtime import current_bank
from creditbank.services import credentials
from creditbank.services.learner_access import accounts, portal, sharing
from creditbank.services.records import learners
from ledger.numbers import decimal_or

bp = Blueprint("portal", __name__, template_folder="../templates")


def _learner() -> str:
    learner = security.current_learner()
    assert learner is not None  # login_required ran first
    return learner


@bp.route("/")
def home() -> str:
    return render_template("portal/home.html")


def _client() -> str:
    return request.remote_addr or "unknown"


@bp.route("/login", methods=["GET", "POST"])
def login() -> Any:
    # Judged before anything else, so a poisoned link is refused (or defused) whether or not the login succeeds.
    target = security.safe_next(request.args.get("next"), url_for("portal.record"))
    web_headers.own_script()
    if request.method == "GET":
        # Just activated: the login name they chose is shown once and filled in (kept in the cookie, not the URL,
        # so it stays out of the address bar, the history and the server's request log).
        chosen = session.pop(_CHOSEN_LOGIN, None)
        chosen = chosen if isinstance(chosen, str) else ""
        return render_template("portal/login.html", error=None, login_id=chosen, chosen=chosen, tries_left=0)
    security.check_csrf()
    login_id = request.form.get("login", "").strip()
    password = request.form.get("password", "")
    page = {"login_id": login_id[:320], "chosen": "", "tries_left": 0}
    if not login_id or not password:
        return render_template("portal/login.html", error="required", **page), 400
    bank = current_bank()
    try:
        signed = accounts.authenticate(bank, login_id, password, _client())
    except AccountError as refused:
        left = accounts.tries_left(bank, login_id, _client()) if refused.reason == "wrong" else 0
        # The try that used the last chance (judged, so still a 401) is told at once that signing in is paused.
        reason = "throttled" if refused.reason == "throttled" or left == 0 else refused.reason
        page["tries_left"] = left if left <= _WARN_FROM else 0
        status = 429 if refused.reason == "throttled" else 401
        return render_template("portal/login.html", error=reason, **page), status
    security.sign_in(signed.learner_id)
    return redirect(target)


_CHOSEN_LOGIN = "chosen_login"
# The warning before the pause shows from this many remaining tries (of accounts.MAX_FAILURES).
_WARN_FROM = 3


@bp.route("/logout", methods=["POST"])
def logout() -> Any:
    security.check_csrf()
    security.sign_out()
    flash("logged_out")
    return redirect(url_for("portal.login"))


_ACTIVATION_FIELDS = {
    "code_unknown": "code", "code_used": "code", "code_expired": "code", "throttled": "code",
    "birth_date_invalid": "birth_date", "email_invalid": "email", "email_taken": "email",
    "login_name_invalid": "login_name", "login_name_taken": "login_name", "login_needed": "login_name",
}  # fmt: skip


@bp.route("/activate", methods=["GET", "POST"])
def activate() -> Any:
    web_headers.own_script()
    if request.method == "GET":
        return render_template("portal/activate.html", errors={}, form={})
    security.check_csrf()
    form = {key: request.form.get(key, "").strip() for key in ("code", "birth_date", "login_name", "email")}
    password, again = request.form.get("password", ""), request.form.get("password_again", "")
    errors: dict[str, str] = {}
    for required in ("code", "birth_date"):
        if not form[required]:
            errors[required] = "required"
    try:
        accounts.check_new_password(password, again)
    except AccountError as refused:
        errors["password"] = refused.reason
    if form["login_name"]:
        try:
            accounts.normal_login_name(form["login_name"])
        except AccountError as refused:
            errors["login_name"] = refused.reason
    status = 400
    if not errors:
        try:
            accounts.activate(
                current_bank(), form["code"], form["birth_date"], password, form["email"] or None,
                login_name=form["login_name"] or None, client=_client(),
            )  # fmt: skip
        except AccountError as refused:
            errors[_ACTIVATION_FIELDS.get(refused.reason, "code")] = refused.reason
            status = 429 if refused.reason == "throttled" else 400
    if errors:
        return render_template("portal/activate.html", errors=errors, form=form), status
    # The login page shows what to log in with (a learner with no e-mail has only the name they just chose).
    shown = accounts.normal_login_name(form["login_name"]) if form["login_name"] else form["email"]
    if shown:
        session[_CHOSEN_LOGIN] = shown
    else:
        flash("activated")
    return redirect(url_for("portal.login"))


@bp.route("/me")
@login_required
def record() -> str:
    asked = request.args.get("page", "1")
    page = decimal_or(asked, 1, maximum=999_999_999)
    bank, learner = current_bank(), _learner()
    items, pages = portal.record_page(bank, learner, max(page, 1))
    if page > pages:
        abort(404)
    summary = portal.record_summary(bank, learner)
    return render_template("portal/record.html", items=items, page=page, pages=pages, summary=summary)


@bp.route("/me/credits")
@login_required
def credits_page() -> str:
    return render_template("portal/credits.html", accounts=portal.credit_overview(current_bank(), _learner()))


@bp.route("/me/documents", methods=["GET", "POST"])
@login_required
def documents() -> Any:
    bank, learner = current_bank(), _learner()
    if request.method == "POST":
        security.check_csrf()
        kind = request.form.get("kind")
        achievement = request.form.get("achievement") or None
        order = _document_languages(request.form.get("language") or _second_language())
        if kind not in ("transcript", "achievement") or (kind == "achievement" and achievement is None) or not order:
            abort(400)
        if kind == "achievement" and not portal.owns_achievement(bank, learner, achievement or ""):
            abort(404)
        refused = _over_render_budget(bank, learner)
        if refused is not None:
            return refused
        try:
            credentials.issue(bank, None, credentials.Request(learner, kind, achievement, order))
        except (Conflict, NotFound):
            abort(409)
        flash("issued_ok")
        return redirect(url_for("portal.documents"))
    items = portal.documents(bank, learner)
    record = [item for item in portal.record(bank, learner) if item["status"] != "revoked"]
    listed = [item for item in items if item["kind"] != "transcript" and not item["revoked"] and not item["suspended"]]
    return render_template(
        "portal/documents.html",
        items=items,
        profile_links={item["id"]: credentials.linkedin_url(bank, item["id"]) for item in listed},
        record=record,
        names=credentials.holder_names(bank, learner),
        second_languages=SECOND_LANGUAGES,
        chosen=_second_language(),
    )


# A document is Chinese and one of these; the learner picks which on the documents page.
SECOND_LANGUAGES = ("en", "fr", "ru", "es", "ar")


def _second_language() -> str:
    """The documents page's default: the page's own language, or English when the page is Chinese."""
    current = i18n.language()
    return current if current in SECOND_LANGUAGES else "en"


def _document_languages(second: str) -> str | None:
    """The order a new document is written in: the second language first when it is the page's language."""
    if second not in SECOND_LANGUAGES:
        return None
    return f"{second}-zh" if i18n.language() == second else f"zh-{second}"


def _bank_of_owner(credential_id: str) -> Any:
    """The bank, once the signed-in learner is known to hold ``credential_id``; 404 for anyone else's."""
    bank = current_bank()
    try:
        portal.owned(bank, _learner(), credential_id)
    except NotFound:
        abort(404)
    return bank


@bp.route("/me/documents/<string(maxlength=64):credential_id>.pdf")
@login_required
def document_pdf(credential_id: str) -> Any:
    bank = _bank_of_owner(credential_id)
    refused = _over_render_budget(bank, _learner())
    if refused is not None:
        return refused
    try:
        data = credentials.pdf(bank, None, credential_id)
    except DocumentOutdated:
        flash("document_outdated")
        return redirect(url_for("portal.documents"))
    named = credentials.content_disposition(bank, None, credential_id, "pdf", i18n.language())
    return Response(data, mimetype="application/pdf", headers={"Content-Disposition": named})


@bp.route("/me/documents/<string(maxlength=64):credential_id>.json")
@login_required
def document_json(credential_id: str) -> Response:
    """The bare signed credential, the file a wallet or another verifier opens; ``?receipt=true`` gives the credential
    and its receipt in one file, as the bank's own verifier also reads it."""
    bank = _bank_of_owner(credential_id)
    if request.args.get("receipt") == "true":
        found, mimetype = credentials.bundle(bank, None, credential_id), "application/json"
    else:
        found, mimetype = credentials.document(bank, None, credential_id), credentials.CREDENTIAL_MEDIA_TYPE
    return _json_file(
        found, mimetype, credentials.content_disposition(bank, None, credential_id, "json", i18n.language())
    )


@bp.route("/me/documents/<string(maxlength=64):credential_id>/receipt.json")
@login_required
def document_receipt(credential_id: str) -> Response:
    """The credential's receipt on its own: its ledger entry, the inclusion proof and the signed checkpoint."""
    bank = _bank_of_owner(credential_id)
    receipt = credentials.receipt(bank, credential_id)
    named = credentials.content_disposition(bank, None, credential_id, "receipt.json", i18n.language())
    return _json_file(receipt, "application/json", named)


def _over_render_budget(bank: Any, learner: str) -> tuple[str, int] | None:
    """The page for a learner who had many documents rendered just now (each render costs the bank seconds of
    work); None while the budget lasts."""
    try:
        credentials.spend_render(bank, "learner", learner)
    except RenderLimit:
        return render_template("portal/error.html", status=429, message="wallet_render_limit"), 429
    return None


def _json_file(found: Any, mimetype: str, named: str) -> Response:
    body = json.dumps(found, ensure_ascii=False, indent=2)
    return Response(body, mimetype=mimetype, headers={"Content-Disposition": named})


@bp.route("/me/password", methods=["GET", "POST"])
@login_required
def password() -> Any:
    web_headers.own_script()
    if request.method == "GET":
        return render_template("portal/password.html", errors={}, tries_left=0)
    security.check_csrf()
    learner = _learner()
    try:
        token = accounts.change_password(
            current_bank(), learner, request.form.get("current", ""),
            request.form.get("password", ""), request.form.get("password_again", ""), _client(),
        )  # fmt: skip
    except AccountError as refused:
        field = "current" if refused.reason in ("current_wrong", "throttled") else "password"
        left = accounts.tries_left(current_bank(), None, _client(), learner) if refused.reason == "current_wrong" else 0
        reason = "throttled" if refused.reason == "current_wrong" and left == 0 else refused.reason
        status = 429 if refused.reason == "throttled" else 400
        shown = left if 0 < left <= _WARN_FROM else 0
        return render_template("portal/password.html", errors={field: reason}, tries_left=shown), status
    # Every session of this learner has ended, this browser's too; it carries on in the new one.
    security.resume(token, learner)
    flash("password_changed")
    return redirect(url_for("portal.record"))


@bp.route("/me/share", methods=["GET", "POST"])
@login_required
def share() -> Any:
    web_headers.own_script()
    bank, learner = current_bank(), _learner()
    created = None
    if request.method == "POST":
        security.check_csrf()
        if request.form.get("revoke"):
            try:
                sharing.revoke(bank, learner, request.form["revoke"])
            except NotFound:
                abort(404)
            flash("share_revoked")
            return redirect(url_for("portal.share"))
        days_text = request.form.get("days", "")
        chosen = request.form.getlist("achievement") if request.form.get("scope") == "chosen" else None
        try:
            days = decimal_or(days_text, 0, maximum=999_999)
            token = sharing.create(bank, learner, days, chosen)
        except InvalidInput:
            return render_template(
                "portal/share.html", links=sharing.links(bank, learner), record=portal.record(bank, learner),
                created=None, error="share_invalid", periods=sharing.PERIODS,
            ), 400  # fmt: skip
        # From the configured public address: the Host header is whatever the client chose to send.
        created = current_bank().settings["CREDITBANK_PUBLIC_URL"] + url_for("portal.shared", token=token)
    return render_template(
        "portal/share.html", links=sharing.links(bank, learner), record=portal.record(bank, learner),
        created=created, error=None, periods=sharing.PERIODS,
    )  # fmt: skip


@bp.route("/s/<string(maxlength=64):token>")
def shared(token: str) -> Any:
    try:
        view = sharing.open_link(current_bank(), token)
    except AccountError:
        return render_template("portal/error.html", status=410, message="link_closed"), 410
    return render_template("portal/shared.html", **view)


# What a copy from the page can bring along with the word: quotation marks, and (from a right-to-left page) bidi marks.
_AROUND_WORD = "\"'“”‘’«»„「」『』"


def _as_typed(word: str) -> str:
    """A word as compared: compatibility forms folded (ＥＲＡＳＥ from a Chinese keyboard), case folded for any
    script (УДАЛИТЬ, удалить), invisible format characters and combining marks (Arabic vowel signs a learner may
    add to حذف) dropped, spaces and quotation marks around it trimmed."""
    folded = unicodedata.normalize("NFKC", word).casefold()
    letters = "".join(sign for sign in folded if unicodedata.category(sign) not in ("Mn", "Cf"))
    return letters.strip().strip(_AROUND_WORD).strip()


def _erase_word_typed(typed: str) -> bool:
    """The page asks for its own language's word; any of the six is taken, so that a learner whose language changed
    between seeing the form and sending it (another tab, a shared computer) is not refused for a word they read."""
    said = _as_typed(typed)
    return bool(said) and said in {_as_typed(i18n.text("data_erase_word", code)) for code in i18n.LANGUAGES}


@bp.route("/me/data", methods=["GET", "POST"])
@login_required
def my_data() -> Any:
    bank, learner = current_bank(), _learner()
    if request.method == "GET":
        return render_template("portal/data.html", error=None, failed=None)
    security.check_csrf()
    action = "export" if request.form.get("action") == "export" else "erase"
    if action == "erase" and not _erase_word_typed(request.form.get("confirm", "")):
        return render_template("portal/data.html", error="erase_confirm", failed="erase"), 400
    # A copied cookie alone must not erase the person or carry off everything held, the full ID number included.
    try:
        accounts.reauthenticate(bank, learner, request.form.get("password", ""), _client())
    except AccountError as refused:
        status = 429 if refused.reason == "throttled" else 401
        error = "throttled" if refused.reason == "throttled" else "current_wrong"
        return render_template("portal/data.html", error=error, failed=action), status
    if action == "export":
        body = json.dumps(portal.export(bank, learner), ensure_ascii=False, indent=2, default=str)
        return Response(
            body, mimetype="application/json", headers={"Content-Disposition": "attachment; filename=my-data.json"}
        )
    learners.erase(bank, learner, actor="learner")
    security.sign_out()
    return render_template("portal/erased.html")
