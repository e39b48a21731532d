"""Issuing, serving, revoking and verifying credentials (Open Badges 3.0 / CLR 2.0).

Issuing is: gather the facts, sign, render the PDF once to fingerprint what it shows, then append
`credential.issued` (holding the credential's hash, its sources and that fingerprint) in one transaction, and sign a
checkpoint so the holder gets a receipt that verifies offline at once.
"""

from __future__ import annotations

import json
import secrets
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from certificates import bounds, budget, proofs, receipts
from certificates import credentials as documents
from certificates import verify as engine
from certificates.shape import parse_datetime
from certificates.status_list import StatusBits, status_entry, status_list_credential
from certificates.summary import describe
from creditbank import ledger_store, metrics, recording
from creditbank.errors import (
    Conflict,
    InvalidInput,
    LedgerIntegrityError,
    MalformedDocument,
    NotFound,
    VerificationLimit,
)
from creditbank.models import (
    Achievement,
    Credential,
    CredentialDocument,
    CreditLine,
    Institution,
    Learner,
    QualificationAward,
    StatusListDocument,
)
from creditbank.runtime import Bank
from creditbank.services.credentials import credential_keys
from creditbank.services.credits import credit_rules
from creditbank.services.records.api_keys import Principal
from creditbank.services.records.learners import personal_of, require_enrolled, submitted_by
from creditbank.services.transparency import checkpoints
from ledger.merkle import verify_inclusion
from ledger.numbers import NotADecimal, parse_decimal

ISSUE_SCOPE = "credentials:write"
BANK_ACTOR = "bank:credentials"
LIST_SIZE = 131072
KINDS = ("achievement", "qualification", "transcript")
PURPOSES = ("revocation", "suspension")


@dataclass(frozen=True)
class Request:
    learner_id: str
    kind: str
    subject: str | None = None  # achievement id or award id; None for a transcript
    language_order: str = "zh-en"


def _bank_name(bank: Bank) -> dict[str, str]:
    return {
        "zh": str(bank.settings.get("CREDITBANK_NAME_ZH") or "终身学习学分银行"),
        "en": str(bank.settings.get("CREDITBANK_NAME_EN") or "Lifelong Learning Credit Bank"),
    }


def _both(text: Mapping[str, str]) -> str:
    parts = [text.get("zh"), text.get("en")]
    return " / ".join(part for part in parts if part)


def _amount(cents: int) -> Decimal:
    return (Decimal(cents) / 100).normalize()


# --- gathering the facts ----------------------------------------------------------------------------------------


@dataclass
class _Facts:
    claims: list[documents.Claim]
    sources: list[int]
    institution: str | None
    names: list[str]
    birth_date: date
    title: dict[str, str]
    rows: list[dict[str, Any]]


def _personal(bank: Bank, session: Session, learner: Learner, names_from: str | None = None) -> tuple[list[str], date]:
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


def _institution(session: Session, bank: Bank, institution_id: str) -> documents.Party:
    row = session.get(Institution, institution_id)
    name = _both({"zh": row.name_zh or "", "en": row.name_en}) if row is not None else institution_id
    return documents.Party(f"{credential_keys.public_url(bank)}/institutions/{institution_id}", name)


