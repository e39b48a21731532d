"""Share links: a learner lets someone read their record (or chosen achievements) for a while, and can take it back.

The link carries a random token; only its hash is stored, so a database reader cannot open anyone's links.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select, update

from creditbank.errors import AccountError, InvalidInput, NotFound
from creditbank.models import Learner, ShareLink
from creditbank.runtime import Bank
from creditbank.services.learner_access import portal
from creditbank.services.records.personal_records import identity_of

PERIODS = (1, 7, 30, 90, 365)  # days a link may stay open


def _digest(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


def create(bank: Bank, learner_id: str, days: int, achievements: list[str] | None) -> str:
    """A new link's token (shown once); `achievements` None shares the whole record."""
    if days not in PERIODS:
        raise InvalidInput(f"days must be one of {PERIODS}", errors={"days": ["not offered"]})
    if achievements is not None:
        mine = {item["id"] for item in portal.record(bank, learner_id)}
        if not achievements or not set(achievements) <= mine:
            raise InvalidInput("choose achievements from your own record", errors={"achievements": ["unknown"]})
    token = secrets.token_urlsafe(24)
    now = datetime.now(UTC)
    with bank.db.writing() as session:
        session.add(
            ShareLink(
                digest=_digest(token),
                id=secrets.token_hex(6),
                learner_id=learner_id,
                achievements=json.dumps(sorted(achievements)) if achievements is not None else None,
                created_at=now,
                expires_at=now + timedelta(days=days),
                opens=0,
            )
        )
    return token


def links(bank: Bank, learner_id: str) -> list[dict[str, Any]]:
    now = datetime.now(UTC)
    with bank.db.reading() as session:
        rows = session.scalars(
            select(ShareLink).where(ShareLink.learner_id == learner_id).order_by(ShareLink.created_at.desc())
        )
        return [
            {
                "id": row.id,
                "created_at": row.created_at,
                "expires_at": row.expires_at,
                "opens": row.opens,
                "whole": row.achievements is None,
                "count": len(json.loads(row.achievements)) if row.achievements else None,
                "state": "revoked" if row.revoked_at is not None else "expired" if row.expires_at <= now else "active",
            }
            for row in rows
        ]


def revoke(bank: Bank, learner_id: str, link_id: str) -> None:
    with bank.db.writing() as session:
        row = session.scalars(
            select(ShareLink).where(ShareLink.id == link_id, ShareLink.learner_id == learner_id)
        ).first()
        if row is None:
            raise NotFound(f"no share link {link_id!r}")
        if row.revoked_at is None:
            row.revoked_at = datetime.now(UTC)


def open_link(bank: Bank, token: str) -> dict[str, Any]:
    """What the link shows; counts the opening. AccountError("link_closed") for unknown, expired or revoked links."""
    now = datetime.now(UTC)
    with bank.db.writing() as session:
        row = session.get(ShareLink, _digest(token))
        learner = session.get(Learner, row.learner_id) if row is not None else None
        usable = (
            row is not None
            and row.revoked_at is None
            and row.expires_at > now
            and learner is not None
            and learner.status != "erased"
        )
        if not usable or row is None:
            raise AccountError("link_closed", "this share link has expired or was withdrawn")
        session.execute(update(ShareLink).where(ShareLink.digest == row.digest).values(opens=ShareLink.opens + 1))
        chosen = set(json.loads(row.achievements)) if row.achievements else None
        learner_id, expires = row.learner_id, row.expires_at
        identity = identity_of(bank, session, learner_id)
        name = (identity["name"].get("zh") or identity["name"].get("latin") or "") if identity else ""
    items = [item for item in portal.record(bank, learner_id) if chosen is None or item["id"] in chosen]
    return {"name": name, "items": items, "expires_at": expires}
