"""Deciding applications: what is recognized (credits, level, category, outcome) and what is refused, with a reason
for each; the learner's one appeal, decided by another reviewer, whose decision is final; and revoking a decision.

A decision's recognized items become ``credits.converted`` lines naming the decision's seq (``lines``); an appeal
decision reverses the first decision's lines and writes its own; revoking reverses whatever stands. Each use case is
one write transaction under the sequencer lock, and checks again, inside it, that no recognized learning has been
counted since the application was handed in.
"""

from __future__ import annotations

import json
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_FLOOR, Decimal, InvalidOperation
from typing import Any

from sqlalchemy.orm import Session

from creditbank import ledger_store, recording
from creditbank.credits.documents import as_number
from creditbank.credits.frameworks import MAX_CREDITS
from creditbank.errors import Conflict, Forbidden, InvalidInput
from creditbank.models import Achievement, Learner, RecognitionApplication, StaffAccount
from creditbank.runtime import Bank
from creditbank.services.credits import credit_rules
from creditbank.services.recognition import application_rows as rows
from creditbank.services.recognition import lines
from creditbank.services.recognition.application_rows import Applicant
from creditbank.services.records import reasons
from creditbank.services.records.institutions import BANK_ACTOR

REASON_LIMIT = 1000
AUTOMATIC = "automatic"
CENT = Decimal("0.01")


@dataclass(frozen=True)
class Recognize:
    item: int
    credits: Decimal
    reason: str
    level: int | None = None
    category: str | None = None
    outcome: str | None = None


@dataclass(frozen=True)
class Refuse:
    item: int
    reason: str


@dataclass(frozen=True)
class Reviewer:
    """The reviewer deciding: their pseudonym (the staff account id), the actor entries are written as, and the
    institution they declared an affiliation with, if any."""

    staff_id: str
    actor: str
    affiliation: str | None

    @classmethod
    def of(cls, account: StaffAccount) -> Reviewer:
        return cls(account.id, f"bank:reviewer/staff:{account.id}", account.affiliation)


def reviewer_by_login(bank: Bank, login: str) -> Reviewer:
    with bank.db.reading() as session:
        return Reviewer.of(rows.reviewer_account(session, login))


def reviewer_by_id(bank: Bank, staff_id: str) -> Reviewer:
    with bank.db.reading() as session:
        account = session.get(StaffAccount, staff_id)
        if account is None or account.disabled_at is not None or account.role != "reviewer":
            raise Forbidden("only an active reviewer decides applications")
        return Reviewer.of(account)


def _today(now: datetime | None) -> date:
    return (now or datetime.now(UTC)).date()


def _reason(bank: Bank, session: Session, learner_id: str, text: str, place: str) -> str:
    cleaned = text.replace("\r\n", "\n").strip()
    if not cleaned:
        raise InvalidInput("give the reason for each recognized and each refused item", errors={place: "required"})
    if len(cleaned) > REASON_LIMIT:
        raise InvalidInput(f"a reason has at most {REASON_LIMIT} characters", errors={place: "too long"})
    if any(unicodedata.category(char) in ("Cc", "Cf") and char not in "\n\t" for char in cleaned):
        # Format characters (zero-width spaces, direction overrides) would hide a name from the check below or
        # reorder what a reader sees.
        raise InvalidInput("the reason holds control or invisible characters", errors={place: "control characters"})
    try:
        reasons.check(bank, session, learner_id, cleaned)
    except InvalidInput as exc:
        raise InvalidInput(exc.detail, errors={place: "names the learner"}) from None
    return cleaned


