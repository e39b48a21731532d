"""The learner's recognition pages: their applications, the form to apply with evidence, and each application's
details, with the one appeal and withdrawal. The service decides everything; these pages read the form, call it,
and put what it refused next to the field it names, in the learner's language."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from werkzeug.datastructures import FileStorage

from creditbank import web_headers
from creditbank.errors import Conflict, DomainError, InvalidInput, NotFound
from creditbank.languages import i18n
from creditbank.portal import security
from creditbank.portal.security import login_required
from creditbank.portal.views import bp
from creditbank.runtime import current_bank
from creditbank.services.credits import credit_rules
from creditbank.services.recognition import applications, decisions, evidence_files
from creditbank.services.recognition.applications import Applicant
from creditbank.services.recognition.evidence_files import EvidenceFile
from creditbank.services.records import institutions

# File rows on the form: enough for most learners at once without a long page on a phone; the service takes a few more
# (a form sent by other means), and says so when there are too many.
FORM_ROWS = 3
MEGABYTE = 1024 * 1024
# Room for the form's text fields and the multipart framing around the files.
FORM_ROOM = 64 * 1024
BODY_LIMIT = evidence_files.MAX_TOTAL_BYTES + FORM_ROOM
_APPLICATION_ID = re.compile(r"rap-[0-9a-z]{20}")
_PLACE = re.compile(r"evidence\[(\d+)\](\.description)?")

# (field reason) → the page's word for it; a reason not listed is shown in the service's own words.
_EVIDENCE_WORDS = {
    "required": "rec_err_no_file",
    "too many files": "rec_err_too_many",
    "too large": "rec_err_too_large_all",
    "already applied for": "rec_err_waiting",
    "already counted": "rec_err_counted",
    "duplicate learning": "rec_err_duplicate",
    "not the applicant's": "rec_err_not_yours",
    "no learning": "rec_err_no_learning",
}
_FILE_WORDS = {"unsupported file type": "rec_err_type", "empty": "rec_err_empty", "too large": "rec_err_too_large"}
_DESCRIPTION_WORDS = {
    "required": "rec_err_description",
    "too long": "rec_err_description_long",
    "control characters": "rec_err_characters",
}
_REASON_WORDS = {
    "required": "rec_err_reason",
    "too long": "rec_err_reason_long",
    "control characters": "rec_err_characters",
    "names the learner": "rec_err_names_you",
}


def _learner() -> str:
    learner = security.current_learner()
    assert learner is not None  # login_required ran first
    return learner


def _words(key: str) -> str:
    return i18n.translate(
        key,
        count=evidence_files.MAX_FILES,
        size=evidence_files.MAX_FILE_BYTES // MEGABYTE,
        limit=evidence_files.DESCRIPTION_LIMIT if "description" in key else decisions.REASON_LIMIT,
        open=applications.MAX_OPEN,
    )


def _choices() -> list[dict[str, Any]]:
    """The frameworks that take recognized learning now (those with an active rule set), with their qualifications."""
    bank = current_bank()
    active = {rules["framework"] for rules in credit_rules.list_rule_sets(bank)}
    return [framework for framework in credit_rules.list_frameworks(bank) if framework["id"] in active]


def _names(choices: list[dict[str, Any]]) -> dict[str, Any]:
    names: dict[str, Any] = {
        f"institution/{inst.id}": {"zh": inst.name_zh or inst.name_en, "en": inst.name_en}
        for inst in institutions.list_all(current_bank())
    }
    for framework in choices:
        names[framework["id"]] = framework["name"]
        for qualification in framework["qualifications"]:
            names[f"{framework['id']}/{qualification['id']}"] = qualification["name"]
        for level in framework["levels"]:
            names[f"{framework['id']}/level/{level['number']}"] = level["name"]
        for category in framework["categories"]:
            names[f"{framework['id']}/category/{category['id']}"] = category["name"]
    return names


def _today() -> date:
    return datetime.now(UTC).date()


def _outcomes(view: dict[str, Any]) -> dict[int, dict[str, Any]]:
    """What the decision that stands says of each item: recognized (with credits and reason) or refused."""
    decision = view["decision"]
    if view["appeal"] is not None and view["appeal"]["decision"] is not None:
        decision = view["appeal"]["decision"]
    found: dict[int, dict[str, Any]] = {}
    if decision is not None:
        automatic = decision.get("basis") == "trust_list"
        for given in decision.get("recognized", []):
            found[given["item"]] = {"recognized": True, "automatic": automatic, **given}
        for refused in decision.get("refused", []):
            found[refused["item"]] = {"recognized": False, **refused}
    return found


def _shown(view: dict[str, Any]) -> dict[str, Any]:
    appeal_until = view.get("appeal_until")
    appealable = (
        view["state"] == "decided"
        and view["appeal"] is None
        and bool(appeal_until)
        and _today() <= date.fromisoformat(appeal_until)
    )
    return {
        **view,
        "outcomes": _outcomes(view),
        "appealable": appealable,
        "appeal_over": view["state"] == "decided" and view["appeal"] is None and bool(appeal_until) and not appealable,
        "open": view["state"] in applications.OPEN_STATES,
    }


@bp.route("/me/recognition")
@login_required
def recognition() -> str:
    found = applications.list_applications(current_bank(), learner_id=_learner())
    names = _names(_choices())
    return render_template("portal/recognition.html", items=[_shown(view) for view in found], names=names)


def _form_errors(refused: DomainError, rows: list[int]) -> dict[str, str]:
    """Each field the service named, in the page's words, placed on the form row the file came from."""
    errors: dict[str, str] = {}
    for place, reason in (refused.errors or {"evidence": ""}).items():
        reason = str(reason)
        matched = _PLACE.fullmatch(str(place))
        if matched is not None:
            row = rows[int(matched.group(1))] if int(matched.group(1)) < len(rows) else 1
            if matched.group(2):
                key = _DESCRIPTION_WORDS.get(reason)
                errors[f"description_{row}"] = _words(key) if key else refused.detail
            else:
                key = _FILE_WORDS.get(reason)
                # Any other reason is the evidence check's (a credential that did not verify): its own words.
                errors[f"evidence_{row}"] = _words(key) if key else _words_with("rec_err_not_verified", reason)
        elif place == "framework":
            errors["framework"] = _words("rec_err_framework")
        elif place == "qualification":
            errors["qualification"] = _words("rec_err_qualification")
        elif place == "learner":
            # About the learner, not a field: too many applications open already, say.
            key = "rec_err_too_many_open" if reason == "too many open applications" else None
            errors["general"] = _words(key) if key else refused.detail
        else:
            key = _EVIDENCE_WORDS.get(reason)
            errors["evidence"] = _words(key) if key else refused.detail
    return errors


