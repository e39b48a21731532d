"""Recognition by application in the console: the reviewer's queue and decision page, the admin's assignment and
revocation on the same page, and the registrar's applications on behalf of the institution's learners.

Who may decide what (not an application of one's own institution, not the appeal of one's own decision, only what
is assigned to one) is the recognition service's rule; the page only hides a form its reader could not use, and
shows the service's refusal at the field it names when a form is sent anyway.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from functools import wraps
from typing import Any, TypeVar

from flask import Response, abort, flash, redirect, render_template, request, url_for
from werkzeug.exceptions import RequestEntityTooLarge

from creditbank.console import security
from creditbank.console.blueprint import bp
from creditbank.console.security import staff_required
from creditbank.errors import Conflict, DomainError, Forbidden, InvalidInput, NotFound
from creditbank.runtime import current_bank
from creditbank.services.credits import credit_rules
from creditbank.services.recognition import applications, decisions, evidence_files, trust_list
from creditbank.services.recognition.applications import OPEN_STATES, Applicant
from creditbank.services.recognition.decisions import Recognize, Refuse
from creditbank.services.recognition.evidence_files import EvidenceFile
from creditbank.services.staff import accounts
from creditbank.services.staff.members import StaffMember

__all__ = ["bp"]

F = TypeVar("F", bound=Callable[..., Any])
_APPLICATION = "<string(length=24):application_id>"
# What an application id and a learner id look like; anything else is not looked up at all.
_APPLICATION_ID = re.compile(r"rap-[0-9a-z]{20}")
_LEARNER = re.compile(r"[a-z]{3}_[0-9a-z]{20}")
_SLUG = re.compile(r"[a-z0-9][a-z0-9._-]{0,63}")
_PLACE = re.compile(r"(recognize|refuse)\[(\d+)\](?:\.(\w+))?")
_EVIDENCE_PLACE = re.compile(r"evidence\[(\d+)\](?:\.(description))?")
_EXTENSIONS = {"application/pdf": "pdf", "image/png": "png", "image/jpeg": "jpg", "application/json": "json"}
# Room for the other fields and the multipart framing around the files.
_FORM_ROOM = 64 * 1024
_BODY_LIMIT = evidence_files.MAX_TOTAL_BYTES + _FORM_ROOM
# Credits as a person types them: digits and a decimal point (Decimal alone would also take 1E+3, 1_000 or
# digits of other scripts); how fine and how large is the service's rule.
_NUMBER = re.compile(r"[0-9]{1,12}(?:\.[0-9]{1,12})?")
_TEXT_LIMIT = 24
_APPLY_FIELDS = (
    "learner",
    "framework",
    "qualification",
    "evidence",
)  # a number, a level, a category or an outcome code is never longer

# A refusal's (field, reason) as the services say it, and the console's words for it.
_WORDS = {
    ("credits", "required"): "rec_err_credits_required",
    ("credits", "not a number"): "rec_err_credits_number",
    ("credits", "out of range"): "rec_err_credits_range",
    ("credits", "finer than 0.01"): "rec_err_credits_cents",
    ("level", "not a number"): "rec_err_level",
    ("level", "unknown"): "rec_err_level",
    ("category", "unknown"): "rec_err_category",
    ("outcome", "not approved"): "rec_err_outcome",
    ("reason", "required"): "rec_err_reason_required",
    ("reason", "too long"): "rec_err_reason_long",
    ("reason", "control characters"): "rec_err_control",
    ("reason", "names the learner"): "rec_err_reason_personal",
    ("decision", "required"): "rec_err_decision",
    ("decision", "already counted"): "rec_err_already_counted",
    ("reviewer", "unknown"): "rec_err_reviewer_unknown",
    ("reviewer", "not a reviewer"): "rec_err_reviewer_role",
    ("reviewer", "affiliated with the applicant"): "rec_err_affiliated",
    ("reviewer", "decided it"): "rec_err_first_reviewer",
    ("reviewer", "made the first decision"): "rec_err_first_reviewer",
    ("reviewer", "not assigned"): "rec_err_not_assigned",
    ("reviewer", "required"): "rec_err_reviewer_required",
    ("learner", "required"): "rec_err_learner",
    ("learner", "unknown"): "rec_err_learner",
    ("learner", "erased"): "rec_err_erased",
    ("learner", "too many open applications"): "rec_err_too_many",
    ("framework", "required"): "rec_err_framework",
    ("framework", "no active rule set"): "rec_err_framework",
    ("qualification", "unknown"): "rec_err_qualification",
    ("evidence", "required"): "rec_err_evidence_required",
    ("evidence", "too many files"): "rec_err_evidence_many",
    ("evidence", "too large"): "rec_err_evidence_large",
    ("evidence", "already applied for"): "rec_err_already_applied",
    ("evidence", "already counted"): "rec_err_already_counted",
    ("evidence", "duplicate learning"): "rec_err_duplicate",
    ("evidence", "no learning"): "rec_err_no_learning",
    ("evidence", "not the applicant's"): "rec_err_not_applicants",
    ("file", "empty"): "rec_err_file_empty",
    ("file", "too large"): "rec_err_file_large",
    ("file", "unsupported file type"): "rec_err_file_type",
    ("description", "required"): "rec_err_description",
    ("description", "too long"): "rec_err_description_long",
    ("description", "control characters"): "rec_err_control",
}


def _word(field: str, said: object) -> str:
    message = str(said[0] if isinstance(said, list) and said else said)
    return _WORDS.get((field, message), message)


def _member() -> StaffMember:
    member = security.current_staff()
    assert member is not None  # staff_required ran first
    return member


def _today() -> str:
    return datetime.now(UTC).date().isoformat()


def _view(application_id: str) -> dict[str, Any]:
    # An id no application can have is not looked up, so bytes a database cannot store never reach a query.
    if not _APPLICATION_ID.fullmatch(application_id):
        abort(404)
    try:
        shown = applications.get(current_bank(), application_id)
    except NotFound:
        abort(404)
    member = _member()
    if member.role == "reviewer" and not _reviews(shown, member.id):
        # The evidence shows a person's name, face and papers: a reviewer reads the cases that are theirs (or
        # waiting for someone to take them), not every case in the bank.
        abort(404)
    return shown


def _reviews(shown: dict[str, Any], staff_id: str) -> bool:
    deciders = {(shown.get("decision") or {}).get("reviewer"), (shown.get("appeal") or {}).get("reviewer")}
    waiting = shown["state"] in applications.OPEN_STATES and shown.get("reviewer") is None
    return waiting or shown.get("reviewer") == staff_id or staff_id in deciders


class _Names:
    """How a reviewer is named to the reader: "you", the login to an admin (who assigns by login), and to another
    reviewer only that it is someone else."""

    def __init__(self, member: StaffMember) -> None:
        self.member = member
        self.known: dict[str, str] = {}

    def __call__(self, staff_id: str | None) -> tuple[str, str]:
        if staff_id is None:
            return "word", "rec_unassigned"
        if staff_id == decisions.AUTOMATIC:
            return "word", "rec_automatic"
        if staff_id == self.member.id:
            return "word", "rec_you"
        if self.member.role != "admin":
            return "word", "rec_another_reviewer"
        if staff_id not in self.known:
            found = accounts.get(current_bank(), staff_id)
            self.known[staff_id] = found.login if found is not None else staff_id
        return "text", self.known[staff_id]


# --- the queue, and the institution's list ---------------------------------------------------------------------


@bp.route("/recognition")
@staff_required()
def recognition_queue() -> Any:
    member, bank = _member(), current_bank()
    if member.institution_id is not None:
        mine = applications.list_applications(bank, institution=member.institution_id)
        return render_template("console/recognition_queue.html", institution_list=mine, sections=[], today=_today())
    waiting = [item for state in OPEN_STATES for item in applications.list_applications(bank, state=state)]
    waiting.sort(key=lambda item: (item["due"] or "9999", item["applied_seq"]))
    appeals = [item for item in waiting if item["state"] == "appealed"]
    unassigned = [item for item in waiting if item["state"] == "submitted" and item["reviewer"] is None]
    if member.role == "admin":
        reviewing = [item for item in waiting if item["state"] == "under_review"]
        decided = applications.list_applications(bank, state="decided", limit=50)
        decided += applications.list_applications(bank, state="final", limit=50)
        decided.sort(key=lambda item: -item["applied_seq"])
        sections = [
            ("rec_q_reviewing", reviewing),
            ("rec_q_appeals", appeals),
            ("rec_q_unassigned", unassigned),
            ("rec_q_decided", decided),
        ]
    else:
        assigned = [item for item in waiting if item["reviewer"] == member.id and item["state"] != "appealed"]
        sections = [("rec_q_mine", assigned), ("rec_q_appeals", appeals), ("rec_q_unassigned", unassigned)]
    return render_template(
        "console/recognition_queue.html",
        institution_list=None,
        sections=sections,
        today=_today(),
        reviewer_name=_Names(member),
    )


# --- one application ---------------------------------------------------------------------------------------------


@dataclass
class _Form:
    """What the decision form holds per item, as sent (or as the page proposes it), and its messages."""

    values: dict[int, dict[str, str]]
    errors: dict[int, dict[str, str]]
    problem: str | None = None


def _proposed(shown: dict[str, Any]) -> _Form:
    """The decision form's first values: after an appeal the first decision's, otherwise the mapping's suggestion."""
    values: dict[int, dict[str, str]] = {}
    for item in shown["items"]:
        mapping = item.get("mapping") or {}
        values[item["number"]] = {
            "decision": "",
            "credits": "" if mapping.get("credits") is None else str(mapping["credits"]),
            "level": "",
            "category": "",
            "outcome": mapping.get("outcome") or "",
            "reason": "",
        }
    first = shown["decision"]
    if shown["state"] == "appealed" and first is not None:
        for given in first["recognized"]:
            values[given["item"]].update(
                decision="recognize",
                credits=str(given["credits"]),
                level=str(given["level"]),
                category=given["category"],
                outcome=given.get("outcome") or "",
            )
        for refused in first["refused"]:
            values[refused["item"]]["decision"] = "refuse"
    return _Form(values, {})


