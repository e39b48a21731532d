"""Enrolling learners, reading their personal data, and erasing it.

The ledger knows a learner only as a random pseudonym and a salted identity commitment. The
person (names, birth date, ID number, e-mail) lives sealed in ``learner_personal_data``; erasure
deletes that row, and with it the only copy of the data key and of the commitment's salt.
"""

from __future__ import annotations

import base64
import hashlib
import os
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from creditbank import identity_match, ledger_store, recording
from creditbank.errors import Conflict, InvalidInput, NotFound
from creditbank.models import Enrollment, Learner, LearnerPersonalData
from creditbank.personal_data import Sealed, Vault, cn_resident_id_valid, normalize_national_id
from creditbank.runtime import Bank
from creditbank.services import paging
from creditbank.services.learner_access import accounts
from creditbank.services.random_ids import random_id
from creditbank.services.records import consent, idempotency
from creditbank.services.records.api_keys import Principal
from creditbank.services.records.idempotency import RetryKey, WriteResult
from creditbank.services.records.institutions import BANK_ACTOR
from creditbank.services.records.personal_records import personal_of
from ledger.canonical import canonical_bytes


@dataclass(frozen=True)
class LearnerInput:
    birth_date: date
    name_zh: str | None = None
    name_latin: str | None = None
    national_id_country: str | None = None
    national_id: str | None = None
    email: str | None = None


def new_learner_id() -> str:
    """``lrn_`` and 20 Crockford base32 characters: 100 random bits, nothing derived from the person."""
    return random_id("lrn_")


def identity_document(data: LearnerInput) -> dict[str, Any]:
    """The identity as the bank keeps it sealed (and commits to, salted): names, birth date, ID, e-mail."""
    identity: dict[str, Any] = {"birth_date": data.birth_date.isoformat(), "name": {}}
    if data.name_zh:
        identity["name"]["zh"] = data.name_zh
    if data.name_latin:
        identity["name"]["latin"] = data.name_latin
    if data.national_id:
        identity["national_id"] = {"country": data.national_id_country or "CN", "number": data.national_id}
    if data.email:
        identity["email"] = data.email
    return identity


def check_input(data: LearnerInput) -> str | None:
    """Rules beyond field types; returns the normalized national ID if one was given."""
    errors: dict[str, str] = {}
    if not data.name_zh and not data.name_latin:
        errors["name"] = "give the name in Chinese, in latin letters, or both"
    if not date(1900, 1, 1) <= data.birth_date <= datetime.now(UTC).date():
        errors["birth_date"] = "must be between 1900-01-01 and today"
    normalized = None
    if data.national_id:
        country = (data.national_id_country or "CN").upper()
        normalized = normalize_national_id(country, data.national_id)
        number = normalized.split(":", 1)[1]
        if not (number.isascii() and number.isalnum()) or not 4 <= len(number) <= 32:
            errors["national_id.number"] = "4-32 letters and digits"
        elif country == "CN" and not cn_resident_id_valid(number):
            errors["national_id.number"] = "not a valid 18-character resident identity number (check character)"
    if errors:
        raise InvalidInput("the learner has invalid fields; see errors", errors=errors)
    return normalized


def identity_commitment(salt: bytes, identity: dict[str, Any]) -> str:
    """SHA-256(salt ‖ JCS(identity)), base64: the only trace of the person an enrollment entry carries."""
    return base64.b64encode(hashlib.sha256(salt + canonical_bytes(identity)).digest()).decode("ascii")


# One answer for every identity conflict, whoever holds the number: it must not tell the caller that the ID is
# known to the bank, let alone what name or birth date goes with it.
IDENTITY_CONFLICT = (
    "these details conflict with a learner the bank already holds; check the name, birth date and ID number "
    "against the learner's identity document, or ask the bank to record a change of name"
)


def enroll(bank: Bank, principal: Principal, data: LearnerInput, retry: RetryKey | None = None) -> WriteResult:
    """Enroll a learner with the caller's institution, linking to the same person if already known.

    Linking needs the identity to match (see ``identity_match``); any mismatch is the one opaque 409 and appends
    nothing. A link hands out no activation code: the portal account belongs to the person, and only the first
    enrollment's code (or one from bank staff) opens it.
    """
    normalized = check_input(data)
    vault = bank.vault()
    digest = vault.id_digest(normalized) if normalized else None
    return idempotency.once(
        bank, principal.institution_id, retry, lambda session: enroll_in(session, vault, principal, data, digest)
    )