def _given(
    item: dict[str, Any], choice: Recognize, rule_set: Any, framework: Any, outcomes: dict[str, Any]
) -> dict[str, Any]:
    place = f"recognize[{choice.item}]"
    try:
        credits = Decimal(str(choice.credits))
    except InvalidOperation:
        raise InvalidInput("credits must be a number", errors={f"{place}.credits": "not a number"}) from None
    if not credits.is_finite() or credits <= 0 or credits > MAX_CREDITS:
        raise InvalidInput(
            f"credits must be more than 0 and at most {MAX_CREDITS}", errors={f"{place}.credits": "out of range"}
        )
    if credits % CENT:
        raise InvalidInput("credits are kept in hundredths", errors={f"{place}.credits": "finer than 0.01"})
    mapping = item.get("mapping") or {}
    outcome_code = choice.outcome
    level, category = choice.level, choice.category
    if outcome_code is not None:
        outcome = outcomes.get(outcome_code)
        if outcome is None or outcome.framework != framework.id:
            raise InvalidInput(
                f"{outcome_code} is not an approved catalogue outcome of {framework.id}",
                errors={f"{place}.outcome": "not approved"},
            )
        level = outcome.level if level is None else level
        category = outcome.category if category is None else category
    level = level if level is not None else mapping.get("level", rule_set.level)
    category = category if category is not None else mapping.get("category", rule_set.category)
    if level not in framework.levels:
        raise InvalidInput(f"level {level} is not one of {framework.id}'s levels", errors={f"{place}.level": "unknown"})
    if category not in framework.categories:
        raise InvalidInput(
            f"{category!r} is not one of {framework.id}'s categories", errors={f"{place}.category": "unknown"}
        )
    return {
        "item": choice.item,
        "learning": item["key"],
        "credits": as_number(credits),
        "level": level,
        "category": category,
        "outcome": outcome_code,
        "transferValue": {"value": as_number(credits), "unit": framework.unit_name["en"]},
        "transferValueFor": {"framework": framework.id, "level": level, "category": category, "outcome": outcome_code},
        "transferValueFrom": {"learning": item["key"], "title": item.get("title") or {}},
    }


def _write_lines(
    session: Session,
    row: RecognitionApplication,
    decision_seq: int,
    recognized: Sequence[dict[str, Any]],
    items: dict[int, dict[str, Any]],
    rules: tuple[str, str],
    framework: Any,
    basis: str,
    today: date,
) -> None:
    application = {"id": row.id, "learner": row.learner_id, "institution": row.institution_id,
                   "framework": row.framework}  # fmt: skip
    entries = []
    # Learning recorded here may stand already with a line of no credits (its conversion found nothing to give);
    # the decision takes its place, so the learning keeps one standing line in the framework.
    recorded_here = [a for given in recognized if (a := lines.achievement_of(given["learning"])) is not None]
    empty = lines.empty_lines(session, row.framework, recorded_here)
    if empty:
        why = {
            "zh": f"冲销：认定决定 #{decision_seq} 取代了这项未计学分的换算 #{{seq}}。",
            "en": f"Reversal: recognition decision #{decision_seq} takes the place of conversion #{{seq}}, which gave "
            "no credits.",
        }
        entries.extend(lines.reversals(empty, decision_seq, why))
    for given in recognized:
        item = items[given["item"]]
        steps = lines.explanation(framework, row.id, decision_seq, item, given, basis)
        body = lines.line_body(
            application=application, decision_seq=decision_seq, item=item, given=given, rules=rules[0],
            rules_hash=rules[1], as_of=today, explanation=steps,
        )  # fmt: skip
        entries.append(ledger_store.NewEntry("credits.converted", lines.CONVERSION_ACTOR, body))
    if entries:
        recording.record(session, entries)


