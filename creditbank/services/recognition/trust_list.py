"""The trust list: the issuers whose credentials this bank accepts as evidence, and how their achievements count.

Each change is a ledger entry written by the bank: ``trust.issuer_added`` (a DID, the bank's name for it, the days
it is trusted and its mappings) and ``trust.issuer_removed`` (a DID and a reason). Adding a listed DID again makes a
new version of its entry; the same content again appends nothing.

A mapping says how an issuer's achievement counts in one of this bank's published frameworks::

    {"achievement": "<the achievement's id in the issuer's credentials>" | "*",
     "framework": "eqf", "level": 4, "category": "general",
     "credits": 5            # a fixed number of credits, or
     "credits_ratio": 1,     # so many times the credential's creditsEarned (else creditsAvailable)
     "outcome": "DL-1"}      # optional: an approved catalogue outcome it counts as (level, category, credits default
                             # to the outcome's)

A file given to ``creditbank trust add --mappings`` holds them as ``{"mappings": [...]}`` (JSON, or TOML
``[[mappings]]`` tables); a JSON file may also be the bare list. For one credential, an exact achievement id wins
over ``*``.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from certificates.multibase import MultibaseError, public_key_bytes
from creditbank import ledger_store, recording
from creditbank.credits.documents import DocumentError, parse_bytes
from creditbank.errors import InvalidInput, NotFound
from creditbank.models import TrustedIssuer
from creditbank.runtime import Bank
from creditbank.services.credits import credit_rules
from creditbank.services.recognition import remote
from creditbank.services.records.institutions import BANK_ACTOR
from ledger import strict_json

ADDED = "trust.issuer_added"
REMOVED = "trust.issuer_removed"
NAME_LIMIT = 200
REASON_LIMIT = 2000
ACHIEVEMENT_LIMIT = 500
MAPPINGS_LIMIT = 1000
FILE_LIMIT = 1024 * 1024
# Above these a mapping is a typing slip, not a policy.
MAX_CREDITS = Decimal(1000)
MAX_RATIO = Decimal(100)
MAPPING_FIELDS = ("achievement", "framework", "outcome", "credits", "credits_ratio", "level", "category")

_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_DECIMAL = re.compile(r"[0-9]{1,6}(?:\.[0-9]{1,4})?")
# Any control or format character, lone surrogates included: names are shown on one line in lists and reports.
_NOT_NAME = re.compile("[\x00-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff\ud800-\udfff]")
# Line breaks and tabs belong to a reason; other control characters do not.
_NOT_REASON = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]")
_DID_KEY = re.compile(r"did:key:z6Mk[1-9A-HJ-NP-Za-km-z]{40,50}")


@dataclass(frozen=True)
class Issuer:
    did: str
    name: str
    valid_from: str
    valid_until: str | None
    mappings: tuple[dict[str, Any], ...]
    seq: int
    added_at: str

    def valid_on(self, day: date) -> bool:
        return self.valid_from <= day.isoformat() and (self.valid_until is None or day.isoformat() <= self.valid_until)

    def view(self) -> dict[str, Any]:
        return {
            "did": self.did,
            "name": self.name,
            "valid_from": self.valid_from,
            "valid_until": self.valid_until,
            "mappings": [dict(item) for item in self.mappings],
            "seq": self.seq,
            "added_at": self.added_at,
        }


@dataclass(frozen=True)
class Change:
    issuer: Issuer | None  # None once removed
    did: str
    seq: int
    created: bool


def _issuer(row: TrustedIssuer) -> Issuer:
    mappings = json.loads(row.mappings)
    return Issuer(row.did, row.name, row.valid_from, row.valid_until, tuple(mappings), row.seq, row.added_at)


def check_did(did: Any) -> str:
    """The DID as given, if it is one this bank can trust; otherwise InvalidInput saying what is wrong."""
    if not isinstance(did, str) or not did:
        raise InvalidInput("give the issuer's DID", errors={"did": "required"})
    if len(did) > 255:
        raise InvalidInput("the DID is longer than 255 characters", errors={"did": "too long"})
    if did.startswith("did:web:"):
        try:
            remote.site_of(did)
        except ValueError as exc:
            raise InvalidInput(f"not a usable did:web DID: {exc}", errors={"did": str(exc)}) from None
        return did
    if did.startswith("did:key:"):
        problem = "not an Ed25519 did:key (did:key:z6Mk…)"
        if _DID_KEY.fullmatch(did):
            try:
                public_key_bytes(did.removeprefix("did:key:"))
                return did
            except MultibaseError as exc:
                problem = f"not an Ed25519 did:key: {exc}"
        raise InvalidInput(problem, errors={"did": problem})
    raise InvalidInput("the DID must be a did:web or an Ed25519 did:key", errors={"did": "unsupported DID method"})


def _name(name: Any) -> str:
    text = name.strip() if isinstance(name, str) else ""
    if not text:
        raise InvalidInput("give the issuer's name", errors={"name": "required"})
    if _NOT_NAME.search(text):
        raise InvalidInput("the name holds control characters", errors={"name": "control characters"})
    if len(text) > NAME_LIMIT:
        raise InvalidInput(f"the name has {len(text)} characters; at most {NAME_LIMIT}", errors={"name": "too long"})
    return text


def _day(value: Any, field: str) -> str:
    if isinstance(value, date) and not isinstance(value, datetime):
        return value.isoformat()
    text = value if isinstance(value, str) else ""
    try:
        if not _DATE.fullmatch(text):
            raise ValueError
        return date.fromisoformat(text).isoformat()
    except ValueError:
        raise InvalidInput(f"{field} must be a date written YYYY-MM-DD", errors={field: "not a date"}) from None


def _decimal(value: Any) -> Decimal | None:
    """A non-negative decimal given as a JSON number or text, in one spelling; None if it is none."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return None
    text = value if isinstance(value, str) else repr(value)
    if not _DECIMAL.fullmatch(text):
        return None
    try:
        return Decimal(text)
    except InvalidOperation:
        return None


