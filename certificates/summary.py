"""What a credential says, in the few fields a person holding its paper copy compares: the achievement or
qualification, who awarded it, credits, level and framework, dates, the credential id and its ledger entry.

Every door shows this beside the verdict. It is read from the document as it came, whether or not it verified, so
values are taken only when they have the expected type and the verdict says whether to believe them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

# The bank's own achievement types; other issuers' types are shown as they are written.
QUALIFICATION_TYPES = ("ext:Qualification",)


def _text(value: Any) -> str | None:
    if not isinstance(value, str) or not value.strip():
        return None
    # A lone surrogate (JSON may escape one) has no UTF-8 form: no page or terminal could show the summary.
    return value.encode("utf-16", "surrogatepass").decode("utf-16", "replace")


def _number(value: Any) -> int | float | None:
    # bool is an int to Python, never a credit count.
    return value if isinstance(value, int | float) and not isinstance(value, bool) else None


def _name(value: Any) -> str | None:
    """A profile's name, or the profile itself when it is only written as an id."""
    if isinstance(value, Mapping):
        return _text(value.get("name"))
    return _text(value)


def _day(value: Any) -> str | None:
    text = _text(value)
    return text[:10] if text else None


def _alignment(achievement: Mapping[str, Any]) -> tuple[str | None, str | None, str | None]:
    """Level name, level code and framework from the achievement's framework-level alignment."""
    items = achievement.get("alignment")
    for item in items if isinstance(items, list) else []:
        if isinstance(item, Mapping) and item.get("targetType") == "ext:FrameworkLevel":
            return _text(item.get("targetName")), _text(item.get("targetCode")), _text(item.get("targetFramework"))
    return None, None, None


def achievement_claim(subject: Any) -> dict[str, Any] | None:
    """One achievement subject: what was achieved, where, and what it is worth."""
    if not isinstance(subject, Mapping) or not isinstance(subject.get("achievement"), Mapping):
        return None
    achievement: Mapping[str, Any] = subject["achievement"]
    level, level_code, framework = _alignment(achievement)
    kind = _text(achievement.get("achievementType"))
    credits = _number(subject.get("creditsEarned"))
    return {
        "title": _text(achievement.get("name")),
        "achievement_type": kind,
        "qualification": kind in QUALIFICATION_TYPES,
        "code": _text(achievement.get("humanCode")),
        "institution": _name(achievement.get("creator")) or _name(subject.get("source")),
        "credits": credits if credits is not None else _number(achievement.get("creditsAvailable")),
        "level": level,
        "level_code": level_code,
        "framework": framework,
        "completed": _day(subject.get("activityEndDate")),
    }


def describe(document: Any, *, ledger_seq: int | None = None, ledger_time: str | None = None) -> dict[str, Any] | None:
    """The summary of a credential (an OB 3.0 achievement credential or a CLR 2.0 transcript), or None when the
    document is not a JSON object."""
    if not isinstance(document, Mapping):
        return None
    subject = document.get("credentialSubject")
    claims: list[dict[str, Any]] = []
    one = achievement_claim(subject)
    if one is not None:
        claims.append(one)
    wrapped = subject.get("verifiableCredential") if isinstance(subject, Mapping) else None
    for inner in wrapped if isinstance(wrapped, list) else []:
        claim = achievement_claim(inner.get("credentialSubject")) if isinstance(inner, Mapping) else None
        if claim is not None:
            claims.append({**claim, "credential_id": _text(inner.get("id"))})
    types = document.get("type")
    return {
        "id": _text(document.get("id")),
        "transcript": isinstance(types, list) and "ClrCredential" in types,
        "title": _text(document.get("name")),
        "issuer": _name(document.get("issuer")),
        "valid_from": _text(document.get("validFrom")),
        "valid_until": _text(document.get("validUntil")),
        "ledger_seq": ledger_seq,
        "ledger_time": ledger_time,
        "achievements": claims,
    }
