"""The catalogue proposals awaiting a reviewer's decision, as the console's queue shows them."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import select

from creditbank.models import CatalogueOutcome, LedgerEntry
from creditbank.runtime import Bank

# A queue longer than this is a backlog to be worked through oldest first, not a page to render at once.
QUEUE_LIMIT = 500


def review_queue(bank: Bank) -> list[dict[str, Any]]:
    """The proposals awaiting a decision, oldest first, each with when it was proposed (its entry's time)."""
    with bank.db.reading() as session:
        rows = session.execute(
            select(CatalogueOutcome, LedgerEntry.time)
            .join(LedgerEntry, LedgerEntry.seq == CatalogueOutcome.proposed_seq)
            .where(CatalogueOutcome.status == "proposed")
            .order_by(CatalogueOutcome.proposed_seq)
            .limit(QUEUE_LIMIT)
        ).all()
        return [
            {
                **json.loads(row.document),
                "proposed_seq": row.proposed_seq,
                "proposed_by": row.proposed_by,
                "proposed_time": time,
                "rejected_seq": row.rejected_seq,
                "reason": row.reason,
            }
            for row, time in rows
        ]
