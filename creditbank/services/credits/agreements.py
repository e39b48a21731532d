"""Publishing mutual recognition agreements, reading them back, and the terms conversion matches achievements to.

An agreement version, once published, is fixed like a rule set: the same document again is a no-op, other content
under that version a conflict. Publishing re-evaluates the standing achievements its terms cover, after the
publication has committed, in chunks of their own (see :func:`conversion.reevaluate`).
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from creditbank import ledger_store, recording
from creditbank.credits import agreements
from creditbank.credits.agreements import Term
from creditbank.credits.documents import SLUG, DocumentError, digest, parse_file
from creditbank.errors import Conflict, Forbidden, InvalidInput, NotFound
from creditbank.models import Institution, PublishedAgreement
from creditbank.runtime import Bank
from creditbank.services.credits import conversion, credit_rules
from creditbank.services.credits.agreement_terms import terms_for
from creditbank.services.records.institutions import BANK_ACTOR


@dataclass(frozen=True)
class PublishedAgreementVersion:
    id: str
    version: str
    hash: str
    seq: int
    created: bool
    # What re-evaluating the standing achievements did: how many now convert by the agreement, and how many were
    # left to a recognition decision that already counted them.
    reevaluated: int = 0
    decided: int = 0


def _invalid(error: DocumentError) -> InvalidInput:
    errors: dict[str, list[str]] = {}
    for fault in error.faults:
        place, _, message = fault.partition(": ")
        if not message or " " in place:
            place, message = "document", fault
        errors.setdefault(place, []).append(message)
    return InvalidInput(str(error), errors=errors)


def _rivals(session: Session, document: dict[str, Any]) -> list[Term]:
    """The published terms a document's terms could overlap: those recognizing the same courses."""
    terms = document.get("terms")
    named = [t.get("from") for t in terms if isinstance(t, dict)] if isinstance(terms, list) else []
    courses = {(ref.split(":", 1)[0], ref.split(":", 1)[1]) for ref in named if isinstance(ref, str) and ":" in ref}
    return [term for found in terms_for(session, courses).values() for term in found]


def publish(
    bank: Bank,
    document: dict[str, Any],
    *,
    source: str,
    actor: str = BANK_ACTOR,
    institution: str | None = None,
    chunk: int = 500,
) -> PublishedAgreementVersion:
    """Check and publish an agreement as an ``agreement.published`` entry, then re-evaluate what it covers.

    ``institution`` is the calling institution over the API: it must be the recognizing party, since only the
    party that grants recognition can commit to it."""
    with bank.db.writing() as session:
        # The sequencer first: two agreements published at once are checked for overlaps one after the other.
        ledger_store.lock(session, ledger_store.SEQUENCER_LOCK)
        known = set(session.scalars(select(Institution.id)))
        book = credit_rules.rulebook(session)
        try:
            agreement = agreements.read(document, source, known, book.outcomes, _rivals(session, document))
        except DocumentError as error:
            held = _held(session, document)
            if held is not None:
                _may_publish(institution, held.recognizing, held.id)
                # The same version again: say so rather than list the overlaps it has with itself.
                return _same_or_conflict(held, document)
            raise _invalid(error) from None
        _may_publish(institution, agreement.recognizing, agreement.id)
        hash_ = digest(agreement.document)
        existing = session.get(PublishedAgreement, (agreement.id, agreement.version))
        if existing is not None:
            return _same_or_conflict(existing, agreement.document)
        body = {"agreement": agreement.id, "version": agreement.version, "hash": hash_, "document": agreement.document}
        recorded = recording.record(session, [ledger_store.NewEntry("agreement.published", actor, body)])
        seq = recorded[0].seq
    report = conversion.reevaluate(bank, agreement.id, agreement.version, chunk=chunk)
    return PublishedAgreementVersion(
        agreement.id, agreement.version, hash_, seq, True, report["changed"], report["decided"]
    )


def _may_publish(institution: str | None, recognizing: str, agreement_id: str) -> None:
    if institution is not None and institution != recognizing:
        raise Forbidden(
            f"only the recognizing party ({recognizing}) may publish agreement {agreement_id}",
            errors={"recognizing": "must be the calling institution"},
        )


def _held(session: Session, document: dict[str, Any]) -> PublishedAgreement | None:
    agreement_id, version = document.get("id"), document.get("version")
    if not isinstance(agreement_id, str) or not isinstance(version, str):
        return None
    return session.get(PublishedAgreement, (agreement_id, version))


def _same_or_conflict(held: PublishedAgreement, document: dict[str, Any]) -> PublishedAgreementVersion:
    if held.document != json.dumps(_normalized(document), ensure_ascii=False, sort_keys=True):
        raise Conflict(
            f"agreement {held.id} version {held.version} was published at seq {held.seq} with other content "
            f"(hash {held.hash[:12]}…); publish a new version instead",
            errors={"version": "already published with other content"},
        )
    return PublishedAgreementVersion(held.id, held.version, held.hash, held.seq, False)


def _normalized(document: dict[str, Any]) -> dict[str, Any]:
    """The document with TOML dates as ISO strings, as :func:`agreements.read` publishes it."""
    terms = document.get("terms")
    if not isinstance(terms, list):
        return document
    written = []
    for term in terms:
        if isinstance(term, dict):
            term = {k: v.isoformat() if isinstance(v, dt.date) else v for k, v in term.items()}
        written.append(term)
    return {**document, "terms": written}


def publish_file(bank: Bank, path: Path) -> PublishedAgreementVersion:
    try:
        document = parse_file(path)
    except DocumentError as error:
        raise _invalid(error) from None
    return publish(bank, document, source=str(path))


def _view(row: PublishedAgreement) -> dict[str, Any]:
    document = json.loads(row.document)
    return {
        "id": row.id,
        "version": row.version,
        "name": document["name"],
        "parties": json.loads(row.parties),
        "recognizing": row.recognizing,
        "hash": row.hash,
        "seq": row.seq,
        "published_by": row.actor,
        "terms": document["terms"],
    }


def list_agreements(bank: Bank) -> list[dict[str, Any]]:
    """Every published agreement version, oldest first."""
    with bank.db.reading() as session:
        return [_view(row) for row in session.scalars(select(PublishedAgreement).order_by(PublishedAgreement.seq))]


def get_agreement(bank: Bank, agreement_id: str) -> dict[str, Any]:
    """The latest version of an agreement, with every version it has had."""
    if not SLUG.fullmatch(agreement_id):
        # No agreement can have such an id, and bytes like NUL must not reach a query.
        raise NotFound(f"no agreement {agreement_id!r} has been published")
    with bank.db.reading() as session:
        rows = session.scalars(
            select(PublishedAgreement).where(PublishedAgreement.id == agreement_id).order_by(PublishedAgreement.seq)
        ).all()
        if not rows:
            raise NotFound(f"no agreement {agreement_id!r} has been published")
        view = _view(rows[-1])
        view["versions"] = [{"version": r.version, "hash": r.hash, "seq": r.seq} for r in rows]
        return view
