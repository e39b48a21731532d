"""Activation letters for the learners an import enrolled who have no e-mail: printed and handed over in person.

Codes are never stored in clear (only their SHA-256, like every activation code), so a letter cannot be printed
twice with the same code: each printing issues fresh codes, and the codes of any earlier printing (or any other
unused code of those learners) stop working. A learner who has since activated an account, or been erased, gets no
letter.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

from creditbank.errors import Conflict
from creditbank.models import Institution, Learner
from creditbank.runtime import Bank
from creditbank.services.imports import store
from creditbank.services.learner_access import accounts
from creditbank.services.records.api_keys import Principal
from creditbank.services.records.personal_records import identity_of


def letters(bank: Bank, principal: Principal, import_id: str, login_url: str) -> bytes:
    """A PDF with one letter per learner still to activate; fresh codes, earlier ones revoked."""
    # Imported when letters are printed: the PDF module brings WeasyPrint, which the scheduler and the other use
    # cases of this package (housekeeping imports it for expiry) do not need.
    from creditbank import letters as letter_pdf

    principal.require("records:write")
    with bank.db.writing() as session:
        row = store.owned(session, principal, import_id)
        if row.state != "written":
            raise Conflict(f"letters are printed after an import is written; this one is {row.state}")
        institution = session.get(Institution, row.institution_id)
        assert institution is not None  # an import is made by a registered institution
        expires = (datetime.now(UTC) + accounts.CODE_LIFETIME).date()
        printed = []
        for learner_id in json.loads(row.letter_learners):
            learner = session.get(Learner, learner_id)
            if learner is None or learner.status == "erased" or accounts.has_account(session, learner_id):
                continue
            identity = identity_of(bank, session, learner_id)
            if identity is None:
                continue
            printed.append(
                letter_pdf.Letter(
                    name_zh=identity["name"].get("zh"),
                    name_latin=identity["name"].get("latin"),
                    code=accounts.issue_code(session, learner_id),
                    login_url=login_url,
                    institution_zh=institution.name_zh or institution.name_en,
                    institution_en=institution.name_en,
                    expires=expires,
                )
            )
        if not printed:
            raise Conflict("no learner of this import is waiting for an activation letter")
        # Rendered inside the transaction: if the PDF cannot be made, the codes already handed out stay valid.
        pdf: bytes = letter_pdf.render_letters(printed)
        return pdf
