"""The learner's consent page: who may read more than they recorded, for how long, and withdrawing it."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for

from creditbank.errors import Conflict, InvalidInput, NotFound
from creditbank.portal import i18n, security
from creditbank.portal.security import login_required
from creditbank.portal.views import bp
from creditbank.runtime import current_bank
from creditbank.services.records import consent, institutions
from ledger.numbers import NotADecimal, parse_decimal

PERIODS = (30, 90, 365)

MESSAGES: dict[str, dict[str, str]] = {
    "nav_consent": {"zh": "数据授权", "en": "Who can see my data"},
    "consent_title": {"zh": "谁可以查看我的数据", "en": "Who can see my data"},
    "consent_intro": {
        "zh": "每个机构只能看到它自己提交的个人信息、它自己记录的成绩和由此得到的学分。"
        "如果您想让某个机构（例如您要申请的学校）看到更多，可以在这里授权，并随时撤回。",
        "en": "Each institution sees only the personal details it submitted, the records it made and the credits they "
        "earned you. To let an institution (say, a school you are applying to) see more, grant it here; you can "
        "withdraw at any time.",
    },
    "consent_institution": {"zh": "机构", "en": "Institution"},
    "consent_scope": {"zh": "可以查看", "en": "May see"},
    "consent_scope_profile": {
        "zh": "我的姓名、出生日期、证件号码后四位和电子邮箱",
        "en": "My names, birth date, the last four characters of my ID number and my e-mail",
    },
    "consent_scope_records": {"zh": "所有机构为我记录的学习成果", "en": "Everything any institution recorded for me"},
    "consent_scope_credits": {
        "zh": "我的全部学分和获得资历的进度",
        "en": "All my credits and my progress toward any qualification",
    },
    "consent_days": {"zh": "有效期", "en": "For"},
    "consent_grant": {"zh": "授权", "en": "Grant"},
    "consent_granted": {"zh": "已授权。", "en": "Access granted."},
    "consent_withdraw": {"zh": "撤回", "en": "Withdraw"},
    "consent_withdrawn": {"zh": "授权已撤回。", "en": "Access withdrawn."},
    "consent_invalid": {
        "zh": "请选择机构、范围和有效期。",
        "en": "Choose an institution, what it may see and for how long.",
    },
    "consent_list": {"zh": "我的授权", "en": "What I have granted"},
    "consent_none": {"zh": "您还没有授权任何机构。", "en": "You have not granted access to any institution."},
    "consent_until": {"zh": "有效至", "en": "Until"},
    "consent_state_active": {"zh": "有效", "en": "In force"},
    "consent_state_expired": {"zh": "已过期", "en": "Expired"},
    "consent_state_withdrawn": {"zh": "已撤回", "en": "Withdrawn"},
    "consent_ledger": {
        "zh": "每次授权和撤回都记入账本，账本中只有您的匿名编号。",
        "en": "Each grant and withdrawal is recorded in the ledger, which holds only your pseudonymous id.",
    },
}
i18n.MESSAGES.update(MESSAGES)


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