def _rulebook(framework_id: str) -> dict[str, Any]:
    with current_bank().db.reading() as session:
        book = credit_rules.rulebook(session)
    framework = book.frameworks.get(framework_id)
    active = book.active.get(framework_id)
    outcomes = sorted(
        (outcome for outcome in book.outcomes.values() if outcome.framework == framework_id), key=lambda o: o.code
    )
    return {"framework": framework, "rule_set": active[0] if active else None, "outcomes": outcomes}


def _trust(items: list[dict[str, Any]]) -> dict[str, str]:
    """Each credential issuer's standing today: this bank itself, on the trust list, or no longer on it."""
    bank, today, found = current_bank(), datetime.now(UTC).date(), {}
    for issuer in {item["issuer"] for item in items if item.get("issuer")}:
        if issuer == bank.did:
            found[issuer] = "rec_trust_own"
            continue
        entry = trust_list.find(bank, issuer)
        found[issuer] = "rec_trust_listed" if entry is not None and entry.valid_on(today) else "rec_trust_not_listed"
    return found


def _hint(member: StaffMember, shown: dict[str, Any]) -> str | None:
    """Why the reader cannot decide this application, if they cannot; None when the form is theirs to use."""
    if member.role != "reviewer":
        return "rec_hint_not_reviewer"
    if shown["state"] not in OPEN_STATES:
        return "rec_hint_closed"
    reviewer = decisions.reviewer_by_id(current_bank(), member.id)
    if reviewer.affiliation is not None and reviewer.affiliation == shown["institution"]:
        return "rec_err_affiliated"
    if shown["state"] == "appealed" and shown["decision"] and shown["decision"]["reviewer"] == member.id:
        return "rec_err_first_reviewer"
    if shown["reviewer"] is not None and shown["reviewer"] != member.id:
        return "rec_err_not_assigned"
    return None


