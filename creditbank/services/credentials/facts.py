"""Gathering what a credential states: the learner's names and birth date, the institution, the claims and the
ledger seqs they come from. Nothing here writes."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from certificates import credentials as credential_documents
from certificates.pdf_pages import CHINESE, SECOND_LANGUAGES
from creditbank.errors import (
    Conflict,
    InvalidInput,
    NotFound,
)
from creditbank.models import (
    Achievement,
    CreditLine,
    Institution,
    Learner,
    QualificationAward,
)
from creditbank.runtime import Bank
from creditbank.services.credits import credit_rules
from creditbank.services.records.api_keys import Principal
from creditbank.services.records.learners import require_enrolled, submitted_by
from creditbank.services.records.personal_records import personal_of

ISSUE_SCOPE = "credentials:write"
KINDS = ("achievement", "qualification", "transcript")
# A document is Chinese and one second language, either first: "zh-fr" prints Chinese first, "ar-zh" Arabic first.
LANGUAGE_ORDERS = tuple(
    order for second in SECOND_LANGUAGES for order in (f"{CHINESE}-{second}", f"{second}-{CHINESE}")
)


@dataclass(frozen=True)
class Request:
    learner_id: str
    kind: str
    subject: str | None = None  # achievement id or award id; None for a transcript
    language_order: str = "zh-en"  # one of LANGUAGE_ORDERS, kept with the document so a reprint reads the same


def language_order(text: str) -> tuple[str, str]:
    """A stored order ("zh-fr") as the page's two languages; refused when it is no pair a document can speak."""
    if text not in LANGUAGE_ORDERS:
        raise InvalidInput(
            f"language_order must be one of {', '.join(LANGUAGE_ORDERS)}", errors={"language_order": "unknown"}
        )
    first, _, second = text.partition("-")
    return first, second


def bank_name(bank: Bank) -> dict[str, str]:
    return {
        "zh": str(bank.settings.get("CREDITBANK_NAME_ZH") or "终身学习学分银行"),
        "en": str(bank.settings.get("CREDITBANK_NAME_EN") or "Lifelong Learning Credit Bank"),
    }


def both_languages(text: Mapping[str, str]) -> str:
    parts = [text.get("zh"), text.get("en")]
    return " / ".join(part for part in parts if part)


def amount(cents: int) -> Decimal:
    return (Decimal(cents) / 100).normalize()


@dataclass
class Facts:
    claims: list[credential_documents.Claim]
    sources: list[int]
    institution: str | None
    names: list[str]
    birth_date: date
    title: dict[str, str]
    rows: list[dict[str, Any]]
    # A transcript the bank issues lists the qualifications awarded to the learner (name, level, awarded_at, seq).
    qualifications: list[dict[str, Any]] = field(default_factory=list)


def personal(bank: Bank, session: Session, learner: Learner, names_from: str | None = None) -> tuple[list[str], date]:
    """The holder's name forms and birth date: as the bank holds them, or, for a credential an institution asked
    for (``names_from``), as that institution submitted them, so that a PDF it downloads prints no name another
    institution recorded."""
    personal = personal_of(bank, session, learner.id) if learner.status != "erased" else None
    if personal is None:
        raise Conflict(f"learner {learner.id} has been erased; no credential can name them")
    identity = personal["identity"] if names_from is None else submitted_by(session, learner, names_from, personal)
    names = [name for name in (identity.get("name", {}).get("zh"), identity.get("name", {}).get("latin")) if name]
    if not names:
        raise Conflict(
            f"{names_from} holds no name of learner {learner.id}: enroll the learner again with the details you "
            "hold, then ask for the credential"
        )
    return names, date.fromisoformat(identity["birth_date"])


def _institution(session: Session, bank: Bank, institution_id: str) -> credential_documents.Party:
    row = session.get(Institution, institution_id)
    name = both_languages({"zh": row.name_zh or "", "en": row.name_en}) if row is not None else institution_id
    return credential_documents.Party(f"{bank.public_url}/institutions/{institution_id}", name)


def _framework_level(bank: Bank, framework: Any, number: int) -> credential_documents.FrameworkLevel:
    """Where a credit sits: the framework, the level's name, the credit unit, and the framework's public page."""
    level = framework.levels.get(number)
    return credential_documents.FrameworkLevel(
        framework.id,
        both_languages(framework.name),
        number,
        both_languages(level.name) if level else str(number),
        framework.hours_per_credit,
        f"{bank.public_url}/api/v1/frameworks/{framework.id}",
    )


def _lines_of(session: Session, achievement_id: str) -> list[CreditLine]:
    return list(
        session.scalars(
            select(CreditLine)
            .where(CreditLine.achievement_id == achievement_id, CreditLine.reverses.is_(None))
            .where(CreditLine.reversed_seq.is_(None))
            .order_by(CreditLine.seq)
        )
    )