def _text(number: Decimal) -> str:
    return format(number.normalize(), "f")


def read_mappings(items: Any, session: Session) -> list[dict[str, Any]]:
    """Validate mappings against the published frameworks and approved outcomes; InvalidInput names each fault
    by its place (``mappings[2].level``)."""
    if not isinstance(items, list):
        raise InvalidInput("the mappings must be a list", errors={"mappings": ["not a list"]})
    if len(items) > MAPPINGS_LIMIT:
        raise InvalidInput(f"more than {MAPPINGS_LIMIT} mappings", errors={"mappings": ["too many"]})
    book = credit_rules.rulebook(session)
    errors: dict[str, list[str]] = {}
    seen: dict[tuple[str, str], int] = {}
    out: list[dict[str, Any]] = []

    def fault(place: str, message: str) -> None:
        errors.setdefault(place, []).append(message)

    for index, item in enumerate(items):
        place = f"mappings[{index}]"
        if not isinstance(item, dict):
            fault(place, "not an object")
            continue
        for key in item:
            if key not in MAPPING_FIELDS:
                fault(f"{place}.{key}", "unknown field")
        achievement = item.get("achievement")
        if not isinstance(achievement, str) or not achievement or len(achievement) > ACHIEVEMENT_LIMIT:
            fault(f"{place}.achievement", f'an achievement id (at most {ACHIEVEMENT_LIMIT} characters) or "*"')
            achievement = None
        elif _NOT_NAME.search(achievement) or achievement != achievement.strip():
            fault(f"{place}.achievement", "holds control characters or surrounding spaces")
            achievement = None
        framework_id = item.get("framework")
        framework = book.frameworks.get(framework_id) if isinstance(framework_id, str) else None
        if framework is None:
            known = ", ".join(sorted(book.frameworks)) or "none"
            fault(f"{place}.framework", f"not a published framework (published: {known})")
        outcome_code = item.get("outcome")
        outcome = None
        if outcome_code is not None:
            outcome = book.outcomes.get(outcome_code) if isinstance(outcome_code, str) else None
            if outcome is None:
                fault(f"{place}.outcome", "not an approved catalogue outcome")
            elif framework is not None and outcome.framework != framework.id:
                fault(f"{place}.outcome", f"an outcome of {outcome.framework}, not of {framework.id}")
                outcome = None
        level = item.get("level", outcome.level if outcome is not None else None)
        if isinstance(level, bool) or not isinstance(level, int):
            fault(f"{place}.level", "a level number is required")
        elif framework is not None and level not in framework.levels:
            fault(f"{place}.level", f"{framework.id} has levels {min(framework.levels)} to {max(framework.levels)}")
        category = item.get("category", outcome.category if outcome is not None else None)
        if not isinstance(category, str):
            fault(f"{place}.category", "a category is required")
        elif framework is not None and category not in framework.categories:
            fault(f"{place}.category", f"not a category of {framework.id} ({', '.join(sorted(framework.categories))})")
        credits: Decimal | None = None
        ratio: Decimal | None = None
        if "credits" in item and "credits_ratio" in item:
            fault(place, "give credits or credits_ratio, not both")
        elif "credits" in item:
            credits = _decimal(item["credits"])
            if credits is None or not 0 < credits <= MAX_CREDITS:
                fault(f"{place}.credits", f"a number of credits above 0 and at most {MAX_CREDITS}")
        elif "credits_ratio" in item:
            ratio = _decimal(item["credits_ratio"])
            if ratio is None or not 0 < ratio <= MAX_RATIO:
                fault(f"{place}.credits_ratio", f"a ratio above 0 and at most {MAX_RATIO}")
        elif outcome is not None:
            credits = outcome.credits
        else:
            fault(place, "give credits (fixed) or credits_ratio (times the credential's credits)")
        if achievement is not None and framework is not None:
            pair = (achievement, framework.id)
            if pair in seen:
                fault(f"{place}.achievement", f"mapped into {framework.id} already by mappings[{seen[pair]}]")
            seen[pair] = index
        if not errors:
            out.append(
                {
                    "achievement": achievement,
                    "framework": framework_id,
                    "outcome": outcome_code,
                    # Decimal text: the ledger's canonical JSON would write 2.50 and 2.5 alike, but not 0.1 exactly.
                    "credits": _text(credits) if credits is not None else None,
                    "credits_ratio": _text(ratio) if ratio is not None else None,
                    "level": level,
                    "category": category,
                }
            )
    if errors:
        faults = [f"{place}: {message}" for place, messages in errors.items() for message in messages]
        more = f" (and {len(faults) - 5} more)" if len(faults) > 5 else ""
        raise InvalidInput("; ".join(faults[:5]) + more, errors=errors)
    return out


