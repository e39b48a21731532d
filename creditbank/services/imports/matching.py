"""A file's rows against each other and against the bank: who each learner is, and which rows are new.

The same work serves the preview and the commit (which runs it again inside its write transaction, against the
database as it is then), so what is written is exactly what was checked.

Learners within a file. Rows with one ID number (normalized as the bank matches it) are one person, and must agree
on names, birth date and e-mail; rows without an ID number are one person when names, birth date and e-mail are all
equal. Against the bank, ``learners.enroll``'s identity rules: a known ID number must match the person the bank
holds (``identity_match.same_person``), or the row gets the same opaque conflict the API answers; a person already
enrolled with this institution is reused, one known elsewhere is linked, anyone else is new.

Idempotency. A row whose ``record_id`` this institution already holds, for the same learner with the same values,
is unchanged and writes nothing. A person without an ID number is found again through the record ids their rows
hold, so uploading such a file twice does not enroll them twice. The same record id with other values (or for
another person) is a clash.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from creditbank import identity_match
from creditbank.models import Achievement, AchievementVersion, Enrollment, Learner, LearnerPersonalData
from creditbank.personal_data import Sealed, Vault
from creditbank.services.imports.rows import RowInput
from creditbank.services.imports.views import RowProblem, empty_summary
from creditbank.services.records.learners import LearnerInput, submitted_by

_CHUNK = 500


@dataclass
class Person:
    """One learner of the file: the first row's details, and what the bank knows of them."""

    data: LearnerInput
    digest: bytes | None
    rows: list[RowInput] = field(default_factory=list)
    # None until enrolled, for a new person.
    learner_id: str | None = None
    # new | linked | known
    status: str = "new"


@dataclass
class Plan:
    problems: list[RowProblem]
    people: list[Person]
    # The rows to record, each with its person; the rows already held with the same values are only counted.
    fresh: list[tuple[RowInput, Person]]
    unchanged: int
    summary: dict[str, int]


@dataclass(frozen=True)
class _Held:
    learner: str
    status: str
    data: dict[str, Any]


def _chunks(values: Sequence[Any]) -> Iterable[Sequence[Any]]:
    for start in range(0, len(values), _CHUNK):
        yield values[start : start + _CHUNK]


def _held(session: Session, institution: str, record_ids: Sequence[str]) -> dict[str, _Held]:
    """The achievements this institution holds under these record ids, with the values first recorded."""
    found: dict[str, _Held] = {}
    for chunk in _chunks(sorted(set(record_ids))):
        rows = session.execute(
            select(Achievement.record_id, Achievement.learner_id, Learner.status, AchievementVersion.data)
            .join(Learner, Learner.id == Achievement.learner_id)
            .join(
                AchievementVersion,
                (AchievementVersion.achievement_id == Achievement.id) & (AchievementVersion.version == 1),
            )
            .where(Achievement.institution_id == institution, Achievement.record_id.in_(chunk))
        ).all()
        for record_id, learner, status, data in rows:
            found[record_id] = _Held(learner, status, json.loads(data or "{}"))
    return found


def _known(session: Session, digests: Sequence[bytes]) -> dict[bytes, LearnerPersonalData]:
    found: dict[bytes, LearnerPersonalData] = {}
    for chunk in _chunks(sorted(set(digests))):
        for row in session.scalars(select(LearnerPersonalData).where(LearnerPersonalData.id_digest.in_(chunk))):
            if row.id_digest is not None:
                found[row.id_digest] = row
    return found


def _enrolled_here(session: Session, institution: str, learner_ids: Sequence[str]) -> set[str]:
    found: set[str] = set()
    for chunk in _chunks(sorted(set(learner_ids))):
        found.update(
            session.scalars(
                select(Enrollment.learner_id).where(
                    Enrollment.institution_id == institution, Enrollment.learner_id.in_(chunk)
                )
            )
        )
    return found


def _names(data: LearnerInput) -> dict[str, str | None]:
    return {"zh": data.name_zh, "latin": data.name_latin}


def _same_details(first: LearnerInput, other: LearnerInput) -> bool:
    """Whether two rows describe the person alike: equal birth date and e-mail, and the same name forms."""
    return (
        first.birth_date == other.birth_date
        and (first.email or "").strip().casefold() == (other.email or "").strip().casefold()
        and identity_match.name_keys(_names(first)) == identity_match.name_keys(_names(other))
    )


def _person_key(row: RowInput) -> tuple[str, ...]:
    learner = row.learner
    assert learner is not None
    if row.national_key is not None:
        return ("id", row.national_key)
    names = identity_match.name_keys(_names(learner))
    return (
        "person",
        *sorted(f"{form}:{key}" for form, key in names),
        learner.birth_date.isoformat(),
        (learner.email or "").strip().casefold(),
    )


