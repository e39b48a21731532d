"""The published agreement terms as conversion matches achievements to them: read by course, or by agreement.

Apart from publishing (``agreements``), which re-evaluates achievements through conversion, so that conversion
reads terms without reaching back into the module that calls it.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable
from decimal import Decimal

from sqlalchemy import select, tuple_
from sqlalchemy.orm import Session

from creditbank.credits.agreements import Term
from creditbank.models import AgreementTerm, PublishedAgreement

__all__ = ["terms_for", "terms_of"]

_TERMS = (
    select(AgreementTerm, PublishedAgreement.hash, PublishedAgreement.recognizing, PublishedAgreement.parties)
    .join(
        PublishedAgreement,
        (PublishedAgreement.id == AgreementTerm.agreement) & (PublishedAgreement.version == AgreementTerm.version),
    )
    .order_by(AgreementTerm.agreement, AgreementTerm.version, AgreementTerm.number)
)


def _term(row: AgreementTerm, hash_: str, recognizing: str, parties: str) -> Term:
    return Term(
        row.agreement,
        row.version,
        hash_,
        row.number,
        row.from_institution,
        row.from_code,
        row.outcome,
        row.framework,
        Decimal(row.cents) / 100,
        dt.date.fromisoformat(row.completed_from),
        dt.date.fromisoformat(row.completed_until),
        recognizing,
        tuple(json.loads(parties)),
    )


def terms_for(session: Session, courses: Iterable[tuple[str, str]]) -> dict[tuple[str, str], list[Term]]:
    """Every published term recognizing one of these (institution, course code) pairs, in one indexed lookup."""
    wanted = sorted(set(courses))
    if not wanted:
        return {}
    found: dict[tuple[str, str], list[Term]] = {}
    query = _TERMS.where(tuple_(AgreementTerm.from_institution, AgreementTerm.from_code).in_(wanted))
    for row, hash_, recognizing, parties in session.execute(query):
        found.setdefault((row.from_institution, row.from_code), []).append(_term(row, hash_, recognizing, parties))
    return found


def terms_of(session: Session, agreement_id: str, version: str) -> list[Term]:
    query = _TERMS.where(AgreementTerm.agreement == agreement_id, AgreementTerm.version == version)
    return [_term(row, h, r, p) for row, h, r, p in session.execute(query)]
