"""Converting achievements into credit lines as they are recorded, compensating when they are corrected or revoked,
re-evaluating them under a new rule set or a new agreement, and previewing a conversion.

Each achievement has at most one standing line per framework. A published agreement term that matches it writes
that line instead of the framework's rule set. A recognition decision's line (``application_id`` set) also counts
the achievement's learning: re-evaluations leave such an achievement alone in that framework, and only a
correction or revocation of the achievement itself reverses a decision's line.
"""

from __future__ import annotations

import json
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import bindparam, or_, select
from sqlalchemy.orm import Session

from creditbank import achievement_rules, ledger_store, recording
from creditbank.credits import agreements, statement
from creditbank.credits.agreements import Term
from creditbank.credits.conversion import Conversion, Source, convert, inputs_key
from creditbank.credits.rules import RuleSet
from creditbank.errors import InvalidInput, NotFound
from creditbank.models import (
    Achievement,
    CreditLine,
    Institution,
)
from creditbank.projectors import Applied
from creditbank.runtime import Bank
from creditbank.services.credits import agreement_terms, credit_rules
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


Terms = Mapping[tuple[str, str], Sequence[Term]]
_SOURCE_OF_TYPE = {"mooc_platform": "mooc"}


def _course(source: Source) -> tuple[str, str] | None:
    code = source.data.get("code")
    return (source.institution, code) if isinstance(code, str) else None


def _terms(session: Session, sources: Iterable[Source]) -> Terms:
    return agreement_terms.terms_for(session, {c for c in map(_course, sources) if c is not None})


def _agreed(source: Source, terms: Terms, rule_set: RuleSet) -> Term | None:
    """The agreement term this source converts by in the rule set's framework, if one matches and it passed."""
    course = _course(source)
    if course is None or course not in terms:
        return None
    term = agreements.match(terms[course], source.institution, source.data, rule_set.framework)
    if term is None:
        return None
    rule = rule_set.institutions.get(source.institution)
    minimum = rule.minimum_result if rule and rule.minimum_result is not None else rule_set.minimum_result
    return None if agreements.failed(source.data, minimum) else term


def _label(source: Source, rule_set: RuleSet) -> str:
    # The same source label the engine gives, so caps treat a line the same whichever way it was written.
    rule = rule_set.institutions.get(source.institution)
    return (rule.source if rule else None) or _SOURCE_OF_TYPE.get(source.institution_type, source.institution_type)


def _result(
    source: Source, rule_set: RuleSet, book: Rulebook, terms: Terms, as_of: date
) -> tuple[Conversion, Term | None]:
    term = _agreed(source, terms, rule_set)
    outcome = book.outcomes.get(term.outcome) if term is not None else None
    if term is not None and outcome is not None:
        return agreements.recognize(term, outcome, _label(source, rule_set), rule_set.version), term
    return convert(source, rule_set, book.frameworks[rule_set.framework], book.outcomes, as_of), None


def _body(
    result: Conversion, term: Term | None, source: Source, rule_set: RuleSet, rules_hash: str, as_of: date
) -> dict[str, Any]:
    body = result.body(source, rule_set, rules_hash, as_of)
    if term is not None:
        body["agreement"] = agreements.reference(term)
    return body


def _entries_for(
    book: Rulebook,
    sources: Sequence[tuple[Source, date]],
    terms: Terms | None = None,
    skip: frozenset[str] = frozenset(),
) -> list[ledger_store.NewEntry]:
    """One conversion per source and framework with an active rule set, except the frameworks in ``skip``."""
    entries = []
    active = sorted((k, v) for k, v in book.active.items() if k not in skip)
    terms = terms or {}
    # A batch often holds the same course for many learners: each distinct input is converted once. The inputs
    # hold the institution, code and completion date, so they fix the matching agreement term too.
    done: dict[Hashable, tuple[Conversion, Term | None]] = {}
    for source, as_of in sources:
        inputs = inputs_key(source)
        for framework_id, (rule_set, rules_hash) in active:
            key = (framework_id, as_of, inputs)
            found = done.get(key)
            if found is None:
                found = done[key] = _result(source, rule_set, book, terms, as_of)
            body = _body(found[0], found[1], source, rule_set, rules_hash, as_of)
            entries.append(ledger_store.NewEntry("credits.converted", CONVERSION_ACTOR, body))
    return entries


def conversions(
    book: Rulebook, found: dict[str, _Issuer], recorded: Sequence[Applied], terms: Terms | None = None
) -> list[ledger_store.NewEntry]:
    """The ``credits.converted`` entries for ``achievement.recorded`` entries, under each framework's active rule set
    (or the agreement term in ``terms`` that matches) as of the day each was recorded; ``found`` holds the recording
    institutions' :func:`issuers`."""
    sources = [
        (_source(r.body, r.seq, found[r.body["institution"]], r.body["data"]), date.fromisoformat(r.time[:10]))
        for r in recorded
    ]
    return _entries_for(book, sources, terms)


