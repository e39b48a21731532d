"""The bank reviewer's pages: the catalogue proposal queue (propose by upload, approve, reject with a reason), the
catalogue as it stands, and qualification awards after the requirement check.

Every decision is a ledger entry written as the reviewer (``bank:reviewer/staff:<pseudonym>``); who may decide on
what (not on one's own proposal) is the catalogue service's rule, not the page's.
"""

from __future__ import annotations

import re
from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for

from creditbank.console import bank_forms, security
from creditbank.console.blueprint import bp
from creditbank.console.security import staff_required
from creditbank.errors import Conflict, DomainError, Forbidden, InvalidInput, NotFound
from creditbank.runtime import current_bank
from creditbank.services.credits import awards, catalogue_queue, credit_rules, statements
from creditbank.services.staff.members import StaffMember

__all__ = ["bp"]

_CODE = "<string(maxlength=24):code>"
# What a learner id and a qualification id look like; anything else is not looked up at all.
_LEARNER = re.compile(r"[a-z]{3}_[0-9a-z]{20}")
_QUALIFICATION = re.compile(r"[a-z0-9][a-z0-9-]{0,39}")
_OUTCOME = re.compile(r"[A-Z0-9][A-Z0-9-]{1,23}")
_REFUSALS = {
    ("reason", "required"): "rev_reason_required",
    ("reason", "too long"): "rev_reason_long",
    ("reason", "control characters"): "rev_reason_control",
    ("code", "rejected with this content"): "rev_rejected_same",
    ("code", "already proposed"): "rev_already_proposed",
    ("file", "required"): "rev_file_required",
    ("file", "too large"): "error_too_large",
}


def _member() -> StaffMember:
    member = security.current_staff()
    assert member is not None  # staff_required ran first
    return member


def _outcome(code: str) -> str:
    # A code no proposal can have is not looked up (bytes a database cannot store never reach a query).
    if not _OUTCOME.fullmatch(code):
        abort(404)
    return code


def _queue(status: int = 200, **shown: Any) -> Any:
    proposals = catalogue_queue.review_queue(current_bank())
    return render_template("console/review_queue.html", proposals=proposals, **shown), status


@bp.route("/review/proposals")
@staff_required("reviewer")
def review_proposals() -> Any:
    return _queue()


@bp.route("/review/proposals", methods=["POST"])
@bank_forms.bounded_upload
@staff_required("reviewer")
def review_propose() -> Any:
    raw, name = bank_forms.uploaded()
    try:
        published = credit_rules.publish_upload(current_bank(), "catalogue", raw, name, actor=_member().actor)
    except (InvalidInput, Conflict) as refused:
        return _queue(422 if isinstance(refused, InvalidInput) else 409, upload_faults=_faults(refused))
    return _queue(proposed=published)


def _faults(refused: DomainError) -> list[tuple[str, str]]:
    return [(place, _REFUSALS.get((place, message), message)) for place, message in bank_forms.faults(refused)]


@bp.route(f"/review/proposals/{_CODE}/approve", methods=["POST"])
@staff_required("reviewer")
def review_approve(code: str) -> Any:
    try:
        published = credit_rules.approve_outcome(current_bank(), _outcome(code), actor=_member().actor)
    except (Forbidden, Conflict, NotFound) as refused:
        return _queue(refused.status, refused_code=code, refusal=_refusal(refused))
    flash("rev_approved" if published.created else "rev_already_approved")
    return redirect(url_for("console.review_proposals"))


@bp.route(f"/review/proposals/{_CODE}/reject", methods=["POST"])
@staff_required("reviewer")
def review_reject(code: str) -> Any:
    reason = request.form.get("reason", "")
    try:
        credit_rules.reject_outcome(current_bank(), _outcome(code), reason, actor=_member().actor)
    except InvalidInput as refused:
        errors = bank_forms.field_messages(refused, _REFUSALS)
        return _queue(422, refused_code=code, reason_error=errors.get("reason"), reason=reason)
    except (Forbidden, Conflict, NotFound) as refused:
        return _queue(refused.status, refused_code=code, refusal=_refusal(refused))
    flash("rev_rejected")
    return redirect(url_for("console.review_proposals"))


def _refusal(refused: DomainError) -> str:
    if isinstance(refused, Forbidden):
        return "rev_own_proposal"
    if isinstance(refused, NotFound):
        return "rev_no_proposal"
    return "rev_decided_already"


@bp.route("/review/catalogue")
@staff_required("reviewer")
def review_catalogue() -> Any:
    outcomes = credit_rules.list_outcomes(current_bank(), status=None)
    decided = [row for row in outcomes if row["status"] != "proposed"]
    return render_template("console/review_catalogue.html", outcomes=decided)


def _qualifications() -> list[dict[str, Any]]:
    return [
        {"id": q["id"], "name": q["name"], "framework": framework["id"]}
        for framework in credit_rules.list_frameworks(current_bank())
        for q in framework["qualifications"]
    ]


def _awards_page(learner: str, qualification: str, status: int = 200, **shown: Any) -> Any:
    check = shown.pop("check", None)
    problem = None
    if check is None and learner and qualification:
        if not (_LEARNER.fullmatch(learner) and _QUALIFICATION.fullmatch(qualification)):
            problem, status = "rev_award_unknown", 404
        else:
            try:
                check = statements.progress(current_bank(), None, learner, qualification)
            except NotFound:
                problem, status = "rev_award_unknown", 404
    page = render_template(
        "console/review_awards.html",
        qualifications=_qualifications(),
        learner=learner,
        qualification=qualification,
        check=check,
        problem=shown.pop("problem", problem),
        **shown,
    )
    return page, status


@bp.route("/review/awards")
@staff_required("reviewer")
def review_awards() -> Any:
    return _awards_page(request.args.get("learner", "").strip(), request.args.get("qualification", "").strip())


@bp.route("/review/awards", methods=["POST"])
@staff_required("reviewer")
def review_award() -> Any:
    learner = request.form.get("learner", "").strip()
    qualification = request.form.get("qualification", "").strip()
    if not (_LEARNER.fullmatch(learner) and _QUALIFICATION.fullmatch(qualification)):
        return _awards_page(learner, qualification, 400, problem="rev_award_choose")
    try:
        result = awards.award(current_bank(), None, learner, qualification, staff_actor=_member().actor)
    except InvalidInput:
        # Not met (any more): the page shows the check again, with what is missing.
        return _awards_page(learner, qualification, 422, problem="rev_award_unmet")
    except NotFound:
        return _awards_page(learner, qualification, 404, problem="rev_award_unknown")
    except Conflict:
        return _awards_page(learner, qualification, 409, problem="rev_award_conflict")
    return _awards_page(learner, qualification, awarded=result.body)
