"""A learner's credit account and progress toward a qualification, over the credit lines the caller may see.

A learner's balance is never stored: it is the sum of conversions not reversed, less what awards consumed
(``creditbank.credits.statement`` does the arithmetic)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import RowMapping
from sqlalchemy.orm import Session

from creditbank import actors
from creditbank.credits import statement
from creditbank.credits.documents import as_number
from creditbank.credits.frameworks import QualificationType
from creditbank.credits.planner import Plan, plan
from creditbank.errors import NotFound
from creditbank.models import (
    CreditLine,
    Learner,
    QualificationAward,
    Redemption,
)
from creditbank.runtime import Bank
from creditbank.services.credits import credit_rules
from creditbank.services.credits.credit_rules import Rulebook
from creditbank.services.records import consent
from creditbank.services.records.api_keys import Principal
from creditbank.services.records.learners import require_enrolled

_LINES = CreditLine.__table__
_REDEMPTIONS = Redemption.__table__


def learner_in_view(session: Session, principal: Principal | None, learner_id: str) -> Learner:
    if principal is not None:
        return require_enrolled(session, principal, learner_id, "credits")
    learner = session.get(Learner, learner_id)
    if learner is None:
        raise NotFound(f"no learner {learner_id!r}")
    return learner


@dataclass(frozen=True)
class _Reach:
    """Which of a learner's credit lines a reader sees.

    ``full``: every line with every field (the learner, bank staff, an institution holding ``credits`` consent).
    Otherwise an institution sees its own lines whole, and, in each framework where a published rule set names it
    as an awarding body, the other lines with only what an award decision uses (``AWARD_FIELDS``).
    """

    full: bool
    institution: str | None = None
    actor: str | None = None
    awarding: frozenset[str] = frozenset()

    def sees(self, framework: str, institution: str) -> bool:
        return self.full or institution == self.institution or framework in self.awarding

    def whole(self, institution: str) -> bool:
        return self.full or institution == self.institution


AWARD_FIELDS = statement.AWARD_FIELDS


def _reach(session: Session, principal: Principal | None, learner_id: str) -> _Reach:
    if principal is None or consent.holds(session, learner_id, principal.institution_id, "credits"):
        return _Reach(full=True)
    book = credit_rules.rulebook(session)
    awarding = frozenset(
        framework
        for framework, (rule_set, _hash) in book.active.items()
        if any(principal.institution_id in bodies for bodies in rule_set.awarding.values())
    )
    return _Reach(False, principal.institution_id, principal.actor, awarding)


def account(bank: Bank, principal: Principal | None, learner_id: str) -> dict[str, Any]:
    """The learner's credit account: balances by framework, level and category, and the statement behind them."""
    with bank.db.reading() as session:
        learner_in_view(session, principal, learner_id)
        reach = _reach(session, principal, learner_id)
        lines = [
            _credit_line(row)
            for row in session.execute(
                select(_LINES).where(_LINES.c.learner_id == learner_id).order_by(_LINES.c.framework, _LINES.c.seq)
            ).mappings()
            if reach.sees(row["framework"], row["institution_id"])
        ]
        redemptions = [
            statement.Redemption(seq, line, award, qualification, time, amount)
            for seq, line, award, qualification, time, amount in session.execute(
                select(
                    _REDEMPTIONS.c.redeemed_seq,
                    _REDEMPTIONS.c.line_seq,
                    _REDEMPTIONS.c.award_id,
                    QualificationAward.qualification,
                    QualificationAward.time,
                    _REDEMPTIONS.c.cents,
                )
                .join(QualificationAward, QualificationAward.id == _REDEMPTIONS.c.award_id)
                .where(_REDEMPTIONS.c.learner_id == learner_id)
                .order_by(_REDEMPTIONS.c.redeemed_seq, _REDEMPTIONS.c.line_seq)
            )
        ]
        awards = [
            award
            for award in session.scalars(
                select(QualificationAward)
                .where(QualificationAward.learner_id == learner_id)
                .order_by(QualificationAward.awarded_seq)
            )
            if reach.full
            or award.framework in reach.awarding
            or actors.institution_of(award.awarded_by) == reach.institution
        ]
    found = statement.accounts(lines, redemptions, lambda line: reach.whole(line.institution))
    return {
        "learner": learner_id,
        "accounts": [_account_view(a) for a in found],
        "awards": [award_view(a) for a in awards],
    }