def _framework_level(bank: Bank, framework: Any, number: int) -> documents.FrameworkLevel:
    """Where a credit sits: the framework, the level's name, the credit unit, and the framework's public page."""
    level = framework.levels.get(number)
    return documents.FrameworkLevel(
        framework.id,
        _both(framework.name),
        number,
        _both(level.name) if level else str(number),
        framework.hours_per_credit,
        f"{credential_keys.public_url(bank)}/api/v1/frameworks/{framework.id}",
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
) -> tuple[documents.Claim, dict[str, Any]]:
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
            credits=f"{_amount(line.cents):f}",
            level=dict(level_def.name) if level_def else {"zh": str(line.level), "en": str(line.level)},
            category=dict(framework.categories.get(line.category, {"zh": line.category, "en": line.category})),
            framework=dict(framework.name),
        )
    title = data.get("title") or {}
    claim = documents.Claim(
        achievement_id=f"{credential_keys.public_url(bank)}/achievements/{achievement.id}",
        name=_both(title) or achievement.record_id,
        description=f"{achievement.kind.replace('_', ' ')} recorded by {achievement.institution_id}",
        criteria=_both(title) + " — completed as recorded by the institution",
        achievement_type="Course"
        if achievement.kind == "course"
        else "ext:" + achievement.kind.title().replace("_", ""),
        creator=_institution(session, bank, achievement.institution_id),
        credits=_amount(line.cents) if line else None,
        level=level,
        category=line.category if line else None,
        completed=date.fromisoformat(data["completed"]) if data.get("completed") else None,
        human_code=data.get("code"),
    )
    row.update(
        title=dict(title), status=achievement.status, completed=data.get("completed"), institution=claim.creator.name
    )
    return claim, row


def _gather(bank: Bank, session: Session, principal: Principal | None, request: Request) -> _Facts:
    learner = (
        require_enrolled(session, principal, request.learner_id)
        if principal
        else session.get(Learner, request.learner_id)
    )
    if learner is None:
        raise NotFound(f"no learner {request.learner_id!r}")
    names, birth = _personal(bank, session, learner, principal.institution_id if principal else None)
    if request.kind == "achievement":
        achievement = session.get(Achievement, request.subject or "")
        if achievement is None or achievement.learner_id != learner.id:
            raise NotFound(f"learner {learner.id} has no achievement {request.subject!r}")
        if principal is not None and achievement.institution_id != principal.institution_id:
            raise NotFound(f"learner {learner.id} has no achievement {request.subject!r} recorded by you")
        if achievement.status == "revoked":
            raise Conflict(f"achievement {achievement.id} was revoked; no credential can be issued for it")
        claim, row = _achievement_claim(bank, session, achievement)
        return _Facts(
            [claim], [achievement.recorded_seq], achievement.institution_id, names, birth, row["title"], [row]
        )
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
        claim = documents.Claim(
            achievement_id=f"{credential_keys.public_url(bank)}/api/v1/frameworks/{framework.id}#{qualification.id}",
            name=_both(qualification.name),
            description=f"Qualification awarded under {_both(framework.name)}, rule set {award.rules_version}",
            criteria=f"{_amount(award.cents):f} credits meeting the requirements of {qualification.id}",
            achievement_type="ext:Qualification",
            creator=documents.Party(credential_keys.did(bank), _both(_bank_name(bank))),
            credits=_amount(award.cents),
            level=_framework_level(bank, framework, qualification.level),
            category=None,
            completed=date.fromisoformat(award.time[:10]),
        )
        row = {
            "seq": award.awarded_seq,
            "title": dict(qualification.name),
            "credits": f"{_amount(award.cents):f}",
            "level": dict(level_def.name) if level_def else {"zh": "", "en": ""},
            "framework": dict(framework.name),
            "institution": _both(_bank_name(bank)),
        }
        return _Facts([claim], [award.awarded_seq], None, names, birth, dict(qualification.name), [row])
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
        return _Facts(claims, sources, principal.institution_id if principal else None, names, birth, title, rows)
    raise InvalidInput(f"kind must be one of {', '.join(KINDS)}", errors={"kind": "unknown"})


# --- issuing ----------------------------------------------------------------------------------------------------


def _allocate(session: Session) -> tuple[int, int]:
    """A random free slot: list numbers grow when a list is half full, so random picks rarely collide."""
    newest = session.scalar(select(func.max(Credential.status_list))) or 1
    used = session.scalar(select(func.count()).select_from(Credential).where(Credential.status_list == newest)) or 0
    if used >= LIST_SIZE // 2:
        newest += 1
    return newest, secrets.randbelow(LIST_SIZE)


