"""Credit accounts: converting achievements as they are recorded, compensating when they change, re-evaluating
under a new rule set, statements and progress, and awarding qualifications by redeeming credits.

A learner's balance is never stored: it is the sum of conversions not reversed, less what awards consumed.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import RowMapping
from sqlalchemy.orm import Session

from creditbank import achievement_rules, ledger_store, recording
from creditbank.credits import statement
from creditbank.credits.conversion import Conversion, Source, convert
from creditbank.credits.documents import as_number
from creditbank.credits.frameworks import QualificationType
from creditbank.credits.planner import Plan, plan
from creditbank.errors import Conflict, Forbidden, InvalidInput, NotFound
from creditbank.models import (
    Achievement,
    CreditLine,
    Institution,
    Learner,
    QualificationAward,
    Redemption,
)
from creditbank.projectors import Applied
from creditbank.runtime import Bank
from creditbank.services.credits import credit_rules
from creditbank.services.credits.credit_rules import Rulebook
from creditbank.services.random_ids import random_id
from creditbank.services.records import consent, idempotency
from creditbank.services.records.api_keys import Principal
from creditbank.services.records.idempotency import Outcome, RetryKey
from creditbank.services.records.institutions import BANK_ACTOR
from creditbank.services.records.learners import require_enrolled

CONVERSION_ACTOR = f"{BANK_ACTOR}:conversion"
AWARD_SCOPE = "qualifications:award"
_LINES = CreditLine.__table__
_REDEMPTIONS = Redemption.__table__


def cents(value: Decimal) -> int:
    return int((value * 100).to_integral_value())


def credits_of(cents_: int) -> int | float | None:
    return as_number(Decimal(cents_) / 100)


@dataclass(frozen=True)
class _Issuer:
    type: str
    unit: str | None
    hours: Decimal | None


def issuers(session: Session, ids: set[str]) -> dict[str, _Issuer]:
    """The credit systems conversions read (institution type, native unit and its hours), by institution id."""
    rows = session.execute(
        select(Institution.id, Institution.type, Institution.credit_unit, Institution.hours_per_unit).where(
            Institution.id.in_(ids)
        )
    )
    return {i: _Issuer(kind, unit, None if hours is None else Decimal(str(hours))) for i, kind, unit, hours in rows}


def _source(body: dict[str, Any], seq: int, issuer: _Issuer, data: dict[str, Any]) -> Source:
    return Source(
        body["achievement"], body["learner"], body["institution"], issuer.type, seq, data, issuer.unit, issuer.hours
    )


def _entries_for(book: Rulebook, sources: Sequence[tuple[Source, date]]) -> list[ledger_store.NewEntry]:
    entries = []
    for source, as_of in sources:
        for framework_id, (rule_set, rules_hash) in sorted(book.active.items()):
            result = convert(source, rule_set, book.frameworks[framework_id], book.outcomes, as_of)
            body = result.body(source, rule_set, rules_hash, as_of)
            entries.append(ledger_store.NewEntry("credits.converted", CONVERSION_ACTOR, body))
    return entries


def conversions(book: Rulebook, found: dict[str, _Issuer], recorded: Sequence[Applied]) -> list[ledger_store.NewEntry]:
    """The ``credits.converted`` entries for ``achievement.recorded`` entries, under each framework's active rule set
    as of the day each was recorded; ``found`` holds the recording institutions' :func:`issuers`."""
    sources = [
        (_source(r.body, r.seq, found[r.body["institution"]], r.body["data"]), date.fromisoformat(r.time[:10]))
        for r in recorded
    ]
    return _entries_for(book, sources)


def convert_recorded(session: Session, recorded: Sequence[Applied]) -> None:
    """Convert just-recorded achievements under each framework's active rule set, in the caller's transaction."""
    book = credit_rules.rulebook(session)
    if not book.active or not recorded:
        return
    found = issuers(session, {r.body["institution"] for r in recorded})
    recording.record(session, conversions(book, found, recorded))


def _open_lines(session: Session, achievement_id: str, framework: str | None = None) -> list[CreditLine]:
    query = select(CreditLine).where(
        CreditLine.achievement_id == achievement_id, CreditLine.reverses.is_(None), CreditLine.reversed_seq.is_(None)
    )
    if framework is not None:
        query = query.where(CreditLine.framework == framework)
    return list(session.scalars(query.order_by(CreditLine.seq)))


def _reversal(line: CreditLine, source_seq: int, why: dict[str, str]) -> ledger_store.NewEntry:
    body = {
        "learner": line.learner_id,
        "achievement": line.achievement_id,
        "source_seq": source_seq,
        "institution": line.institution_id,
        "framework": line.framework,
        "rules": line.rules_version,
        "reverses": line.seq,
        "credits": credits_of(-line.cents),
        "level": line.level,
        "category": line.category,
        "source": line.source,
        "outcome": line.outcome,
        "explanation": [why],
    }
    return ledger_store.NewEntry("credits.converted", CONVERSION_ACTOR, body)