def _credit_line(row: RowMapping) -> statement.CreditLine:
    return statement.CreditLine(
        seq=row["seq"],
        time=row["time"],
        framework=row["framework"],
        institution=row["institution_id"],
        achievement=row["achievement_id"],
        source_seq=row["source_seq"],
        rules=row["rules_version"],
        level=row["level"],
        category=row["category"],
        source=row["source"],
        outcome=row["outcome"],
        cents=row["cents"],
        consumed_cents=row["consumed_cents"],
        reverses=row["reverses"],
        reversed_by=row["reversed_seq"],
        explanation=json.loads(row["explanation"]),
    )


def _account_view(found: statement.Account) -> dict[str, Any]:
    return {
        "framework": found.framework,
        "earned": statement.credits(found.earned),
        "redeemed": statement.credits(found.used),
        "available": statement.credits(found.available),
        "balances": [
            {
                "level": balance.level,
                "category": balance.category,
                "earned": statement.credits(balance.earned),
                "redeemed": statement.credits(balance.used),
                "available": statement.credits(balance.available),
                "conversions": list(balance.conversions),
            }
            for balance in found.balances
        ],
        "statement": list(found.statement),
    }


def award_view(award: QualificationAward) -> dict[str, Any]:
    return {
        "id": award.id,
        "qualification": award.qualification,
        "framework": award.framework,
        "rules": award.rules_version,
        "credits": statement.credits(award.cents),
        "awarded_seq": award.awarded_seq,
        "redeemed_seq": award.redeemed_seq,
        "awarded_by": award.awarded_by,
        "time": award.time,
    }


def qualification_named(book: Rulebook, qualification_id: str) -> QualificationType:
    for framework in book.frameworks.values():
        if qualification_id in framework.qualifications:
            return framework.qualifications[qualification_id]
    raise NotFound(f"no qualification type {qualification_id!r} in any published framework")


def plan_for(
    session: Session, learner_id: str, qualification: QualificationType, book: Rulebook, only: str | None = None
) -> Plan:
    active = book.active.get(qualification.framework)
    caps = active[0].caps if active else ()
    rows = session.execute(
        select(_LINES).where(
            _LINES.c.learner_id == learner_id,
            _LINES.c.framework == qualification.framework,
            _LINES.c.reverses.is_(None),
            _LINES.c.reversed_seq.is_(None),
            *([_LINES.c.institution_id == only] if only is not None else []),
        )
    ).mappings()
    return plan(qualification, statement.available(_credit_line(row) for row in rows), caps)


def _plan_view(found: Plan, rules: str | None) -> dict[str, Any]:
    return {
        "qualification": found.qualification.id,
        "framework": found.qualification.framework,
        "name": found.qualification.name,
        "level": found.qualification.level,
        "rules": rules,
        "met": found.met,
        "requirements": [requirement.view() for requirement in found.requirements],
        "limits": found.limits,
        "would_use": [{"conversion": seq, "credits": as_number(amount)} for seq, amount in found.consumed.items()],
    }


def progress(bank: Bank, principal: Principal | None, learner_id: str, qualification_id: str) -> dict[str, Any]:
    """Progress toward a qualification over the lines the caller may see: all of them for the learner, bank staff,
    an awarding body of this qualification and an institution holding ``credits`` consent; otherwise the caller's
    own lines only (what it contributed, not what others did)."""
    with bank.db.reading() as session:
        learner_in_view(session, principal, learner_id)
        book = credit_rules.rulebook(session)
        qualification = qualification_named(book, qualification_id)
        active = book.active.get(qualification.framework)
        only = None
        if principal is not None and not consent.holds(session, learner_id, principal.institution_id, "credits"):
            awarding = active[0].awarding.get(qualification.id, ()) if active else ()
            only = None if principal.institution_id in awarding else principal.institution_id
        found = plan_for(session, learner_id, qualification, book, only)
        return {**_plan_view(found, active[0].version if active else None), "counted": "all" if only is None else "own"}
