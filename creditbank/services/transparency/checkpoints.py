"""Signing checkpoints. A new one is signed only after it is proven consistent with the last."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from creditbank import ledger_store
from creditbank.errors import LedgerIntegrityError, NotFound
from creditbank.models import LedgerCheckpoint
from creditbank.runtime import Bank
from ledger.merkle import verify_consistency
from ledger.note import Checkpoint, sign_note

log = logging.getLogger(__name__)


def latest_in(session: Session) -> LedgerCheckpoint | None:
    return session.scalars(select(LedgerCheckpoint).order_by(LedgerCheckpoint.size.desc()).limit(1)).first()


def sign(bank: Bank) -> LedgerCheckpoint | None:
    """Sign a checkpoint of the current tree if it grew since the last one (or none exists yet)."""
    signer = bank.log_signer()
    with bank.db.writing() as session:
        ledger_store.lock(session, ledger_store.CHECKPOINT_LOCK)
        previous = latest_in(session)
        size = ledger_store.tree_size(session)
        if previous is not None and previous.size == size:
            return None
        if previous is not None and previous.size > size:
            raise LedgerIntegrityError(
                f"the ledger holds {size} entries but checkpoint {previous.size} was signed; refusing to sign"
            )
        root = ledger_store.root_at(session, size)
        if previous is not None and previous.size > 0:
            proof = ledger_store.consistency_proof(session, previous.size, size)
            if not verify_consistency(previous.size, size, previous.root, root, proof):
                log.critical("ledger fork: tree %d is not consistent with checkpoint %d", size, previous.size)
                raise LedgerIntegrityError(
                    f"tree of size {size} is not consistent with signed checkpoint {previous.size}; refusing to sign"
                )
        note = sign_note(Checkpoint(bank.origin, size, root).text(), [signer])
        checkpoint = LedgerCheckpoint(size=size, root=root, note=str(note), signed_at=datetime.now(UTC))
        session.add(checkpoint)
        return checkpoint


def latest(bank: Bank) -> LedgerCheckpoint:
    with bank.db.reading() as session:
        checkpoint = latest_in(session)
    if checkpoint is None:
        raise NotFound("no checkpoint has been signed yet")
    return checkpoint


def all_checkpoints(session: Session) -> list[LedgerCheckpoint]:
    return list(session.scalars(select(LedgerCheckpoint).order_by(LedgerCheckpoint.size)))
