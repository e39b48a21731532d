"""Publishing frameworks, rule sets and catalogue outcomes to the ledger, and the rulebook conversions read.

Each publication carries the document and the SHA-256 of its canonical form. A version, once published, is
fixed: publishing it again with the same content is a no-op, with other content a conflict.

Catalogue outcomes are proposed, then approved or rejected with a reason by a reviewer who did not propose them.
A rejected code may be proposed again, but only with other content: the same document again would only reopen a
review whose answer is known (so re-running a file after a rejection is refused until that outcome is changed).
"""

from __future__ import annotations

import json
import re
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from creditbank import actors, ledger_store, recording
from creditbank.credits import catalogue, frameworks, rules
from creditbank.credits.catalogue import LearningOutcome
from creditbank.credits.documents import DocumentError, Reader, digest, parse_bytes, parse_file
from creditbank.credits.frameworks import Framework
from creditbank.credits.rules import RuleSet
from creditbank.errors import Conflict, Forbidden, InvalidInput, NotFound
from creditbank.models import CatalogueOutcome, Institution, PublishedFramework, PublishedRuleSet
from creditbank.runtime import Bank
from creditbank.services.records.institutions import BANK_ACTOR

DATA = Path(__file__).resolve().parents[2] / "credits" / "data"


@dataclass(frozen=True)
class Published:
    kind: str
    id: str
    version: str
    hash: str
    seq: int
    created: bool


def _invalid(error: DocumentError) -> InvalidInput:
    """Each fault under its place, so the API reports field paths and the CLI the whole list."""
    errors: dict[str, list[str]] = {}
    for fault in error.faults:
        place, _, message = fault.partition(": ")
        if not message or " " in place:
            place, message = "document", fault
        errors.setdefault(place, []).append(message)
    return InvalidInput(str(error), errors=errors)


def _frameworks(session: Session) -> dict[str, Framework]:
    """The latest published version of each framework."""
    latest: dict[str, Framework] = {}
    for row in session.scalars(select(PublishedFramework).order_by(PublishedFramework.seq)):
        latest[row.id] = _framework_from(row.document, row.hash)
    return latest


_parsed: dict[str, Any] = {}
_parsed_lock = threading.Lock()


def _framework_from(document: str, hash_: str) -> Framework:
    # Keyed by content hash: the same bytes always read the same, whichever database they came from.
    with _parsed_lock:
        cached = _parsed.get(f"f:{hash_}")
    if cached is None:
        cached = frameworks.read(json.loads(document), "published framework")
        with _parsed_lock:
            _parsed[f"f:{hash_}"] = cached
    assert isinstance(cached, Framework)
    return cached


def publish_framework(bank: Bank, document: dict[str, Any], *, source: str, actor: str = BANK_ACTOR) -> Published:
    try:
        framework = frameworks.read(document, source)
    except DocumentError as error:
        raise _invalid(error) from None
    hash_ = digest(document)
    with bank.db.writing() as session:
        existing = session.get(PublishedFramework, (framework.id, framework.version))
        if existing is not None:
            return _same_or_conflict("framework", framework.id, framework.version, existing.hash, hash_, existing.seq)
        body = {"framework": framework.id, "version": framework.version, "hash": hash_, "document": document}
        recorded = recording.record(session, [ledger_store.NewEntry("framework.published", actor, body)])
        return Published("framework", framework.id, framework.version, hash_, recorded[0].seq, True)


def _same_or_conflict(kind: str, name: str, version: str, held: str, offered: str, seq: int) -> Published:
    if held != offered:
        raise Conflict(
            f"{kind} {name}{f' version {version}' if version else ''} was published at seq {seq} with other content "
            f"(hash {held[:12]}…); publish a new version instead",
            errors={"version": "already published with other content"},
        )
    return Published(kind, name, version, held, seq, False)


def publish_rules(bank: Bank, document: dict[str, Any], *, source: str, actor: str = BANK_ACTOR) -> Published:
    hash_ = digest(document)
    with bank.db.writing() as session:
        known = set(session.scalars(select(Institution.id)))
        framework_id = document.get("framework")
        framework = _frameworks(session).get(framework_id) if isinstance(framework_id, str) else None
        try:
            rule_set = rules.read(document, source, framework, known)
        except DocumentError as error:
            raise _invalid(error) from None
        existing = session.get(PublishedRuleSet, rule_set.version)
        if existing is not None:
            return _same_or_conflict("rule set", rule_set.version, "", existing.hash, hash_, existing.seq)
        body = {"rules": rule_set.version, "framework": rule_set.framework, "hash": hash_, "document": document}
        recorded = recording.record(session, [ledger_store.NewEntry("rules.published", actor, body)])
        return Published("rule set", rule_set.version, "", hash_, recorded[0].seq, True)