def _automatic(session: Session, row: RecognitionApplication) -> list[dict[str, Any]] | None:
    """What the trust list's mappings give each item, or None when any item needs a reviewer after all: a mapping
    that gives nothing once cut to whole hundredths (credits are never rounded up), or names an outcome or level
    the framework no longer has."""
    book = credit_rules.rulebook(session)
    rule_set, _ = book.active[row.framework]
    framework = book.frameworks[row.framework]
    recognized = []
    for item in json.loads(row.items):
        mapping = item.get("mapping")
        if item["kind"] == "document" or item.get("verdict") != "valid" or not mapping:
            return None
        credits = Decimal(str(mapping["credits"])).quantize(CENT, rounding=ROUND_FLOOR)
        if credits <= 0:
            return None
        choice = Recognize(item["number"], credits, "", mapping.get("level"), mapping.get("category"),
                           mapping.get("outcome"))  # fmt: skip
        try:
            given = _given(item, choice, rule_set, framework, book.outcomes)
        except InvalidInput:
            return None
        name = item.get("issuer_name") or item.get("issuer")
        given["reason"] = (
            f"A valid credential from {name}, on this bank's trust list; recognized by its mapping "
            f"{mapping.get('rule')}."
        )
        given["rule"] = mapping.get("rule")
        recognized.append(given)
    return recognized


def record_automatic(bank: Bank, session: Session, row: RecognitionApplication, today: date) -> bool:
    """Recognize every item of a just-applied application by its trust-list mapping, in the caller's transaction,
    when the rule set allows it and every item maps; False (nothing written) when a reviewer must decide."""
    book = credit_rules.rulebook(session)
    rule_set, rules_hash = book.active[row.framework]
    if not rule_set.recognition.automatic:
        return False
    recognized = _automatic(session, row)
    if recognized is None:
        return False
    items = {item["number"]: item for item in json.loads(row.items)}
    body = _decision_body(row, rule_set.version, rules_hash, AUTOMATIC, "trust_list", recognized, [])
    body["appeal_until"] = (today + timedelta(days=rule_set.recognition.appeal_days)).isoformat()
    decided = recording.record(session, [ledger_store.NewEntry("recognition.decided", BANK_ACTOR, body)])
    _write_lines(session, row, decided[0].seq, recognized, items, (rule_set.version, rules_hash),
                 book.frameworks[row.framework], "trust_list", today)  # fmt: skip
    return True


def _decision_body(row: RecognitionApplication, rules: str, rules_hash: str, reviewer: str, basis: str,
                   recognized: list[dict[str, Any]], refused: list[dict[str, Any]]) -> dict[str, Any]:  # fmt: skip
    return {
        "application": row.id,
        "learner": row.learner_id,
        "framework": row.framework,
        "rules": rules,
        "rules_hash": rules_hash,
        "reviewer": reviewer,
        "basis": basis,
        "recognized": recognized,
        "refused": refused,
    }


