"""What an institution's staff look up about its own learners: finding one, their records here, documents issued
here, and a new activation code.

Finding reads only this institution's side: a record id among its own achievements, an ID number through the bank's
keyed digest among learners enrolled with it, a name among the identities it submitted itself (never another
institution's submission, never the identity the bank holds). Names are sealed, so a name search opens them one by
one; the work is bounded by ``MAX_OPENED`` learners, and the answer says when that bound cut it short.

A new activation code opens (or, for an activated account, resets) the learner's portal account, so only the
institution whose enrollment created the learner may ask for one; an institution that linked to a known person gets
no say over the person's account.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, aliased

from creditbank.errors import Conflict, Forbidden, InvalidInput
from creditbank.identity_match import name_key
from creditbank.models import (
    Achievement,
    AchievementVersion,
    Credential,
    Enrollment,
    Institution,
    Learner,
    LearnerPersonalData,
)
from creditbank.personal_data import Sealed, normalize_national_id
from creditbank.runtime import Bank
from creditbank.services.learner_access import accounts
from creditbank.services.records import achievement_reads
from creditbank.services.records.api_keys import Principal
from creditbank.services.records.learners import require_enrolled, submitted_by
from creditbank.services.records.personal_records import personal_of

# A name search opens this many sealed records at most (the institution's first enrolled), about a second's work.
MAX_OPENED = 20_000
MAX_FOUND = 50
MAX_QUERY = 128
_CHUNK = 500
# A learner page shows this many of the institution's records of the learner, newest first.
MAX_RECORDS = 200
_ID_LIKE = frozenset("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ -./")


@dataclass(frozen=True)
class Found:
    learner_id: str
    status: str
    # How the query matched: learner_id, record_id, national_id or name.
    matched: str
    name: dict[str, str]
    birth_date: str | None


@dataclass(frozen=True)
class Search:
    query: str
    found: list[Found]
    # Whether the name search stopped at MAX_OPENED learners, or the list at MAX_FOUND.
    capped: bool


def _submitted(bank: Bank, session: Session, principal: Principal, learner: Learner) -> dict[str, Any]:
    if learner.status == "erased":
        return {}
    personal = personal_of(bank, session, learner.id)
    return {} if personal is None else submitted_by(session, learner, principal.institution_id, personal)


def _found(bank: Bank, session: Session, principal: Principal, learner: Learner, matched: str) -> Found:
    identity = _submitted(bank, session, principal, learner)
    return Found(learner.id, learner.status, matched, dict(identity.get("name", {})), identity.get("birth_date"))


def _enrolled_here(session: Session, principal: Principal, learner_id: str) -> Learner | None:
    if session.get(Enrollment, (learner_id, principal.institution_id)) is None:
        return None
    return session.get(Learner, learner_id)


def _by_national_id(bank: Bank, session: Session, principal: Principal, query: str) -> Learner | None:
    # "HK:A1234567" names the issuing country; a bare number is taken as a Chinese resident identity number.
    country, _, number = query.rpartition(":")
    country = country.strip() or "CN"
    if not (country.isascii() and country.isalpha() and len(country) == 2):
        return None
    digest = bank.vault().id_digest(normalize_national_id(country, number))
    learner_id = session.scalar(select(LearnerPersonalData.learner_id).where(LearnerPersonalData.id_digest == digest))
    return None if learner_id is None else _enrolled_here(session, principal, learner_id)


def find(bank: Bank, principal: Principal, query: str) -> Search:
    """This institution's learners matching ``query``: exact learner id, record id or ID number, else a name part."""
    principal.require("records:read")
    query = " ".join(query.split())
    if not query:
        return Search("", [], False)
    if len(query) > MAX_QUERY:
        raise InvalidInput(f"a search is at most {MAX_QUERY} characters", errors={"q": f"at most {MAX_QUERY}"})
    with bank.db.reading() as session:
        learner = _enrolled_here(session, principal, query) if query.startswith("lrn_") else None
        if learner is not None:
            return Search(query, [_found(bank, session, principal, learner, "learner_id")], False)
        # The cheap exact look-ups come first; only when they miss are sealed names opened.
        owners = session.scalars(
            select(Achievement.learner_id).where(
                Achievement.institution_id == principal.institution_id, Achievement.record_id == query
            )
        ).all()
        if owners:
            learners = [found for found in (session.get(Learner, owner) for owner in owners) if found is not None]
            return Search(query, [_found(bank, session, principal, found, "record_id") for found in learners], False)
        if set(query.upper()) <= _ID_LIKE | {":"} and sum(char.isdigit() for char in query) >= 4:
            learner = _by_national_id(bank, session, principal, query)
            if learner is not None:
                return Search(query, [_found(bank, session, principal, learner, "national_id")], False)
        return _by_name(bank, session, principal, query)