def _list_url(bank: Bank, number: int, purpose: str) -> str:
    return f"{credential_keys.public_url(bank)}/status/{number}-{purpose}"


def issue(bank: Bank, principal: Principal | None, request: Request) -> dict[str, Any]:
    if principal is not None:
        principal.require(ISSUE_SCOPE)
    if request.kind not in KINDS:
        raise InvalidInput(f"kind must be one of {', '.join(KINDS)}", errors={"kind": "unknown"})
    # A refused request must append nothing: the signing key (created, and recorded, on first use) comes only
    # after the facts show the caller may have this credential.
    with bank.db.reading() as session:
        _gather(bank, session, principal, request)
    key_row = credential_keys.ensure(bank)
    private = credential_keys.signer(bank, key_row)
    issuer = documents.Party(credential_keys.did(bank), _both(_bank_name(bank)), credential_keys.public_url(bank))
    method = f"{issuer.id}#{key_row.id}"
    for _attempt in range(5):
        with bank.db.reading() as session:
            facts = _gather(bank, session, principal, request)
            slot = _allocate(session)
        now = datetime.now(UTC).replace(microsecond=0)
        salt = secrets.token_hex(16)
        identities = [documents.identity_object(name, facts.birth_date, salt) for name in facts.names]
        status = status_entry(_list_url(bank, slot[0], "revocation"), slot[1], "revocation")
        credential_id = f"urn:uuid:{uuid.uuid4()}"
        created = documents.timestamp(now)
        if request.kind == "transcript":
            inner = [
                proofs.sign(
                    documents.open_badge(f"urn:uuid:{uuid.uuid4()}", issuer, claim, identities[0], now, None, None),
                    private,
                    method,
                    created,
                )
                for claim in facts.claims
            ]
            document = documents.transcript(
                credential_id, issuer, _both(facts.title), _summary(facts), identities[0], inner, now, status
            )
            document["credentialSubject"]["identifier"] = identities
        else:
            document = documents.open_badge(credential_id, issuer, facts.claims[0], identities[0], now, None, status)
            document["credentialSubject"]["identifier"] = identities
        signed = proofs.sign(document, private, method, created)
        page = pages.page_for(bank, request, facts, signed)
        shown = engine.visible_text_hash(pages.visible_text(page))
        body = {
            "credential_id": credential_id,
            "credential_hash": receipts.credential_hash(signed),
            "kind": request.kind,
            "learner": request.learner_id,
            "subject": request.subject,
            "sources": facts.sources,
            "key": key_row.id,
            "status_list": slot[0],
            "status_index": slot[1],
            "visible_text_hash": shown,
        }
        actor = principal.actor if principal is not None else BANK_ACTOR
        names_from = principal.institution_id if principal is not None else None
        try:
            with bank.db.writing() as session:
                recorded = recording.record(session, [ledger_store.NewEntry(receipts.ISSUED_KIND, actor, body)])
                session.add(
                    CredentialDocument(
                        id=credential_id,
                        document=json.dumps(signed, ensure_ascii=False),
                        language_order=request.language_order,
                        page_facts=json.dumps(
                            {"rows": facts.rows, "sources": facts.sources, "names_from": names_from},
                            ensure_ascii=False,
                        ),
                    )
                )
        except IntegrityError:
            continue  # the random status slot was taken meanwhile: draw another and sign again
        checkpoints.sign(bank)
        return {"id": credential_id, "seq": recorded[0].seq, "kind": request.kind, "credential": signed}
    raise Conflict("could not find a free status list slot; try again")


def _summary(facts: _Facts) -> str:
    total = sum((Decimal(row["credits"]) for row in facts.rows), Decimal(0))
    count, credits = len(facts.rows), f"{total.normalize():f}"
    return f"共 {count} 项成果，合计 {credits} 学分 / {count} achievements, {credits} credits in total"