def _detail(shown: dict[str, Any], status: int = 200, form: _Form | None = None, **values: Any) -> Any:
    member = _member()
    evidence = sorted({(item["evidence"], item["kind"]) for item in shown["items"]})
    page = render_template(
        "console/recognition_detail.html",
        app=shown,
        book=_rulebook(shown["framework"]),
        trust=_trust(shown["items"]),
        evidence=evidence,
        form=form or _proposed(shown),
        hint=_hint(member, shown),
        reviewer_name=_Names(member),
        today=_today(),
        open_states=OPEN_STATES,
        **values,
    )
    return page, status


@bp.route(f"/recognition/{_APPLICATION}")
@staff_required("reviewer", "admin")
def recognition_detail(application_id: str) -> Any:
    return _detail(_view(application_id))


@bp.route(f"/recognition/{_APPLICATION}/evidence/<int:number>")
@staff_required("reviewer", "admin")
def recognition_evidence(application_id: str, number: int) -> Response:
    if not 1 <= number <= evidence_files.MAX_FILES:
        abort(404)  # no application has such a file; a number past the column's range never reaches the query
    _view(application_id)
    bank = current_bank()
    try:
        with bank.db.reading() as session:
            stored = evidence_files.read(bank, session, application_id, number)
    except NotFound:
        abort(404)
    name = f"{application_id}-{number}.{_EXTENSIONS.get(stored.media_type, 'bin')}"
    # A file a stranger uploaded: never shown in the console's origin, never sniffed into something else.
    return Response(
        stored.data,
        headers={
            "Content-Type": stored.media_type,
            "Content-Disposition": f'attachment; filename="{name}"',
            "X-Content-Type-Options": "nosniff",
            "Content-Security-Policy": "sandbox",
        },
    )


