"""The one write verb of the use cases: append entries to the ledger and project them, in the caller's transaction.

Each body is parsed back from its canonical bytes once, here, and that parsed body is what the projectors see and
what the caller gets: replay parses the stored bytes the same way, so the live projection and the rebuilt one read
the same values (JCS writes ``3.0`` as ``3``, and a tuple comes back a list).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from creditbank import ledger_store, projections
from creditbank.ledger_store import NewEntry
from creditbank.projectors import Applied
from ledger.sealing import Sealed

__all__ = ["NewEntry", "Recorded", "parsed", "record"]


@dataclass(frozen=True, slots=True)
class Recorded(Applied):
    """An entry as recorded: what projectors read (seq, kind, time, actor, parsed body), with the salt and the
    canonical body bytes the commitment is over."""

    salt: bytes
    raw: bytes


def parsed(sealed: Sequence[Sealed]) -> list[Recorded]:
    return [
        Recorded(s.entry.seq, s.entry.kind, s.entry.time, s.entry.actor, json.loads(s.body), s.salt, s.body)
        for s in sealed
    ]


def record(session: Session, items: Sequence[NewEntry], *, now: datetime | None = None) -> list[Recorded]:
    """Append ``items`` with contiguous seqs, project them, and hand them back parsed."""
    recorded = parsed(ledger_store.append(session, items, now=now))
    projections.project(session, recorded)
    return recorded
