"""The bank admin's pages: institutions (onboarding), their staff and API keys, the bank's own staff, and
frameworks and rule sets published by upload.

Registering an institution and publishing a framework or rule set are ledger entries written as the admin
(``bank:admin/staff:<pseudonym>``). Staff accounts and API keys are operational rows, not ledger entries (as at the
CLI): a sign-in secret is not a fact about learning. Set-up links and keys are shown once, in the answer to the
form that made them, and never again.

Whatever hands out a way in (a set-up link for a new or reset account, an API key) or takes one away (disabling,
revoking) asks for password and code again: a stolen or unattended session must not mint accounts or keys.
"""

from __future__ import annotations

import math
import re
from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for

from creditbank.console import bank_forms, security
from creditbank.console.blueprint import bp
from creditbank.console.security import staff_required
from creditbank.errors import Conflict, InvalidInput
from creditbank.models import INSTITUTION_TYPES
from creditbank.models.staff import BANK_ROLES, INSTITUTION_ROLES
from creditbank.runtime import current_bank
from creditbank.services.credits import credit_rules
from creditbank.services.records import api_keys, institutions
from creditbank.services.records.institutions import SLUG, InstitutionInput
from creditbank.services.staff import accounts
from creditbank.services.staff.members import StaffMember

__all__ = ["bp"]

_INSTITUTION = "<string(maxlength=64):institution_id>"
_STAFF_ID = re.compile(r"stf-[0-9a-z]{20}")
_KEY_ID = re.compile(r"[0-9a-f]{12}")
_FIELDS = ("id", "type", "name_en", "name_zh", "parent", "credit_unit", "hours_per_unit")
_REFUSALS = {
    ("id", "already registered"): "adm_err_id_taken",
    ("id", "*"): "adm_err_id",
    ("type", "*"): "adm_err_type",
    ("name_en", "*"): "adm_err_name_en",
    ("name_zh", "*"): "adm_err_name_zh",
    ("parent", "*"): "adm_err_parent",
    ("credit_unit", "*"): "adm_err_credit_unit",
    ("hours_per_unit", "*"): "adm_err_hours",
    ("login", "taken"): "adm_err_login_taken",
    ("login", "*"): "adm_err_login",
    ("role", "*"): "adm_err_role",
    ("scope", "*"): "adm_err_scope",
}


def _member() -> StaffMember:
    member = security.current_staff()
    assert member is not None  # staff_required ran first
    return member


def _institution_id(institution_id: str) -> str:
    # An id no institution can have is not looked up.
    if not SLUG.fullmatch(institution_id):
        abort(404)
    return institution_id


def _shaped(pattern: re.Pattern[str], value: str) -> str:
    if not pattern.fullmatch(value):
        abort(404)
    return value


# --- institutions -------------------------------------------------------------------------------------------


def _institutions_page(status: int = 200, **shown: Any) -> Any:
    page = render_template(
        "console/admin_institutions.html",
        institutions=institutions.list_all(current_bank()),
        types=INSTITUTION_TYPES,
        form=shown.pop("form", {}),
        errors=shown.pop("errors", {}),
        **shown,
    )
    return page, status


@bp.route("/admin/institutions")
@staff_required("admin")
def admin_institutions() -> Any:
    return _institutions_page()


def _hours(text: str) -> float | None:
    if not text.strip():
        return None
    try:
        value = float(text.strip().replace(",", "."))
    except ValueError:
        return math.nan
    return value


@bp.route("/admin/institutions", methods=["POST"])
@staff_required("admin")
def admin_institution_add() -> Any:
    form = {name: request.form.get(name, "").strip()[:400] for name in _FIELDS}
    unreadable = bank_forms.not_text(form, "adm_err_control")
    if unreadable:
        return _institutions_page(422, form=form, errors=unreadable)
    hours = _hours(form["hours_per_unit"])
    if hours is not None and not math.isfinite(hours):
        return _institutions_page(422, form=form, errors={"hours_per_unit": "adm_err_hours"})
    data = InstitutionInput(
        id=form["id"],
        type=form["type"],
        name_en=form["name_en"],
        name_zh=form["name_zh"] or None,
        parent=form["parent"] or None,
        credit_unit=form["credit_unit"] or None,
        hours_per_unit=hours,
    )
    try:
        made = institutions.register(current_bank(), data, actor=_member().actor)
    except (InvalidInput, Conflict) as refused:
        errors = bank_forms.field_messages(refused, _REFUSALS)
        return _institutions_page(refused.status, form=form, errors=errors)
    flash("adm_registered")
    return redirect(url_for("console.admin_institution", institution_id=made.id))


def _institution_page(institution_id: str, status: int = 200, **shown: Any) -> Any:
    bank = current_bank()
    institution = institutions.get(bank, institution_id)
    page = render_template(
        "console/admin_institution.html",
        institution=institution,
        members=accounts.list_all(bank, institution_id),
        keys=api_keys.list_keys(bank, institution_id),
        roles=INSTITUTION_ROLES,
        scopes=api_keys.SCOPES,
        form=shown.pop("form", {}),
        errors=shown.pop("errors", {}),
        **shown,
    )
    return page, status


@bp.route(f"/admin/institutions/{_INSTITUTION}")
@staff_required("admin")
def admin_institution(institution_id: str) -> Any:
    return _institution_page(_institution_id(institution_id))


def _setup_link(token: str) -> str:
    return f"{current_bank().public_url.rstrip('/')}/staff/setup/{token}"