@dataclass(frozen=True)
class Enrolling:
    """One person to enroll in a batch: the checked input and its ID number's match digest (None without one)."""

    data: LearnerInput
    digest: bytes | None


def _known_by_digest(session: Session, digests: Sequence[bytes]) -> dict[bytes, LearnerPersonalData]:
    found: dict[bytes, LearnerPersonalData] = {}
    unique = sorted(set(digests))
    for start in range(0, len(unique), _LOOKUP_CHUNK):
        chunk = unique[start : start + _LOOKUP_CHUNK]
        for row in session.scalars(select(LearnerPersonalData).where(LearnerPersonalData.id_digest.in_(chunk))):
            if row.id_digest is not None:
                found[row.id_digest] = row
    return found


_PERSONAL_DATA = LearnerPersonalData.__table__

# Digests per IN list: well under SQLite's bound on parameters, and few round trips for a large file.
_LOOKUP_CHUNK = 500


def enroll_in(
    session: Session, vault: Vault, principal: Principal, data: LearnerInput, digest: bytes | None
) -> WriteResult:
    """``enroll``'s work in the caller's write transaction (which holds the sequencer): input already checked."""
    (outcome,) = enroll_many_in(session, vault, principal, [Enrolling(data, digest)], activation=True)
    return WriteResult(outcome["status"] != "already_enrolled", outcome)


def enroll_many_in(
    session: Session, vault: Vault, principal: Principal, people: Sequence[Enrolling], *, activation: bool
) -> list[dict[str, Any]]:
    """Enroll several people with the caller's institution in one ledger append, under ``enroll``'s rules.

    The people must be distinct (no two with one ID digest). Any identity conflict raises the opaque Conflict and,
    the transaction being the caller's, appends nothing. With ``activation``, each newly enrolled person gets a
    one-time code in the answer; without, none is issued (a spreadsheet import prints codes later, on letters).
    """
    institution = principal.institution_id
    known_rows = _known_by_digest(session, [p.digest for p in people if p.digest is not None])
    answers: list[dict[str, Any]] = []
    entries: list[ledger_store.NewEntry] = []
    placed: list[int] = []
    fresh: list[dict[str, Any]] = []
    now = datetime.now(UTC)
    for index, person in enumerate(people):
        data = person.data
        known = known_rows.get(person.digest) if person.digest is not None else None
        if known is not None:
            learner_id = known.learner_id
            personal = vault.open(learner_id, Sealed(known.wrapped_key, known.sealed))
            matches = identity_match.same_person(
                personal["identity"],
                personal.get("other_names", ()),
                data.birth_date.isoformat(),
                {"zh": data.name_zh, "latin": data.name_latin},
            )
            if not matches:
                raise Conflict(IDENTITY_CONFLICT)
            existing = session.get(Enrollment, (learner_id, institution))
            learner = session.get(Learner, learner_id)
            assert learner is not None  # the sealed row is deleted with the learner, never before
            # What this institution sent is kept as it sent it: it reads back that, never another's submission.
            # An institution that linked before submissions were kept apart records its own by enrolling again.
            if not submitted_by(session, learner, institution, personal):
                personal.setdefault("submissions", {})[institution] = identity_document(data)
                resealed = vault.seal(learner_id, personal)
                known.wrapped_key, known.sealed = resealed.wrapped_key, resealed.sealed
            if existing is not None:
                answers.append({"id": learner_id, "status": "already_enrolled", "seq": existing.seq})
                continue
            commitment = identity_commitment(base64.b64decode(personal["identity_salt"]), personal["identity"])
            answers.append({"id": learner_id, "status": "linked"})
        else:
            learner_id = new_learner_id()
            identity = identity_document(data)
            salt = os.urandom(32)
            sealed = vault.seal(learner_id, {"identity": identity, "identity_salt": base64.b64encode(salt).decode()})
            commitment = identity_commitment(salt, identity)
            fresh.append(
                {
                    "learner_id": learner_id,
                    "id_digest": person.digest,
                    "wrapped_key": sealed.wrapped_key,
                    "sealed": sealed.sealed,
                    "created_at": now,
                }
            )
            answers.append({"id": learner_id, "status": "enrolled"})
        body = {"learner": learner_id, "institution": institution, "identity": commitment}
        entries.append(ledger_store.NewEntry("learner.enrolled", principal.actor, body))
        placed.append(index)
    recorded = recording.record(session, entries) if entries else []
    for index, entry in zip(placed, recorded, strict=True):
        answers[index]["seq"] = entry.seq
    if fresh:
        # One multi-row insert: an import seals thousands of people at once.
        session.execute(_PERSONAL_DATA.insert(), fresh)
    if activation:
        for answer in answers:
            if answer["status"] == "enrolled":
                # Handed to the learner by the institution that first enrolled them; the portal turns it into a
                # password once.
                answer["activation_code"] = accounts.issue_code(session, answer["id"])
    return answers