def _achievement_claim(
    bank: Bank, session: Session, achievement: Achievement
) -> tuple[credential_documents.Claim, dict[str, Any]]:
    data = json.loads(achievement.data)
    book = credit_rules.rulebook(session)
    lines = _lines_of(session, achievement.id)
    line = lines[0] if lines else None
    level = None
    row: dict[str, Any] = {"seq": achievement.recorded_seq, "credits": "0", "level": {"zh": "", "en": ""}}
    if line is not None and line.framework in book.frameworks:
        framework = book.frameworks[line.framework]
        level_def = framework.levels.get(line.level)
        level = _framework_level(bank, framework, line.level)
        row.update(
            credits=f"{amount(line.cents):f}",
            level=dict(level_def.name) if level_def else {"zh": str(line.level), "en": str(line.level)},
            category=dict(framework.categories.get(line.category, {"zh": line.category, "en": line.category})),
            framework=dict(framework.name),
        )
    title = data.get("title") or {}
    claim = credential_documents.Claim(
        achievement_id=f"{bank.public_url}/achievements/{achievement.id}",
        name=both_languages(title) or achievement.record_id,
        description=f"{achievement.kind.replace('_', ' ')} recorded by {achievement.institution_id}",
        criteria=both_languages(title) + " — completed as recorded by the institution",
        achievement_type="Course"
        if achievement.kind == "course"
        else "ext:" + achievement.kind.title().replace("_", ""),
        creator=_institution(session, bank, achievement.institution_id),
        credits=amount(line.cents) if line else None,
        level=level,
        category=line.category if line else None,
        completed=date.fromisoformat(data["completed"]) if data.get("completed") else None,
        human_code=data.get("code"),
    )
    row.update(
        title=dict(title), status=achievement.status, completed=data.get("completed"), institution=claim.creator.name
    )
    # What a certificate prints besides the credits, when the institution recorded it.
    row.update({name: data[name] for name in ("result", "hours") if data.get(name) is not None})
    return claim, row


def _awards(session: Session, learner_id: str) -> list[dict[str, Any]]:
    """The qualifications awarded to the learner, oldest first, as a transcript lists them."""
    book = credit_rules.rulebook(session)
    found = []
    awards = session.scalars(
        select(QualificationAward)
        .where(QualificationAward.learner_id == learner_id)
        .order_by(QualificationAward.awarded_seq)
    )
    for award in awards:
        framework = book.frameworks.get(award.framework)
        qualification = framework.qualifications.get(award.qualification) if framework else None
        if framework is None or qualification is None:
            continue
        level = framework.levels.get(qualification.level)
        number = str(qualification.level)
        found.append(
            {
                "seq": award.awarded_seq,
                "title": dict(qualification.name),
                "level": dict(level.name) if level else {"zh": number, "en": number},
                "framework": dict(framework.name),
                "awarded_at": award.time,
            }
        )
    return found


def gather(bank: Bank, session: Session, principal: Principal | None, request: Request) -> Facts:
    learner = (
        require_enrolled(session, principal, request.learner_id)
        if principal
        else session.get(Learner, request.learner_id)
    )
    if learner is None:
        raise NotFound(f"no learner {request.learner_id!r}")
    names, birth = personal(bank, session, learner, principal.institution_id if principal else None)
    if request.kind == "achievement":
        achievement = session.get(Achievement, request.subject or "")
        if achievement is None or achievement.learner_id != learner.id:
            raise NotFound(f"learner {learner.id} has no achievement {request.subject!r}")
        if principal is not None and achievement.institution_id != principal.institution_id:
            raise NotFound(f"learner {learner.id} has no achievement {request.subject!r} recorded by you")
        if achievement.status == "revoked":
            raise Conflict(f"achievement {achievement.id} was revoked; no credential can be issued for it")
        claim, row = _achievement_claim(bank, session, achievement)
        return Facts([claim], [achievement.recorded_seq], achievement.institution_id, names, birth, row["title"], [row])
    if request.kind == "qualification":
        if principal is not None:
            raise NotFound("qualification credentials are issued by the bank")
        award = session.get(QualificationAward, request.subject or "")
        if award is None or award.learner_id != learner.id:
            raise NotFound(f"learner {learner.id} has no qualification award {request.subject!r}")
        book = credit_rules.rulebook(session)
        framework = book.frameworks[award.framework]
        qualification = framework.qualifications[award.qualification]
        level_def = framework.levels.get(qualification.level)
        claim = credential_documents.Claim(
            achievement_id=f"{bank.public_url}/api/v1/frameworks/{framework.id}#{qualification.id}",
            name=both_languages(qualification.name),
            description=f"Qualification awarded under {both_languages(framework.name)}, rule set {award.rules_version}",
            criteria=f"{amount(award.cents):f} credits meeting the requirements of {qualification.id}",
            achievement_type="ext:Qualification",
            creator=credential_documents.Party(bank.did, both_languages(bank_name(bank))),
            credits=amount(award.cents),
            level=_framework_level(bank, framework, qualification.level),
            category=None,
            completed=date.fromisoformat(award.time[:10]),
        )
        row = {
            "seq": award.awarded_seq,
            "title": dict(qualification.name),
            "credits": f"{amount(award.cents):f}",
            "level": dict(level_def.name) if level_def else {"zh": "", "en": ""},
            "framework": dict(framework.name),
            "institution": both_languages(bank_name(bank)),
            "awarded_at": award.time,
        }
        return Facts([claim], [award.awarded_seq], None, names, birth, dict(qualification.name), [row])
    if request.kind == "transcript":
        query = select(Achievement).where(Achievement.learner_id == learner.id, Achievement.status != "revoked")
        if principal is not None:
            query = query.where(Achievement.institution_id == principal.institution_id)
        achievements = list(session.scalars(query.order_by(Achievement.recorded_seq)))
        if not achievements:
            raise Conflict(f"learner {learner.id} has no achievements to put in a transcript")
        claims, rows = [], []
        for achievement in achievements[:500]:
            claim, row = _achievement_claim(bank, session, achievement)
            claims.append(claim)
            rows.append(row)
        title = {"zh": "终身学习成绩单", "en": "Lifelong learning transcript"}
        sources = [achievement.recorded_seq for achievement in achievements[:500]]
        # Awards are the bank's own: an institution's transcript of its records lists none of them.
        awarded = _awards(session, learner.id) if principal is None else []
        return Facts(
            claims, sources, principal.institution_id if principal else None, names, birth, title, rows, awarded
        )
    raise InvalidInput(f"kind must be one of {', '.join(KINDS)}", errors={"kind": "unknown"})
