"""Recording, correcting and revoking achievements, and reading them back with their history.

An institution writes only for learners enrolled with it and reads only what it recorded. Every
change is an entry: ``achievement.recorded`` carries the whole record (and the institution's
signature, when it signs), ``achievement.corrected`` the full new values and ``achievement.revoked``
the reason, both naming the seq of the record they amend.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import bindparam, cast, literal_column, null, select, union_all
from sqlalchemy.orm import Session

from creditbank import achievement_rules, ledger_store, recording
from creditbank.credits.kinds import ACHIEVEMENT_KINDS
from creditbank.errors import Conflict, InvalidInput
from creditbank.models import Achievement, AchievementVersion, Enrollment, Learner
from creditbank.runtime import Bank
from creditbank.services.credits import conversion
from creditbank.services.random_ids import random_id
from creditbank.services.records import achievement_reads, idempotency, reasons, signing_keys
from creditbank.services.records.api_keys import Principal
from creditbank.services.records.idempotency import RetryKey, WriteResult
from ledger.canonical import canonical_bytes

MAX_BATCH = 1000


@dataclass(frozen=True)
class Submission:
    """One achievement as submitted: who, the institution's record id, the values, and maybe a signature."""

    learner: str
    record_id: str
    data: dict[str, Any]
    signature: tuple[str, bytes] | None = None

    def signed_message(self) -> bytes:
        """The JCS bytes an institution signs: the submitted item without its ``signature`` member."""
        return canonical_bytes({**self.data, "learner": self.learner, "record_id": self.record_id})


@dataclass(frozen=True)
class _Held:
    """An achievement already recorded under a record id, with the values first submitted for it."""

    id: str
    learner: str
    recorded_seq: int
    first_data: dict[str, Any]

    def repeats(self, item: Submission) -> bool:
        return item.learner == self.learner and item.data == self.first_data


def new_achievement_id() -> str:
    return random_id("ach_")


def _today() -> Any:
    return datetime.now(UTC).date()


def _precheck(bank: Bank, principal: Principal, items: Sequence[Submission]) -> dict[int, dict[str, str]]:
    """Everything that needs no write lock: value rules, duplicates within the request, signatures."""
    errors: dict[int, dict[str, str]] = {}
    today = _today()
    first_index: dict[str, int] = {}
    for index, item in enumerate(items):
        problems = achievement_rules.check(item.data, today)
        if item.record_id in first_index:
            problems["record_id"] = f"duplicates the record id of item {first_index[item.record_id]}"
        else:
            first_index[item.record_id] = index
        if problems:
            errors[index] = problems
    if any(item.signature for item in items):
        keys = signing_keys.verifiers(bank, principal.institution_id)
        for index, item in enumerate(items):
            if item.signature is not None:
                kid, value = item.signature
                why = signing_keys.verify(keys, kid, value, item.signed_message())
                if why:
                    errors.setdefault(index, {})["signature"] = why
    return errors


def _raise(errors: dict[int, dict[str, Any]], *, batch: bool, conflict: bool) -> None:
    error_type = Conflict if conflict else InvalidInput
    if batch:
        count = len(errors)
        raise error_type(
            f"{count} of the batch's items {'clash with records already held' if conflict else 'are invalid'}; "
            "nothing was recorded",
            errors={"items": {str(index): fields for index, fields in sorted(errors.items())}},
        )
    (fields,) = errors.values()
    if conflict:
        raise error_type("this record id was already used for a different achievement", errors=fields)
    raise error_type("the achievement has invalid fields; see errors", errors=fields)


def record(
    bank: Bank, principal: Principal, items: Sequence[Submission], retry: RetryKey | None = None, *, batch: bool
) -> WriteResult:
    """Record achievements atomically: all of them, or (with per-item errors) none."""
    if batch and not 1 <= len(items) <= MAX_BATCH:
        raise InvalidInput(f"a batch holds 1-{MAX_BATCH} items", errors={"items": f"1-{MAX_BATCH} items"})
    errors = _precheck(bank, principal, items)
    if errors:
        _raise(errors, batch=batch, conflict=False)
    return idempotency.once(
        bank, principal.institution_id, retry, lambda session: record_in(session, principal, items, batch=batch)
    )