def compensate(session: Session, amended: Applied, data: dict[str, Any] | None) -> None:
    """After a correction (``data`` = the new values) or a revocation (``None``): reverse the achievement's open
    conversions and, for a correction, convert the new values."""
    achievement = session.get(Achievement, amended.body["achievement"])
    assert achievement is not None
    lines = _open_lines(session, achievement.id)
    change_zh, change_en = ("更正", "corrected") if data is not None else ("撤销", "revoked")
    why = {
        "zh": f"冲销：该成就已于 #{amended.seq} {change_zh}，原换算 #{{seq}} 作废。",
        "en": f"Reversal: the achievement was {change_en} at #{amended.seq}, so conversion #{{seq}} no longer stands.",
    }
    entries = [
        _reversal(line, amended.seq, {key: text.format(seq=line.seq) for key, text in why.items()}) for line in lines
    ]
    if data is not None:
        book = credit_rules.rulebook(session)
        issuer = issuers(session, {achievement.institution_id})[achievement.institution_id]
        source_body = {
            "achievement": achievement.id,
            "learner": achievement.learner_id,
            "institution": achievement.institution_id,
        }
        source = _source(source_body, amended.seq, issuer, data)
        entries.extend(_entries_for(book, [(source, date.fromisoformat(amended.time[:10]))]))
    if entries:
        recording.record(session, entries)


def _today() -> date:
    return datetime.now(UTC).date()


def reconvert(bank: Bank, version: str, *, chunk: int = 500) -> dict[str, Any]:
    """Re-evaluate every standing achievement under rule set ``version``; append a reversal and a new conversion
    where the result differs, leave the rest. Works in chunks, each its own transaction."""
    with bank.db.reading() as session:
        rule_set, rules_hash = credit_rules.rule_set(session, version)
        book = credit_rules.rulebook(session)
    framework = book.frameworks[rule_set.framework]
    as_of = _today()
    changed = unchanged = 0
    after = ""
    while True:
        with bank.db.writing() as session:
            achievements = list(
                session.scalars(
                    select(Achievement)
                    .where(Achievement.status == "active", Achievement.id > after)
                    .order_by(Achievement.id)
                    .limit(chunk)
                )
            )
            if not achievements:
                break
            after = achievements[-1].id
            found = issuers(session, {a.institution_id for a in achievements})
            entries: list[ledger_store.NewEntry] = []
            for achievement in achievements:
                body = {
                    "achievement": achievement.id,
                    "learner": achievement.learner_id,
                    "institution": achievement.institution_id,
                }
                source = _source(
                    body, achievement.last_seq, found[achievement.institution_id], json.loads(achievement.data)
                )
                result = convert(source, rule_set, framework, book.outcomes, as_of)
                lines = _open_lines(session, achievement.id, rule_set.framework)
                if lines and all(_same(line, result) for line in lines):
                    unchanged += 1
                    continue
                changed += 1
                why = {
                    "zh": f"冲销：按规则集 {version} 重新评估，原换算 #{{seq}} 作废。",
                    "en": f"Reversal: re-evaluated under rule set {version}, so conversion #{{seq}} no longer stands.",
                }
                for line in lines:
                    entries.append(
                        _reversal(line, achievement.last_seq, {k: t.format(seq=line.seq) for k, t in why.items()})
                    )
                converted = result.body(source, rule_set, rules_hash, as_of)
                entries.append(ledger_store.NewEntry("credits.converted", CONVERSION_ACTOR, converted))
            if entries:
                recording.record(session, entries)
    return {"rules": version, "framework": rule_set.framework, "changed": changed, "unchanged": unchanged}


def _same(line: CreditLine, result: Conversion) -> bool:
    return (line.cents, line.level, line.category, line.source, line.outcome) == (
        cents(result.credits),
        result.level,
        result.category,
        result.source,
        result.outcome,
    )


def preview(bank: Bank, principal: Principal, data: dict[str, Any], framework: str | None) -> dict[str, Any]:
    """What an achievement with these values, recorded now by the caller, would convert to. Appends nothing."""
    problems = achievement_rules.check(data, _today())
    if problems:
        raise InvalidInput("the achievement has invalid fields; see errors", errors=problems)
    with bank.db.reading() as session:
        book = credit_rules.rulebook(session)
        issuer = issuers(session, {principal.institution_id})[principal.institution_id]
    chosen = {k: v for k, v in book.active.items() if framework is None or k == framework}
    if not chosen:
        raise NotFound(
            f"no rule set is active for {framework!r}" if framework else "no rule set has been published yet",
            errors={"framework": "no active rule set"} if framework else None,
        )
    body = {"achievement": "preview", "learner": "preview", "institution": principal.institution_id}
    source = _source(body, 0, issuer, data)
    today = _today()
    results = []
    for framework_id, (rule_set, rules_hash) in sorted(chosen.items()):
        result = convert(source, rule_set, book.frameworks[framework_id], book.outcomes, today)
        view = result.body(source, rule_set, rules_hash, today)
        for key in ("learner", "achievement", "source_seq"):
            view.pop(key)
        results.append(view)
    return {"conversions": results}