def add_name(bank: Bank, learner_id: str, name_zh: str | None, name_latin: str | None) -> int:
    """Bank staff record a further name form for a person (a change of name, checked against documents).

    The new form then links like the one given at enrollment; the old one keeps working, because other
    institutions' documents still carry it. ``learner.identity_amended`` commits to the amended identity.
    """
    names = {form: value.strip() for form, value in (("zh", name_zh), ("latin", name_latin)) if value and value.strip()}
    if not names:
        raise InvalidInput("give a name in Chinese, in latin letters, or both", errors={"name": "required"})
    if any(len(value) > 200 for value in names.values()):
        raise InvalidInput("a name has at most 200 characters", errors={"name": "at most 200 characters"})
    vault = bank.vault()
    with bank.db.writing() as session:
        ledger_store.lock(session, ledger_store.SEQUENCER_LOCK)
        learner = session.get(Learner, learner_id)
        stored = session.get(LearnerPersonalData, learner_id)
        if learner is None or learner.status == "erased" or stored is None:
            raise NotFound(f"no learner {learner_id!r}")
        personal = vault.open(learner_id, Sealed(stored.wrapped_key, stored.sealed))
        personal.setdefault("other_names", []).append(names)
        salt = os.urandom(32)
        amended = {**personal["identity"], "other_names": personal["other_names"]}
        personal["amended_salt"] = base64.b64encode(salt).decode()
        resealed = vault.seal(learner_id, personal)
        stored.wrapped_key, stored.sealed = resealed.wrapped_key, resealed.sealed
        body = {"learner": learner_id, "identity": identity_commitment(salt, amended)}
        recorded = recording.record(session, [ledger_store.NewEntry("learner.identity_amended", BANK_ACTOR, body)])
        return recorded[0].seq


def erase(bank: Bank, learner_id: str, *, actor: str = BANK_ACTOR) -> int:
    """Record ``learner.erased`` and destroy the personal data and its key. Returns the entry's seq."""
    with bank.db.writing() as session:
        ledger_store.lock(session, ledger_store.SEQUENCER_LOCK)
        learner = session.get(Learner, learner_id)
        if learner is None:
            raise NotFound(f"no learner {learner_id!r}")
        if learner.status == "erased":
            raise Conflict(f"learner {learner_id} was already erased at seq {learner.erased_seq}")
        recorded = recording.record(session, [ledger_store.NewEntry("learner.erased", actor, {"learner": learner_id})])
        personal = session.get(LearnerPersonalData, learner_id)
        if personal is not None:
            session.delete(personal)
        accounts.forget(session, learner_id)
        # Imported here: the import service builds on this module, which would otherwise import it back.
        from creditbank.services.imports import upkeep

        upkeep.forget_learner(session, learner_id)
        from creditbank.services.recognition import evidence_files

        evidence_files.forget_learner(session, learner_id)
        seq = recorded[0].seq
    bank.db.scrub_freed()  # no copy of the deleted rows left in the WAL or free pages
    return seq


def _visible(session: Session, principal: Principal, learner_id: str, scope: str | None = None) -> Learner:
    """The learner, if enrolled with the caller's institution (or, naming ``scope``, if the learner granted the
    caller that scope); otherwise not found, so there is no existence oracle."""
    learner = session.get(Learner, learner_id)
    if learner is not None and session.get(Enrollment, (learner_id, principal.institution_id)) is not None:
        return learner
    institution = principal.institution_id
    if learner is not None and scope is not None and consent.holds(session, learner_id, institution, scope):
        return learner
    raise NotFound(f"no learner {learner_id!r} enrolled with {principal.institution_id}")


