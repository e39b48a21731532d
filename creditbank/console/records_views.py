"""The registrar's and viewer's pages: finding a learner, their records here, corrections, revocations, documents,
activation codes.

Every page acts as the signed-in member's ``Principal``, so the services decide whose data it is: another
institution's learner, record or credential is simply not found. Bank staff act for no institution and are refused.
"""

from __future__ import annotations

import json
import math
import re
import unicodedata
from datetime import date
from typing import Any

from flask import Response, abort, flash, redirect, render_template, request, url_for

from creditbank.console import i18n, security
from creditbank.console.blueprint import bp
from creditbank.console.security import staff_required
from creditbank.credits.kinds import ACHIEVEMENT_KINDS
from creditbank.errors import Conflict, DocumentOutdated, Forbidden, InvalidInput, RenderLimit
from creditbank.runtime import current_bank
from creditbank.services import credentials
from creditbank.services.records import achievement_reads, achievements, learner_search, learners
from creditbank.services.staff.members import StaffMember

__all__ = ["bp"]

INSTITUTION_ROLES = ("registrar", "viewer")
_LEARNER = "<string(maxlength=32):learner_id>"
_ACHIEVEMENT = "<string(maxlength=32):achievement_id>"
_CREDENTIAL = "<string(maxlength=64):credential_id>"
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_MAX_REASON = 2000


def _member() -> StaffMember:
    member = security.current_staff()
    assert member is not None  # staff_required ran first
    return member


def _language_order() -> str:
    return "en-zh" if i18n.language() == "en" else "zh-en"


@bp.route("/learners", endpoint="learners")
@staff_required(*INSTITUTION_ROLES)
def learners_page() -> Any:
    query = request.args.get("q", "")
    try:
        found = learner_search.find(current_bank(), _member().principal(), query)
    except InvalidInput:
        page = render_template(
            "console/learners.html", query=query[:200], search=None, error="reg_query_long", **_limits
        )
        return page, 400
    return render_template("console/learners.html", query=query, search=found, error=None, **_limits)


_limits = {
    "limits": {
        "query": learner_search.MAX_QUERY,
        "opened": learner_search.MAX_OPENED,
        "found": learner_search.MAX_FOUND,
    }
}


def _learner_page(learner_id: str, status: int = 200, **extra: Any) -> Any:
    bank, principal = current_bank(), _member().principal()
    profile = learners.profile(bank, principal, learner_id)
    records = learner_search.records_here(bank, principal, learner_id)
    issued = learner_search.credentials_here(bank, principal, learner_id)
    context = {
        "profile": profile,
        "records": records,
        "issued": issued,
        "may_reissue": learner_search.may_reissue(bank, principal, learner_id),
        "reissued": None,
        "activate_url": login_url(),
        "reset_url": reset_url(),
        "errors": {},
        **extra,
    }
    return render_template("console/learner.html", **context), status


@bp.route(f"/learners/{_LEARNER}")
@staff_required(*INSTITUTION_ROLES)
def learner(learner_id: str) -> Any:
    return _learner_page(learner_id)


# --- correcting a record -----------------------------------------------------------------------------------------


def _text(form: dict[str, str], name: str, limit: int, errors: dict[str, str]) -> str | None:
    value = form.get(name, "").strip()
    if not value:
        return None
    if len(value) > limit:
        errors[name] = i18n.translate("reg_too_long", limit=limit)
    elif _CONTROL.search(value) or any(unicodedata.category(char) == "Cs" for char in value):
        errors[name] = i18n.translate("reg_control_char")
    return value


def _number(form: dict[str, str], name: str, top: int, errors: dict[str, str], bottom: int = 0) -> int | float | None:
    raw = unicodedata.normalize("NFKC", form.get(name, "")).strip()
    if not raw:
        return None
    try:
        value = float(raw)
    except ValueError:
        errors[name] = i18n.translate("reg_not_number")
        return None
    if not math.isfinite(value) or not bottom <= value <= top:
        errors[name] = i18n.translate("reg_number_range", bottom=bottom, top=top)
        return None
    return int(value) if value.is_integer() and "e" not in raw.lower() else value


def _date(form: dict[str, str], name: str, errors: dict[str, str]) -> str | None:
    raw = form.get(name, "").strip()
    if not raw:
        return None
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", raw):
        errors[name] = i18n.translate("reg_not_date")
        return None
    try:
        date.fromisoformat(raw)
    except ValueError:
        errors[name] = i18n.translate("reg_not_date")
        return None
    return raw