# --- reading --------------------------------------------------------------------------------------------------


def _visible(session: Session, principal: Principal | None, credential_id: str) -> Credential:
    row = session.get(Credential, credential_id)
    # Another institution's credential answers like a missing one, so ids cannot be probed.
    if row is None or (principal is not None and row.institution_id != principal.institution_id):
        raise NotFound(f"no credential {credential_id!r}")
    return row


def document(bank: Bank, principal: Principal | None, credential_id: str) -> dict[str, Any]:
    with bank.db.reading() as session:
        _visible(session, principal, credential_id)
        stored = session.get(CredentialDocument, credential_id)
        if stored is None:
            raise NotFound(f"no credential {credential_id!r}")
        result: dict[str, Any] = json.loads(stored.document)
        return result


def receipt(bank: Bank, credential_id: str) -> dict[str, Any]:
    """A receipt against the latest signed checkpoint.

    Issuing signs a checkpoint, so one normally covers the credential already and this stays a read; only if the
    issue was cut off before signing does a checkpoint get signed here.
    """
    with bank.db.reading() as session:
        row = session.get(Credential, credential_id)
        if row is None:
            raise NotFound(f"no credential {credential_id!r}")
        latest = checkpoints.latest_in(session)
        covered = latest is not None and latest.size > row.issued_seq
    if not covered:
        checkpoints.sign(bank)
    with bank.db.reading() as session:
        latest = checkpoints.latest_in(session)
        assert latest is not None
        assert latest.size > row.issued_seq
        items = []
        for role, seq in [("credential", row.issued_seq), *(("source", s) for s in json.loads(row.sources))]:
            found = ledger_store.get_entry(session, seq)
            assert found is not None
            entry, stored = found
            public = json.loads(entry.public)
            leaf, path = ledger_store.inclusion_proof(session, seq, latest.size)
            if not verify_inclusion(leaf, seq, latest.size, path, latest.root):
                # A receipt that does not verify would be handed out as proof; the stored tree contradicts itself.
                raise LedgerIntegrityError(f"seq {seq} is not included in the signed checkpoint of size {latest.size}")
            items.append(receipts.ProvenEntry(role, public, json.loads(stored.body), stored.salt, path))
        return receipts.build(latest.note, items)


def bundle(bank: Bank, principal: Principal | None, credential_id: str) -> dict[str, Any]:
    """The credential with its receipt: the JSON a holder keeps for offline verification."""
    return {"credential": document(bank, principal, credential_id), "receipt": receipt(bank, credential_id)}


def pdf(bank: Bank, principal: Principal | None, credential_id: str, language_order: str | None = None) -> bytes:
    """The credential's PDF as issued: the rows kept at issuance, the holder's name as it stands."""
    with bank.db.reading() as session:
        row = _visible(session, principal, credential_id)
        stored = session.get(CredentialDocument, credential_id)
        assert stored is not None
        request = Request(row.learner_id, row.kind, row.subject, language_order or stored.language_order)
        if stored.page_facts is None:
            facts = _gather(bank, session, None, request)
        else:
            learner = session.get(Learner, row.learner_id)
            assert learner is not None
            kept = json.loads(stored.page_facts)
            names, born = _personal(bank, session, learner, kept.get("names_from"))
            facts = _Facts([], kept["sources"], row.institution_id, names, born, {}, kept["rows"])
    signed = json.loads(stored.document)
    return pages.render(bank, request, facts, signed, receipt(bank, credential_id))


# --- status ---------------------------------------------------------------------------------------------------


