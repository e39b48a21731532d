"""Projections: tables derived from ledger entries, and the replay that rebuilds them.

A use case appends entries and applies them here in the same transaction; ``replay`` applies
the whole ledger again to empty tables. Both paths run the same projector functions, which is
what lets a test prove the rebuilt state identical. Projectors take runs of consecutive entries
of one kind, so a batch of a thousand achievements becomes a few multi-row inserts.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Table, delete, select
from sqlalchemy.orm import Session

from creditbank.models import (
    Achievement,
    AchievementVersion,
    CatalogueOutcome,
    ConsentGrant,
    Credential,
    CredentialKey,
    CreditLine,
    Enrollment,
    Institution,
    InstitutionKey,
    Learner,
    LedgerBody,
    LedgerEntry,
    PublishedFramework,
    PublishedRuleSet,
    QualificationAward,
    Redemption,
)
from ledger.sealing import Sealed


@dataclass(frozen=True, slots=True)
class Applied:
    seq: int
    kind: str
    time: str
    actor: str
    body: dict[str, Any]


Projector = Callable[[Session, Sequence[Applied]], None]
PROJECTORS: dict[str, Projector] = {}

# Children before parents, the order rows must be cleared in.
PROJECTION_TABLES: list[Table] = [
    ConsentGrant.__table__,  # type: ignore[list-item]
    Credential.__table__,  # type: ignore[list-item]
    CredentialKey.__table__,  # type: ignore[list-item]
    QualificationAward.__table__,  # type: ignore[list-item]
    Redemption.__table__,  # type: ignore[list-item]
    CreditLine.__table__,  # type: ignore[list-item]
    CatalogueOutcome.__table__,  # type: ignore[list-item]
    PublishedRuleSet.__table__,  # type: ignore[list-item]
    PublishedFramework.__table__,  # type: ignore[list-item]
    AchievementVersion.__table__,  # type: ignore[list-item]
    Achievement.__table__,  # type: ignore[list-item]
    Enrollment.__table__,  # type: ignore[list-item]
    Learner.__table__,  # type: ignore[list-item]
    InstitutionKey.__table__,  # type: ignore[list-item]
    Institution.__table__,  # type: ignore[list-item]
]


def projector(kind: str) -> Callable[[Projector], Projector]:
    def register(function: Projector) -> Projector:
        if kind in PROJECTORS:
            raise RuntimeError(f"two projectors for {kind}")
        PROJECTORS[kind] = function
        return function

    return register


def project(session: Session, entries: Iterable[Applied]) -> None:
    """Project entries the caller has just appended in this transaction, or replays."""
    for kind, run in itertools.groupby(entries, key=lambda applied: applied.kind):
        function = PROJECTORS.get(kind)
        if function is not None:
            function(session, list(run))


def apply(session: Session, appended: Sequence[Sealed]) -> None:
    """Project entries appended with ``ledger_store.append``; use cases record through ``recording.record``."""
    project(
        session,
        (Applied(s.entry.seq, s.entry.kind, s.entry.time, s.entry.actor, json.loads(s.body)) for s in appended),
    )


def load_projectors() -> None:
    # The projectors live beside their use cases; importing them registers them.
    import creditbank.services.achievements
    import creditbank.services.consent
    import creditbank.services.credential_keys
    import creditbank.services.credentials
    import creditbank.services.credit_rules
    import creditbank.services.credits
    import creditbank.services.institutions
    import creditbank.services.learners
    import creditbank.services.signing_keys  # noqa: F401


def replay(session: Session, *, batch: int = 5000) -> int:
    """Clear every projection and apply the ledger from seq 0. Returns the entries applied."""
    load_projectors()
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
