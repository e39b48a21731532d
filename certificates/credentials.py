"""Open Badges 3.0 and CLR 2.0 credential documents (unsigned), built from plain values.

The learner is never named in a credential: the subject carries a salted hash of their name and birth date
(`IdentityObject`), so a verifier who is told both can confirm the match and nobody else learns them.
"""

from __future__ import annotations

import hashlib
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from certificates.contexts import CLR_V2, OB_V3, VC_V2

OB_CONTEXT = [VC_V2, OB_V3]
CLR_CONTEXT = [VC_V2, CLR_V2, OB_V3]
IDENTITY_TYPE = "ext:NameAndBirthDate"
# The media type a signed credential is served with (VC Data Model 2.0's JSON-LD form), so a wallet or verifier that
# dispatches on it opens the file.
MEDIA_TYPE = "application/vc+ld+json"


@dataclass(frozen=True)
class Party:
    id: str
    name: str
    url: str | None = None

    def profile(self) -> dict[str, Any]:
        data: dict[str, Any] = {"id": self.id, "type": ["Profile"], "name": self.name}
        if self.url:
            data["url"] = self.url
        return data


@dataclass(frozen=True)
class FrameworkLevel:
    framework_id: str
    framework_name: str
    level: int
    level_name: str
    hours_per_credit: Decimal
    url: str  # the framework's public page in this bank's API


@dataclass(frozen=True)
class Claim:
    """One achievement or awarded qualification, as the credential states it."""

    achievement_id: str  # the URL that identifies the achievement definition
    name: str
    description: str
    criteria: str
    achievement_type: str  # OB 3.0 AchievementType, e.g. "Course", "Certificate", "ext:Qualification"
    creator: Party
    credits: Decimal | None
    level: FrameworkLevel | None
    category: str | None
    completed: date | None
    human_code: str | None = None
    result: str | None = None


def identity_text(name: str, birth_date: date) -> str:
    """What the identity hash covers. Width, case and spacing variants of the same name agree."""
    folded = " ".join(unicodedata.normalize("NFKC", name).casefold().split())
    return f"{folded}|{birth_date.isoformat()}"


def identity_hash(name: str, birth_date: date, salt: str) -> str:
    digest = hashlib.sha256((identity_text(name, birth_date) + salt).encode()).hexdigest()
    return f"sha256${digest}"


def identity_object(name: str, birth_date: date, salt: str) -> dict[str, Any]:
    return {
        "type": "IdentityObject",
        "hashed": True,
        "identityHash": identity_hash(name, birth_date, salt),
        "identityType": IDENTITY_TYPE,
        "salt": salt,
    }


def timestamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _number(value: Decimal) -> int | float:
    # JSON-LD types creditsAvailable as xsd:float; a whole number is written as one so every stack agrees on it.
    return int(value) if value == value.to_integral_value() else float(value)


def _alignments(level: FrameworkLevel) -> list[dict[str, Any]]:
    return [
        {
            "type": ["Alignment"],
            "targetType": "ext:FrameworkLevel",
            "targetFramework": level.framework_name,
            "targetCode": str(level.level),
            "targetName": level.level_name,
            "targetUrl": f"{level.url}#level-{level.level}",
        },
        {
            "type": ["Alignment"],
            "targetType": "ext:CreditUnit",
            "targetFramework": level.framework_name,
            "targetCode": f"{level.hours_per_credit.normalize():f}h",
            "targetName": f"1 credit = {level.hours_per_credit.normalize():f} notional learning hours",
            "targetUrl": f"{level.url}#credit-unit",
        },
    ]


def achievement(claim: Claim) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": claim.achievement_id,
        "type": ["Achievement"],
        "achievementType": claim.achievement_type,
        "name": claim.name,
        "description": claim.description,
        "criteria": {"narrative": claim.criteria},
        "creator": claim.creator.profile(),
    }
    if claim.human_code:
        data["humanCode"] = claim.human_code
    if claim.credits is not None:
        data["creditsAvailable"] = _number(claim.credits)
    if claim.level is not None:
        data["alignment"] = _alignments(claim.level)
    if claim.category:
        data["tag"] = [claim.category]
    return data


def achievement_subject(claim: Claim, identity: dict[str, Any]) -> dict[str, Any]:
    subject: dict[str, Any] = {
        "type": ["AchievementSubject"],
        "identifier": [identity],
        "achievement": achievement(claim),
        "source": claim.creator.profile(),
    }
    if claim.credits is not None:
        subject["creditsEarned"] = _number(claim.credits)
    if claim.completed is not None:
        subject["activityEndDate"] = f"{claim.completed.isoformat()}T00:00:00Z"
    if claim.result:
        subject["narrative"] = claim.result
    return subject


def open_badge(
    credential_id: str,
    issuer: Party,
    claim: Claim,
    identity: dict[str, Any],
    valid_from: datetime,
    valid_until: datetime | None,
    status: dict[str, Any] | None,
) -> dict[str, Any]:
    document: dict[str, Any] = {
        "@context": list(OB_CONTEXT),
        "id": credential_id,
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "name": claim.name,
        "issuer": issuer.profile(),
        "validFrom": timestamp(valid_from),
        "credentialSubject": achievement_subject(claim, identity),
    }
    if valid_until is not None:
        document["validUntil"] = timestamp(valid_until)
    if status is not None:
        document["credentialStatus"] = status
    return document


def transcript(
    credential_id: str,
    issuer: Party,
    name: str,
    description: str,
    identity: dict[str, Any],
    credentials: Sequence[dict[str, Any]],
    valid_from: datetime,
    status: dict[str, Any] | None,
) -> dict[str, Any]:
    """A ClrCredential wrapping already signed achievement credentials."""
    document: dict[str, Any] = {
        "@context": list(CLR_CONTEXT),
        "id": credential_id,
        "type": ["VerifiableCredential", "ClrCredential"],
        "name": name,
        "description": description,
        "issuer": issuer.profile(),
        "validFrom": timestamp(valid_from),
        "credentialSubject": {
            "type": ["ClrSubject"],
            "identifier": [identity],
            "verifiableCredential": list(credentials),
        },
    }
    if status is not None:
        document["credentialStatus"] = status
    return document