def convert_recorded(session: Session, recorded: Sequence[Applied]) -> None:
    """Convert just-recorded achievements under each framework's active rule set, in the caller's transaction."""
    if not recorded:
        return
    found, book = _issuers_and_rulebook(session, {r.body["institution"] for r in recorded})
    if not book.active:
        return
    sources = [_source(r.body, r.seq, found[r.body["institution"]], r.body["data"]) for r in recorded]
    recording.record(session, conversions(book, found, recorded, _terms(session, sources)))


def _open_lines(
    session: Session, achievement_id: str, framework: str | None = None, *, decisions: bool = True
) -> list[CreditLine]:
    query = select(CreditLine).where(
        CreditLine.achievement_id == achievement_id, CreditLine.reverses.is_(None), CreditLine.reversed_seq.is_(None)
    )
    if framework is not None:
        query = query.where(CreditLine.framework == framework)
    if not decisions:
        query = query.where(CreditLine.application_id.is_(None))
    return list(session.scalars(query.order_by(CreditLine.seq)))


def decided(session: Session, achievement_ids: Iterable[str]) -> set[tuple[str, str]]:
    """The (achievement, framework) pairs a recognition decision has a standing line for: that learning is counted
    there already, so no rule set or agreement may convert it again."""
    ids = sorted(set(achievement_ids))
    if not ids:
        return set()
    query = select(CreditLine.achievement_id, CreditLine.learning, CreditLine.framework).where(
        CreditLine.application_id.is_not(None),
        CreditLine.reverses.is_(None),
        CreditLine.reversed_seq.is_(None),
        or_(CreditLine.achievement_id.in_(ids), CreditLine.learning.in_([f"ach:{i}" for i in ids])),
    )
    found = set()
    for achievement_id, learning, framework in session.execute(query):
        if achievement_id is not None:
            found.add((achievement_id, framework))
        if isinstance(learning, str) and learning.startswith("ach:"):
            found.add((learning[4:], framework))
    return found


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
    # A decision's line keeps naming its application and learning when reversed, so the pair reads as one.
    if line.application_id is not None:
        body["application"] = line.application_id
    if line.learning is not None:
        body["learning"] = line.learning
    return ledger_store.NewEntry("credits.converted", CONVERSION_ACTOR, body)


def compensate(session: Session, amended: Applied, data: dict[str, Any] | None) -> None:
    """After a correction (``data`` = the new values) or a revocation (``None``): reverse every open line of the
    achievement, a recognition decision's too (it recognized values that no longer stand), and, for a correction,
    convert the new values in each framework no decision had counted it in. There the decision is the authority:
    the reviewer, not the engine, says what the corrected achievement is worth."""
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
        skip = frozenset(line.framework for line in lines if line.application_id is not None)
        as_of = date.fromisoformat(amended.time[:10])
        entries.extend(_entries_for(book, [(source, as_of)], _terms(session, [source]), skip))
    if entries:
        recording.record(session, entries)


def _today() -> date:
    return datetime.now(UTC).date()


def _replace(
    session: Session,
    achievement: Achievement,
    source: Source,
    result: Conversion,
    term: Term | None,
    rule_set: RuleSet,
    rules_hash: str,
    as_of: date,
    why: dict[str, str],
) -> list[ledger_store.NewEntry] | None:
    """Reversals of the achievement's open conversions in the rule set's framework and the new conversion, or
    ``None`` when what stands already says the same."""
    lines = _open_lines(session, achievement.id, rule_set.framework, decisions=False)
    if lines and all(_same(line, result) for line in lines):
        return None
    entries = [
        _reversal(line, achievement.last_seq, {k: t.format(seq=line.seq) for k, t in why.items()}) for line in lines
    ]
    converted = _body(result, term, source, rule_set, rules_hash, as_of)
    entries.append(ledger_store.NewEntry("credits.converted", CONVERSION_ACTOR, converted))
    return entries


def _standing(session: Session, after: str, chunk: int, institution: str | None = None) -> list[Achievement]:
    query = select(Achievement).where(Achievement.status == "active", Achievement.id > after)
    if institution is not None:
        query = query.where(Achievement.institution_id == institution)
    return list(session.scalars(query.order_by(Achievement.id).limit(chunk)))


def _source_of(achievement: Achievement, found: dict[str, _Issuer]) -> Source:
    body = {"achievement": achievement.id, "learner": achievement.learner_id, "institution": achievement.institution_id}
    return _source(body, achievement.last_seq, found[achievement.institution_id], json.loads(achievement.data))