def change_status(bank: Bank, credential_id: str, change: str, reason: str | None = None) -> dict[str, Any]:
    """Revoke (final), suspend or reinstate a credential, then republish its status lists."""
    kinds = {"revoke": "credential.revoked", "suspend": "credential.suspended", "reinstate": "credential.suspended"}
    if change not in kinds:
        raise InvalidInput("change must be revoke, suspend or reinstate", errors={"change": "unknown"})
    with bank.db.writing() as session:
        row = session.get(Credential, credential_id)
        if row is None:
            raise NotFound(f"no credential {credential_id!r}")
        if row.revoked_seq is not None:
            raise Conflict(f"credential {credential_id} is already revoked")
        if change == "suspend" and row.suspended:
            raise Conflict(f"credential {credential_id} is already suspended")
        if change == "reinstate" and not row.suspended:
            raise Conflict(f"credential {credential_id} is not suspended")
        body: dict[str, Any] = {"credential_id": credential_id, "reason": reason}
        if kinds[change] == "credential.suspended":
            body["suspended"] = change == "suspend"
        recorded = recording.record(session, [ledger_store.NewEntry(kinds[change], BANK_ACTOR, body)])
        number = row.status_list
    for purpose in PURPOSES:
        publish_list(bank, number, purpose)
    checkpoints.sign(bank)
    return {"id": credential_id, "change": change, "seq": recorded[0].seq}


def _bits(session: Session, number: int, purpose: str) -> StatusBits:
    bits = StatusBits(LIST_SIZE)
    column = Credential.revoked_seq.is_not(None) if purpose == "revocation" else Credential.suspended.is_(True)
    for index in session.scalars(select(Credential.status_index).where(Credential.status_list == number).where(column)):
        bits.set(index, True)
    return bits


def publish_list(bank: Bank, number: int, purpose: str) -> dict[str, Any]:
    """Sign the current state of one status list and keep it for serving."""
    key_row = credential_keys.ensure(bank)
    private = credential_keys.signer(bank, key_row)
    issuer = credential_keys.did(bank)
    name = f"{number}-{purpose}"
    with bank.db.reading() as session:
        bits = _bits(session, number, purpose)
        as_of = ledger_store.tree_size(session)
    now = documents.timestamp(datetime.now(UTC))
    unsigned = status_list_credential(_list_url(bank, number, purpose), issuer, purpose, bits, now)
    signed = proofs.sign(unsigned, private, f"{issuer}#{key_row.id}", now)
    with bank.db.writing() as session:
        stored = session.get(StatusListDocument, name)
        text = json.dumps(signed)
        if stored is None:
            session.add(StatusListDocument(name=name, document=text, as_of_seq=as_of))
        else:
            stored.document, stored.as_of_seq = text, as_of
    return signed


def republish_stale(bank: Bank) -> list[str]:
    """Re-sign every status list that lags its credentials' recorded status; returns the lists re-signed.

    A status change publishes its lists right after it commits, so a process that dies in between
    leaves a list that still shows the old status; the scheduler calls this to close that gap.
    """
    with bank.db.reading() as session:
        changed = session.execute(
            select(Credential.status_list, func.max(Credential.status_seq))
            .where(Credential.status_seq.is_not(None))
            .group_by(Credential.status_list)
        ).all()
        published = dict(session.execute(select(StatusListDocument.name, StatusListDocument.as_of_seq)).all())
    stale = [
        (number, purpose)
        for number, last_change in changed
        for purpose in PURPOSES
        if published.get(f"{number}-{purpose}", -1) <= last_change
    ]
    for number, purpose in stale:
        publish_list(bank, number, purpose)
    return [f"{number}-{purpose}" for number, purpose in stale]


def status_list(bank: Bank, name: str) -> dict[str, Any]:
    number_text, _, purpose = name.partition("-")
    try:
        # A list's name is its one spelling: "01-revocation" or a full-width digit must not serve list 1.
        number = parse_decimal(number_text, maximum=999_999_999)
    except NotADecimal:
        raise NotFound(f"no status list {name!r}") from None
    if purpose not in PURPOSES:
        raise NotFound(f"no status list {name!r}")
    with bank.db.reading() as session:
        stored = session.get(StatusListDocument, name)
        if stored is not None:
            result: dict[str, Any] = json.loads(stored.document)
            return result
        exists = session.scalar(select(func.count()).select_from(Credential).where(Credential.status_list == number))
    if not exists:
        raise NotFound(f"no status list {name!r}")
    return publish_list(bank, number, purpose)