def propose_outcomes(bank: Bank, items: list[Any], *, actor: str, source: str) -> list[Published]:
    """Propose catalogue outcomes (all or none). A code already proposed with the same content is left as is."""
    with bank.db.writing() as session:
        known = _frameworks(session)
        reader = Reader(source)
        # A single proposal over the API reports bare field names; a file, its list positions.
        places = [""] if source == "request" else [f"outcomes[{i}]" for i in range(len(items))]
        outcomes = [
            catalogue.read_outcome(reader, item, place, known) for item, place in zip(items, places, strict=True)
        ]
        try:
            reader.finish()
        except DocumentError as error:
            raise _invalid(error) from None
        entries, answers = [], []
        for outcome in outcomes:
            assert outcome is not None
            document = outcome.document()
            held = session.get(CatalogueOutcome, outcome.code)
            if held is not None and held.status == "rejected":
                if json.loads(held.document) == document:
                    raise Conflict(
                        f"outcome {outcome.code} was rejected at seq {held.rejected_seq} with this content; "
                        "change it to propose it again",
                        errors={"code": "rejected with this content"},
                    )
            elif held is not None:
                if json.loads(held.document) != document:
                    raise Conflict(
                        f"outcome {outcome.code} was proposed at seq {held.proposed_seq} with other content",
                        errors={"code": "already proposed"},
                    )
                answers.append(Published("outcome", outcome.code, "", digest(document), held.proposed_seq, False))
                continue
            body = {"outcome": outcome.code, "hash": digest(document), "document": document}
            entries.append(ledger_store.NewEntry("catalogue.outcome_proposed", actor, body))
        recorded = recording.record(session, entries)
        answers.extend(Published("outcome", r.body["outcome"], "", r.body["hash"], r.seq, True) for r in recorded)
        return answers


REASON_LIMIT = 2000
# Line breaks and tabs are a reason's own; other control characters (NUL, which PostgreSQL cannot store) are not.
_NOT_REASON = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]")


def _reviewable(session: Session, code: str, actor: str) -> CatalogueOutcome:
    # The sequencer first: two reviewers deciding one proposal at once are judged one after the other, so the
    # second sees the first's decision instead of both reading "proposed" (PostgreSQL would let both write).
    ledger_store.lock(session, ledger_store.SEQUENCER_LOCK)
    held = session.get(CatalogueOutcome, code)
    if held is None:
        raise NotFound(f"no outcome {code!r} has been proposed")
    reviewer = actors.staff_of(actor)
    if reviewer is not None and actors.staff_of(held.proposed_by) == reviewer:
        # Four eyes: whoever proposed an outcome cannot also be the one who decides on it.
        raise Forbidden(f"outcome {code} was proposed by you; another reviewer must decide on it")
    return held


def approve_outcome(bank: Bank, code: str, reviewer: str | None = None, *, actor: str | None = None) -> Published:
    """Approve a proposal. The CLI names a ``reviewer`` and writes as the bank's reviewer role; the console passes
    the member's ``actor`` (``bank:reviewer/staff:…``), which the entry is written as and names as the reviewer."""
    if actor is None:
        if reviewer is None or not reviewer.strip():
            raise InvalidInput("name the reviewer", errors={"reviewer": "required"})
        actor, named = f"{BANK_ACTOR}:reviewer", reviewer.strip()
    else:
        named = reviewer.strip() if reviewer and reviewer.strip() else actor
    with bank.db.writing() as session:
        held = _reviewable(session, code, actor)
        if held.status == "approved":
            assert held.approved_seq is not None
            return Published("outcome", code, "", digest(json.loads(held.document)), held.approved_seq, False)
        if held.status == "rejected":
            raise Conflict(
                f"outcome {code} was rejected at seq {held.rejected_seq}; it must be proposed again first",
                errors={"code": "rejected"},
            )
        body = {"outcome": code, "proposal": held.proposed_seq, "reviewer": named}
        recorded = recording.record(session, [ledger_store.NewEntry("catalogue.outcome_approved", actor, body)])
        return Published("outcome", code, "", digest(json.loads(held.document)), recorded[0].seq, True)


