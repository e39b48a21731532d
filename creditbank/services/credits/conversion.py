"""Converting achievements into credit lines as they are recorded, compensating when they are corrected or revoked,
re-evaluating them under a new rule set, and previewing a conversion."""

from __future__ import annotations

import json
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from creditbank import achievement_rules, ledger_store, recording
from creditbank.credits import statement
from creditbank.credits.conversion import Conversion, Source, convert, inputs_key
from creditbank.errors import InvalidInput, NotFound
from creditbank.models import (
    Achievement,
    CreditLine,
    Institution,
)
from creditbank.projectors import Applied
from creditbank.runtime import Bank
from creditbank.services.credits import credit_rules
from creditbank.services.credits.credit_rules import Rulebook
from creditbank.services.records.api_keys import Principal
from creditbank.services.records.institutions import BANK_ACTOR

CONVERSION_ACTOR = f"{BANK_ACTOR}:conversion"
_LINES = CreditLine.__table__


@dataclass(frozen=True)
class _Issuer:
    type: str
    unit: str | None
    hours: Decimal | None


_INSTITUTIONS = Institution.__table__
_ISSUER_COLUMNS = (
    _INSTITUTIONS.c.id,
    _INSTITUTIONS.c.type,
    _INSTITUTIONS.c.credit_unit,
    _INSTITUTIONS.c.hours_per_unit,
)
_ISSUERS = select(*_ISSUER_COLUMNS).where(_INSTITUTIONS.c.id.in_(bindparam("ids", expanding=True)))
# The same with the rulebook's marks: a conversion as an achievement is recorded reads both in one statement.
_ISSUERS_AND_MARKS = select(*_ISSUER_COLUMNS, *credit_rules.MARKS).where(
    _INSTITUTIONS.c.id.in_(bindparam("ids", expanding=True))
)


def _issuer(kind: str, unit: str | None, hours: Any) -> _Issuer:
    return _Issuer(kind, unit, None if hours is None else Decimal(str(hours)))


def issuers(session: Session, ids: set[str]) -> dict[str, _Issuer]:
    """The credit systems conversions read (institution type, native unit and its hours), by institution id."""
    rows = session.execute(_ISSUERS, {"ids": sorted(ids)})
    return {i: _issuer(kind, unit, hours) for i, kind, unit, hours in rows}


def _issuers_and_rulebook(session: Session, ids: set[str]) -> tuple[dict[str, _Issuer], Rulebook]:
    rows = session.execute(_ISSUERS_AND_MARKS, {"ids": sorted(ids)}).all()
    if not rows:
        return {}, credit_rules.rulebook(session)
    found = {row[0]: _issuer(row[1], row[2], row[3]) for row in rows}
    return found, credit_rules.rulebook(session, tuple(rows[0][4:]))


def _source(body: dict[str, Any], seq: int, issuer: _Issuer, data: dict[str, Any]) -> Source:
    return Source(
        body["achievement"], body["learner"], body["institution"], issuer.type, seq, data, issuer.unit, issuer.hours
    )


def _entries_for(book: Rulebook, sources: Sequence[tuple[Source, date]]) -> list[ledger_store.NewEntry]:
    entries = []
    active = sorted(book.active.items())
    # A batch often holds the same course for many learners: each distinct input is converted once.
    done: dict[Hashable, Conversion] = {}
    for source, as_of in sources:
        inputs = inputs_key(source)
        for framework_id, (rule_set, rules_hash) in active:
            key = (framework_id, as_of, inputs)
            result = done.get(key)
            if result is None:
                result = done[key] = convert(source, rule_set, book.frameworks[framework_id], book.outcomes, as_of)
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
    if not recorded:
        return
    found, book = _issuers_and_rulebook(session, {r.body["institution"] for r in recorded})
    if not book.active:
        return
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
        "credits": statement.credits(-line.cents),
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
        statement.to_cents(result.credits),
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
