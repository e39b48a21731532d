"""How many PDFs a learner or an institution may have the bank render in a while.

A PDF is rendered afresh at every download, and issuing renders one to fingerprint it: 0.3 s for a certificate,
seconds for a long transcript, on a machine with two cores. Without a budget one signed-in learner or one API key
could keep the bank busy rendering. The count shares the sign-in throttle's machinery (a keyed row, reserved by one
conditional UPDATE before the work starts, so concurrent requests cannot all slip under the limit); unlike a failed
password, a render is never given back.
"""

from __future__ import annotations

from datetime import UTC, datetime

from creditbank.errors import RenderLimit
from creditbank.runtime import Bank
from creditbank.services import throttle

# Per 15-minute window (the throttle's); past it, renders pause for 15 minutes. A learner downloads a handful of
# documents; an institution's office or integration prints for many learners.
LIMITS = {"learner": 30, "institution": 600}


def spend(bank: Bank, payer: str, payer_id: str) -> None:
    """Count one render against ``payer`` ("learner" or "institution"); RenderLimit (429) once its budget is spent."""
    with bank.db.writing() as session:
        allowed = throttle.reserve(session, throttle.key(bank, f"render-{payer}", payer_id), LIMITS[payer], _now())
    if not allowed:
        minutes = int(throttle.LOCKOUT.total_seconds() // 60)
        raise RenderLimit(f"too many documents rendered for this {payer} just now; try again in {minutes} minutes")


def _now() -> datetime:
    return datetime.now(UTC)
