"""Applying entries to the projections, and the replay that rebuilds them, over the table in ``projectors``.

A use case records entries (``recording.record``) and they are projected here in the same transaction; ``replay``
applies the whole ledger again to empty tables. Both paths run the same projector functions, which is what lets a
test prove the rebuilt state identical.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterable

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from creditbank.models import LedgerBody, LedgerEntry
from creditbank.projectors import PROJECTION_TABLES, PROJECTORS, Applied

__all__ = ["PROJECTION_TABLES", "Applied", "project", "replay"]


def project(session: Session, entries: Iterable[Applied]) -> None:
    """Run each run of consecutive entries of one kind through its projector; kinds without one are skipped."""
    for kind, run in itertools.groupby(entries, key=lambda applied: applied.kind):
        function = PROJECTORS.get(kind)
        if function is not None:
            function(session, list(run))


def replay(session: Session, *, batch: int = 5000) -> int:
    """Clear every projection and apply the ledger from seq 0. Returns the entries applied."""
    if session.get_bind().dialect.name == "sqlite":
        session.connection().exec_driver_sql("PRAGMA defer_foreign_keys=ON")
    for table in PROJECTION_TABLES:
        session.execute(delete(table))
    applied, last = 0, -1
    while True:
        rows = session.execute(
            select(LedgerEntry.seq, LedgerEntry.kind, LedgerEntry.time, LedgerEntry.actor, LedgerBody.body)
            .join(LedgerBody, LedgerBody.seq == LedgerEntry.seq)
            .where(LedgerEntry.seq > last)
            .order_by(LedgerEntry.seq)
            .limit(batch)
        ).all()
        if not rows:
            return applied
        project(session, (Applied(seq, kind, time, actor, json.loads(body)) for seq, kind, time, actor, body in rows))
        applied += len(rows)
        last = rows[-1][0]
        session.flush()
