"""Learners' consent: a learner lets one institution read more than that institution recorded itself.

Without consent an institution reads back only what it submitted, its own records and its own credit lines (and,
as an awarding body, what an award decision needs). A grant names the institution, one scope and an expiry; the
learner gives and withdraws it in the portal, and both are ledger entries whose bodies hold only the pseudonym.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from creditbank import ledger_store, recording
from creditbank.errors import Conflict, InvalidInput, NotFound
from creditbank.models import ConsentGrant, Institution, Learner
from creditbank.runtime import Bank

GRANTED, WITHDRAWN = "consent.granted", "consent.withdrawn"
# As for erasure from the portal: the act is the learner's own, and the public actor names no one.
PORTAL_ACTOR = "learner"
SCOPES = {
    "profile": "the names, birth date, masked ID number and e-mail the bank holds",
    "records": "every achievement recorded for the learner, by any institution",
    "credits": "the whole credit account and progress toward any qualification",
}
MAX_DAYS = 366


def _now() -> datetime:
    return datetime.now(UTC)


def grant(bank: Bank, learner_id: str, institution_id: str, scope: str, days: int) -> int:
    """Record ``consent.granted``; returns its seq. Granting the same scope again records a new grant."""
    errors = {}
    if scope not in SCOPES:
        errors["scope"] = f"one of {', '.join(sorted(SCOPES))}"
    if not 1 <= days <= MAX_DAYS:
        errors["days"] = f"between 1 and {MAX_DAYS}"
    if errors:
        raise InvalidInput("the consent has invalid fields; see errors", errors=errors)
    with bank.db.writing() as session:
        ledger_store.lock(session, ledger_store.SEQUENCER_LOCK)
        _alive(session, learner_id)
        if session.get(Institution, institution_id) is None:
            raise InvalidInput(f"no institution {institution_id!r}", errors={"institution": "unknown institution"})
        body = {
            "learner": learner_id,
            "institution": institution_id,
            "scope": scope,
            "expires": ledger_store.timestamp(_now() + timedelta(days=days)),
        }
        recorded = recording.record(session, [ledger_store.NewEntry(GRANTED, PORTAL_ACTOR, body)])
        return recorded[0].seq


def withdraw(bank: Bank, learner_id: str, grant_seq: int) -> int:
    """Record ``consent.withdrawn`` for one of the learner's grants; returns its seq."""
    with bank.db.writing() as session:
        ledger_store.lock(session, ledger_store.SEQUENCER_LOCK)
        _alive(session, learner_id)
        row = session.get(ConsentGrant, grant_seq)
        if row is None or row.learner_id != learner_id:
            raise NotFound(f"no consent {grant_seq} of this learner")
        if row.withdrawn_seq is not None:
            raise Conflict(f"consent {grant_seq} was already withdrawn at seq {row.withdrawn_seq}")
        body = {"learner": learner_id, "grant": grant_seq}
        recorded = recording.record(session, [ledger_store.NewEntry(WITHDRAWN, PORTAL_ACTOR, body)])
        return recorded[0].seq


def _alive(session: Session, learner_id: str) -> None:
    learner = session.get(Learner, learner_id)
    if learner is None or learner.status == "erased":
        raise NotFound(f"no learner {learner_id!r}")


def holds(session: Session, learner_id: str, institution_id: str, scope: str) -> bool:
    """Whether the institution holds a live grant of ``scope`` from the learner right now.

    Erasure ends every grant without an entry of its own: nobody may read further about a person who is gone.
    """
    found = session.scalar(
        select(ConsentGrant.seq)
        .join(Learner, Learner.id == ConsentGrant.learner_id)
        .where(
            Learner.status != "erased",
            ConsentGrant.learner_id == learner_id,
            ConsentGrant.institution_id == institution_id,
            ConsentGrant.scope == scope,
            ConsentGrant.withdrawn_seq.is_(None),
            ConsentGrant.expires_at > ledger_store.timestamp(_now()),
        )
        .limit(1)
    )
    return found is not None


def for_learner(bank: Bank, learner_id: str) -> list[dict[str, Any]]:
    """The learner's grants, newest first, with whether each still counts."""
    now = ledger_store.timestamp(_now())
    with bank.db.reading() as session:
        rows = session.scalars(
            select(ConsentGrant).where(ConsentGrant.learner_id == learner_id).order_by(ConsentGrant.seq.desc())
        ).all()
        return [_view(row, now) for row in rows]


def for_institution(bank: Bank, institution_id: str) -> list[dict[str, Any]]:
    """Live grants an institution holds, so it knows whom it may read further (pseudonyms only)."""
    now = ledger_store.timestamp(_now())
    with bank.db.reading() as session:
        rows = session.scalars(
            select(ConsentGrant)
            # Erasure ended these grants (see holds): listing them as live would keep naming a person who is gone.
            .join(Learner, Learner.id == ConsentGrant.learner_id)
            .where(
                Learner.status != "erased",
                ConsentGrant.institution_id == institution_id,
                ConsentGrant.withdrawn_seq.is_(None),
                ConsentGrant.expires_at > now,
            )
            .order_by(ConsentGrant.seq)
        ).all()
        return [_view(row, now) for row in rows]


def _view(row: ConsentGrant, now: str) -> dict[str, Any]:
    state = "withdrawn" if row.withdrawn_seq is not None else "expired" if row.expires_at <= now else "active"
    view: dict[str, Any] = {
        "seq": row.seq,
        "learner": row.learner_id,
        "institution": row.institution_id,
        "scope": row.scope,
        "granted_at": row.granted_at,
        "expires_at": row.expires_at,
        "state": state,
    }
    if row.withdrawn_seq is not None:
        view["withdrawn_seq"] = row.withdrawn_seq
    return view