def plan(session: Session, vault: Vault, institution: str, rows: Sequence[RowInput], headers: dict[str, str]) -> Plan:
    """Group the file's good rows into people, match them against the bank, and sort new rows from held ones."""
    problems: list[RowProblem] = []
    bad: set[int] = set()

    def problem(row: RowInput, name: str, code: str, **params: object) -> None:
        problems.append(RowProblem(row.number, headers.get(name, name), name, code, params))
        bad.add(row.number)

    good = [row for row in rows if not row.problems and row.learner is not None]
    first_of_record: dict[str, RowInput] = {}
    for row in good:
        first = first_of_record.setdefault(row.record_id, row)
        if first is not row:
            problem(row, "record_id", "duplicate_record_id_in_file", first_row=first.number)
    people: dict[tuple[str, ...], Person] = {}
    for row in good:
        learner = row.learner
        assert learner is not None
        person = people.setdefault(_person_key(row), Person(learner, row.digest))
        if person.rows and row.national_key is not None and not _same_details(person.data, learner):
            problem(
                row, _differing_field(person.data, learner), "learner_details_differ", first_row=person.rows[0].number
            )
            continue
        person.rows.append(row)
    held = _held(session, institution, [row.record_id for row in good])
    known = _known(session, [p.digest for p in people.values() if p.digest is not None])
    for person in people.values():
        _identify(session, vault, institution, person, held, known, problem)
    enrolled = _enrolled_here(session, institution, [p.learner_id for p in people.values() if p.learner_id])
    summary = empty_summary()
    fresh: list[tuple[RowInput, Person]] = []
    unchanged = 0
    kept: list[Person] = []
    for person in people.values():
        if person.learner_id is not None and person.status != "new":
            person.status = "known" if person.learner_id in enrolled else "linked"
        rows_ok = []
        for row in person.rows:
            if row.number in bad:
                continue
            mine = held.get(row.record_id)
            if mine is None:
                rows_ok.append(row)
                continue
            if mine.status == "erased":
                problem(row, "record_id", "learner_erased")
            elif mine.learner != person.learner_id or mine.data != row.data:
                problem(row, "record_id", "record_id_clash")
            else:
                unchanged += 1
        if any(row.number in bad for row in person.rows):
            continue
        kept.append(person)
        fresh.extend((row, person) for row in rows_ok)
        summary[f"{person.status}_learners"] += 1
        if person.status == "new" and not person.data.email:
            summary["letters"] += 1
    summary["new_achievements"] = len(fresh)
    summary["unchanged_achievements"] = unchanged
    return Plan(problems, kept, fresh, unchanged, summary)


def _differing_field(first: LearnerInput, other: LearnerInput) -> str:
    if first.birth_date != other.birth_date:
        return "birth_date"
    if identity_match.name_keys(_names(first)) != identity_match.name_keys(_names(other)):
        return "name_zh" if other.name_zh else "name_latin"
    return "email"


def _identify(
    session: Session,
    vault: Vault,
    institution: str,
    person: Person,
    held: dict[str, _Held],
    known: dict[bytes, LearnerPersonalData],
    problem: Any,
) -> None:
    """Find who ``person`` is in the bank, or leave them new; rows that cannot be told apart become problems."""
    data = person.data
    if person.digest is not None:
        stored = known.get(person.digest)
        if stored is None:
            return
        personal = vault.open(stored.learner_id, Sealed(stored.wrapped_key, stored.sealed))
        if not identity_match.same_person(
            personal["identity"], personal.get("other_names", ()), data.birth_date.isoformat(), _names(data)
        ):
            for row in person.rows:
                problem(row, "national_id", "identity_conflict")
            return
        person.learner_id, person.status = stored.learner_id, "linked"
        return
    holders = {held[row.record_id].learner for row in person.rows if row.record_id in held}
    if not holders:
        return
    if len(holders) > 1:
        for row in person.rows:
            if row.record_id in held:
                problem(row, "record_id", "learner_ambiguous")
        return
    (learner_id,) = holders
    learner = session.get(Learner, learner_id)
    stored = session.get(LearnerPersonalData, learner_id)
    if learner is None or learner.status == "erased" or stored is None:
        for row in person.rows:
            problem(row, "record_id", "learner_erased")
        return
    personal = vault.open(learner_id, Sealed(stored.wrapped_key, stored.sealed))
    identity = submitted_by(session, learner, institution, personal) or personal["identity"]
    if not identity_match.same_person(identity, (), data.birth_date.isoformat(), _names(data)):
        for row in person.rows:
            if row.record_id in held:
                problem(row, "record_id", "record_id_clash")
        return
    person.learner_id, person.status = learner_id, "known"
