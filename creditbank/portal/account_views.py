"""Getting back in: the page that says what to do about a forgotten password, and the page where a reset code from
the institution or the bank's desk, with the birth date, sets a new one. Thin, like every portal view: the rules
(one use, expiry, throttling, the same answer for a wrong code and a wrong birth date) are the service's."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, url_for

from creditbank import web_headers
from creditbank.errors import AccountError
from creditbank.portal import security
from creditbank.portal.views import bp
from creditbank.runtime import current_bank
from creditbank.services.learner_access import accounts

__all__ = ["bp"]

# The service's reasons as the reset page words them: a reset letter is not an activation letter.
_RESET_ERRORS = {
    "code_unknown": ("code", "account_reset_code_unknown"),
    "code_used": ("code", "account_reset_code_used"),
    "code_expired": ("code", "account_reset_code_expired"),
    "no_account_yet": ("code", "account_reset_no_account"),
    "throttled": ("code", "throttled"),
    "birth_date_invalid": ("birth_date", "birth_date_invalid"),
    "password_short": ("password", "password_short"),
    "password_mismatch": ("password", "password_mismatch"),
}


@bp.route("/forgot")
def forgot() -> str:
    return render_template("portal/forgot.html")


@bp.route("/reset", methods=["GET", "POST"])
def reset() -> Any:
    web_headers.own_script()
    if request.method == "GET":
        return render_template("portal/reset.html", errors={}, form={})
    security.check_csrf()
    form = {key: request.form.get(key, "").strip()[:100] for key in ("code", "birth_date")}
    errors = {field: "required" for field in ("code", "birth_date") if not form[field]}
    if not errors:
        try:
            accounts.reset_password(
                current_bank(), form["code"], form["birth_date"], request.form.get("password", ""),
                request.form.get("password_again", ""), client=request.remote_addr or "unknown",
            )  # fmt: skip
        except AccountError as refused:
            field, key = _RESET_ERRORS.get(refused.reason, ("code", "account_reset_code_unknown"))
            errors[field] = key
            status = 429 if refused.reason == "throttled" else 400
            return render_template("portal/reset.html", errors=errors, form=form), status
    if errors:
        return render_template("portal/reset.html", errors=errors, form=form), 400
    # Whoever was signed in in this browser was signed out with every other session of the account.
    security.sign_out()
    flash("account_reset_done")
    return redirect(url_for("portal.login"))
