"""Liveness and readiness, as a load balancer or an orchestrator asks for them."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import text

from creditbank import ledger_store, migrate
from creditbank.errors import DATABASE_ERRORS
from creditbank.runtime import Bank
from creditbank.services.transparency import checkpoints, findings

MAX_CHECKPOINT_AGE = 5.0  # seconds a grown tree may go without a signed checkpoint


def readiness(bank: Bank, now: datetime | None = None) -> dict[str, Any]:
    """Each check with its state; ready only if all pass. Never raises: a broken database is an answer too."""
    moment = now or datetime.now(UTC)
    checks: dict[str, dict[str, Any]] = {}
    try:
        with bank.db.reading() as session:
            session.execute(text("SELECT 1"))
            size = ledger_store.tree_size(session)
            latest = checkpoints.latest_in(session)
        checks["database"] = {"ok": True}
    except DATABASE_ERRORS as exc:
        checks["database"] = {"ok": False, "detail": f"unreachable: {exc.__class__.__name__}"}
        return {"ready": False, "checks": checks}
    try:
        current = migrate.is_current(bank.db.engine)
    except DATABASE_ERRORS:
        current = False
    checks["migrations"] = {"ok": current, **({} if current else {"detail": "run `creditbank db upgrade`"})}
    if latest is None:
        checks["checkpoint"] = {"ok": size == 0, "detail": "no checkpoint signed yet", "tree_size": size}
    else:
        age = (moment - latest.signed_at).total_seconds()
        # An idle log needs no new checkpoint; a grown one must have been signed recently.
        fresh = latest.size == size or age <= MAX_CHECKPOINT_AGE
        checks["checkpoint"] = {
            "ok": fresh,
            "tree_size": size,
            "signed_size": latest.size,
            "age_seconds": round(age, 3),
        }
    checks.update(_ledger_checks(bank))
    return {"ready": all(check["ok"] for check in checks.values()), "checks": checks}


def _ledger_checks(bank: Bank) -> dict[str, dict[str, Any]]:
    """What the scheduler's audit and monitor last found: damage they found keeps the bank from being ready."""
    try:
        found = findings.current(bank)
    except DATABASE_ERRORS as exc:
        # A schema from before the findings table (the migrations check says so too) or a failing read.
        detail = f"the last audit and monitor results cannot be read: {exc.__class__.__name__}"
        return {name: {"ok": False, "detail": detail} for name in (findings.AUDIT, findings.MONITOR)}
    checks: dict[str, dict[str, Any]] = {}
    for name, never in ((findings.AUDIT, "no full audit recorded yet"), (findings.MONITOR, "no damage seen")):
        finding = found.get(name)
        if finding is None:
            checks[name] = {"ok": True, "detail": never}
        else:
            checked = datetime.fromtimestamp(finding.checked_at, UTC).isoformat(timespec="seconds")
            checks[name] = {"ok": finding.ok, "detail": finding.detail, "checked_at": checked}
    return checks
