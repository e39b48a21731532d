"""Applying for recognition: the learner (portal) or an institution on the learner's behalf (API, console) or the bank
(CLI) hands in evidence; the bank checks it, records the application, and either recognizes it at once (a valid
credential from a trusted issuer whose achievement the trust list maps, under a rule set that allows it) or assigns
it to a reviewer with a deadline. Withdrawing, listing and reading applications live here too.

Every step is a ledger entry whose body names the learner only by pseudonym; the files themselves are sealed beside
the ledger (``evidence_files``). Cheap checks run first (count, size, kind, learner, framework), then the evidence
check (which may fetch the issuer's DID document), and only then the one write transaction, which checks again that
none of the learning is counted already.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from certificates import bounds, pdf_read
from certificates import verify as verification
from creditbank import ledger_store, recording
from creditbank.errors import Conflict, Forbidden, InvalidInput, NotFound
from creditbank.models import Learner, RecognitionApplication
from creditbank.runtime import Bank
from creditbank.services.credits import credit_rules
from creditbank.services.random_ids import random_id
from creditbank.services.recognition import application_rows as rows
from creditbank.services.recognition import decisions, evidence_files, lines
from creditbank.services.recognition.application_rows import (
    LEARNER_ACTOR,
    MAX_OPEN,
    OPEN_STATES,
    Applicant,
    assigned_entry,
    eligible_reviewers,
    reviewer_account,
    view,
)
from creditbank.services.recognition.evidence_files import EvidenceFile
from creditbank.services.records import idempotency
from creditbank.services.records.api_keys import Principal
from creditbank.services.records.idempotency import RetryKey, WriteResult
from creditbank.services.records.institutions import BANK_ACTOR
from creditbank.services.records.learners import require_enrolled
from creditbank.services.records.personal_records import personal_of

__all__ = [
    "LEARNER_ACTOR",
    "MAX_OPEN",
    "OPEN_STATES",
    "Applicant",
    "apply",
    "apply_once",
    "assign",
    "assigned_entry",
    "eligible_reviewers",
    "get",
    "identities",
    "list_applications",
    "reviewer_account",
    "view",
    "withdraw",
]


def _today(now: datetime | None) -> date:
    return (now or datetime.now(UTC)).date()


def identities(personal: dict[str, Any] | None) -> list[verification.Identity]:
    """Every name form the bank holds for the person, each with their birth date: what a credential's identity
    hash may have been made from."""
    if personal is None:
        return []
    identity = personal["identity"]
    born = date.fromisoformat(identity["birth_date"])
    forms = [identity.get("name", {})]
    forms.extend(item for item in personal.get("other_names", []) if isinstance(item, dict))
    names = {value for form in forms for value in form.values() if isinstance(value, str) and value}
    return [verification.Identity(name, born) for name in sorted(names)]


def _kind_of(data: bytes, place: str) -> str:
    media_type = evidence_files.sniff(data)
    if media_type is None:
        raise InvalidInput(
            "evidence must be a credential (JSON), a PDF certificate or a scanned document (PDF, PNG or JPEG)",
            errors={place: "unsupported file type"},
        )
    if media_type == "application/json":
        return "credential"
    if media_type == "application/pdf":
        # A PDF that carries a credential, any other attached file or a signature is a certificate: it verifies as
        # one, or it is refused. It never falls back to being "just a document", which would let a tampered or
        # disguised certificate reach a reviewer looking genuine.
        try:
            return "pdf" if pdf_read.carries_more_than_pages(data) else "document"
        except (pdf_read.PdfError, bounds.LimitExceeded) as exc:
            raise InvalidInput(f"the PDF cannot be read: {exc}", errors={place: "unreadable PDF"}) from None
    return "document"


@dataclass(frozen=True)
class _Checked:
    kind: str
    media_type: str
    data: bytes
    description: str
    verified: Any | None  # evidence.EvidenceCheck


def _check_files(
    bank: Bank, files: Sequence[EvidenceFile], people: list[verification.Identity], framework: str
) -> list[_Checked]:
    if not files:
        raise InvalidInput("an application needs evidence: at least one file", errors={"evidence": "required"})
    if len(files) > evidence_files.MAX_FILES:
        raise InvalidInput(
            f"{len(files)} files; an application takes at most {evidence_files.MAX_FILES}",
            errors={"evidence": "too many files"},
        )
    if sum(len(item.data) for item in files) > evidence_files.MAX_TOTAL_BYTES:
        raise InvalidInput("the evidence files are too large together", errors={"evidence": "too large"})
    kinds = []
    for index, item in enumerate(files):
        place = f"evidence[{index}]"
        if not item.data:
            raise InvalidInput("an evidence file is empty", errors={place: "empty"})
        if len(item.data) > evidence_files.MAX_FILE_BYTES:
            raise InvalidInput(
                f"an evidence file has at most {evidence_files.MAX_FILE_BYTES // (1024 * 1024)} MB",
                errors={place: "too large"},
            )
        kind = _kind_of(item.data, place)
        description = ""
        if kind == "document":
            description = evidence_files.description_of(item.description, f"{place}.description")
        kinds.append((kind, description))
    checked = []
    for index, (item, (kind, description)) in enumerate(zip(files, kinds, strict=True)):
        verified = None
        if kind != "document":
            from creditbank.services.recognition import evidence

            try:
                verified = evidence.check(bank, item.data, people, framework)
            except InvalidInput as exc:
                reason = (exc.errors or {}).get("evidence", exc.detail)
                raise InvalidInput(
                    f"evidence file {index + 1}: {exc.detail}", errors={f"evidence[{index}]": reason}
                ) from None
        media_type = evidence_files.sniff(item.data) or "application/octet-stream"
        checked.append(_Checked(kind, media_type, item.data, description, verified))
    return checked


def _items(checked: list[_Checked]) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    for evidence_number, found in enumerate(checked, start=1):
        if found.verified is None:
            items.append(
                {
                    "number": len(items) + 1,
                    "evidence": evidence_number,
                    "kind": "document",
                    "key": f"doc:{evidence_files.digest(found.data)}",
                    "issuer": None,
                    "issuer_name": None,
                    "title": {},
                    "completed": None,
                    "credits": None,
                    "mapping": None,
                    "verdict": None,
                }
            )
            continue
        for learning in found.verified.items:
            items.append(
                {
                    "number": len(items) + 1,
                    "evidence": evidence_number,
                    "kind": found.kind,
                    "key": learning.key,
                    "issuer": learning.issuer,
                    "issuer_name": learning.issuer_name,
                    "title": dict(learning.title),
                    "achievement_type": learning.achievement_type,
                    "completed": learning.completed,
                    "credits": learning.credits,
                    "mapping": dict(learning.mapping) if learning.mapping is not None else None,
                    "verdict": found.verified.verdict,
                }
            )
    if not items:
        raise InvalidInput("the evidence names no learning to recognize", errors={"evidence": "no learning"})
    return items


def _refuse_too_many(session: Session, learner_id: str) -> None:
    """Checked before the evidence (which may ask a remote issuer) and again in the write transaction."""
    open_now = session.scalar(
        select(func.count())
        .select_from(RecognitionApplication)
        .where(RecognitionApplication.learner_id == learner_id, RecognitionApplication.state.in_(OPEN_STATES))
    )
    if (open_now or 0) >= MAX_OPEN:
        raise Conflict(
            f"{open_now} applications are awaiting a decision already; at most {MAX_OPEN} may be open at once",
            errors={"learner": "too many open applications"},
        )


def _refuse_counted(session: Session, learner_id: str, framework: str, items: list[dict[str, Any]]) -> None:
    keys = [item["key"] for item in items]
    if len(set(keys)) != len(keys):
        raise InvalidInput(
            "the same learning appears twice in this application", errors={"evidence": "duplicate learning"}
        )
    already = lines.counted(session, framework, keys, learner_id)
    for item in items:
        if item["key"] in already:
            raise Conflict(
                f"item {item['number']} is already counted in {framework} (credit line #{already[item['key']]}); "
                "the same learning is never counted twice",
                errors={"evidence": "already counted"},
            )
        achievement = lines.achievement_of(item["key"])
        if achievement is not None:
            from creditbank.models import Achievement

            held = session.get(Achievement, achievement)
            if held is None or held.learner_id != learner_id:
                # The credential verified, so the bank issued it; it is simply not this learner's.
                raise InvalidInput(
                    f"evidence item {item['number']} does not belong to this learner",
                    errors={"evidence": "not the applicant's"},
                )
            if held.status != "active":
                # Revoking an achievement leaves its credentials as they were; the record no longer stands.
                raise Conflict(
                    f"evidence item {item['number']} is an achievement its institution has revoked",
                    errors={"evidence": "revoked"},
                )
    # Only the learner's own open applications, of which there are at most MAX_OPEN: learning that verified as
    # someone else's never got this far.
    _refuse_too_many(session, learner_id)
    pending = session.scalars(
        select(RecognitionApplication.items).where(
            RecognitionApplication.learner_id == learner_id, RecognitionApplication.state.in_(OPEN_STATES)
        )
    ).all()
    waiting = {entry["key"] for text in pending for entry in json.loads(text)}
    for item in items:
        if item["key"] in waiting:
            raise Conflict(
                f"item {item['number']} is already in an application awaiting a decision",
                errors={"evidence": "already applied for"},
            )


def apply(
    bank: Bank,
    applicant: Applicant,
    learner_id: str,
    evidence: Sequence[EvidenceFile],
    *,
    framework: str | None = None,
    qualification: str | None = None,
    principal: Principal | None = None,
    now: datetime | None = None,
) -> dict[str, Any]:
    """Hand in an application; returns it as :func:`view` shows it (decided already when recognized at once)."""
    return apply_once(
        bank, applicant, learner_id, evidence, framework=framework, qualification=qualification,
        principal=principal, now=now,
    ).body  # fmt: skip


def apply_once(
    bank: Bank,
    applicant: Applicant,
    learner_id: str,
    evidence: Sequence[EvidenceFile],
    *,
    framework: str | None = None,
    qualification: str | None = None,
    principal: Principal | None = None,
    retry: RetryKey | None = None,
    now: datetime | None = None,
) -> WriteResult:
    """:func:`apply` under an Idempotency-Key (``retry``, the caller's institution's): the key is looked up first,
    and again with the write under the sequencer, where the answer is kept in the same transaction, so two copies
    racing under one key write one application and both get its answer."""
    owner = principal.institution_id if principal is not None else None
    if retry is not None and owner is not None:
        with bank.db.writing() as session:
            earlier = idempotency.prior(session, owner, retry)
        if earlier is not None:
            return earlier
    with bank.db.reading() as session:
        learner = session.get(Learner, learner_id)
        if principal is not None:
            learner = require_enrolled(session, principal, learner_id)
        if learner is None:
            raise NotFound(f"no learner {learner_id!r}")
        if learner.status == "erased":
            raise Conflict(f"learner {learner_id} was erased", errors={"learner": "erased"})
        framework_id, rule_set, _ = rows.active_rules(session, framework)
        if qualification is not None:
            book = credit_rules.rulebook(session)
            if qualification not in book.frameworks[framework_id].qualifications:
                raise InvalidInput(
                    f"{framework_id} has no qualification {qualification!r}", errors={"qualification": "unknown"}
                )
        people = identities(personal_of(bank, session, learner_id))
        _refuse_too_many(session, learner_id)
    checked = _check_files(bank, evidence, people, framework_id)
    items = _items(checked)
    today = _today(now)
    application_id = random_id("rap-").lower()
    with bank.db.writing() as session:
        ledger_store.lock(session, ledger_store.SEQUENCER_LOCK)
        if retry is not None and owner is not None:
            earlier = idempotency.prior(session, owner, retry)
            if earlier is not None:
                return earlier
        held = session.get(Learner, learner_id)
        if held is None or held.status == "erased":
            raise Conflict(f"learner {learner_id} was erased", errors={"learner": "erased"})
        _refuse_counted(session, learner_id, framework_id, items)
        for number, found in enumerate(checked, start=1):
            evidence_files.store(
                bank, session, application_id, learner_id, number, found.kind, found.media_type, found.data,
                found.description,
            )  # fmt: skip
        applied = {
            "application": application_id,
            "learner": learner_id,
            "framework": framework_id,
            "qualification": qualification,
            "institution": applicant.institution,
            "evidence": [
                {
                    "number": number,
                    "kind": found.kind,
                    "media_type": found.media_type,
                    "sha256": evidence_files.digest(found.data),
                    "size": len(found.data),
                }
                for number, found in enumerate(checked, start=1)
            ],
            "items": items,
        }
        entries = [ledger_store.NewEntry("recognition.applied", applicant.actor, applied)]
        for number, found in enumerate(checked, start=1):
            if found.verified is None:
                continue
            checks = [{"check": c["check"], "result": c["result"]} for c in found.verified.report.get("checks", [])]
            body = {
                "application": application_id,
                "evidence": number,
                "verdict": found.verified.verdict,
                "issuer": found.verified.issuer,
                "own": found.verified.own,
                "checks": checks,
                "items": [item["number"] for item in items if item["evidence"] == number],
            }
            entries.append(ledger_store.NewEntry("recognition.evidence_verified", BANK_ACTOR, body))
        recording.record(session, entries)
        row = session.get(RecognitionApplication, application_id)
        assert row is not None
        if not decisions.record_automatic(bank, session, row, today):
            reviewers = eligible_reviewers(session, row)
            if reviewers:
                due = today + timedelta(days=rule_set.recognition.review_days)
                recording.record(session, [assigned_entry(application_id, reviewers[0], due, BANK_ACTOR, appeal=False)])
        outcome = WriteResult(True, view(bank, session, row))
        if retry is not None and owner is not None:
            idempotency.remember(session, owner, retry, outcome)
        return outcome


def assign(bank: Bank, application_id: str, reviewer_login: str, *, actor: str = BANK_ACTOR,
           now: datetime | None = None) -> dict[str, Any]:  # fmt: skip
    """(Re)assign an open application to a named reviewer (the bank's admin desk or the CLI)."""
    with bank.db.writing() as session:
        ledger_store.lock(session, ledger_store.SEQUENCER_LOCK)
        row = rows.load(session, application_id)
        if row.state not in OPEN_STATES:
            raise Conflict(f"application {application_id} is {row.state}; only an open one can be assigned")
        account = reviewer_account(session, reviewer_login)
        if account.affiliation is not None and account.affiliation == row.institution_id:
            raise Forbidden(
                f"{reviewer_login} is affiliated with {row.institution_id}, which applied",
                errors={"reviewer": "affiliated with the applicant"},
            )
        appeal = row.state == "appealed"
        if appeal and account.id == row.decided_by:
            raise Forbidden(
                "an appeal goes to another reviewer than the one who decided", errors={"reviewer": "decided it"}
            )
        _, rule_set, _ = rows.active_rules(session, row.framework)
        due = _today(now) + timedelta(days=rule_set.recognition.review_days)
        recording.record(session, [assigned_entry(row.id, account.id, due, actor, appeal=appeal)])
        return view(bank, session, row)


def withdraw(bank: Bank, application_id: str, applicant: Applicant, *, learner_id: str | None = None) -> dict[str, Any]:
    """Withdraw an application before it is decided (or an appeal before it is decided): by the learner, or by the
    institution that handed it in, or the bank."""
    with bank.db.writing() as session:
        ledger_store.lock(session, ledger_store.SEQUENCER_LOCK)
        row = rows.load(session, application_id)
        rows.may_act(row, applicant, learner_id)
        if row.state not in OPEN_STATES:
            raise Conflict(
                f"application {application_id} is {row.state}; only an open application can be withdrawn",
                errors={"application": row.state},
            )
        body = {"application": row.id, "appeal": row.state == "appealed"}
        recording.record(session, [ledger_store.NewEntry("recognition.withdrawn", applicant.actor, body)])
        return view(bank, session, row)


def get(bank: Bank, application_id: str, *, applicant: Applicant | None = None,
        learner_id: str | None = None) -> dict[str, Any]:  # fmt: skip
    """One application as its reader may see it (``applicant`` None: bank staff and the CLI see every one)."""
    with bank.db.reading() as session:
        row = rows.load(session, application_id)
        if applicant is not None:
            rows.may_act(row, applicant, learner_id)
        return view(bank, session, row)


def list_applications(
    bank: Bank,
    *,
    learner_id: str | None = None,
    institution: str | None = None,
    state: str | None = None,
    reviewer: str | None = None,
    limit: int = 200,
) -> list[dict[str, Any]]:
    query = select(RecognitionApplication).order_by(RecognitionApplication.applied_seq.desc()).limit(limit)
    if learner_id is not None:
        query = query.where(RecognitionApplication.learner_id == learner_id)
    if institution is not None:
        query = query.where(RecognitionApplication.institution_id == institution)
    if state is not None:
        query = query.where(RecognitionApplication.state == state)
    if reviewer is not None:
        query = query.where(RecognitionApplication.reviewer == reviewer)
    with bank.db.reading() as session:
        # One learner's own list names their documents by what they said they show; a queue across learners does
        # not open every seal for a page of rows.
        described = learner_id is not None
        return [view(bank, session, row, lines_too=False, described=described) for row in session.scalars(query)]
