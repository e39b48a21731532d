"""What the scheduler's ledger checks last found, kept where every web worker can read it for ``/ready``.

Two checks report here: ``audit`` (the full audit, daily in the scheduler and on demand with
``creditbank ledger audit``) and ``monitor`` (each new checkpoint against the last one seen). A monitor
failure stays recorded until a full audit passes: the monitor only knows that something changed behind
its back, and only the audit re-derives everything to say the ledger is whole again.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from sqlalchemy import delete, insert, select

from creditbank.models import OperationsFinding
from creditbank.runtime import Bank

AUDIT = "audit"
MONITOR = "monitor"
_DETAIL = 2000

# Backups leave these rows out (they describe this deployment's checks, not the bank): see SKIPPED_TABLES.
findings = OperationsFinding.__table__


@dataclass(frozen=True)
class Finding:
    name: str
    ok: bool
    detail: str
    checked_at: float


def record(bank: Bank, name: str, ok: bool, detail: str) -> None:
    """Replace the last result of check ``name``; a passing audit also clears a monitor failure."""
    rows = [{"name": name, "ok": ok, "detail": detail[:_DETAIL], "checked_at": time.time()}]
    if name == AUDIT and ok:
        rows.append({**rows[0], "name": MONITOR, "detail": f"cleared by a passing audit ({detail})"[:_DETAIL]})
    with bank.db.writing() as session:
        session.execute(delete(findings).where(findings.c.name.in_([row["name"] for row in rows])))
        session.execute(insert(findings), rows)


def current(bank: Bank) -> dict[str, Finding]:
    with bank.db.reading() as session:
        rows = session.execute(select(findings)).all()
    return {row.name: Finding(row.name, bool(row.ok), row.detail, row.checked_at) for row in rows}