def _by_name(bank: Bank, session: Session, principal: Principal, query: str) -> Search:
    wanted = name_key(query)
    institution = principal.institution_id
    first = aliased(Enrollment)
    # Which institution enrolled each learner first comes with the list, and the sealed rows a chunk at a time: a
    # query per learner would cost 20,000 round trips. What is read is what ``learners.submitted_by`` reads.
    enrolled = session.execute(
        select(Learner.id, Learner.status, first.institution_id)
        .join(Enrollment, Enrollment.learner_id == Learner.id)
        .join(first, first.seq == Learner.enrolled_seq)
        .where(Enrollment.institution_id == institution, Learner.status != "erased")
        .order_by(Enrollment.seq)
        .limit(MAX_OPENED + 1)
    ).all()
    capped = len(enrolled) > MAX_OPENED
    found: list[Found] = []
    vault = bank.vault()
    opened = enrolled[:MAX_OPENED]
    for start in range(0, len(opened), _CHUNK):
        chunk = opened[start : start + _CHUNK]
        sealed = {
            row.learner_id: row
            for row in session.scalars(
                select(LearnerPersonalData).where(LearnerPersonalData.learner_id.in_([row[0] for row in chunk]))
            )
        }
        for learner_id, status, first_institution in chunk:
            stored = sealed.get(learner_id)
            if stored is None:
                continue
            personal = vault.open(learner_id, Sealed(stored.wrapped_key, stored.sealed))
            if first_institution == institution:
                identity = personal["identity"]
            else:
                identity = personal.get("submissions", {}).get(institution, {})
            names = identity.get("name", {})
            if any(isinstance(name, str) and wanted in name_key(name) for name in names.values()):
                found.append(Found(learner_id, status, "name", dict(names), identity.get("birth_date")))
                if len(found) >= MAX_FOUND:
                    return Search(query, found, True)
    return Search(query, found, capped)


@dataclass(frozen=True)
class Records:
    items: list[dict[str, Any]]
    # How many more there are than the page shows.
    more: int


def records_here(bank: Bank, principal: Principal, learner_id: str) -> Records:
    """The institution's own records of the learner, newest first, each with its history."""
    principal.require("records:read")
    with bank.db.reading() as session:
        require_enrolled(session, principal, learner_id)
        mine = (Achievement.learner_id == learner_id, Achievement.institution_id == principal.institution_id)
        rows = session.scalars(
            select(Achievement).where(*mine).order_by(Achievement.recorded_seq.desc()).limit(MAX_RECORDS + 1)
        ).all()
        shown = rows[:MAX_RECORDS]
        history: dict[str, list[dict[str, Any]]] = {row.id: [] for row in shown}
        versions = session.scalars(
            select(AchievementVersion)
            .where(AchievementVersion.achievement_id.in_(list(history)))
            .order_by(AchievementVersion.achievement_id, AchievementVersion.version)
        )
        for version in versions:
            history[version.achievement_id].append(achievement_reads.version_view(version))
        more = 0
        if len(rows) > MAX_RECORDS:
            more = len(session.scalars(select(Achievement.id).where(*mine)).all()) - MAX_RECORDS
    return Records([{**achievement_reads.current_state(row), "history": history[row.id]} for row in shown], more)


def credentials_here(bank: Bank, principal: Principal, learner_id: str) -> list[dict[str, Any]]:
    """The credentials this institution had issued for the learner, oldest first."""
    principal.require("records:read")
    with bank.db.reading() as session:
        require_enrolled(session, principal, learner_id)
        rows = session.scalars(
            select(Credential)
            .where(Credential.learner_id == learner_id, Credential.institution_id == principal.institution_id)
            .order_by(Credential.issued_seq)
        )
        return [
            {
                "id": row.id,
                "kind": row.kind,
                "subject": row.subject,
                "seq": row.issued_seq,
                "issued_at": row.issued_at,
                "revoked": row.revoked_seq is not None,
                "suspended": row.suspended,
            }
            for row in rows
        ]


def enrolled_first_here(session: Session, principal: Principal, learner: Learner) -> bool:
    """Whether the caller's institution is the one whose enrollment created the learner."""
    first = session.scalar(select(Enrollment.institution_id).where(Enrollment.seq == learner.enrolled_seq))
    return first == principal.institution_id


def may_reissue(bank: Bank, principal: Principal, learner_id: str) -> bool:
    """Whether the caller may give this learner a new activation code (for a page to offer the button or not)."""
    if "records:write" not in principal.scopes:
        return False
    with bank.db.reading() as session:
        learner = require_enrolled(session, principal, learner_id)
        return learner.status != "erased" and enrolled_first_here(session, principal, learner)


@dataclass(frozen=True)
class Reissued:
    learner_id: str
    code: str
    expires: date
    # Whether the learner had already activated an account, which the code then resets.
    had_account: bool
    name_zh: str | None
    name_latin: str | None
    institution_zh: str
    institution_en: str


def reissue_code(bank: Bank, principal: Principal, learner_id: str) -> Reissued:
    """A fresh one-time activation code for a learner this institution enrolled first; older unused codes stop."""
    principal.require("records:write")
    with bank.db.writing() as session:
        learner = require_enrolled(session, principal, learner_id)
        if not enrolled_first_here(session, principal, learner):
            raise Forbidden(
                "only the institution that first enrolled this learner can give a new activation code; "
                "the learner can ask that institution or the bank"
            )
        if learner.status == "erased":
            raise Conflict("this learner's personal data was erased; there is no account to activate")
        institution = session.get(Institution, principal.institution_id)
        assert institution is not None  # the principal's institution is registered
        identity = _submitted(bank, session, principal, learner)
        names = identity.get("name", {})
        had_account = accounts.has_account(session, learner_id)
        code = accounts.issue_code(session, learner_id)
        expires = (datetime.now(UTC) + accounts.CODE_LIFETIME).date()
        return Reissued(
            learner_id,
            code,
            expires,
            had_account,
            names.get("zh"),
            names.get("latin"),
            institution.name_zh or institution.name_en,
            institution.name_en,
        )
