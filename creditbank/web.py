"""Public verification pages: `/verify` (upload or paste) and `/v/<id>` (where a certificate's QR code points).

They call the same services as the API and speak the visitor's language through the portal's catalogue.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, render_template, request

from certificates.names import BirthDateError, parse_birth_date
from certificates.verify import Identity
from creditbank.errors import NotFound, VerificationLimit
from creditbank.portal.i18n import translate
from creditbank.runtime import current_bank
from creditbank.services import credentials

bp = Blueprint("web", __name__, template_folder="templates")
UPLOAD_LIMIT = 20 * 1024 * 1024


def _identity() -> tuple[Identity | None, str | None]:
    name = (request.form.get("name") or "").strip()
    born = (request.form.get("birth_date") or "").strip()
    if not name and not born:
        return None, None
    if not name or not born:
        return None, "verify_need_both"
    try:
        return Identity(name, parse_birth_date(born)), None
    except BirthDateError:
        return None, "verify_bad_date"


@bp.route("/verify", methods=["GET", "POST"])
def verify() -> tuple[str, int] | str:
    if request.method == "GET":
        return render_template("verify.html", report=None, error=None)
    if (request.content_length or 0) > UPLOAD_LIMIT:
        # Refused before parsing: a multipart body cut off by the limit leaves the parser's spool file open.
        abort(413)
    request.max_content_length = UPLOAD_LIMIT
    upload = request.files.get("file")
    data = upload.read(UPLOAD_LIMIT + 1) if upload is not None and upload.filename else b""
    if not data:
        data = (request.form.get("json") or "").encode("utf-8")
    identity, error = _identity()
    if error is not None or not data:
        return render_template("verify.html", report=None, error=error or "verify_need_file"), 400
    try:
        report = credentials.verify(current_bank(), data, identity)
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