def read_mappings_file(path: Path) -> Any:
    """The mappings a file holds (not yet validated: that needs the published frameworks)."""
    try:
        # Never more than the limit allows: the path may name a device, a pipe or a file of any size.
        with path.open("rb") as handle:
            raw = handle.read(FILE_LIMIT + 1)
    except OSError as exc:
        raise InvalidInput(
            f"{path}: cannot read the file ({exc.strerror})", errors={"mappings": "unreadable"}
        ) from None
    if len(raw) > FILE_LIMIT:
        raise InvalidInput(f"{path} is larger than {FILE_LIMIT} bytes", errors={"mappings": "too large"})
    is_json = path.suffix.lower() == ".json"
    if is_json and raw.lstrip().startswith(b"["):
        try:
            return strict_json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, strict_json.JSONInputError, ValueError) as exc:
            raise InvalidInput(f"{path}: not readable JSON ({exc})", errors={"mappings": "not JSON"}) from None
    try:
        document = parse_bytes(raw, str(path), json_format=is_json)
    except DocumentError as exc:
        raise InvalidInput(str(exc), errors={"mappings": "not readable"}) from None
    if set(document) != {"mappings"}:
        raise InvalidInput(f"{path}: the file must hold one key, mappings", errors={"mappings": "no mappings key"})
    return document["mappings"]


