"""The structure an Open Badges 3.0 / CLR 2.0 credential must have before any cryptography is tried.

This is the subset of the OB 3.0 rules a verifier acts on (required fields, their types, date formats); the tests
additionally validate every credential the bank issues against the official OB 3.0 JSON Schema.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from certificates.contexts import CLR_V2, OB_V3, VC_V2

# XSD dateTimeStamp as VC 2.0 requires it: upper-case T and Z only (RFC 3339 tolerates lower case, XSD does not,
# and a credential must read the same to every verifier), a time zone always, no hour 24 and no leap second.
_DATETIME = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(?:(Z)|([+-])(\d{2}):(\d{2}))", re.ASCII
)
_IRI = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:\S+")
MAX_DEPTH = 32


class ShapeError(Exception):
    def __init__(self, place: str, problem: str) -> None:
        super().__init__(f"{place}: {problem}" if place else problem)
        self.place = place


def depth(value: Any, limit: int = MAX_DEPTH) -> int:
    """Nesting depth, stopping early once past the limit (deep JSON is refused, never recursed into)."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    deepest = 0
    while stack:
        item, level = stack.pop()
        deepest = max(deepest, level)
        if deepest > limit:
            return deepest
        if isinstance(item, dict):
            stack.extend((child, level + 1) for child in item.values())
        elif isinstance(item, list):
            stack.extend((child, level + 1) for child in item)
    return deepest