# --- accounts, progress and awards ----------------------------------------------------------------------------


def _learner(session: Session, principal: Principal | None, learner_id: str) -> Learner:
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
        _learner(session, principal, learner_id)
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
            if reach.full or award.framework in reach.awarding or award.awarded_by == reach.actor
        ]
    found = statement.accounts(lines, redemptions, lambda line: reach.whole(line.institution))
    return {
        "learner": learner_id,
        "accounts": [_account_view(a) for a in found],
        "awards": [_award_view(a) for a in awards],
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


def _award_view(award: QualificationAward) -> dict[str, Any]:
    return {
        "id": award.id,
        "qualification": award.qualification,
        "framework": award.framework,
        "rules": award.rules_version,
        "credits": credits_of(award.cents),
        "awarded_seq": award.awarded_seq,
        "redeemed_seq": award.redeemed_seq,
        "awarded_by": award.awarded_by,
        "time": award.time,
    }


def _qualification(book: Rulebook, qualification_id: str) -> QualificationType:
    for framework in book.frameworks.values():
        if qualification_id in framework.qualifications:
            return framework.qualifications[qualification_id]
    raise NotFound(f"no qualification type {qualification_id!r} in any published framework")


def _plan(
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
        _learner(session, principal, learner_id)
        book = credit_rules.rulebook(session)
        qualification = _qualification(book, qualification_id)
        active = book.active.get(qualification.framework)
        only = None
        if principal is not None and not consent.holds(session, learner_id, principal.institution_id, "credits"):
            awarding = active[0].awarding.get(qualification.id, ()) if active else ()
            only = None if principal.institution_id in awarding else principal.institution_id
        found = _plan(session, learner_id, qualification, book, only)
        return {**_plan_view(found, active[0].version if active else None), "counted": "all" if only is None else "own"}


def award(
    bank: Bank,
    principal: Principal | None,
    learner_id: str,
    qualification_id: str,
    retry: RetryKey | None = None,
) -> Outcome:
    """Award a qualification by redeeming exactly the credits its requirements use; 422 names what is missing.
    ``principal`` None is bank staff at the CLI; an institution must be named in the rule set's awarding list."""
    if principal is not None:
        principal.require(AWARD_SCOPE)
    owner = principal.institution_id if principal is not None else BANK_ACTOR
    actor = principal.actor if principal is not None else BANK_ACTOR

    def work(session: Session) -> Outcome:
        # An award redeems credits, a write: consent only ever opens reads, so the awarding body must hold the
        # learner itself, not just a ``credits`` grant.
        learner = require_enrolled(session, principal, learner_id) if principal else _learner(session, None, learner_id)
        if learner.status == "erased":
            raise Conflict(f"learner {learner_id} has been erased")
        book = credit_rules.rulebook(session)
        qualification = _qualification(book, qualification_id)
        active = book.active.get(qualification.framework)
        if active is None:
            raise Conflict(f"no rule set is active for {qualification.framework}, so nothing can be awarded in it")
        rule_set, rules_hash = active
        if principal is not None and principal.institution_id not in rule_set.awarding.get(qualification.id, ()):
            raise Forbidden(
                f"{principal.institution_id} is not authorized to award {qualification.id} under rule set "
                f"{rule_set.version}"
            )
        found = _plan(session, learner_id, qualification, book)
        if not found.met:
            raise InvalidInput(
                f"{qualification.id} cannot be awarded yet: "
                + "; ".join(f"{key}: {why}" for key, why in found.missing().items()),
                errors=found.missing(),
            )
        award_id = random_id("qua_")
        used = [{"conversion": seq, "credits": as_number(amount)} for seq, amount in found.consumed.items()]
        common = {
            "award": award_id,
            "learner": learner_id,
            "qualification": qualification.id,
            "framework": qualification.framework,
            "rules": rule_set.version,
        }
        redeemed = {**common, "lines": used}
        awarded = {
            **common,
            "rules_hash": rules_hash,
            "credits": as_number(found.total),
            "requirements": [requirement.view() for requirement in found.requirements],
        }
        recording.record(
            session,
            [
                ledger_store.NewEntry("credits.redeemed", actor, redeemed),
                ledger_store.NewEntry("qualification.awarded", actor, awarded),
            ],
        )
        row = session.get(QualificationAward, award_id)
        assert row is not None
        return Outcome(True, {**_award_view(row), "learner": learner_id, "used": used})

    return idempotency.once(bank, owner, retry, work)