def require_enrolled(session: Session, principal: Principal, learner_id: str, scope: str | None = None) -> Learner:
    return _visible(session, principal, learner_id, scope)


def submitted_by(session: Session, learner: Learner, institution_id: str, personal: dict[str, Any]) -> dict[str, Any]:
    """The identity as ``institution_id`` submitted it, or {} if it never did (it linked before submissions
    were kept apart, or it only holds consent)."""
    first = session.scalar(select(Enrollment.institution_id).where(Enrollment.seq == learner.enrolled_seq))
    if first == institution_id:
        identity: dict[str, Any] = personal["identity"]
        return identity
    submitted: dict[str, Any] = personal.get("submissions", {}).get(institution_id, {})
    return submitted


def _masked(number: str) -> str:
    return "*" * max(len(number) - 4, 0) + number[-4:]


def profile(bank: Bank, principal: Principal, learner_id: str) -> dict[str, Any]:
    """What an institution may read: the person as it submitted them (the identity the bank holds, with the
    learner's ``profile`` consent), the pseudonym alone after erasure or when it submitted nothing."""
    with bank.db.reading() as session:
        learner = _visible(session, principal, learner_id, "profile")
        result: dict[str, Any] = {"id": learner.id, "status": learner.status}
        # The caller's own enrollment, never the first one: that entry's public actor names the institution that
        # enrolled the person first, which is not the caller's to know. A reader by consent alone enrolled nobody.
        own = session.get(Enrollment, (learner_id, principal.institution_id))
        if own is not None:
            result["enrolled_seq"] = own.seq
        if learner.status == "erased":
            result["erased_seq"] = learner.erased_seq
            return result
        personal = personal_of(bank, session, learner_id)
        if personal is None:
            return result
        if consent.holds(session, learner_id, principal.institution_id, "profile"):
            identity = personal["identity"]
        else:
            identity = submitted_by(session, learner, principal.institution_id, personal)
        if not identity:
            return result
        result["name"] = identity["name"]
        result["birth_date"] = identity["birth_date"]
        if "email" in identity:
            result["email"] = identity["email"]
        if "national_id" in identity:
            national = identity["national_id"]
            result["national_id"] = {"country": national["country"], "number": _masked(national["number"])}
        return result


def page_for_institution(bank: Bank, principal: Principal, cursor: str | None, limit: int) -> paging.Page:
    after = paging.decode(cursor)
    limit = paging.check_limit(limit)
    with bank.db.reading() as session:
        rows = session.execute(
            select(Enrollment.seq, Learner.id, Learner.status)
            .join(Learner, Learner.id == Enrollment.learner_id)
            .where(Enrollment.institution_id == principal.institution_id, Enrollment.seq > after)
            .order_by(Enrollment.seq)
            .limit(limit + 1)
        ).all()
    items = [{"id": lid, "status": status, "enrolled_seq": seq} for seq, lid, status in rows[:limit]]
    more = len(rows) > limit
    return paging.Page(items, paging.encode(rows[limit - 1][0]) if more else None)


def list_all(bank: Bank, institution_id: str | None = None) -> list[dict[str, Any]]:
    """Bank staff's view: pseudonyms, status and enrolling institutions; never personal data."""
    with bank.db.reading() as session:
        query = select(Learner.id, Learner.status, Learner.enrolled_seq, Enrollment.institution_id).join(
            Enrollment, Enrollment.learner_id == Learner.id
        )
        if institution_id:
            query = query.where(
                Learner.id.in_(select(Enrollment.learner_id).where(Enrollment.institution_id == institution_id))
            )
        rows = session.execute(query.order_by(Learner.enrolled_seq, Enrollment.seq)).all()
    learners: dict[str, dict[str, Any]] = {}
    for learner_id, status, seq, enrolled_with in rows:
        entry = learners.setdefault(
            learner_id, {"id": learner_id, "status": status, "enrolled_seq": seq, "institutions": []}
        )
        entry["institutions"].append(enrolled_with)
    return list(learners.values())