def record_in(session: Session, principal: Principal, items: Sequence[Submission], *, batch: bool) -> WriteResult:
    """``record``'s work in the caller's write transaction (which holds the sequencer), after ``_precheck``.

    Checks enrollment and held record ids against the database as it is now; raises before appending anything.
    """
    institution = principal.institution_id
    statuses, held = _enrolled_and_held(session, institution, items)
    invalid: dict[int, dict[str, str]] = {}
    clashes: dict[int, dict[str, str]] = {}
    for index, item in enumerate(items):
        status = statuses.get(item.learner)
        if status is None:
            invalid[index] = {"learner": f"no learner {item.learner!r} is enrolled with {institution}"}
        elif status == "erased":
            invalid[index] = {"learner": f"learner {item.learner} has been erased"}
        existing = held.get(item.record_id)
        if existing is not None and not existing.repeats(item):
            clashes[index] = {"record_id": f"already used for achievement {existing.id} with other values"}
    if invalid:
        _raise(invalid, batch=batch, conflict=False)
    if clashes:
        _raise(clashes, batch=batch, conflict=True)
    fresh = [(index, item) for index, item in enumerate(items) if item.record_id not in held]
    ids = [new_achievement_id() for _ in fresh]
    entries = [
        ledger_store.NewEntry("achievement.recorded", principal.actor, recorded_body(aid, institution, item))
        for aid, (_, item) in zip(ids, fresh, strict=True)
    ]
    recorded = recording.record(session, entries)
    conversion.convert_recorded(session, recorded)
    if not batch:
        if ids:
            return WriteResult(True, _fresh_view(ids[0], institution, items[0], recorded[0]))
        return WriteResult(False, achievement_reads.view(session, held[items[0].record_id].id, history=False))
    placed = {index: (aid, entry.seq) for (index, _), aid, entry in zip(fresh, ids, recorded, strict=True)}
    results = []
    for index, item in enumerate(items):
        if index in placed:
            aid, seq = placed[index]
            results.append({"index": index, "id": aid, "record_id": item.record_id, "seq": seq, "status": "created"})
        else:
            row = held[item.record_id]
            results.append(
                {
                    "index": index,
                    "id": row.id,
                    "record_id": item.record_id,
                    "seq": row.recorded_seq,
                    "status": "existing",
                }
            )
    return WriteResult(bool(ids), {"count": len(items), "appended": len(ids), "items": results})


_LEARNERS = Learner.__table__
_ENROLLMENTS = Enrollment.__table__
_ACHIEVEMENTS = Achievement.__table__
_VERSIONS = AchievementVersion.__table__


# Built once, one statement for both questions every post asks: are its learners enrolled here (and not erased), and
# which of its record ids are already held (with the values first recorded under them).
_ENROLLED_AND_HELD = union_all(
    select(
        literal_column("'learner'"),
        _LEARNERS.c.id,
        _LEARNERS.c.status,
        cast(null(), _ACHIEVEMENTS.c.learner_id.type),
        cast(null(), _ACHIEVEMENTS.c.recorded_seq.type),
        cast(null(), _VERSIONS.c.data.type),
    )
    .join(_ENROLLMENTS, _ENROLLMENTS.c.learner_id == _LEARNERS.c.id)
    .where(
        _ENROLLMENTS.c.institution_id == bindparam("institution"),
        _LEARNERS.c.id.in_(bindparam("learners", expanding=True)),
    ),
    select(
        literal_column("'held'"),
        _ACHIEVEMENTS.c.record_id,
        _ACHIEVEMENTS.c.id,
        _ACHIEVEMENTS.c.learner_id,
        _ACHIEVEMENTS.c.recorded_seq,
        _VERSIONS.c.data,
    )
    .join(_VERSIONS, (_VERSIONS.c.achievement_id == _ACHIEVEMENTS.c.id) & (_VERSIONS.c.version == 1))
    .where(
        _ACHIEVEMENTS.c.institution_id == bindparam("institution"),
        _ACHIEVEMENTS.c.record_id.in_(bindparam("record_ids", expanding=True)),
    ),
)


