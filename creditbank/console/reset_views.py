"""Bank staff print a password reset letter for any learner who has an account: the console's door to what
`creditbank learners activation ID` does for a forgotten password.

A registrar prints one for the learners their institution first enrolled (``records_views``); the bank's help desk
is where the others are sent (``/forgot``). The code opens the account of whoever holds it with the birth date, so
the print asks for password and code again like the registrar's, and the PDF is kept out of every cache.
"""

from __future__ import annotations

import re
from typing import Any

from flask import Response, render_template, request

from creditbank.console.blueprint import bp
from creditbank.console.records_views import reset_url
from creditbank.console.security import staff_required
from creditbank.errors import Conflict, NotFound
from creditbank.runtime import current_bank
from creditbank.services.credentials.facts import bank_name
from creditbank.services.learner_access import accounts

__all__ = ["bp"]

BANK_ROLES = ("reviewer", "admin")
_LEARNER_ID = re.compile(r"lrn_[0-9a-z]{20}")


def _page(status: int = 200, **shown: Any) -> Any:
    return render_template("console/bank_reset_letter.html", days=accounts.CODE_LIFETIME.days, **shown), status


@bp.route("/reset-letter", methods=["GET"])
@staff_required(*BANK_ROLES)
def bank_reset_letter_form() -> Any:
    return _page()


@bp.route("/reset-letter.pdf", methods=["POST"])
@staff_required(*BANK_ROLES, confirm=True)
def bank_reset_letter() -> Any:
    # Imported when a letter is printed: the PDF module brings WeasyPrint, which the other pages do not need.
    from creditbank import letters

    learner_id = request.form.get("learner", "").strip()
    if not _LEARNER_ID.fullmatch(learner_id):
        return _page(400, learner=learner_id[:40], error="rst_err_id")
    bank = current_bank()
    try:
        made = accounts.bank_reset_code(bank, learner_id)
    except NotFound:
        return _page(404, learner=learner_id, error="rst_err_unknown")
    except Conflict:
        return _page(409, learner=learner_id, error="rst_err_no_account")
    issuer = bank_name(bank)
    letter = letters.Letter(
        name_zh=made.name_zh,
        name_latin=made.name_latin,
        code=made.code,
        login_url=reset_url(),
        institution_zh=issuer["zh"],
        institution_en=issuer["en"],
        expires=made.expires,
    )
    return Response(
        letters.render_letters([letter], reset=True),
        mimetype="application/pdf",
        headers={"Content-Disposition": "attachment; filename=reset-letter.pdf", "Cache-Control": "no-store"},
    )
