"""Learners (pseudonyms only) and their enrollments with institutions."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import update
from sqlalchemy.orm import Session

from creditbank.models import Enrollment, Learner
from creditbank.projectors.applied import Applied


def enrolled(session: Session, entries: Sequence[Applied]) -> None:
    for entry in entries:
        learner_id = entry.body["learner"]
        if session.get(Learner, learner_id) is None:
            session.add(
                Learner(id=learner_id, status="active", enrolled_seq=entry.seq, enrolled_at=entry.time, erased_seq=None)
            )
            session.flush()
        session.add(Enrollment(learner_id=learner_id, institution_id=entry.body["institution"], seq=entry.seq))
    session.flush()


def erased(session: Session, entries: Sequence[Applied]) -> None:
    for entry in entries:
        session.execute(
            update(Learner).where(Learner.id == entry.body["learner"]).values(status="erased", erased_seq=entry.seq)
        )
