"""Issuing a credential: gather the facts, sign, render the PDF once to fingerprint what it shows, then record
`credential.issued` (holding the credential's hash, its sources and that fingerprint) in one transaction, and sign a
checkpoint so the holder gets a receipt that verifies offline at once."""

from __future__ import annotations

import json
import secrets
import uuid
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from certificates import credentials as credential_documents
from certificates import proofs, receipts
from certificates import verify as verification
from certificates.status_list import status_entry
from creditbank import ledger_store, recording
from creditbank.errors import (
    Conflict,
    InvalidInput,
)
from creditbank.models import (
    Credential,
    CredentialDocument,
)
from creditbank.runtime import Bank
from creditbank.services.credentials import credential_keys, credential_pages
from creditbank.services.credentials.facts import (
    ISSUE_SCOPE,
    KINDS,
    Facts,
    Request,
    bank_name,
    both_languages,
    gather,
    language_order,
)
from creditbank.services.credentials.status import BANK_ACTOR, LIST_SIZE, list_url
from creditbank.services.records.api_keys import Principal
from creditbank.services.transparency import checkpoints


def allocate(session: Session) -> tuple[int, int]:
    """A random free slot: list numbers grow when a list is half full, so random picks rarely collide."""
    newest = session.scalar(select(func.max(Credential.status_list))) or 1
    used = session.scalar(select(func.count()).select_from(Credential).where(Credential.status_list == newest)) or 0
    if used >= LIST_SIZE // 2:
        newest += 1
    return newest, secrets.randbelow(LIST_SIZE)


def issue(bank: Bank, principal: Principal | None, request: Request) -> dict[str, Any]:
    if principal is not None:
        principal.require(ISSUE_SCOPE)
    if request.kind not in KINDS:
        raise InvalidInput(f"kind must be one of {', '.join(KINDS)}", errors={"kind": "unknown"})
    language_order(request.language_order)
    # A refused request must append nothing: the signing key (created, and recorded, on first use) comes only
    # after the facts show the caller may have this credential.
    with bank.db.reading() as session:
        gather(bank, session, principal, request)
    key_row = credential_keys.ensure(bank)
    private = credential_keys.signer(bank, key_row)
    issuer = credential_documents.Party(bank.did, both_languages(bank_name(bank)), bank.public_url)
    method = f"{issuer.id}#{key_row.id}"
    for _attempt in range(5):
        with bank.db.reading() as session:
            facts = gather(bank, session, principal, request)
            slot = allocate(session)
        now = datetime.now(UTC).replace(microsecond=0)
        salt = secrets.token_hex(16)
        identities = [credential_documents.identity_object(name, facts.birth_date, salt) for name in facts.names]
        status = status_entry(list_url(bank, slot[0], "revocation"), slot[1], "revocation")
        credential_id = f"urn:uuid:{uuid.uuid4()}"
        created = credential_documents.timestamp(now)
        if request.kind == "transcript":
            inner = [
                proofs.sign(
                    credential_documents.open_badge(
                        f"urn:uuid:{uuid.uuid4()}", issuer, claim, identities[0], now, None, None
                    ),
                    private,
                    method,
                    created,
                )
                for claim in facts.claims
            ]
            document = credential_documents.transcript(
                credential_id, issuer, both_languages(facts.title), _summary(facts), identities[0], inner, now, status
            )
            document["credentialSubject"]["identifier"] = identities
        else:
            document = credential_documents.open_badge(
                credential_id, issuer, facts.claims[0], identities[0], now, None, status
            )
            document["credentialSubject"]["identifier"] = identities
        signed = proofs.sign(document, private, method, created)
        page = credential_pages.page_for(bank, request, facts, signed)
        shown = verification.visible_text_hash(credential_pages.visible_text(page))
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
                            {
                                "rows": facts.rows,
                                "sources": facts.sources,
                                "names_from": names_from,
                                "qualifications": facts.qualifications,
                            },
                            ensure_ascii=False,
                        ),
                    )
                )
        except IntegrityError:
            continue  # the random status slot was taken meanwhile: draw another and sign again
        checkpoints.sign(bank)
        return {"id": credential_id, "seq": recorded[0].seq, "kind": request.kind, "credential": signed}
    raise Conflict("could not find a free status list slot; try again")


def _summary(facts: Facts) -> str:
    total = sum((Decimal(row["credits"]) for row in facts.rows), Decimal(0))
    count, credits = len(facts.rows), f"{total.normalize():f}"
    return f"共 {count} 项成果，合计 {credits} 学分 / {count} achievements, {credits} credits in total"
