"""Status: revoking and suspending credentials, the signed status lists that publish it, and key rotation and
compromise, after which every list is signed again."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from certificates import credentials as credential_documents
from certificates import proofs
from certificates.status_list import StatusBits, status_list_credential
from creditbank import ledger_store, recording
from creditbank.errors import (
    Conflict,
    InvalidInput,
    NotFound,
)
from creditbank.models import (
    Credential,
    StatusListDocument,
)
from creditbank.runtime import Bank
from creditbank.services.credentials import credential_keys
from creditbank.services.transparency import checkpoints
from ledger.numbers import NotADecimal, parse_decimal

BANK_ACTOR = "bank:credentials"
LIST_SIZE = 131072
PURPOSES = ("revocation", "suspension")


def list_url(bank: Bank, number: int, purpose: str) -> str:
    return f"{bank.public_url}/status/{number}-{purpose}"


def change_status(bank: Bank, credential_id: str, change: str, reason: str | None = None) -> dict[str, Any]:
    """Revoke (final), suspend or reinstate a credential, then republish its status lists."""
    kinds = {"revoke": "credential.revoked", "suspend": "credential.suspended", "reinstate": "credential.suspended"}
    if change not in kinds:
        raise InvalidInput("change must be revoke, suspend or reinstate", errors={"change": "unknown"})
    with bank.db.writing() as session:
        row = session.get(Credential, credential_id)
        if row is None:
            raise NotFound(f"no credential {credential_id!r}")
        if row.revoked_seq is not None:
            raise Conflict(f"credential {credential_id} is already revoked")
        if change == "suspend" and row.suspended:
            raise Conflict(f"credential {credential_id} is already suspended")
        if change == "reinstate" and not row.suspended:
            raise Conflict(f"credential {credential_id} is not suspended")
        body: dict[str, Any] = {"credential_id": credential_id, "reason": reason}
        if kinds[change] == "credential.suspended":
            body["suspended"] = change == "suspend"
        recorded = recording.record(session, [ledger_store.NewEntry(kinds[change], BANK_ACTOR, body)])
        number = row.status_list
    for purpose in PURPOSES:
        publish_list(bank, number, purpose)
    checkpoints.sign(bank)
    return {"id": credential_id, "change": change, "seq": recorded[0].seq}


def _bits(session: Session, number: int, purpose: str) -> StatusBits:
    bits = StatusBits(LIST_SIZE)
    column = Credential.revoked_seq.is_not(None) if purpose == "revocation" else Credential.suspended.is_(True)
    for index in session.scalars(select(Credential.status_index).where(Credential.status_list == number).where(column)):
        bits.set(index, True)
    return bits


def publish_list(bank: Bank, number: int, purpose: str) -> dict[str, Any]:
    """Sign the current state of one status list and keep it for serving."""
    key_row = credential_keys.ensure(bank)
    private = credential_keys.signer(bank, key_row)
    issuer = bank.did
    name = f"{number}-{purpose}"
    with bank.db.reading() as session:
        bits = _bits(session, number, purpose)
        as_of = ledger_store.tree_size(session)
    now = credential_documents.timestamp(datetime.now(UTC))
    unsigned = status_list_credential(list_url(bank, number, purpose), issuer, purpose, bits, now)
    signed = proofs.sign(unsigned, private, f"{issuer}#{key_row.id}", now)
    with bank.db.writing() as session:
        stored = session.get(StatusListDocument, name)
        text = json.dumps(signed)
        if stored is None:
            session.add(StatusListDocument(name=name, document=text, as_of_seq=as_of))
        else:
            stored.document, stored.as_of_seq = text, as_of
    return signed


def republish_stale(bank: Bank) -> list[str]:
    """Re-sign every status list that lags its credentials' recorded status; returns the lists re-signed.

    A status change publishes its lists right after it commits, so a process that dies in between
    leaves a list that still shows the old status; the scheduler calls this to close that gap.
    """
    with bank.db.reading() as session:
        changed = session.execute(
            select(Credential.status_list, func.max(Credential.status_seq))
            .where(Credential.status_seq.is_not(None))
            .group_by(Credential.status_list)
        ).all()
        published = dict(session.execute(select(StatusListDocument.name, StatusListDocument.as_of_seq)).all())
    stale = [
        (number, purpose)
        for number, last_change in changed
        for purpose in PURPOSES
        if published.get(f"{number}-{purpose}", -1) <= last_change
    ]
    for number, purpose in stale:
        publish_list(bank, number, purpose)
    return [f"{number}-{purpose}" for number, purpose in stale]


def status_list(bank: Bank, name: str) -> dict[str, Any]:
    number_text, _, purpose = name.partition("-")
    try:
        # A list's name is its one spelling: "01-revocation" or a full-width digit must not serve list 1.
        number = parse_decimal(number_text, maximum=999_999_999)
    except NotADecimal:
        raise NotFound(f"no status list {name!r}") from None
    if purpose not in PURPOSES:
        raise NotFound(f"no status list {name!r}")
    with bank.db.reading() as session:
        stored = session.get(StatusListDocument, name)
        if stored is not None:
            result: dict[str, Any] = json.loads(stored.document)
            return result
        exists = session.scalar(select(func.count()).select_from(Credential).where(Credential.status_list == number))
    if not exists:
        raise NotFound(f"no status list {name!r}")
    return publish_list(bank, number, purpose)


def rotate_key(bank: Bank) -> dict[str, Any]:
    row = credential_keys.rotate(bank)
    return {"key": row.id, "public_key": row.public_key, "active_from": row.active_from}


def compromise_key(bank: Bank, key_id: str, since: str, reason: str | None = None) -> dict[str, Any]:
    """Record a key compromise, re-sign every status list with the current key, and list what the key signed."""
    signed = credential_keys.compromise(bank, key_id, since, reason)
    # A status list signed by the compromised key would no longer verify anywhere, so every one is signed again.
    with bank.db.reading() as session:
        names = list(session.scalars(select(StatusListDocument.name)))
    for name in names:
        number, _, purpose = name.partition("-")
        publish_list(bank, int(number), purpose)
    with bank.db.reading() as session:
        current = credential_keys.current(session)
        assert current is not None
        return {"key": key_id, "current_key": current.id, "credentials": signed}