def _types(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        return list(value)
    return []


def _require(data: Mapping[str, Any], key: str, place: str) -> Any:
    if key not in data:
        raise ShapeError(f"{place}.{key}" if place else key, "is required")
    return data[key]


def _object(value: Any, place: str) -> Mapping[str, Any]:
    if not isinstance(value, dict):
        raise ShapeError(place, "must be an object")
    return value


def _iri(value: Any, place: str) -> str:
    if not isinstance(value, str) or not _IRI.fullmatch(value):
        raise ShapeError(place, "must be an IRI")
    return value


def parse_datetime(value: Any) -> datetime | None:
    """The instant a date-time names, or None unless it is a real one: 2020-02-30 or 2021-02-29 are not dates, and
    a time without a zone is no instant at all."""
    match = _DATETIME.fullmatch(value) if isinstance(value, str) else None
    if match is None:
        return None
    year, month, day, hour, minute, second, fraction, zulu, sign, zone_hours, zone_minutes = match.groups()
    if zulu:
        zone = UTC
    else:
        if int(zone_hours) > 14 or int(zone_minutes) > 59 or (int(zone_hours) == 14 and int(zone_minutes)):
            return None
        offset = timedelta(hours=int(zone_hours), minutes=int(zone_minutes))
        zone = timezone(-offset if sign == "-" else offset)
    try:
        # Digits past the microsecond cannot change which second it is; they are dropped, not rounded up.
        micro = int((fraction or "").ljust(6, "0")[:6])
        return datetime(int(year), int(month), int(day), int(hour), int(minute), int(second), micro, tzinfo=zone)
    except ValueError:
        return None


def _datetime(value: Any, place: str) -> str:
    if parse_datetime(value) is None:
        raise ShapeError(place, "must be an RFC 3339 date-time with a time zone, naming a real calendar date")
    return str(value)


def _text(value: Any, place: str) -> str:
    if not isinstance(value, str):
        raise ShapeError(place, "must be a string")
    return value


def _profile(value: Any, place: str) -> None:
    if isinstance(value, str):
        _iri(value, place)
        return
    profile = _object(value, place)
    _iri(_require(profile, "id", place), f"{place}.id")
    if "Profile" not in _types(_require(profile, "type", place)):
        raise ShapeError(f"{place}.type", "must include Profile")


# OB 3.0 names AchievementCredential as an alias of OpenBadgeCredential; either type makes an Open Badge.
_ALIASES = {"OpenBadgeCredential": ("OpenBadgeCredential", "AchievementCredential")}


def _common(document: Mapping[str, Any], kind: str, contexts: tuple[str, ...]) -> None:
    context = _require(document, "@context", "")
    if not isinstance(context, list) or context[: len(contexts)] != list(contexts):
        raise ShapeError("@context", f"must start with {', '.join(contexts)}")
    _iri(_require(document, "id", ""), "id")
    types = _types(_require(document, "type", ""))
    if "VerifiableCredential" not in types or not any(name in types for name in _ALIASES.get(kind, (kind,))):
        raise ShapeError("type", f"must include VerifiableCredential and {kind}")
    _profile(_require(document, "issuer", ""), "issuer")
    _datetime(_require(document, "validFrom", ""), "validFrom")
    if "validUntil" in document:
        _datetime(document["validUntil"], "validUntil")
    if "credentialStatus" in document:
        status = _object(document["credentialStatus"], "credentialStatus")
        _require(status, "type", "credentialStatus")
    proof = _require(document, "proof", "")
    if not isinstance(proof, list) or not proof:
        raise ShapeError("proof", "must be a non-empty array")
    for index, item in enumerate(proof):
        _text(_require(_object(item, f"proof[{index}]"), "type", f"proof[{index}]"), f"proof[{index}].type")


def _achievement_credential(document: Mapping[str, Any], place: str = "") -> None:
    prefix = f"{place}." if place else ""
    subject = _object(_require(document, "credentialSubject", place), f"{prefix}credentialSubject")
    where = f"{prefix}credentialSubject"
    if "AchievementSubject" not in _types(_require(subject, "type", where)):
        raise ShapeError(f"{where}.type", "must include AchievementSubject")
    achievement = _object(_require(subject, "achievement", where), f"{where}.achievement")
    where = f"{where}.achievement"
    _iri(_require(achievement, "id", where), f"{where}.id")
    if "Achievement" not in _types(_require(achievement, "type", where)):
        raise ShapeError(f"{where}.type", "must include Achievement")
    _object(_require(achievement, "criteria", where), f"{where}.criteria")
    _text(_require(achievement, "description", where), f"{where}.description")
    _text(_require(achievement, "name", where), f"{where}.name")
    for key in ("creditsAvailable",):
        if key in achievement and (isinstance(achievement[key], bool) or not isinstance(achievement[key], int | float)):
            raise ShapeError(f"{where}.{key}", "must be a number")
    earned = subject.get("creditsEarned")
    if earned is not None and (isinstance(earned, bool) or not isinstance(earned, int | float)):
        raise ShapeError(f"{prefix}credentialSubject.creditsEarned", "must be a number")


def kind_of(document: Mapping[str, Any]) -> str:
    types = _types(document.get("type"))
    if "ClrCredential" in types:
        return "ClrCredential"
    if "OpenBadgeCredential" in types or "AchievementCredential" in types:
        return "OpenBadgeCredential"
    raise ShapeError("type", "is neither an OpenBadgeCredential nor a ClrCredential")


def check(document: Any) -> str:
    """The credential's kind, or ShapeError naming the first field that breaks the rules."""
    if not isinstance(document, dict):
        raise ShapeError("", "the credential must be a JSON object")
    if depth(document) > MAX_DEPTH:
        raise ShapeError("", f"the document is nested deeper than {MAX_DEPTH} levels")
    kind = kind_of(document)
    if kind == "OpenBadgeCredential":
        _common(document, "OpenBadgeCredential", (VC_V2, OB_V3))
        _achievement_credential(document)
        return kind
    _common(document, "ClrCredential", (VC_V2, CLR_V2))
    subject = _object(_require(document, "credentialSubject", ""), "credentialSubject")
    if "ClrSubject" not in _types(_require(subject, "type", "credentialSubject")):
        raise ShapeError("credentialSubject.type", "must include ClrSubject")
    inner = _require(subject, "verifiableCredential", "credentialSubject")
    if not isinstance(inner, list) or not inner:
        raise ShapeError("credentialSubject.verifiableCredential", "must be a non-empty array")
    for index, item in enumerate(inner):
        place = f"credentialSubject.verifiableCredential[{index}]"
        _common(_object(item, place), "OpenBadgeCredential", (VC_V2, OB_V3))
        _achievement_credential(item, place)
    return kind
