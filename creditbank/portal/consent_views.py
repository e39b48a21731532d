"""The learner's consent page: who may read more than they recorded, for how long, and withdrawing it."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for

from creditbank.errors import Conflict, InvalidInput, NotFound
from creditbank.portal import security
from creditbank.portal.security import login_required
from creditbank.portal.views import bp
from creditbank.runtime import current_bank
from creditbank.services.records import consent, institutions
from ledger.numbers import NotADecimal, parse_decimal

PERIODS = (30, 90, 365)


def _days(text: str) -> int:
    return int(text) if text in {str(n) for n in PERIODS} else 0


def _page(learner: str, error: str | None = None) -> str:
    bank = current_bank()
    known = institutions.list_all(bank)
    names = {inst.id: {"zh": inst.name_zh or inst.name_en, "en": inst.name_en} for inst in known}
    return render_template(
        "portal/consent.html",
        grants=consent.for_learner(bank, learner),
        institutions=known,
        names=names,
        scopes=sorted(consent.SCOPES),
        periods=PERIODS,
        error=error,
    )


@bp.route("/me/consent", methods=["GET", "POST"])
@login_required
def consent_page() -> Any:
    learner = security.current_learner()
    assert learner is not None  # login_required ran first
    if request.method == "GET":
        return _page(learner)
    security.check_csrf()
    bank = current_bank()
    withdraw = request.form.get("withdraw", "")
    if withdraw:
        try:
            grant = parse_decimal(withdraw)
        except NotADecimal:
            abort(400)
        try:
            consent.withdraw(bank, learner, grant)
        except NotFound:
            abort(404)
        except Conflict:
            pass  # withdrawn twice (a double click): the state the learner wanted holds
        flash("consent_withdrawn")
        return redirect(url_for("portal.consent_page"))
    try:
        consent.grant(
            bank,
            learner,
            request.form.get("institution", ""),
            request.form.get("scope", ""),
            _days(request.form.get("days", "")),
        )
    except InvalidInput:
        return _page(learner, "consent_invalid"), 400
    flash("consent_granted")
    return redirect(url_for("portal.consent_page"))