# The API's result types (api/record_schemas.py ResultSchema): the fields each takes, and whether it needs them.
RESULT_FIELDS: dict[str, tuple[tuple[str, bool], ...]] = {
    "score": (("score", True), ("max", True), ("min", False), ("pass_mark", False)),
    "grade": (("grade", True), ("scale", False), ("passed", False)),
    "pass_fail": (("passed", True),),
}
MODES = ("online", "in_person", "blended")
_SCORE_LIMIT = 1_000_000
_PASSED = {"yes": True, "no": False}


def _result(form: dict[str, str], errors: dict[str, str]) -> dict[str, Any] | None:
    """The result as the API takes it, from the fields of the chosen type; no type removes the result."""
    kind = form.get("result_type", "")
    if not kind:
        return None
    if kind not in RESULT_FIELDS:
        errors["result_type"] = i18n.translate("reg_choose")
        return None
    result: dict[str, Any] = {"type": kind}
    for name, needed in RESULT_FIELDS[kind]:
        field = f"result_{name}"
        value: Any
        if name == "passed":
            raw = form.get(field, "")
            value = _PASSED.get(raw)
            if raw and value is None:
                errors[field] = i18n.translate("reg_choose")
        elif name in ("grade", "scale"):
            value = _text(form, field, 32 if name == "grade" else 64, errors)
        else:
            value = _number(form, field, _SCORE_LIMIT, errors, bottom=-_SCORE_LIMIT)
        if value is not None:
            result[name] = value
        elif needed and field not in errors:
            errors[field] = i18n.translate("reg_required")
    return result


def _reason_problem(reason: str) -> str | None:
    """What is wrong with a correction's or revocation's reason (kept in the ledger body), in the page's words."""
    if not reason:
        return i18n.translate("reg_reason_needed")
    if len(reason) > _MAX_REASON:
        return i18n.translate("reg_too_long", limit=_MAX_REASON)
    if _CONTROL.search(reason.replace("\n", "").replace("\r", "").replace("\t", "")):
        return i18n.translate("reg_control_char")
    return None


def _changes(form: dict[str, str], current: dict[str, Any]) -> tuple[dict[str, Any], str, dict[str, str]]:
    """The form read into the API's correction: changed fields (None removes an optional one) and the reason."""
    errors: dict[str, str] = {}
    title = {key: value for key in ("zh", "en") if (value := _text(form, f"title_{key}", 500, errors))}
    kind = form.get("kind", "")
    if kind not in ACHIEVEMENT_KINDS:
        errors["kind"] = i18n.translate("reg_choose")
    wanted: dict[str, Any] = {
        "kind": kind,
        "title": title,
        "code": _text(form, "code", 64, errors),
        "level": _text(form, "level", 100, errors),
        "credits": _number(form, "credits", 1000, errors),
        "hours": _number(form, "hours", 100000, errors),
        "started": _date(form, "started", errors),
        "completed": _date(form, "completed", errors),
        "mode": form.get("mode") or None,
        "result": _result(form, errors),
    }
    if wanted["mode"] is not None and wanted["mode"] not in MODES:
        errors["mode"] = i18n.translate("reg_choose")
    if wanted["completed"] is None and "completed" not in errors:
        errors["completed"] = i18n.translate("reg_required")
    if not title and not errors.get("title_zh") and not errors.get("title_en"):
        errors["title_zh"] = i18n.translate("reg_title_needed")
    reason = form.get("reason", "").strip()
    problem = _reason_problem(reason)
    if problem is not None:
        errors["reason"] = problem
    changes = {key: value for key, value in wanted.items() if value != current.get(key)}
    return changes, reason, errors


def _service_errors(refused: InvalidInput) -> dict[str, str]:
    # The rule checks name API paths (title, result.score); the form's fields are flatter.
    fields = {
        "title": "title_zh",
        "started": "started",
        "completed": "completed",
        "result.max": "result_max",
        "result.score": "result_score",
        "result.pass_mark": "result_pass_mark",
    }
    shown: dict[str, str] = {}
    for path, message in (refused.errors or {}).items():
        field = fields.get(str(path))
        if path == "reason":
            shown["reason"] = i18n.translate("reg_reason_personal")
        elif field is None:
            shown["form"] = str(message)  # a rule of a field the form does not offer (the result): as the API says it
        else:
            shown[field] = i18n.translate(f"reg_rule_{str(path).replace('.', '_')}")
    return shown