def decide(
    bank: Bank,
    application_id: str,
    reviewer: Reviewer,
    recognize: Sequence[Recognize],
    refuse: Sequence[Refuse],
    *,
    now: datetime | None = None,
) -> dict[str, Any]:
    """Decide an application under review, or its appeal (then the decision is final and replaces the first)."""
    today = _today(now)
    with bank.db.writing() as session:
        ledger_store.lock(session, ledger_store.SEQUENCER_LOCK)
        row = rows.load(session, application_id)
        appeal = row.state == "appealed"
        if row.state not in ("submitted", "under_review", "appealed"):
            raise Conflict(
                f"application {application_id} is {row.state}; there is nothing to decide",
                errors={"application": row.state},
            )
        learner = session.get(Learner, row.learner_id)
        if learner is None or learner.status == "erased":
            raise Conflict("the learner was erased; the application can only lapse", errors={"learner": "erased"})
        # The account as it is now, inside this transaction: disabled, moved to another role or newly affiliated
        # since the door built ``reviewer`` counts.
        account = session.get(StaffAccount, reviewer.staff_id)
        if account is None or account.disabled_at is not None or account.role != "reviewer":
            raise Forbidden("only an active reviewer decides applications", errors={"reviewer": "not active"})
        reviewer = Reviewer.of(account)
        if reviewer.affiliation is not None and reviewer.affiliation == row.institution_id:
            raise Forbidden(
                f"this reviewer is affiliated with {row.institution_id}, which handed the application in",
                errors={"reviewer": "affiliated with the applicant"},
            )
        if appeal and reviewer.staff_id == row.decided_by:
            raise Forbidden(
                "an appeal is decided by another reviewer than the one who made the first decision",
                errors={"reviewer": "made the first decision"},
            )
        if row.reviewer is not None and row.reviewer != reviewer.staff_id:
            raise Forbidden(
                "the application is assigned to another reviewer; an admin can reassign it",
                errors={"reviewer": "not assigned"},
            )
        book = credit_rules.rulebook(session)
        if row.framework not in book.active:
            raise Conflict(f"no rule set is active for {row.framework}", errors={"framework": "no active rule set"})
        rule_set, rules_hash = book.active[row.framework]
        framework = book.frameworks[row.framework]
        items = {item["number"]: item for item in json.loads(row.items)}
        named = [choice.item for choice in recognize] + [choice.item for choice in refuse]
        unknown = sorted(set(named) - set(items))
        if unknown:
            raise InvalidInput(
                f"the application has no item {unknown[0]}", errors={"items": f"unknown item {unknown[0]}"}
            )
        if len(named) != len(set(named)):
            raise InvalidInput("an item is decided twice", errors={"items": "decided twice"})
        missing = sorted(set(items) - set(named))
        if missing:
            raise InvalidInput(
                f"every item needs a decision; item {missing[0]} has none (recognize or refuse it)",
                errors={"items": f"item {missing[0]} undecided"},
            )
        recognized = []
        for choice in sorted(recognize, key=lambda c: c.item):
            given = _given(items[choice.item], choice, rule_set, framework, book.outcomes)
            given["reason"] = _reason(bank, session, row.learner_id, choice.reason, f"recognize[{choice.item}].reason")
            recognized.append(given)
        refused = [
            {
                "item": choice.item,
                "learning": items[choice.item]["key"],
                "reason": _reason(bank, session, row.learner_id, choice.reason, f"refuse[{choice.item}].reason"),
            }
            for choice in sorted(refuse, key=lambda c: c.item)
        ]
        for given in recognized:
            achievement = lines.achievement_of(given["learning"])
            held = session.get(Achievement, achievement) if achievement is not None else None
            if achievement is not None and (held is None or held.status != "active"):
                raise Conflict(
                    f"item {given['item']} is an achievement its institution has revoked since the application; "
                    "refuse it",
                    errors={f"recognize[{given['item']}]": "revoked"},
                )
        standing = lines.standing_lines(session, row.id)
        mine = {line.learning for line in standing}
        already = lines.counted(session, row.framework, [g["learning"] for g in recognized], row.learner_id)
        for given in recognized:
            if given["learning"] in already and given["learning"] not in mine:
                raise Conflict(
                    f"item {given['item']} has been counted in {row.framework} since the application "
                    f"(credit line #{already[given['learning']]}); refuse it or leave it out",
                    errors={f"recognize[{given['item']}]": "already counted"},
                )
        entries = []
        if row.reviewer is None:
            due = today + timedelta(days=rule_set.recognition.review_days)
            entries.append(rows.assigned_entry(row.id, reviewer.staff_id, due, reviewer.actor, appeal=appeal))
        body = _decision_body(row, rule_set.version, rules_hash, reviewer.staff_id, "review", recognized, refused)
        if appeal:
            body["appeal"] = row.appealed_seq
            body["replaces"] = row.decided_seq
            body["final"] = True
        else:
            body["appeal_until"] = (today + timedelta(days=rule_set.recognition.appeal_days)).isoformat()
        entries.append(ledger_store.NewEntry("recognition.appeal_decided" if appeal else "recognition.decided",
                                             reviewer.actor, body))  # fmt: skip
        decided = recording.record(session, entries)[-1]
        if appeal and standing:
            why = {
                "zh": f"冲销：申诉决定 #{decided.seq} 取代了原决定，原认定 #{{seq}} 作废。",
                "en": f"Reversal: the appeal decision #{decided.seq} replaces the first decision, so #{{seq}} "
                "no longer stands.",
            }
            recording.record(
                session,
                [
                    lines.reversal(line, decided.seq, {k: t.format(seq=line.seq) for k, t in why.items()})
                    for line in standing
                ],
            )
        _write_lines(session, row, decided.seq, recognized, items, (rule_set.version, rules_hash), framework,
                     "review", today)  # fmt: skip
        return rows.view(bank, session, row)


