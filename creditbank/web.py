"""Public verification pages: `/verify` (upload or paste) and `/v/<id>` (where a certificate's QR code points).

They call the same services as the API and speak the visitor's language through the portal's catalogue.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import flask_babel
from babel import dates as babel_dates
from flask import Blueprint, render_template, request

from creditbank import verify_input, web_headers
from creditbank.errors import NotFound, UnreadableInput, VerificationLimit
from creditbank.languages import i18n
from creditbank.languages.i18n import translate
from creditbank.runtime import current_bank
from creditbank.services import credentials
from creditbank.services.transparency import checkpoints, entry_explained

bp = Blueprint("web", __name__, template_folder="templates")


@bp.app_template_filter("local_time")
def local_time(value: datetime | date | str | None) -> str:
    """A moment as people say it in the page's language, to the minute, in the bank's time zone (11 December 2026,
    23:26; 2026年12月11日 23:26). A credential someone uploads may carry any text in its date fields: what does not
    read as a date is shown as written, never a failed page."""
    if value is None or value == "":
        return ""
    if (isinstance(value, str) and len(value) == 10) or (isinstance(value, date) and not isinstance(value, datetime)):
        return local_date(value)
    try:
        moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value).replace("Z", "+00:00"))
        moment = flask_babel.to_user_timezone(moment if moment.tzinfo else moment.replace(tzinfo=UTC))
        where = i18n.locale()
        pattern = str(where.datetime_formats["medium"])
        day = babel_dates.format_date(moment, "long", locale=where)
        return pattern.replace("{1}", day).replace("{0}", babel_dates.format_time(moment, "short", locale=where))
    except (ValueError, TypeError, OverflowError):
        return str(value)


@bp.app_template_filter("local_date")
def local_date(value: datetime | date | str | None) -> str:
    """A day as written in the page's language; a bare day (``2025-06-30``) is that day wherever the bank is."""
    try:
        if isinstance(value, str) and len(value) == 10:
            return i18n.format_date(date.fromisoformat(value))
        return i18n.format_date(value)
    except (ValueError, TypeError, OverflowError):
        return str(value)


@bp.route("/verify", methods=["GET", "POST"])
def verify() -> tuple[str, int] | str:
    web_headers.own_script()
    if request.method == "GET":
        return render_template("verify.html", report=None, error=None)
    try:
        upload = verify_input.read(request)
    except UnreadableInput as exc:
        return render_template("verify.html", report=None, error=exc.message), 400
    try:
        report = credentials.verify(current_bank(), upload.data, upload.identity)
    except VerificationLimit as exc:
        # Translated here: the template's t() hands back text that is no message key unchanged.
        key = "verify_budget" if exc.limit == "cpu_seconds" else "verify_limit"
        message = translate(key, limit=exc.limit, maximum=exc.maximum)
        return render_template("verify.html", report=None, error=message), 422
    return render_template("verify.html", report=report, error=None)


@bp.route("/v/<string(maxlength=64):credential_id>")
def credential_page(credential_id: str) -> tuple[str, int] | str:
    try:
        summary: dict[str, Any] = credentials.public_summary(current_bank(), credential_id)
    except NotFound:
        return render_template("credential.html", summary=None, credential_id=credential_id), 404
    page_url = f"{current_bank().public_url}/v/{credential_id}"
    return render_template("credential.html", summary=summary, credential_id=credential_id, page_url=page_url)


@bp.route("/about")
def about() -> str:
    bank = current_bank()
    with bank.db.reading() as session:
        latest = checkpoints.latest_in(session)
    return render_template(
        "about.html",
        latest=latest,
        origin=bank.origin,
        vkey=bank.log_verifier().vkey,
        checkpoint_url="/ledger/checkpoint",
    )


@bp.route('/about/entries/<decimal(name="seq"):seq>')
def entry_page(seq: int) -> tuple[str, int] | str:
    try:
        entry = entry_explained.explain(current_bank(), seq)
    except NotFound:
        return render_template("ledger_entry.html", entry=None, seq=seq), 404
    return render_template("ledger_entry.html", entry=entry, seq=seq)
