"""A certificate as a baked Open Badge: the badge picture, in the document's two languages, with the signed
credential exactly as stored baked into the PNG or SVG, so the image verifies like the JSON it carries."""

from __future__ import annotations

import json
from typing import Any, Literal

from certificates import badges
from creditbank.errors import Conflict, NotFound
from creditbank.languages import words
from creditbank.models import Credential, CredentialDocument
from creditbank.runtime import Bank
from creditbank.services.credentials.facts import bank_name, language_order
from creditbank.services.credentials.reading import title_of, visible
from creditbank.services.records.api_keys import Principal

Format = Literal["png", "svg"]
FORMATS: tuple[Format, ...] = ("png", "svg")
MIMETYPES = {"png": "image/png", "svg": "image/svg+xml"}
# Open Badges bakes an OpenBadgeCredential; a transcript is a ClrCredential wrapping several of them.
BADGE_KINDS = ("achievement", "qualification")
_TAGS = {"zh": "zh-Hans"}


def badge(bank: Bank, principal: Principal | None, credential_id: str, image: Format) -> bytes:
    """The badge image of a certificate (an achievement or a qualification), the credential baked in; a transcript
    is a Conflict, an unknown credential (or another institution's) NotFound."""
    with bank.db.reading() as session:
        row = visible(session, principal, credential_id)
        if row.kind not in BADGE_KINDS:
            raise Conflict(f"credential {credential_id} is a transcript; badges are made of certificates")
        stored = session.get(CredentialDocument, credential_id)
        if stored is None:
            raise NotFound(f"no credential {credential_id!r}")
        face = _face(bank, row, stored)
        signed = stored.document
    if image == "png":
        return badges.bake_png(badges.render_png(face), signed)
    return badges.bake_svg(badges.render_svg(face), signed).encode("utf-8")


def _line(value: dict[str, str], code: str) -> badges.Line | None:
    """``value`` in language ``code`` as words.pick chooses it, tagged with the language it is actually in (a title
    kept in Chinese and English shows in English on an Arabic badge, and must be set left to right)."""
    for candidate in (code, "en", "zh"):
        if value.get(candidate):
            return badges.Line(str(value[candidate]), _TAGS.get(candidate, candidate))
    return None


def _face(bank: Bank, row: Credential, stored: CredentialDocument) -> badges.Face:
    """What the badge shows, from the rows kept at issuance (or, for an older credential, what it states itself)."""
    languages = language_order(stored.language_order)
    kept = json.loads(stored.page_facts) if stored.page_facts else {}
    facts: dict[str, Any] = (kept.get("rows") or [{}])[0]
    signed = json.loads(stored.document)
    achievement = (signed.get("credentialSubject") or {}).get("achievement") or {}
    title = title_of(row.kind, stored) or {}
    institution = facts.get("institution") or (achievement.get("creator") or {}).get("name") or ""
    level = facts.get("level") or {}
    credits = str(facts.get("credits") or "")
    shown: list[badges.Line] = []
    for code in languages:
        line = _line(title, code)
        if line is not None and all(other.text != line.text for other in shown):
            shown.append(line)
    details: list[badges.Line] = []
    for code in languages:
        parts = [line for line in [_line(level, code)] if line is not None]
        if credits and credits != "0":
            parts.append(badges.Line(words.text("badges_credits", code, credits=credits), _TAGS.get(code, code)))
        if any(part.language in words.RIGHT_TO_LEFT for part in parts):
            # Each on its own line: a left-to-right level name inside an Arabic line would need the bidi algorithm
            # across fonts to come out in the right order.
            details.extend(parts)
        elif parts:
            details.append(badges.Line(" · ".join(part.text for part in parts), parts[-1].language))
    name = bank_name(bank)
    second = languages[1] if languages[0] == "zh" else languages[0]
    footer = " · ".join(dict.fromkeys([name["zh"], words.pick(name, second)]))
    return badges.Face([badges.Line(str(institution), "zh-Hans")], shown, details, footer)