def appeal(
    bank: Bank,
    application_id: str,
    applicant: Applicant,
    reason: str,
    *,
    learner_id: str | None = None,
    now: datetime | None = None,
) -> dict[str, Any]:
    """The learner's (or the applying institution's) one appeal against a decision, within the appeal period. It
    goes to another reviewer than the one who decided."""
    today = _today(now)
    with bank.db.writing() as session:
        ledger_store.lock(session, ledger_store.SEQUENCER_LOCK)
        row = rows.load(session, application_id)
        rows.may_act(row, applicant, learner_id)
        if row.appealed_seq is not None:
            raise Conflict(
                f"application {application_id} was appealed already (#{row.appealed_seq}); "
                "the appeal decision is final",
                errors={"application": "appealed already"},
            )
        if row.state != "decided" or row.decided_seq is None:
            raise Conflict(
                f"application {application_id} is {row.state}; only a decision can be appealed",
                errors={"application": row.state},
            )
        if row.appeal_until is None or today > date.fromisoformat(row.appeal_until):
            raise Conflict(
                f"the appeal period ended on {row.appeal_until}", errors={"application": "appeal period over"}
            )
        text = _reason(bank, session, row.learner_id, reason, "reason")
        body = {"application": row.id, "decision_seq": row.decided_seq, "reason": text}
        recording.record(session, [ledger_store.NewEntry("recognition.appealed", applicant.actor, body)])
        exclude = [row.decided_by] if row.decided_by and row.decided_by != AUTOMATIC else []
        reviewers = rows.eligible_reviewers(session, row, exclude=exclude)
        if reviewers:
            _, rule_set, _ = rows.active_rules(session, row.framework)
            due = today + timedelta(days=rule_set.recognition.review_days)
            recording.record(session, [rows.assigned_entry(row.id, reviewers[0], due, BANK_ACTOR, appeal=True)])
        return rows.view(bank, session, row)


def revoke(bank: Bank, application_id: str, reason: str, *, actor: str = BANK_ACTOR) -> dict[str, Any]:
    """Revoke the decision on an application (found wrong after the fact): its standing credit lines are reversed."""
    with bank.db.writing() as session:
        ledger_store.lock(session, ledger_store.SEQUENCER_LOCK)
        row = rows.load(session, application_id)
        if row.state not in ("decided", "final"):
            raise Conflict(
                f"application {application_id} is {row.state}; only a decision can be revoked",
                errors={"application": row.state},
            )
        text = _reason(bank, session, row.learner_id, reason, "reason")
        latest = row.appeal_decided_seq or row.decided_seq
        body = {"application": row.id, "decision_seq": latest, "reason": text}
        revoked = recording.record(session, [ledger_store.NewEntry("recognition.revoked", actor, body)])[0]
        why = {
            "zh": f"冲销：认定决定已于 #{revoked.seq} 撤销，原认定 #{{seq}} 作废。",
            "en": f"Reversal: the recognition decision was revoked at #{revoked.seq}, so #{{seq}} no longer stands.",
        }
        standing = lines.standing_lines(session, row.id)
        if standing:
            recording.record(
                session,
                [
                    lines.reversal(line, revoked.seq, {k: t.format(seq=line.seq) for k, t in why.items()})
                    for line in standing
                ],
            )
        return rows.view(bank, session, row)
