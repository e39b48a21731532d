"""What every recognition use case reads of an application: who applied, the row and who may act on it, the
framework's active rules, the reviewers who may take it, and the view a door shows.

Shared by ``applications`` (handing in, withdrawing, reading) and ``decisions`` (deciding, appealing, revoking), so
that neither has to reach into the other.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from creditbank import ledger_store
from creditbank.credits import statement
from creditbank.errors import Forbidden, InvalidInput, NotFound
from creditbank.models import RecognitionApplication, StaffAccount
from creditbank.runtime import Bank
from creditbank.services.credits import credit_rules
from creditbank.services.recognition import evidence_files
from creditbank.services.records import consent
from creditbank.services.records.api_keys import Principal
from creditbank.services.records.institutions import BANK_ACTOR

LEARNER_ACTOR = consent.PORTAL_ACTOR
OPEN_STATES = ("submitted", "under_review", "appealed")
# Open applications per learner: enough for anyone's real case, few enough that nobody floods the reviewers.
MAX_OPEN = 10


@dataclass(frozen=True)
class Applicant:
    """Who hands the application in: the learner themself, an institution for them, or the bank's desk."""

    actor: str
    institution: str | None = None

    @classmethod
    def learner(cls) -> Applicant:
        return cls(LEARNER_ACTOR)

    @classmethod
    def bank(cls) -> Applicant:
        return cls(BANK_ACTOR)

    @classmethod
    def for_institution(cls, principal: Principal) -> Applicant:
        return cls(principal.actor, principal.institution_id)


def active_rules(session: Session, framework: str | None) -> tuple[str, Any, str]:
    book = credit_rules.rulebook(session)
    if framework is None:
        if len(book.active) != 1:
            choices = ", ".join(sorted(book.active)) or "none is published"
            raise InvalidInput(
                f"name the framework the learning should count in ({choices})", errors={"framework": "required"}
            )
        framework = next(iter(book.active))
    if framework not in book.active:
        raise InvalidInput(
            f"no rule set is active for framework {framework!r}, so nothing can be recognized in it",
            errors={"framework": "no active rule set"},
        )
    rule_set, rules_hash = book.active[framework]
    return framework, rule_set, rules_hash


def eligible_reviewers(
    session: Session, application: RecognitionApplication, *, exclude: Sequence[str] = ()
) -> list[str]:
    """Active bank reviewers who may take this application, least loaded first: not affiliated with the applying
    institution, and not any of ``exclude`` (the first decision's reviewer, for an appeal)."""
    open_load = (
        select(RecognitionApplication.reviewer, func.count())
        .where(RecognitionApplication.state.in_(OPEN_STATES), RecognitionApplication.reviewer.is_not(None))
        .group_by(RecognitionApplication.reviewer)
    )
    load: dict[str, int] = {str(reviewer): int(count) for reviewer, count in session.execute(open_load)}
    candidates = [
        account.id
        for account in session.scalars(
            select(StaffAccount).where(
                StaffAccount.role == "reviewer",
                StaffAccount.disabled_at.is_(None),
                StaffAccount.password_hash.is_not(None),
            )
        )
        if account.id not in exclude
        and (account.affiliation is None or account.affiliation != application.institution_id)
    ]
    return sorted(candidates, key=lambda staff: (load.get(staff, 0), staff))


def assigned_entry(application_id: str, reviewer: str, due: date, actor: str, *, appeal: bool) -> ledger_store.NewEntry:
    body = {"application": application_id, "reviewer": reviewer, "due": due.isoformat(), "appeal": appeal}
    return ledger_store.NewEntry("recognition.assigned", actor, body)


def reviewer_account(session: Session, login: str) -> StaffAccount:
    account = session.scalar(select(StaffAccount).where(StaffAccount.login == login.strip().lower()))
    if account is None or account.disabled_at is not None:
        raise NotFound(f"no active staff account {login!r}", errors={"reviewer": "unknown"})
    if account.role != "reviewer":
        raise Forbidden(f"{login} is not a reviewer", errors={"reviewer": "not a reviewer"})
    return account


def may_act(row: RecognitionApplication, applicant: Applicant, learner_id: str | None) -> None:
    if applicant.actor == LEARNER_ACTOR:
        if learner_id != row.learner_id:
            raise NotFound(f"no application {row.id!r}")
    elif applicant.institution is not None and applicant.institution != row.institution_id:
        raise NotFound(f"no application {row.id!r} handed in by {applicant.institution}")


def load(session: Session, application_id: str) -> RecognitionApplication:
    row = session.get(RecognitionApplication, application_id, populate_existing=True)
    if row is None:
        raise NotFound(f"no application {application_id!r}", errors={"application": "unknown"})
    return row


def view(
    bank: Bank, session: Session, row: RecognitionApplication, *, lines_too: bool = True, described: bool = True
) -> dict[str, Any]:
    session.refresh(row)
    items = json.loads(row.items)
    if described and any(item["kind"] == "document" for item in items):
        described = evidence_files.descriptions(bank, session, row.id)
        for item in items:
            if item["kind"] == "document":
                item["description"] = described.get(item["evidence"])
    result: dict[str, Any] = {
        "id": row.id,
        "learner": row.learner_id,
        "framework": row.framework,
        "qualification": row.qualification,
        "institution": row.institution_id,
        "state": row.state,
        "applied_seq": row.applied_seq,
        "applied_at": row.applied_at,
        "rules": row.rules_version,
        "reviewer": row.reviewer,
        "due": row.due,
        "items": items,
        "decision": None if row.decision is None else {**json.loads(row.decision), "seq": row.decided_seq},
        "appeal_until": row.appeal_until,
        "appeal": None,
    }
    if row.appealed_seq is not None:
        result["appeal"] = {
            "seq": row.appealed_seq,
            "reason": row.appeal_reason,
            "reviewer": row.appeal_reviewer,
            "decision": None
            if row.appeal_decision is None
            else {**json.loads(row.appeal_decision), "seq": row.appeal_decided_seq},
        }
    if lines_too:
        from creditbank.models import CreditLine

        found = session.scalars(select(CreditLine).where(CreditLine.application_id == row.id).order_by(CreditLine.seq))
        result["lines"] = [
            {
                "seq": line.seq,
                "credits": statement.credits(line.cents),
                "level": line.level,
                "category": line.category,
                "outcome": line.outcome,
                "learning": line.learning,
                "reverses": line.reverses,
                "reversed_by": line.reversed_seq,
                "decision_seq": line.source_seq,
            }
            for line in found
        ]
    return result
