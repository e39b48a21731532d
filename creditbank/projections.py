"""Projections: tables derived from ledger entries, and the replay that rebuilds them.

A use case appends entries and applies them here in the same transaction; ``replay`` applies
the whole ledger again to empty tables. Both paths run the same projector functions, which is
what lets a test prove the rebuilt state identical.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from sqlalchemy import Table, delete, select
from sqlalchemy.orm import Session

from creditbank.ledger_store import Recorded
from creditbank.models import Institution, LedgerBody, LedgerEntry

Projector = Callable[[Session, int, str, dict[str, Any]], None]
PROJECTORS: dict[str, Projector] = {}

# Children before parents, the order rows must be cleared in.
PROJECTION_TABLES: list[Table] = [Institution.__table__]  # type: ignore[list-item]


def projector(kind: str) -> Callable[[Projector], Projector]:
    def register(function: Projector) -> Projector:
        if kind in PROJECTORS:
            raise RuntimeError(f"two projectors for {kind}")
        PROJECTORS[kind] = function
        return function

    return register


def apply(session: Session, recorded: Recorded) -> None:
    function = PROJECTORS.get(recorded.entry.kind)
    if function is not None:
        function(session, recorded.seq, recorded.entry.actor, json.loads(recorded.body))


def replay(session: Session, *, batch: int = 5000) -> int:
    """Clear every projection and apply the ledger from seq 0. Returns the entries applied."""
    # The projectors live beside their use cases; importing them registers them.
    import creditbank.services.institutions  # noqa: F401

    if session.get_bind().dialect.name == "sqlite":
        session.connection().exec_driver_sql("PRAGMA defer_foreign_keys=ON")
    for table in PROJECTION_TABLES:
        session.execute(delete(table))
    applied, last = 0, -1
    while True:
        rows = session.execute(
            select(LedgerEntry.seq, LedgerEntry.kind, LedgerEntry.actor, LedgerBody.body)
            .join(LedgerBody, LedgerBody.seq == LedgerEntry.seq)
            .where(LedgerEntry.seq > last)
            .order_by(LedgerEntry.seq)
            .limit(batch)
        ).all()
        if not rows:
            return applied
        for seq, kind, actor, body in rows:
            function = PROJECTORS.get(kind)
            if function is not None:
                function(session, seq, actor, json.loads(body))
            applied += 1
            last = seq
        session.flush()