def _enrolled_and_held(
    session: Session, institution: str, items: Sequence[Submission]
) -> tuple[dict[str, str], dict[str, _Held]]:
    """Each submitted learner's status where enrolled with ``institution``; the achievements held under the
    submitted record ids."""
    rows = session.execute(
        _ENROLLED_AND_HELD,
        {
            "institution": institution,
            "learners": sorted({item.learner for item in items}),
            "record_ids": [item.record_id for item in items],
        },
    ).all()
    statuses: dict[str, str] = {}
    held: dict[str, _Held] = {}
    for what, key, value, learner, seq, data in rows:
        if what == "learner":
            statuses[key] = value
        else:
            held[key] = _Held(value, learner, seq, json.loads(data))
    return statuses, held


def _fresh_view(
    achievement_id: str, institution: str, item: Submission, recorded: recording.Recorded
) -> dict[str, Any]:
    """What a just-recorded achievement reads as, without reading it back."""
    return {
        "id": achievement_id,
        "learner": item.learner,
        "institution": institution,
        "record_id": item.record_id,
        "status": "active",
        "version": 1,
        "recorded_seq": recorded.seq,
        "last_seq": recorded.seq,
        "signed_by": item.signature[0] if item.signature else None,
        "data": recorded.body["data"],
    }


def recorded_body(achievement_id: str, institution: str, item: Submission) -> dict[str, Any]:
    """The body of the ``achievement.recorded`` entry for one submission."""
    body: dict[str, Any] = {
        "achievement": achievement_id,
        "learner": item.learner,
        "institution": institution,
        "record_id": item.record_id,
        "data": item.data,
    }
    if item.signature is not None:
        kid, value = item.signature
        body["signature"] = {"key": kid, "value": base64.b64encode(value).decode("ascii")}
    return body


def correct(
    bank: Bank,
    principal: Principal,
    achievement_id: str,
    changes: dict[str, Any],
    reason: str,
    retry: RetryKey | None = None,
) -> WriteResult:
    """Amend an achievement's values. ``None`` in ``changes`` removes an optional field."""

    def work(session: Session) -> WriteResult:
        achievement = achievement_reads.owned(session, principal, achievement_id)
        if achievement.status == "revoked":
            raise Conflict(f"achievement {achievement_id} is revoked and can no longer be corrected")
        current = json.loads(achievement.data)
        merged = {key: value for key, value in {**current, **changes}.items() if value is not None}
        problems = achievement_rules.check(merged, _today())
        if problems:
            raise InvalidInput("the corrected achievement would be invalid; see errors", errors=problems)
        if merged == current:
            return WriteResult(False, achievement_reads.view(session, achievement_id, history=True))
        reasons.check(bank, session, achievement.learner_id, reason)
        body = {
            "achievement": achievement_id,
            "amends": achievement.recorded_seq,
            "previous": achievement.last_seq,
            "data": merged,
            "changed": sorted(key for key in {*current, *merged} if current.get(key) != merged.get(key)),
            "reason": reason,
        }
        recorded = recording.record(session, [ledger_store.NewEntry("achievement.corrected", principal.actor, body)])
        conversion.compensate(session, recorded[0], merged)
        return WriteResult(True, achievement_reads.view(session, achievement_id, history=True))

    return idempotency.once(bank, principal.institution_id, retry, work)


def revoke(
    bank: Bank, principal: Principal, achievement_id: str, reason: str, retry: RetryKey | None = None
) -> WriteResult:
    def work(session: Session) -> WriteResult:
        achievement = achievement_reads.owned(session, principal, achievement_id)
        if achievement.status == "revoked":
            raise Conflict(f"achievement {achievement_id} was already revoked at seq {achievement.last_seq}")
        reasons.check(bank, session, achievement.learner_id, reason)
        body = {
            "achievement": achievement_id,
            "amends": achievement.recorded_seq,
            "previous": achievement.last_seq,
            "reason": reason,
        }
        recorded = recording.record(session, [ledger_store.NewEntry("achievement.revoked", principal.actor, body)])
        conversion.compensate(session, recorded[0], None)
        return WriteResult(True, achievement_reads.view(session, achievement_id, history=True))

    return idempotency.once(bank, principal.institution_id, retry, work)


__all__ = ["ACHIEVEMENT_KINDS", "MAX_BATCH", "Submission", "correct", "record", "record_in", "revoke"]
