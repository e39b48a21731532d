"""Reading credentials back: the signed document, its ledger receipt, the bundle a wallet takes, the PDF, a learner's
list, and the public summary a QR code opens."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from certificates import receipts
from certificates.shape import parse_datetime
from certificates.summary import describe
from creditbank import ledger_store
from creditbank.errors import (
    DocumentOutdated,
    LedgerIntegrityError,
    NotFound,
)
from creditbank.models import (
    Credential,
    CredentialDocument,
    Learner,
)
from creditbank.runtime import Bank
from creditbank.services.credentials import credential_keys, credential_pages
from creditbank.services.credentials.facts import Facts, Request, gather, language_order, personal
from creditbank.services.records.api_keys import Principal
from creditbank.services.transparency import checkpoints, witnesses
from ledger.merkle import verify_inclusion


def visible(session: Session, principal: Principal | None, credential_id: str) -> Credential:
    row = session.get(Credential, credential_id)
    # Another institution's credential answers like a missing one, so ids cannot be probed.
    if row is None or (principal is not None and row.institution_id != principal.institution_id):
        raise NotFound(f"no credential {credential_id!r}")
    return row


def document(bank: Bank, principal: Principal | None, credential_id: str) -> dict[str, Any]:
    with bank.db.reading() as session:
        visible(session, principal, credential_id)
        stored = session.get(CredentialDocument, credential_id)
        if stored is None:
            raise NotFound(f"no credential {credential_id!r}")
        result: dict[str, Any] = json.loads(stored.document)
        return result


def receipt(bank: Bank, credential_id: str) -> dict[str, Any]:
    """A receipt against the latest signed checkpoint, or against the one most witnesses cosigned if it covers the
    credential.

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
        # A checkpoint the witnesses cosigned, when one covers the credential, so the receipt carries their word.
        latest = witnesses.best_cosigned(session, row.issued_seq + 1) or checkpoints.latest_in(session)
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
        # The witnesses' cosignatures held for this checkpoint ride along; a reader that knows none ignores them.
        return receipts.build(latest.note + "".join(witnesses.cosignature_lines(session, latest.size)), items)


def bundle(bank: Bank, principal: Principal | None, credential_id: str) -> dict[str, Any]:
    """The credential with its receipt: the JSON a holder keeps for offline verification."""
    return {"credential": document(bank, principal, credential_id), "receipt": receipt(bank, credential_id)}


def _ordered(stored: str, wanted: str | None) -> str:
    """The languages recorded at issuance, in the order asked for: "zh-en" puts Chinese first, "en-zh" the second
    language. Only the order may change, so the page shows the words that were fingerprinted."""
    first, second = language_order(stored)
    other = second if first == "zh" else first
    if wanted is None:
        return stored
    return f"zh-{other}" if language_order(wanted)[0] == "zh" else f"{other}-zh"


def pdf(bank: Bank, principal: Principal | None, credential_id: str, order: str | None = None) -> bytes:
    """The credential's PDF as issued: the rows and languages kept at issuance, the holder's name as it stands."""
    with bank.db.reading() as session:
        row = visible(session, principal, credential_id)
        stored = session.get(CredentialDocument, credential_id)
        assert stored is not None
        request = Request(row.learner_id, row.kind, row.subject, _ordered(stored.language_order, order))
        if stored.page_facts is None:
            facts = gather(bank, session, None, request)
        else:
            learner = session.get(Learner, row.learner_id)
            assert learner is not None
            kept = json.loads(stored.page_facts)
            names, born = personal(bank, session, learner, kept.get("names_from"))
            facts = Facts(
                [], kept["sources"], row.institution_id, names, born, {}, kept["rows"], kept.get("qualifications", [])
            )
    signed = json.loads(stored.document)
    held = receipt(bank, credential_id)
    document = credential_pages.render(bank, request, facts, signed, held)
    # The ledger holds a fingerprint of what the PDF showed at issuance; a rendering that shows anything else (an
    # earlier version's layout, a name corrected since) would fail every verification, so it is never handed out.
    expected = receipts.issued_body(held).get("visible_text_hash")
    if expected is not None and credential_pages.fingerprint(document) != expected:
        raise DocumentOutdated(
            f"credential {credential_id} no longer renders as it was issued; issue a new one (its JSON still verifies)"
        )
    return document


def list_for_learner(bank: Bank, learner_id: str) -> list[dict[str, Any]]:
    """The learner's credentials, oldest first, each with what it is for (the course or qualification's title in
    Chinese and English; none for a transcript) and the two languages it is written in."""
    with bank.db.reading() as session:
        rows = session.execute(
            select(Credential, CredentialDocument)
            .join(CredentialDocument, CredentialDocument.id == Credential.id, isouter=True)
            .where(Credential.learner_id == learner_id)
            .order_by(Credential.issued_seq)
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
                "title": title_of(row.kind, stored),
                "languages": list(language_order(stored.language_order)) if stored is not None else ["zh", "en"],
            }
            for row, stored in rows
        ]


def title_of(kind: str, stored: CredentialDocument | None) -> dict[str, str] | None:
    """What a certificate is for, as kept at issuance (or, for one issued before that was kept, as it names itself)."""
    if kind == "transcript" or stored is None:
        return None
    if stored.page_facts is not None:
        rows = json.loads(stored.page_facts).get("rows") or []
        if rows and isinstance(rows[0].get("title"), dict):
            return {key: str(value) for key, value in rows[0]["title"].items() if value}
    signed = json.loads(stored.document)
    achievement = (signed.get("credentialSubject") or {}).get("achievement") or {}
    name = achievement.get("name") if isinstance(achievement, dict) else None
    return {"zh": str(name), "en": str(name)} if name else None


def holder_names(bank: Bank, learner_id: str) -> list[str]:
    """The names the learner's documents print: the Chinese name, then the Latin one, where the bank holds them."""
    with bank.db.reading() as session:
        learner = session.get(Learner, learner_id)
        if learner is None:
            raise NotFound(f"no learner {learner_id!r}")
        return personal(bank, session, learner)[0]


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
