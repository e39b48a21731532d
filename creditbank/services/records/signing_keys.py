"""Institutions' Ed25519 keys for signed submissions (non-repudiation of what they post)."""

from __future__ import annotations

import base64
import binascii
import hashlib
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlalchemy import select
from sqlalchemy.orm import Session

from creditbank import ledger_store, recording
from creditbank.errors import InvalidInput
from creditbank.models import InstitutionKey
from creditbank.runtime import Bank
from creditbank.services.records import idempotency
from creditbank.services.records.api_keys import Principal
from creditbank.services.records.idempotency import RetryKey, WriteResult


def key_id(public_key: bytes) -> str:
    """``ed25519:`` and the first 16 bytes of SHA-256 of the raw key, hex."""
    return "ed25519:" + hashlib.sha256(public_key).hexdigest()[:32]


def decode_public_key(text: str) -> bytes:
    try:
        raw = base64.b64decode(text + "=" * (-len(text) % 4), altchars=b"-_" if "-" in text or "_" in text else None)
    except (binascii.Error, ValueError):
        raw = b""
    if len(raw) != 32:
        raise InvalidInput(
            "public_key must be a raw 32-byte Ed25519 key in base64", errors={"public_key": "32 bytes, base64"}
        )
    try:
        Ed25519PublicKey.from_public_bytes(raw)
    except ValueError:
        raise InvalidInput("public_key is not an Ed25519 key", errors={"public_key": "not an Ed25519 key"}) from None
    return raw


def add(bank: Bank, principal: Principal, public_key: str, retry: RetryKey | None = None) -> WriteResult:
    raw = decode_public_key(public_key)
    kid = key_id(raw)

    def work(session: Session) -> WriteResult:
        existing = session.get(InstitutionKey, kid)
        if existing is not None:
            if existing.institution_id != principal.institution_id:
                raise InvalidInput("this key belongs to another institution", errors={"public_key": "taken"})
            return WriteResult(False, _view(existing.id, existing.public_key, existing.added_seq))
        body = {
            "institution": principal.institution_id,
            "key": kid,
            "public_key": base64.b64encode(raw).decode("ascii"),
        }
        recorded = recording.record(session, [ledger_store.NewEntry("institution.key_added", principal.actor, body)])
        return WriteResult(True, _view(kid, raw, recorded[0].seq))

    return idempotency.once(bank, principal.institution_id, retry, work)


def _view(kid: str, raw: bytes, seq: int) -> dict[str, Any]:
    return {"id": kid, "algorithm": "Ed25519", "public_key": base64.b64encode(raw).decode("ascii"), "added_seq": seq}


def list_keys(bank: Bank, principal: Principal) -> list[dict[str, Any]]:
    with bank.db.reading() as session:
        rows = session.scalars(
            select(InstitutionKey)
            .where(InstitutionKey.institution_id == principal.institution_id)
            .order_by(InstitutionKey.added_seq)
        )
        return [_view(row.id, row.public_key, row.added_seq) for row in rows]


def verifiers(bank: Bank, institution_id: str) -> dict[str, Ed25519PublicKey]:
    with bank.db.reading() as session:
        rows = session.execute(
            select(InstitutionKey.id, InstitutionKey.public_key).where(InstitutionKey.institution_id == institution_id)
        ).all()
    return {kid: Ed25519PublicKey.from_public_bytes(raw) for kid, raw in rows}


def verify(keys: dict[str, Ed25519PublicKey], kid: str, signature: bytes, message: bytes) -> str | None:
    """None if valid, else why not."""
    key = keys.get(kid)
    if key is None:
        return f"no signing key {kid!r} registered for this institution"
    try:
        key.verify(signature, message)
    except InvalidSignature:
        return "the signature does not verify over the JCS bytes of the submitted item"
    return None