def _words_with(key: str, detail: str) -> str:
    return i18n.translate(key, detail=detail)


def _uploads() -> tuple[list[EvidenceFile], list[int]]:
    """The files chosen on the form, each with the description written beside it, and the row each came from."""
    files = request.files.getlist("evidence")
    described = request.form.getlist("description")
    chosen, rows = [], []
    for index, upload in enumerate(files):
        data = _read(upload)
        if not data and not upload.filename:
            continue  # a row left empty
        text = described[index] if index < len(described) else ""
        chosen.append(EvidenceFile(data, upload.filename or "", text))
        rows.append(index + 1)
    return chosen, rows


def _read(upload: FileStorage) -> bytes:
    # One byte past the limit, so the service can tell a file that is too large.
    return upload.stream.read(evidence_files.MAX_FILE_BYTES + 1)


def _form(choices: list[dict[str, Any]], form: dict[str, Any], errors: dict[str, str]) -> str:
    web_headers.own_script()
    return render_template(
        "portal/recognition_new.html",
        choices=choices,
        form=form,
        errors=errors,
        rows=max(FORM_ROWS, len(form.get("descriptions", []))),
        hint=_words("rec_file_hint"),
        description_limit=evidence_files.DESCRIPTION_LIMIT,
    )


@bp.route("/me/recognition/new", methods=["GET", "POST"])
@login_required
def recognition_new() -> Any:
    choices = _choices()
    if request.method == "GET":
        return _form(choices, {}, {})
    if (request.content_length or 0) > BODY_LIMIT:
        # Not read at all (nor its CSRF token): nothing is done, the form is shown again with the reason.
        return _form(choices, {}, {"evidence": _words("rec_err_too_large_all")}), 413
    request.max_content_length = BODY_LIMIT
    security.check_csrf()
    framework = request.form.get("framework", "").strip() or None
    qualification = request.form.get("qualification", "").strip() or None
    form = {
        "framework": framework,
        "qualification": qualification,
        "descriptions": request.form.getlist("description")[: evidence_files.MAX_FILES + 1],
    }
    if len(choices) == 1 and framework is None:
        framework = choices[0]["id"]
    files, rows = _uploads()
    try:
        view = applications.apply(
            current_bank(), Applicant.learner(), _learner(), files, framework=framework, qualification=qualification
        )
    except (InvalidInput, Conflict) as refused:
        return _form(choices, form, _form_errors(refused, rows)), 409 if isinstance(refused, Conflict) else 400
    flash("rec_submitted")
    return redirect(url_for("portal.recognition_detail", application_id=view["id"]))


def _application(application_id: str) -> dict[str, Any]:
    if not _APPLICATION_ID.fullmatch(application_id):
        abort(404)
    try:
        return applications.get(current_bank(), application_id, applicant=Applicant.learner(), learner_id=_learner())
    except NotFound:
        abort(404)


def _detail(view: dict[str, Any], errors: dict[str, str] | None = None, reason: str = "") -> str:
    return render_template(
        "portal/recognition_detail.html",
        item=_shown(view),
        names=_names(_choices()),
        errors=errors or {},
        reason=reason,
        reason_limit=decisions.REASON_LIMIT,
    )


@bp.route("/me/recognition/<string(length=24):application_id>", methods=["GET", "POST"])
@login_required
def recognition_detail(application_id: str) -> Any:
    view = _application(application_id)
    if request.method == "GET":
        return _detail(view)
    security.check_csrf()
    bank, learner = current_bank(), _learner()
    action = request.form.get("action", "")
    if action == "withdraw":
        appeal = view["state"] == "appealed"
        try:
            applications.withdraw(bank, view["id"], Applicant.learner(), learner_id=learner)
        except Conflict:
            return _detail(_application(application_id), {"withdraw": _words("rec_err_closed")}), 409
        flash("rec_appeal_withdrawn" if appeal else "rec_withdrawn")
        return redirect(url_for("portal.recognition_detail", application_id=view["id"]))
    if action != "appeal":
        abort(400)
    reason = request.form.get("reason", "")
    try:
        decisions.appeal(bank, view["id"], Applicant.learner(), reason, learner_id=learner)
    except InvalidInput as refused:
        found = str((refused.errors or {}).get("reason", ""))
        key = _REASON_WORDS.get(found)
        return _detail(view, {"reason": _words(key) if key else refused.detail}, reason), 400
    except Conflict:
        return _detail(_application(application_id), {"reason": _words("rec_err_appeal_closed")}, reason), 409
    flash("rec_appealed")
    return redirect(url_for("portal.recognition_detail", application_id=view["id"]))