# --- verifying ------------------------------------------------------------------------------------------------


def trust(bank: Bank) -> engine.Trust:
    """The bank trusting itself: its own keys, its log key, and live status from its database."""
    document_ = credential_keys.did_document(bank)
    base = engine.did_document_trust(document_)

    def status(credential_id: str, url: str, index: int) -> engine.StatusAnswer | None:
        with bank.db.reading() as session:
            row = session.get(Credential, credential_id)
            if row is None or _list_url(bank, row.status_list, "revocation") != url or row.status_index != index:
                return None
            return engine.StatusAnswer(row.revoked_seq is not None, row.suspended)

    def recorded(credential_id: str) -> engine.RecordedStatus | None:
        # The projection of credential.issued, .revoked and .suspended entries: the ledger's word, not the list's.
        with bank.db.reading() as session:
            row = session.get(Credential, credential_id)
            if row is None:
                return None
            return engine.RecordedStatus(
                _list_url(bank, row.status_list, "revocation"), row.status_index, row.revoked_seq is not None,
                row.suspended,
            )  # fmt: skip

    return engine.Trust(base.issuer, base.keys, base.log_keys, status, pdf_roots=base.pdf_roots, ledger_status=recorded)


def verify(
    bank: Bank, data: bytes, identity: engine.Identity | None = None, *, refuse_duplicate_keys: bool = False
) -> dict[str, Any]:
    """The verification report. With ``refuse_duplicate_keys`` a document naming a key twice is an error (the
    API's 400) rather than a failed format check (what the page and the command show)."""

    def lookup(credential: Mapping[str, Any]) -> Any:
        credential_id = credential.get("id")
        if not isinstance(credential_id, str):
            return None
        try:
            return receipt(bank, credential_id)
        except NotFound:
            return None

    try:
        # In a child process under the CPU budget; the lookups above run here, where the database is.
        report = budget.run(engine.verify_bytes, data, trust(bank), identity=identity, receipt_lookup=lookup)
    except bounds.LimitExceeded as exc:
        metrics.VERIFICATIONS.labels("refused", exc.limit).inc()
        raise VerificationLimit(str(exc), limit=exc.limit, maximum=exc.maximum) from None
    except (budget.BudgetExceeded, budget.WorkerFailed) as exc:
        metrics.VERIFICATIONS.labels("refused", "cpu_seconds").inc()
        raise VerificationLimit(
            f"{exc}; the file was not verified", limit="cpu_seconds", maximum=budget.CPU_SECONDS
        ) from None
    if refuse_duplicate_keys and report.duplicate_key is not None:
        duplicate = report.duplicate_key
        raise MalformedDocument(
            f"the uploaded document is refused: {duplicate}",
            errors={duplicate.dotted: [f"the key {duplicate.key!r} appears more than once"]},
        )
    failed = next((check.check for check in report.checks if check.outcome == "fail"), "")
    metrics.VERIFICATIONS.labels(report.verdict, failed).inc()
    return report.to_json()


def rotate_key(bank: Bank) -> dict[str, Any]:
    row = credential_keys.rotate(bank)
    return {"key": row.id, "public_key": row.public_key, "active_from": row.active_from}


def compromise_key(bank: Bank, key_id: str, since: str, reason: str | None = None) -> dict[str, Any]:
    """Record a key compromise, re-sign every status list with the current key, and list what the key signed."""
    signed = credential_keys.compromise(bank, key_id, since, reason)
    # A status list signed by the compromised key would no longer verify anywhere, so every one is signed again.
    with bank.db.reading() as session:
        names = list(session.scalars(select(StatusListDocument.name)))
    for name in names:
        number, _, purpose = name.partition("-")
        publish_list(bank, int(number), purpose)
    with bank.db.reading() as session:
        current = credential_keys.current(session)
        assert current is not None
        return {"key": key_id, "current_key": current.id, "credentials": signed}


