"""Public reads of the ledger: entries and proofs, bounded by the latest signed checkpoint."""

from __future__ import annotations

import base64
import json
from typing import Any

from sqlalchemy.orm import Session

from creditbank import actors, ledger_store
from creditbank.errors import BadParameter, NotFound
from creditbank.runtime import Bank
from creditbank.services.transparency import checkpoints


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def entry(bank: Bank, seq: int, *, reader_actor: str | None = None) -> dict[str, Any]:
    """A public entry; its private body and salt too when the reader wrote it."""
    if seq < 0:
        raise BadParameter("seq must be a non-negative integer", errors={"seq": "negative"})
    with bank.db.reading() as session:
        found = ledger_store.get_entry(session, seq)
        if found is None:
            raise NotFound(f"no ledger entry {seq}")
        row, body = found
        result: dict[str, Any] = {
            "seq": row.seq,
            "entry": json.loads(row.public),
            "leaf_hash": _b64(bytes(row.nodes[:32])),
        }
        if reader_actor is not None and actors.institution_of(reader_actor) == actors.institution_of(row.actor):
            result["body"] = json.loads(body.body)
            result["salt"] = _b64(bytes(body.salt))
        return result


def _require_signed(session: Session, size: int) -> None:
    """Proofs are served only for trees a signed checkpoint covers."""
    latest = checkpoints.latest_in(session)
    if latest is None:
        raise NotFound("no checkpoint has been signed yet")
    if size > latest.size:
        raise NotFound(f"size {size} is beyond the latest signed checkpoint ({latest.size})")


def inclusion(bank: Bank, seq: int, size: int) -> dict[str, Any]:
    if seq < 0 or size < 1:
        raise BadParameter("seq must be ≥ 0 and size ≥ 1", errors={"seq" if seq < 0 else "size": "out of range"})
    if seq >= size:
        raise BadParameter(f"seq {seq} is not inside a tree of size {size}", errors={"seq": "must be < size"})
    with bank.db.reading() as session:
        _require_signed(session, size)
        leaf, proof = ledger_store.inclusion_proof(session, seq, size)
    return {"seq": seq, "size": size, "leaf_hash": _b64(leaf), "proof": [_b64(h) for h in proof]}


def consistency(bank: Bank, old: int, new: int) -> dict[str, Any]:
    if old < 1:
        raise BadParameter("from must be ≥ 1", errors={"from": "out of range"})
    if old > new:
        raise BadParameter(f"from ({old}) must not exceed to ({new})", errors={"from": "greater than to"})
    with bank.db.reading() as session:
        _require_signed(session, new)
        proof = ledger_store.consistency_proof(session, old, new)
    return {"from": old, "to": new, "proof": [_b64(h) for h in proof]}