def reject_outcome(bank: Bank, code: str, reason: str, *, actor: str) -> Published:
    """Reject a proposal with a reason (a ``catalogue.outcome_rejected`` entry written as ``actor``). Rejecting it
    again is a no-op; an approved outcome cannot be rejected (it may already have converted credits)."""
    text = reason.replace("\r\n", "\n").strip()
    if not text:
        raise InvalidInput("give the reason for the rejection", errors={"reason": "required"})
    if _NOT_REASON.search(text):
        raise InvalidInput("the reason holds control characters", errors={"reason": "control characters"})
    if len(text) > REASON_LIMIT:
        raise InvalidInput(
            f"the reason has {len(text)} characters; at most {REASON_LIMIT}", errors={"reason": "too long"}
        )
    with bank.db.writing() as session:
        held = _reviewable(session, code, actor)
        document_hash = digest(json.loads(held.document))
        if held.status == "rejected" and held.rejected_seq is not None:
            return Published("outcome", code, "", document_hash, held.rejected_seq, False)
        if held.status == "approved":
            raise Conflict(f"outcome {code} was approved at seq {held.approved_seq}", errors={"code": "approved"})
        body = {"outcome": code, "proposal": held.proposed_seq, "reason": text}
        recorded = recording.record(session, [ledger_store.NewEntry("catalogue.outcome_rejected", actor, body)])
        return Published("outcome", code, "", document_hash, recorded[0].seq, True)


def publish_file(bank: Bank, kind: str, path: Path) -> list[Published]:
    try:
        document = parse_file(path)
    except DocumentError as error:
        raise _invalid(error) from None
    return _publish_document(bank, kind, document, str(path), BANK_ACTOR)


UPLOAD_LIMIT = 1024 * 1024


def publish_upload(bank: Bank, kind: str, raw: bytes, filename: str, *, actor: str) -> list[Published]:
    """What ``publish_file`` does for a file sent through the console: the same formats (JSON by a ``.json`` name,
    TOML otherwise), written as ``actor``. The caller bounds the upload; this refuses anything past the limit too."""
    if len(raw) > UPLOAD_LIMIT:
        raise InvalidInput(f"the file is larger than {UPLOAD_LIMIT} bytes", errors={"file": "too large"})
    if not raw:
        raise InvalidInput("choose a file to upload", errors={"file": "required"})
    name = filename.replace("\\", "/").rsplit("/", 1)[-1][:120] or "upload"
    try:
        document = parse_bytes(raw, name, json_format=name.lower().endswith(".json"))
    except DocumentError as error:
        raise _invalid(error) from None
    return _publish_document(bank, kind, document, name, actor)


def _publish_document(bank: Bank, kind: str, document: dict[str, Any], source: str, actor: str) -> list[Published]:
    if kind == "framework":
        return [publish_framework(bank, document, source=source, actor=actor)]
    if kind == "rules":
        return [publish_rules(bank, document, source=source, actor=actor)]
    items = document.get("outcomes")
    if not isinstance(items, list) or not items or set(document) != {"outcomes"}:
        raise InvalidInput(
            f"{source}: the file must hold only a non-empty [[outcomes]] list",
            errors={"outcomes": "the file must hold only a non-empty [[outcomes]] list"},
        )
    return propose_outcomes(bank, items, actor=actor, source=source)


# --- the rulebook: what conversions read -------------------------------------------------------------------


@dataclass(frozen=True)
class Rulebook:
    """Everything conversion needs: each framework's active rule set and the approved outcomes."""

    active: dict[str, tuple[RuleSet, str]]  # framework id → (rule set, its hash)
    frameworks: dict[str, Framework]
    outcomes: dict[str, LearningOutcome]


# What moves whenever a rule set, a framework or a catalogue approval is published: the rulebook a transaction sees
# is the one built for these marks, whichever process built it. They are read in the caller's transaction.
MARKS = (
    select(func.max(PublishedRuleSet.seq)).scalar_subquery(),
    select(func.max(CatalogueOutcome.approved_seq)).scalar_subquery(),
    select(func.count()).select_from(PublishedFramework).scalar_subquery(),
)
_READ_MARKS = select(*MARKS)


