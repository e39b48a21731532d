"""Learners' consent grants and their withdrawal."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import update
from sqlalchemy.orm import Session

from creditbank.models import ConsentGrant
from creditbank.projectors.applied import Applied


def granted(session: Session, entries: Sequence[Applied]) -> None:
    for entry in entries:
        session.add(
            ConsentGrant(
                seq=entry.seq,
                learner_id=entry.body["learner"],
                institution_id=entry.body["institution"],
                scope=entry.body["scope"],
                granted_at=entry.time,
                expires_at=entry.body["expires"],
                withdrawn_seq=None,
            )
        )
    session.flush()


def withdrawn(session: Session, entries: Sequence[Applied]) -> None:
    for entry in entries:
        session.execute(
            update(ConsentGrant).where(ConsentGrant.seq == entry.body["grant"]).values(withdrawn_seq=entry.seq)
        )
