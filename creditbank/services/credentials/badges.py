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
        text = words.pick(title, code)
        if text and all(line.text != text for line in shown):
            shown.append(badges.Line(text, _TAGS.get(code, code)))
    details = []
    for code in languages:
        parts = []
        if words.pick(level, code):
            parts.append(words.text("badges_level", code, level=words.pick(level, code)))
        if credits and credits != "0":
            parts.append(words.text("badges_credits", code, credits=credits))
        if parts:
            details.append(badges.Line(" · ".join(parts), _TAGS.get(code, code)))
    name = bank_name(bank)
    second = languages[1] if languages[0] == "zh" else languages[0]
    footer = " · ".join(dict.fromkeys([name["zh"], words.pick(name, second)]))
    return badges.Face([badges.Line(str(institution), "zh-Hans")], shown, details, footer)