def rulebook(session: Session, marks: tuple[Any, ...] | None = None) -> Rulebook:
    """Read inside the caller's transaction, so a conversion uses the rules in force when it is appended.

    ``marks`` are the values of :data:`MARKS` when the caller has read them already, in this transaction (with
    other columns it needed, to save a statement)."""
    if marks is None:
        marks = tuple(session.execute(_READ_MARKS).one())
    # The URL tells databases apart; the marks move whenever a rule set, framework or approval is added.
    key = f"b:{session.get_bind().engine.url}:{tuple(marks)}"
    with _parsed_lock:
        cached = _parsed.get(key)
    if isinstance(cached, Rulebook):
        return cached
    known = _frameworks(session)
    active: dict[str, tuple[RuleSet, str]] = {}
    for row in session.scalars(select(PublishedRuleSet).order_by(PublishedRuleSet.seq)):
        active[row.framework] = (_rules_from(row, known), row.hash)
    outcomes = {}
    for row in session.scalars(select(CatalogueOutcome).where(CatalogueOutcome.status == "approved")):
        outcome = catalogue.read_outcome(Reader("catalogue"), json.loads(row.document), row.code, known)
        if outcome is not None:
            outcomes[row.code] = outcome
    book = Rulebook(active, known, outcomes)
    with _parsed_lock:
        _parsed[key] = book
    return book


def _rules_from(row: PublishedRuleSet, known: dict[str, Framework]) -> RuleSet:
    with _parsed_lock:
        cached = _parsed.get(f"r:{row.hash}")
    if isinstance(cached, RuleSet):
        return cached
    # Institutions were checked when the rule set was published; replaying it must not depend on them again.
    document = json.loads(row.document)
    named = {item.get("id") for item in document.get("institutions", []) if isinstance(item, dict)}
    for item in document.get("equivalences", []):
        for end in (item.get("from", ""), item.get("to", "")):
            named.add(end.split(":", 1)[0])
    for institutions in (document.get("awarding") or {}).values():
        named.update(institutions)
    rule_set = rules.read(document, f"rule set {row.version}", known.get(row.framework), {n for n in named if n})
    with _parsed_lock:
        _parsed[f"r:{row.hash}"] = rule_set
    return rule_set


def rule_set(session: Session, version: str) -> tuple[RuleSet, str]:
    row = session.get(PublishedRuleSet, version)
    if row is None:
        raise NotFound(f"no rule set {version!r} has been published", errors={"rules": "unknown"})
    return _rules_from(row, _frameworks(session)), row.hash


# --- reads --------------------------------------------------------------------------------------------------


def list_frameworks(bank: Bank) -> list[dict[str, Any]]:
    with bank.db.reading() as session:
        rows = {row.id: row for row in session.scalars(select(PublishedFramework).order_by(PublishedFramework.seq))}
        return [
            frameworks.public_view(_framework_from(row.document, row.hash), row.seq, row.hash) for row in rows.values()
        ]


def get_framework(bank: Bank, framework_id: str) -> dict[str, Any]:
    for view in list_frameworks(bank):
        if view["id"] == framework_id:
            with bank.db.reading() as session:
                rules_rows = session.scalars(
                    select(PublishedRuleSet)
                    .where(PublishedRuleSet.framework == framework_id)
                    .order_by(PublishedRuleSet.seq)
                ).all()
            view["rule_sets"] = [{"version": r.version, "hash": r.hash, "seq": r.seq} for r in rules_rows]
            view["active_rules"] = rules_rows[-1].version if rules_rows else None
            return view
    raise NotFound(f"no published framework {framework_id!r}")


def list_outcomes(bank: Bank, *, status: str | None = "approved") -> list[dict[str, Any]]:
    with bank.db.reading() as session:
        query = select(CatalogueOutcome).order_by(CatalogueOutcome.code)
        if status is not None:
            query = query.where(CatalogueOutcome.status == status)
        return [
            {
                **json.loads(row.document),
                "status": row.status,
                "proposed_seq": row.proposed_seq,
                "proposed_by": row.proposed_by,
                "approved_seq": row.approved_seq,
                "reviewer": row.reviewer,
                "rejected_seq": row.rejected_seq,
                "reason": row.reason,
            }
            for row in session.scalars(query)
        ]


def list_rule_sets(bank: Bank) -> list[dict[str, Any]]:
    with bank.db.reading() as session:
        rows = session.scalars(select(PublishedRuleSet).order_by(PublishedRuleSet.seq)).all()
        return [{"version": r.version, "framework": r.framework, "hash": r.hash, "seq": r.seq} for r in rows]