@bp.route(f"/achievements/{_ACHIEVEMENT}/correct", methods=["GET", "POST"])
@staff_required(*INSTITUTION_ROLES)
def achievement_correct(achievement_id: str) -> Any:
    member = _member()
    if request.method == "POST" and member.role != "registrar":
        abort(403)  # a viewer may read the form's page; writing is the registrar's, whichever record it names
    bank, principal = current_bank(), member.principal()
    record = achievement_reads.get(bank, principal, achievement_id)  # another institution's: not found
    if request.method == "GET":
        return render_template(
            "console/learner_correct.html", record=record, form=None, errors={}, kinds=ACHIEVEMENT_KINDS
        )
    form = {key: value for key, value in request.form.items() if isinstance(value, str)}
    changes, reason, errors = _changes(form, record["data"])
    if not errors:
        try:
            achievements.correct(bank, principal, achievement_id, changes, reason)
        except InvalidInput as refused:
            # The service refuses a reason that names the learner (the ledger keeps reasons beyond erasure).
            names_learner = "reason" in (refused.errors or {})
            errors = {"reason": i18n.translate("reg_reason_personal")} if names_learner else _service_errors(refused)
        except Conflict:
            errors = {"form": i18n.translate("reg_revoked_cannot_correct")}
    if errors:
        page = render_template(
            "console/learner_correct.html", record=record, form=form, errors=errors, kinds=ACHIEVEMENT_KINDS
        )
        return page, 400
    flash("reg_corrected")
    return redirect(url_for("console.learner", learner_id=record["learner"]) + f"#rec-{achievement_id}")


@bp.route(f"/achievements/{_ACHIEVEMENT}/revoke", methods=["POST"])
@staff_required("registrar", confirm=True)
def achievement_revoke(achievement_id: str) -> Any:
    bank, principal = current_bank(), _member().principal()
    record = achievement_reads.get(bank, principal, achievement_id)
    learner_id = record["learner"]
    reason = request.form.get("reason", "").strip()
    problem = _reason_problem(reason)
    if problem is not None:
        return _learner_page(learner_id, 400, errors={f"revoke-{achievement_id}": problem})
    try:
        achievements.revoke(bank, principal, achievement_id, reason)
    except InvalidInput:
        # The one rule the service holds for a reason: it must not name the learner (the ledger keeps it).
        message = i18n.translate("reg_reason_personal")
        return _learner_page(learner_id, 400, errors={f"revoke-{achievement_id}": message})
    except Conflict:
        return _learner_page(
            learner_id, 409, errors={f"revoke-{achievement_id}": i18n.translate("reg_already_revoked")}
        )
    flash("reg_revoked")
    return redirect(url_for("console.learner", learner_id=learner_id) + f"#rec-{achievement_id}")


# --- documents ---------------------------------------------------------------------------------------------------


@bp.route(f"/learners/{_LEARNER}/credentials", methods=["POST"])
@staff_required("registrar")
def learner_issue(learner_id: str) -> Any:
    bank, principal = current_bank(), _member().principal()
    learners.profile(bank, principal, learner_id)  # not found before the form is read
    kind = request.form.get("kind", "")
    achievement = request.form.get("achievement") or None
    if kind not in ("achievement", "transcript") or (kind == "achievement" and not achievement):
        return _learner_page(learner_id, 400, errors={"issue": i18n.translate("reg_issue_what")})
    wanted = credentials.Request(learner_id, kind, achievement if kind == "achievement" else None, _language_order())
    refused = _over_render_budget(principal)
    if refused is not None:
        return refused
    try:
        credentials.issue(bank, principal, wanted)
    except (Conflict, InvalidInput) as refused:
        return _learner_page(learner_id, 409, errors={"issue": i18n.translate("reg_issue_refused", why=refused.detail)})
    flash("reg_issued")
    return redirect(url_for("console.learner", learner_id=learner_id) + "#documents")


def _over_render_budget(principal: Any) -> tuple[str, int] | None:
    """The console's page for an institution that had many PDFs rendered just now; None while its budget lasts."""
    try:
        credentials.spend_render(current_bank(), "institution", principal.institution_id)
    except RenderLimit:
        return render_template("console/error.html", status=429, message="reg_render_limit"), 429
    return None