@bp.route(f"/admin/institutions/{_INSTITUTION}/staff", methods=["POST"])
@staff_required("admin", confirm=True)
def admin_staff_add(institution_id: str) -> Any:
    institution_id = _institution_id(institution_id)
    form = {"login": request.form.get("login", "").strip()[:80], "role": request.form.get("role", "")[:20]}
    try:
        made = accounts.add(current_bank(), form["login"], form["role"], institution_id, created_by=_member().actor)
    except (InvalidInput, Conflict) as refused:
        errors = bank_forms.field_messages(refused, _REFUSALS)
        return _institution_page(institution_id, refused.status, form=form, errors=errors)
    return _institution_page(institution_id, made=made.staff, link=_setup_link(made.setup_token))


@bp.route(f"/admin/institutions/{_INSTITUTION}/keys", methods=["POST"])
@staff_required("admin", confirm=True)
def admin_key_issue(institution_id: str) -> Any:
    institution_id = _institution_id(institution_id)
    chosen = tuple(request.form.getlist("scope")[: len(api_keys.SCOPES) + 1])
    if not chosen:
        return _institution_page(institution_id, 422, errors={"scope": "adm_err_scope"})
    try:
        issued = api_keys.issue(current_bank(), institution_id, chosen)
    except InvalidInput as refused:
        return _institution_page(institution_id, 422, errors=bank_forms.field_messages(refused, _REFUSALS))
    return _institution_page(institution_id, issued=issued)


@bp.route("/admin/keys/<string(maxlength=12):key_id>/revoke", methods=["POST"])
@staff_required("admin", confirm=True)
def admin_key_revoke(key_id: str) -> Any:
    revoked = api_keys.revoke(current_bank(), _shaped(_KEY_ID, key_id))
    flash("adm_key_revoked")
    return redirect(url_for("console.admin_institution", institution_id=revoked.institution_id))


# --- staff ----------------------------------------------------------------------------------------------------


def _bank_staff_page(status: int = 200, **shown: Any) -> Any:
    page = render_template(
        "console/admin_bank_staff.html",
        members=accounts.list_all(current_bank(), bank_only=True),
        roles=BANK_ROLES,
        form=shown.pop("form", {}),
        errors=shown.pop("errors", {}),
        **shown,
    )
    return page, status


@bp.route("/admin/bank-staff")
@staff_required("admin")
def admin_bank_staff() -> Any:
    return _bank_staff_page()


@bp.route("/admin/bank-staff", methods=["POST"])
@staff_required("admin", confirm=True)
def admin_bank_staff_add() -> Any:
    form = {"login": request.form.get("login", "").strip()[:80], "role": request.form.get("role", "")[:20]}
    try:
        made = accounts.add(current_bank(), form["login"], form["role"], None, created_by=_member().actor)
    except (InvalidInput, Conflict) as refused:
        return _bank_staff_page(refused.status, form=form, errors=bank_forms.field_messages(refused, _REFUSALS))
    return _bank_staff_page(made=made.staff, link=_setup_link(made.setup_token))


def _staff_page_of(institution_id: str | None, status: int = 200, **shown: Any) -> Any:
    if institution_id is None:
        return _bank_staff_page(status, **shown)
    return _institution_page(institution_id, status, **shown)


@bp.route("/admin/staff/<string(maxlength=24):staff_id>/reset", methods=["POST"])
@staff_required("admin", confirm=True)
def admin_staff_reset(staff_id: str) -> Any:
    try:
        made = accounts.reset(current_bank(), _shaped(_STAFF_ID, staff_id))
    except Conflict:
        flash("adm_staff_disabled_already")
        return redirect(url_for("console.admin_bank_staff"))
    return _staff_page_of(made.staff.institution_id, made=made.staff, link=_setup_link(made.setup_token))


@bp.route("/admin/staff/<string(maxlength=24):staff_id>/disable", methods=["POST"])
@staff_required("admin", confirm=True)
def admin_staff_disable(staff_id: str) -> Any:
    view = accounts.disable(current_bank(), _shaped(_STAFF_ID, staff_id))
    flash("adm_staff_disabled")
    if view.institution_id is None:
        return redirect(url_for("console.admin_bank_staff"))
    return redirect(url_for("console.admin_institution", institution_id=view.institution_id))


# --- frameworks and rule sets ---------------------------------------------------------------------------------


def _frameworks_page(status: int = 200, **shown: Any) -> Any:
    bank = current_bank()
    page = render_template(
        "console/admin_frameworks.html",
        frameworks=credit_rules.list_frameworks(bank),
        rule_sets=credit_rules.list_rule_sets(bank),
        **shown,
    )
    return page, status


@bp.route("/admin/frameworks")
@staff_required("admin")
def admin_frameworks() -> Any:
    return _frameworks_page()


@bp.route("/admin/frameworks", methods=["POST"])
@bank_forms.bounded_upload
@staff_required("admin")
def admin_publish() -> Any:
    kind = request.form.get("kind", "")
    if kind not in ("framework", "rules"):
        return _frameworks_page(400, kind=None, faults=[("kind", "adm_err_kind")])
    raw, name = bank_forms.uploaded()
    try:
        published = credit_rules.publish_upload(current_bank(), kind, raw, name, actor=_member().actor)
    except (InvalidInput, Conflict) as refused:
        return _frameworks_page(refused.status, kind=kind, faults=bank_forms.faults(refused))
    return _frameworks_page(kind=kind, published=published[0])