def _sent(shown: dict[str, Any]) -> _Form:
    """The decision form as sent, with what cannot even be handed to the service marked at its field."""
    values: dict[int, dict[str, str]] = {}
    errors: dict[int, dict[str, str]] = {}
    for item in shown["items"]:
        number = item["number"]
        got = {name: request.form.get(f"{name}-{number}", "") for name in ("decision", "credits", "level")}
        got.update({name: request.form.get(f"{name}-{number}", "") for name in ("category", "outcome", "reason")})
        values[number] = {name: text.strip() if name != "reason" else text for name, text in got.items()}
        wrong: dict[str, str] = {}
        if values[number]["decision"] not in ("recognize", "refuse"):
            wrong["decision"] = _word("decision", "required")
        elif values[number]["decision"] == "recognize":
            credits = values[number]["credits"]
            if not credits:
                wrong["credits"] = _word("credits", "required")
            elif not _NUMBER.fullmatch(credits):
                wrong["credits"] = _word("credits", "not a number")
            level = values[number]["level"]
            if level and not (len(level) <= _TEXT_LIMIT and level.isascii() and level.isdigit()):
                wrong["level"] = _word("level", "not a number")
        if wrong:
            errors[number] = wrong
    return _Form(values, errors)


def _choices(form: _Form) -> tuple[list[Recognize], list[Refuse]]:
    recognize, refuse = [], []
    for number, given in sorted(form.values.items()):
        if given["decision"] == "refuse":
            refuse.append(Refuse(number, given["reason"]))
            continue
        recognize.append(
            Recognize(
                number,
                Decimal(given["credits"]),
                given["reason"],
                level=int(given["level"]) if given["level"] else None,
                category=given["category"] or None,
                outcome=given["outcome"] or None,
            )
        )
    return recognize, refuse


def _placed(form: _Form, refused: DomainError) -> _Form:
    """The service's refusal at the item and field it names; what names no item goes above the form."""
    for place, said in (refused.errors or {}).items():
        found = _PLACE.fullmatch(str(place))
        if found is None:
            # The application's state changed under the form (decided, withdrawn): the state is what was said.
            form.problem = "rec_err_not_open" if place == "application" else _word(str(place), said)
            continue
        field = found.group(3) or "decision"
        form.errors.setdefault(int(found.group(2)), {})[field] = _word(field, said)
    if not refused.errors:
        form.problem = refused.detail
    return form


@bp.route(f"/recognition/{_APPLICATION}/decide", methods=["POST"])
@staff_required("reviewer")
def recognition_decide(application_id: str) -> Any:
    shown = _view(application_id)
    form = _sent(shown)
    if form.errors:
        return _detail(shown, 422, form)
    bank = current_bank()
    try:
        reviewer = decisions.reviewer_by_id(bank, _member().id)
        decisions.decide(bank, application_id, reviewer, *_choices(form))
    except (InvalidInput, Forbidden, Conflict) as refused:
        return _detail(shown, refused.status, _placed(form, refused))
    flash("rec_decided")
    return redirect(url_for("console.recognition_detail", application_id=application_id))


# --- the admin's desk ----------------------------------------------------------------------------------------------


@bp.route(f"/recognition/{_APPLICATION}/assign", methods=["POST"])
@staff_required("admin")
def recognition_assign(application_id: str) -> Any:
    shown = _view(application_id)
    login = request.form.get("reviewer", "").strip()
    if not login or len(login) > 64 or not _SLUG.fullmatch(login.lower()):
        problem = _word("reviewer", "required" if not login else "unknown")
        return _detail(shown, 422, assign_error=problem, assign_login=login)
    try:
        applications.assign(current_bank(), application_id, login, actor=_member().actor)
    except (NotFound, Forbidden, Conflict) as refused:
        said = (refused.errors or {}).get("reviewer")
        problem = _word("reviewer", said) if said is not None else _closed(refused)
        return _detail(shown, 422 if said is not None else refused.status, assign_error=problem, assign_login=login)
    flash("rec_assigned")
    return redirect(url_for("console.recognition_detail", application_id=application_id))


def _closed(refused: DomainError) -> str:
    return "rec_err_not_open" if isinstance(refused, Conflict) else refused.detail


