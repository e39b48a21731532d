"""Achievements and their history: recorded, corrected, revoked."""

from __future__ import annotations

import json
from collections.abc import Sequence

from sqlalchemy import Table, insert, select, update
from sqlalchemy.orm import Session

from creditbank.models import Achievement, AchievementVersion
from creditbank.projectors.applied import Applied

_ACHIEVEMENTS: Table = Achievement.__table__  # type: ignore[assignment]
_VERSIONS: Table = AchievementVersion.__table__  # type: ignore[assignment]


def recorded(session: Session, entries: Sequence[Applied]) -> None:
    achievements, versions = [], []
    for entry in entries:
        body = entry.body
        data = json.dumps(body["data"], ensure_ascii=False, sort_keys=True)
        achievements.append(
            {
                "id": body["achievement"],
                "learner_id": body["learner"],
                "institution_id": body["institution"],
                "record_id": body["record_id"],
                "kind": body["data"]["kind"],
                "status": "active",
                "version": 1,
                "data": data,
                "recorded_seq": entry.seq,
                "last_seq": entry.seq,
                "signed_by": (body.get("signature") or {}).get("key"),
            }
        )
        versions.append(
            {
                "achievement_id": body["achievement"],
                "version": 1,
                "seq": entry.seq,
                "change": "recorded",
                "time": entry.time,
                "data": data,
                "reason": None,
            }
        )
    # Core inserts: the ORM's bulk path costs more than the statements for a thousand-item batch.
    session.execute(insert(_ACHIEVEMENTS), achievements)
    session.execute(insert(_VERSIONS), versions)


def _next_version(session: Session, entry: Applied, change: str, data: str | None) -> int:
    achievement_id = entry.body["achievement"]
    version = session.scalar(select(Achievement.version).where(Achievement.id == achievement_id))
    if version is None:
        raise RuntimeError(f"{entry.kind} at seq {entry.seq} amends unknown achievement {achievement_id}")
    session.execute(
        insert(AchievementVersion).values(
            achievement_id=achievement_id,
            version=version + 1,
            seq=entry.seq,
            change=change,
            time=entry.time,
            data=data,
            reason=entry.body.get("reason"),
        )
    )
    return version + 1


def corrected(session: Session, entries: Sequence[Applied]) -> None:
    for entry in entries:
        data = json.dumps(entry.body["data"], ensure_ascii=False, sort_keys=True)
        version = _next_version(session, entry, "corrected", data)
        session.execute(
            update(Achievement)
            .where(Achievement.id == entry.body["achievement"])
            .values(data=data, kind=entry.body["data"]["kind"], version=version, last_seq=entry.seq)
        )


def revoked(session: Session, entries: Sequence[Applied]) -> None:
    for entry in entries:
        version = _next_version(session, entry, "revoked", None)
        session.execute(
            update(Achievement)
            .where(Achievement.id == entry.body["achievement"])
            .values(status="revoked", version=version, last_seq=entry.seq)
        )
