"""Learners (pseudonyms only) and their enrollments with institutions."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from creditbank.models import Enrollment, Learner
from creditbank.projectors.applied import Applied


def enrolled(session: Session, entries: Sequence[Applied]) -> None:
    # A spreadsheet import enrolls thousands at once: one lookup per chunk and two bulk inserts, not a query and a
    # flush per entry. A learner's row comes from their first enrollment; every entry is an enrollment.
    ids = list(dict.fromkeys(entry.body["learner"] for entry in entries))
    known: set[str] = set()
    for start in range(0, len(ids), _CHUNK):
        known.update(session.scalars(select(Learner.id).where(Learner.id.in_(ids[start : start + _CHUNK]))))
    learners: list[dict[str, object]] = []
    enrollments: list[dict[str, object]] = []
    for entry in entries:
        learner_id = entry.body["learner"]
        if learner_id not in known:
            known.add(learner_id)
            learners.append(
                {
                    "id": learner_id,
                    "status": "active",
                    "enrolled_seq": entry.seq,
                    "enrolled_at": entry.time,
                    "erased_seq": None,
                }
            )
        enrollments.append({"learner_id": learner_id, "institution_id": entry.body["institution"], "seq": entry.seq})
    if learners:
        session.execute(insert(Learner), learners)
    session.execute(insert(Enrollment), enrollments)


_CHUNK = 500


def erased(session: Session, entries: Sequence[Applied]) -> None:
    for entry in entries:
        session.execute(
            update(Learner).where(Learner.id == entry.body["learner"]).values(status="erased", erased_seq=entry.seq)
        )