@bp.route(f"/recognition/{_APPLICATION}/revoke", methods=["POST"])
@staff_required("admin", confirm=True)
def recognition_revoke(application_id: str) -> Any:
    shown = _view(application_id)
    reason = request.form.get("reason", "")
    try:
        decisions.revoke(current_bank(), application_id, reason, actor=_member().actor)
    except InvalidInput as refused:
        said = (refused.errors or {}).get("reason", refused.detail)
        return _detail(shown, 422, revoke_error=_word("reason", said), revoke_reason=reason)
    except Conflict as refused:
        return _detail(shown, 409, revoke_error=_closed(refused), revoke_reason=reason)
    flash("rec_revoked")
    return redirect(url_for("console.recognition_detail", application_id=application_id))


# --- the registrar's application for a learner ---------------------------------------------------------------------


def _bounded(view: F) -> F:
    """Refuse a body past the evidence limit before anything (the CSRF check included) parses it."""

    @wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        if request.method == "POST":
            if (request.content_length or 0) > _BODY_LIMIT:
                raise RequestEntityTooLarge()
            request.max_content_length = _BODY_LIMIT
        return view(*args, **kwargs)

    return wrapped  # type: ignore[return-value]


def _apply_page(status: int = 200, values: Mapping[str, str] | None = None, **shown: Any) -> Any:
    with current_bank().db.reading() as session:
        book = credit_rules.rulebook(session)
    frameworks = [book.frameworks[framework_id] for framework_id in sorted(book.active)]
    page = render_template(
        "console/recognition_apply.html",
        frameworks=frameworks,
        slots=range(1, evidence_files.MAX_FILES + 1),
        values=values or {},
        errors=shown.pop("errors", {}),
        limit_mb=evidence_files.MAX_FILE_BYTES // (1024 * 1024),
        total_mb=evidence_files.MAX_TOTAL_BYTES // (1024 * 1024),
        **shown,
    )
    return page, status


@bp.route("/recognition/apply")
@staff_required("registrar")
def recognition_apply_form() -> Any:
    return _apply_page()


def _evidence() -> tuple[list[EvidenceFile], list[int]]:
    """The files chosen, in slot order, and the slot each came from (the service numbers only the files)."""
    files, slots = [], []
    for slot in range(1, evidence_files.MAX_FILES + 1):
        upload = request.files.get(f"file-{slot}")
        if upload is None or not upload.filename:
            continue
        data = upload.stream.read(evidence_files.MAX_FILE_BYTES + 1)
        files.append(EvidenceFile(data, upload.filename, request.form.get(f"description-{slot}", "")))
        slots.append(slot)
    return files, slots


def _apply_errors(refused: DomainError, slots: list[int]) -> dict[str, str]:
    errors: dict[str, str] = {}
    for place, said in (refused.errors or {"evidence": refused.detail}).items():
        found = _EVIDENCE_PLACE.fullmatch(str(place))
        if found is None:
            # A refusal the form has no field for is shown above it, in the evidence's place.
            field = str(place) if place in _APPLY_FIELDS else "evidence"
            errors[field] = _word(str(place), said)
            continue
        index = int(found.group(1))
        slot = slots[index] if index < len(slots) else 1
        field = found.group(2) or "file"
        errors[f"{field}-{slot}"] = _word(field, said)
    return errors


@bp.route("/recognition/apply", methods=["POST"])
@_bounded
@staff_required("registrar")
def recognition_apply() -> Any:
    member = _member()
    values = {name: request.form.get(name, "").strip() for name in ("learner", "framework", "qualification")}
    numbers = range(1, evidence_files.MAX_FILES + 1)
    values.update({f"description-{n}": request.form.get(f"description-{n}", "") for n in numbers})
    learner = values["learner"]
    if not _LEARNER.fullmatch(learner):
        return _apply_page(404 if learner else 422, values, errors={"learner": _word("learner", "unknown")})
    framework = values["framework"] or None
    qualification = values["qualification"] or None
    if (framework and not _SLUG.fullmatch(framework)) or (qualification and not _SLUG.fullmatch(qualification)):
        return _apply_page(422, values, errors={"framework": _word("framework", "required")})
    files, slots = _evidence()
    principal = member.principal()
    try:
        applications.apply(
            current_bank(),
            Applicant.for_institution(principal),
            learner,
            files,
            framework=framework,
            qualification=qualification,
            principal=principal,
        )
    except NotFound:
        return _apply_page(404, values, errors={"learner": _word("learner", "unknown")})
    except (InvalidInput, Conflict) as refused:
        return _apply_page(refused.status, values, errors=_apply_errors(refused, slots))
    flash("rec_applied")
    return redirect(url_for("console.recognition_queue") + "#applications")
