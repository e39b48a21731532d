"""Reading achievements back: one with its history, a learner's page of them, and everything recorded for a learner.

An institution reads only what it recorded, and every institution's records of a learner who grants it ``records``
consent; the portal reads the learner's own record whole.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from creditbank.errors import NotFound
from creditbank.models import Achievement, AchievementVersion
from creditbank.runtime import Bank
from creditbank.services import paging
from creditbank.services.records import consent
from creditbank.services.records.api_keys import Principal
from creditbank.services.records.learners import require_enrolled

_ACHIEVEMENTS = Achievement.__table__
_VERSIONS = AchievementVersion.__table__


def owned(session: Session, principal: Principal, achievement_id: str) -> Achievement:
    achievement = session.get(Achievement, achievement_id)
    if achievement is None or achievement.institution_id != principal.institution_id:
        raise NotFound(f"no achievement {achievement_id!r} recorded by {principal.institution_id}")
    return achievement


def current_state(achievement: Achievement) -> dict[str, Any]:
    return {
        "id": achievement.id,
        "learner": achievement.learner_id,
        "institution": achievement.institution_id,
        "record_id": achievement.record_id,
        "status": achievement.status,
        "version": achievement.version,
        "recorded_seq": achievement.recorded_seq,
        "last_seq": achievement.last_seq,
        "signed_by": achievement.signed_by,
        "data": json.loads(achievement.data),
    }


def view(session: Session, achievement_id: str, *, history: bool) -> dict[str, Any]:
    achievement = session.get(Achievement, achievement_id, populate_existing=True)
    assert achievement is not None
    view = current_state(achievement)
    if history:
        rows = session.scalars(
            select(AchievementVersion)
            .where(AchievementVersion.achievement_id == achievement_id)
            .order_by(AchievementVersion.version)
        )
        view["history"] = [version_view(row) for row in rows]
    return view


def version_view(row: Any) -> dict[str, Any]:
    """One entry of an achievement's history, from an ``achievement_versions`` row or object."""
    return {
        "version": row.version,
        "seq": row.seq,
        "change": row.change,
        "time": row.time,
        **({"data": json.loads(row.data)} if row.data is not None else {}),
        **({"reason": row.reason} if row.reason is not None else {}),
    }


def get(bank: Bank, principal: Principal, achievement_id: str) -> dict[str, Any]:
    with bank.db.reading() as session:
        owned(session, principal, achievement_id)
        return view(session, achievement_id, history=True)


def page_for_learner(bank: Bank, principal: Principal, learner_id: str, cursor: str | None, limit: int) -> paging.Page:
    """The caller's own records of one learner, oldest first, ``limit`` at a time; every institution's records
    while the learner grants the caller ``records`` consent."""
    after = paging.decode(cursor)
    limit = paging.check_limit(limit)
    with bank.db.reading() as session:
        require_enrolled(session, principal, learner_id, "records")
        everyone = consent.holds(session, learner_id, principal.institution_id, "records")
        rows = list(
            session.scalars(
                select(Achievement)
                .where(
                    Achievement.learner_id == learner_id,
                    *([] if everyone else [Achievement.institution_id == principal.institution_id]),
                    Achievement.recorded_seq > after,
                )
                .order_by(Achievement.recorded_seq)
                .limit(limit + 1)
            )
        )
    items = [current_state(row) for row in rows[:limit]]
    more = len(rows) > limit
    return paging.Page(items, paging.encode(rows[limit - 1].recorded_seq) if more else None)


def all_for_learner(bank: Bank, learner_id: str) -> list[dict[str, Any]]:
    """Everything recorded for one learner, by every institution, newest first, each with its history.

    Two statements however many there are: a learner with hundreds of achievements would otherwise cost two
    round trips for each, and their record page seconds.
    """
    with bank.db.reading() as session:
        rows = session.scalars(
            select(Achievement)
            .where(Achievement.learner_id == learner_id)
            .order_by(Achievement.recorded_seq.desc(), Achievement.id)
        ).all()
        history: dict[str, list[dict[str, Any]]] = {row.id: [] for row in rows}
        versions = session.execute(
            select(_VERSIONS)
            .join(_ACHIEVEMENTS, _ACHIEVEMENTS.c.id == _VERSIONS.c.achievement_id)
            .where(_ACHIEVEMENTS.c.learner_id == learner_id)
            .order_by(_VERSIONS.c.achievement_id, _VERSIONS.c.version)
        )
        for version in versions:
            history[version.achievement_id].append(version_view(version))
    return [{**current_state(row), "history": history[row.id]} for row in rows]


def count_for_learner(session: Session, learner_id: str) -> int:
    """How many achievements are recorded for the learner, by every institution: one count, no rows read."""
    return (
        session.scalar(select(func.count()).select_from(_ACHIEVEMENTS).where(_ACHIEVEMENTS.c.learner_id == learner_id))
        or 0
    )


def page_of_learner(session: Session, learner_id: str, offset: int, limit: int) -> list[dict[str, Any]]:
    """``limit`` of the learner's achievements from ``offset``, newest first as in :func:`all_for_learner`, each with
    its history: the rows of one page of the record, so a learner with hundreds costs what one with a page does."""
    rows = session.scalars(
        select(Achievement)
        .where(Achievement.learner_id == learner_id)
        .order_by(Achievement.recorded_seq.desc(), Achievement.id)
        .offset(offset)
        .limit(limit)
    ).all()
    history: dict[str, list[dict[str, Any]]] = {row.id: [] for row in rows}
    if rows:
        versions = session.execute(
            select(_VERSIONS)
            .where(_VERSIONS.c.achievement_id.in_(list(history)))
            .order_by(_VERSIONS.c.achievement_id, _VERSIONS.c.version)
        )
        for version in versions:
            history[version.achievement_id].append(version_view(version))
    return [{**current_state(row), "history": history[row.id]} for row in rows]