def list_for_learner(bank: Bank, learner_id: str) -> list[dict[str, Any]]:
    with bank.db.reading() as session:
        rows = session.scalars(
            select(Credential).where(Credential.learner_id == learner_id).order_by(Credential.issued_seq)
        )
        return [
            {
                "id": row.id,
                "kind": row.kind,
                "subject": row.subject,
                "seq": row.issued_seq,
                "issued_at": row.issued_at,
                "revoked": row.revoked_seq is not None,
                "suspended": row.suspended,
            }
            for row in rows
        ]


from creditbank.services.credentials import credential_pages as pages  # noqa: E402  (pages import this module's types)


def public_summary(bank: Bank, credential_id: str) -> dict[str, Any]:
    """What anyone holding the QR code may see: what was issued, by whom, when, and its live status — no names."""
    with bank.db.reading() as session:
        row = session.get(Credential, credential_id)
        stored = session.get(CredentialDocument, credential_id)
        if row is None or stored is None:
            raise NotFound(f"no credential {credential_id!r}")
        signed = json.loads(stored.document)
        state = "revoked" if row.revoked_seq is not None else "suspended" if row.suspended else "valid"
        subject = signed.get("credentialSubject", {})
        achievement = subject.get("achievement", {}) if isinstance(subject, dict) else {}
        summary = {
            "id": row.id,
            "kind": row.kind,
            "name": signed.get("name"),
            "issuer": signed.get("issuer", {}).get("name"),
            "institution": achievement.get("creator", {}).get("name") if isinstance(achievement, dict) else None,
            "credits": subject.get("creditsEarned") if isinstance(subject, dict) else None,
            "issued_at": row.issued_at,
            "seq": row.issued_seq,
            "status": state,
            # What the signed credential says, as the verify page shows it, with the ledger entry that recorded it.
            "details": describe(signed, ledger_seq=row.issued_seq, ledger_time=row.issued_at),
        }
    if state == "valid" and not _still_valid(bank, signed, summary["issued_at"]):
        summary["status"] = "invalid"
    return summary


def _still_valid(bank: Bank, signed: Mapping[str, Any], recorded_at: str) -> bool:
    """What can make a credential the bank itself signed and recorded invalid later, besides its status: its dates,
    and its key — compromised, or retired before the ledger recorded it. The signatures are not checked again: the
    page is anonymous, and a transcript's would cost one canonicalization per wrapped credential on every view."""
    now = datetime.now(UTC)
    recorded = parse_datetime(recorded_at)
    subject = signed.get("credentialSubject")
    wrapped = subject.get("verifiableCredential", []) if isinstance(subject, dict) else []
    with bank.db.reading() as session:
        keys = {row.id: row for row in credential_keys.all_keys(session)}
    for document in [signed, *(item for item in wrapped if isinstance(item, dict))]:
        start, end = parse_datetime(document.get("validFrom")), parse_datetime(document.get("validUntil"))
        if start is None or recorded is None or now < start:
            return False
        if "validUntil" in document and (end is None or now > end):
            return False
        for proof in document.get("proof") or []:
            key = keys.get(str(proof.get("verificationMethod", "")).rpartition("#")[2])
            created = parse_datetime(proof.get("created"))
            if key is None or created is None or recorded < (parse_datetime(key.active_from) or recorded):
                return False
            retired = parse_datetime(key.retired_at) if key.retired_at else None
            compromised = parse_datetime(key.compromised_at) if key.compromised_at else None
            if retired is not None and recorded >= retired:
                return False
            if compromised is not None and (created >= compromised or recorded >= compromised):
                return False
    return True