def reconvert(bank: Bank, version: str, *, chunk: int = 500) -> dict[str, Any]:
    """Re-evaluate every standing achievement under rule set ``version``; append a reversal and a new conversion
    where the result differs, leave the rest. An agreement term that matches still decides an achievement's line,
    and an achievement a recognition decision counted in this framework is left alone (``decided``). Works in
    chunks, each its own transaction."""
    with bank.db.reading() as session:
        rule_set, rules_hash = credit_rules.rule_set(session, version)
        book = credit_rules.rulebook(session)
    as_of = _today()
    changed = unchanged = skipped = 0
    after = ""
    why = {
        "zh": f"冲销：按规则集 {version} 重新评估，原换算 #{{seq}} 作废。",
        "en": f"Reversal: re-evaluated under rule set {version}, so conversion #{{seq}} no longer stands.",
    }
    while True:
        with bank.db.writing() as session:
            # The sequencer first, so the lines read here are the ones standing when the chunk appends: a
            # re-evaluation running at the same time (another rule set, an agreement) cannot reverse them too.
            ledger_store.lock(session, ledger_store.SEQUENCER_LOCK)
            achievements = _standing(session, after, chunk)
            if not achievements:
                break
            after = achievements[-1].id
            found = issuers(session, {a.institution_id for a in achievements})
            sources = {a.id: _source_of(a, found) for a in achievements}
            terms = _terms(session, sources.values())
            counted = decided(session, sources)
            entries: list[ledger_store.NewEntry] = []
            for achievement in achievements:
                if (achievement.id, rule_set.framework) in counted:
                    skipped += 1
                    continue
                source = sources[achievement.id]
                result, term = _result(source, rule_set, book, terms, as_of)
                replaced = _replace(session, achievement, source, result, term, rule_set, rules_hash, as_of, why)
                if replaced is None:
                    unchanged += 1
                    continue
                changed += 1
                entries.extend(replaced)
            if entries:
                recording.record(session, entries)
    return {
        "rules": version,
        "framework": rule_set.framework,
        "changed": changed,
        "unchanged": unchanged,
        "decided": skipped,
    }


def reevaluate(bank: Bank, agreement_id: str, version: str, *, chunk: int = 500) -> dict[str, Any]:
    """After an agreement version is published: each standing achievement one of its terms matches now converts
    by that term, in place of what stood in the term's framework (a recognition decision's line excepted). Works
    in chunks, each its own transaction, so a large institution does not hold the ledger for long."""
    with bank.db.reading() as session:
        own = agreement_terms.terms_of(session, agreement_id, version)
        book = credit_rules.rulebook(session)
    as_of = _today()
    changed = unchanged = skipped = 0
    why = {
        "zh": f"冲销：协议 {agreement_id}（第 {version} 版）发布后重新评估，原换算 #{{seq}} 作废。",
        "en": f"Reversal: re-evaluated under agreement {agreement_id} version {version}, "
        "so conversion #{seq} no longer stands.",
    }
    for institution in sorted({term.institution for term in own}):
        courses = {term.code for term in own if term.institution == institution}
        terms: Terms = {(institution, code): [t for t in own if t.code == code] for code in courses}
        after = ""
        while True:
            with bank.db.writing() as session:
                ledger_store.lock(session, ledger_store.SEQUENCER_LOCK)
                achievements = _standing(session, after, chunk, institution)
                if not achievements:
                    break
                after = achievements[-1].id
                found = issuers(session, {institution})
                sources = {a.id: _source_of(a, found) for a in achievements}
                covered = [a for a in achievements if _course(sources[a.id]) in terms]
                counted = decided(session, [a.id for a in covered])
                entries: list[ledger_store.NewEntry] = []
                for achievement in covered:
                    source = sources[achievement.id]
                    for framework_id, (rule_set, rules_hash) in sorted(book.active.items()):
                        term = _agreed(source, terms, rule_set)
                        if term is None:
                            continue
                        if (achievement.id, framework_id) in counted:
                            skipped += 1
                            continue
                        result, term = _result(source, rule_set, book, terms, as_of)
                        replaced = _replace(
                            session, achievement, source, result, term, rule_set, rules_hash, as_of, why
                        )
                        if replaced is None:
                            unchanged += 1
                        else:
                            changed += 1
                            entries.extend(replaced)
                if entries:
                    recording.record(session, entries)
    return {
        "agreement": agreement_id,
        "version": version,
        "changed": changed,
        "unchanged": unchanged,
        "decided": skipped,
    }


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
    body = {"achievement": "preview", "learner": "preview", "institution": principal.institution_id}
    with bank.db.reading() as session:
        book = credit_rules.rulebook(session)
        issuer = issuers(session, {principal.institution_id})[principal.institution_id]
        source = _source(body, 0, issuer, data)
        terms = _terms(session, [source])
    chosen = {k: v for k, v in book.active.items() if framework is None or k == framework}
    if not chosen:
        raise NotFound(
            f"no rule set is active for {framework!r}" if framework else "no rule set has been published yet",
            errors={"framework": "no active rule set"} if framework else None,
        )
    today = _today()
    results = []
    for _framework_id, (rule_set, rules_hash) in sorted(chosen.items()):
        result, term = _result(source, rule_set, book, terms, today)
        view = _body(result, term, source, rule_set, rules_hash, today)
        for key in ("learner", "achievement", "source_seq"):
            view.pop(key)
        results.append(view)
    return {"conversions": results}