def add_issuer(
    bank: Bank,
    did: str,
    name: str,
    *,
    valid_from: str | date | None = None,
    valid_until: str | date | None = None,
    mappings: Any = None,
    actor: str = BANK_ACTOR,
) -> Change:
    """Put an issuer on the list, or replace its entry with a new version."""
    did = check_did(did)
    if did == bank.did:
        # Its own credentials are checked against its own keys, ledger and status, never against a fetched copy.
        raise InvalidInput("this is the bank's own DID; it needs no trust entry", errors={"did": "the bank's own"})
    text = _name(name)
    start = _day(valid_from, "valid_from") if valid_from is not None else datetime.now(UTC).date().isoformat()
    end = _day(valid_until, "valid_until") if valid_until is not None else None
    if end is not None and end < start:
        raise InvalidInput("valid_until is before valid_from", errors={"valid_until": "before valid_from"})
    with bank.db.writing() as session:
        # Read, compare and append as one step: two admins adding one DID at once make two versions in order.
        ledger_store.lock(session, ledger_store.SEQUENCER_LOCK)
        checked = read_mappings(mappings if mappings is not None else [], session)
        body = {"did": did, "name": text, "valid_from": start, "valid_until": end, "mappings": checked}
        held = session.get(TrustedIssuer, did)
        if held is not None:
            current = _issuer(held)
            same = {k: v for k, v in current.view().items() if k in body}
            if same == body:
                return Change(current, did, current.seq, False)
        recording.record(session, [ledger_store.NewEntry(ADDED, actor, body)])
        row = session.get(TrustedIssuer, did)
        assert row is not None
        issuer = _issuer(row)
        return Change(issuer, did, issuer.seq, True)


def remove_issuer(bank: Bank, did: str, reason: str, *, actor: str = BANK_ACTOR) -> Change:
    text = reason.replace("\r\n", "\n").strip() if isinstance(reason, str) else ""
    if not text:
        raise InvalidInput("give the reason for removing the issuer", errors={"reason": "required"})
    if _NOT_REASON.search(text):
        raise InvalidInput("the reason holds control characters", errors={"reason": "control characters"})
    if len(text) > REASON_LIMIT:
        raise InvalidInput(
            f"the reason has {len(text)} characters; at most {REASON_LIMIT}", errors={"reason": "too long"}
        )
    with bank.db.writing() as session:
        ledger_store.lock(session, ledger_store.SEQUENCER_LOCK)
        if not _listable(did) or session.get(TrustedIssuer, did) is None:
            shown = did if isinstance(did, str) and did.isprintable() else repr(did)
            raise NotFound(f"not on this bank's trust list: {shown}")
        recorded = recording.record(session, [ledger_store.NewEntry(REMOVED, actor, {"did": did, "reason": text})])
        return Change(None, did, recorded[0].seq, True)


def list_issuers(bank: Bank) -> list[Issuer]:
    with bank.db.reading() as session:
        return [_issuer(row) for row in session.scalars(select(TrustedIssuer).order_by(TrustedIssuer.did))]


def _listable(did: Any) -> bool:
    # What a database can be asked about: PostgreSQL refuses a NUL in a parameter outright.
    try:
        check_did(did)
    except InvalidInput:
        return False
    return True


def find(bank: Bank, did: str) -> Issuer | None:
    """The DID's current entry, compared as exact text: another case or encoding is another DID."""
    if not _listable(did):
        return None
    with bank.db.reading() as session:
        row = session.get(TrustedIssuer, did)
        return _issuer(row) if row is not None else None