@bp.route(f"/credentials/{_CREDENTIAL}/pdf")
@staff_required(*INSTITUTION_ROLES)
def credential_pdf(credential_id: str) -> Any:
    principal = _member().principal()
    refused = _over_render_budget(principal)
    if refused is not None:
        return refused
    try:
        data = credentials.pdf(current_bank(), principal, credential_id)
    except DocumentOutdated:
        # Every verifier would reject it; the signed JSON still verifies, and a new issue gives a PDF again.
        return render_template("console/error.html", status=409, message="reg_document_outdated"), 409
    return Response(data, mimetype="application/pdf", headers={"Content-Disposition": _named(credential_id, "pdf")})


@bp.route(f"/credentials/{_CREDENTIAL}/json")
@staff_required(*INSTITUTION_ROLES)
def credential_json(credential_id: str) -> Response:
    """The bare signed credential, as the portal and the API hand it out: the file a wallet or a verifier opens."""
    found = credentials.document(current_bank(), _member().principal(), credential_id)
    body = json.dumps(found, ensure_ascii=False)
    return Response(
        body,
        mimetype=credentials.CREDENTIAL_MEDIA_TYPE,
        headers={"Content-Disposition": _named(credential_id, "json")},
    )


@bp.route(f"/credentials/{_CREDENTIAL}/receipt")
@staff_required(*INSTITUTION_ROLES)
def credential_receipt(credential_id: str) -> Response:
    """The credential's receipt as its own file (ledger entries, inclusion proofs, signed checkpoint)."""
    bank, principal = current_bank(), _member().principal()
    # The same reach as the credential itself: an office that may not read it gets the same 404 for its receipt.
    credentials.document(bank, principal, credential_id)
    body = json.dumps(credentials.receipt(bank, credential_id), ensure_ascii=False)
    return Response(
        body, mimetype="application/json", headers={"Content-Disposition": _named(credential_id, "receipt.json")}
    )


def _named(credential_id: str, extension: str) -> str:
    # The portal's and the API's names (kind, title, issue day), the readable one in the console's language.
    bank, principal = current_bank(), _member().principal()
    return credentials.content_disposition(bank, principal, credential_id, extension, i18n.console_language())


# --- activation codes --------------------------------------------------------------------------------------------


def _reissue(learner_id: str) -> learner_search.Reissued | Any:
    bank, principal = current_bank(), _member().principal()
    learners.profile(bank, principal, learner_id)  # another institution's learner: not found, not forbidden
    try:
        return learner_search.reissue_code(bank, principal, learner_id)
    except Forbidden:
        return _learner_page(learner_id, 403, errors={"activation": i18n.translate("reg_reissue_not_first")})
    except Conflict:
        return _learner_page(learner_id, 409, errors={"activation": i18n.translate("reg_reissue_erased")})


@bp.route(f"/learners/{_LEARNER}/activation", methods=["POST"])
@staff_required("registrar", confirm=True)
def learner_activation(learner_id: str) -> Any:
    reissued = _reissue(learner_id)
    if not isinstance(reissued, learner_search.Reissued):
        return reissued
    page, _status = _learner_page(learner_id, reissued=reissued)
    # The code is shown once and must not stay in a cache or the browser's history.
    return Response(page, headers={"Cache-Control": "no-store"})


def login_url() -> str:
    return str(current_bank().public_url).rstrip("/") + "/activate"


def reset_url() -> str:
    return str(current_bank().public_url).rstrip("/") + "/reset"


@bp.route(f"/learners/{_LEARNER}/activation-letter.pdf", methods=["POST"])
@staff_required("registrar", confirm=True)
def learner_activation_letter(learner_id: str) -> Any:
    # Imported when a letter is printed: the PDF module brings WeasyPrint, which the other pages do not need.
    from creditbank import letters

    reissued = _reissue(learner_id)
    if not isinstance(reissued, learner_search.Reissued):
        return reissued
    letter = letters.Letter(
        name_zh=reissued.name_zh,
        name_latin=reissued.name_latin,
        code=reissued.code,
        # A learner who has an account gets a reset letter: same code, pointing at the page for a new password.
        login_url=reset_url() if reissued.had_account else login_url(),
        institution_zh=reissued.institution_zh,
        institution_en=reissued.institution_en,
        expires=reissued.expires,
    )
    return Response(
        letters.render_letters([letter], reset=reissued.had_account),
        mimetype="application/pdf",
        headers={"Content-Disposition": "attachment; filename=activation-letter.pdf", "Cache-Control": "no-store"},
    )
