"""Public verification pages: `/verify` (upload or paste) and `/v/<id>` (where a certificate's QR code points).

They call the same services as the API and speak the visitor's language through the portal's catalogue.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template, request

from creditbank import verify_input
from creditbank.errors import NotFound, UnreadableInput, VerificationLimit
from creditbank.portal.i18n import translate
from creditbank.runtime import current_bank
from creditbank.services import credentials

bp = Blueprint("web", __name__, template_folder="templates")


@bp.route("/verify", methods=["GET", "POST"])
def verify() -> tuple[str, int] | str:
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
    return render_template("credential.html", summary=summary, credential_id=credential_id)
