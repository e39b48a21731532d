"""What an institution (or the bank) has written to the ledger, newest first: the console's activity page.

The ledger keeps no index on the actor (every append would pay for one), so a page looks at a bounded stretch of
seqs below a starting point and lists what in it the reader wrote; the next page starts below that stretch. A
request therefore costs at most WINDOW rows however long the ledger and however rare the reader's entries.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, or_, select

from creditbank import actors
from creditbank.models import LedgerEntry
from creditbank.runtime import Bank
from creditbank.services.staff.members import StaffMember

WINDOW = 20_000
LIMIT = 200


@dataclass(frozen=True)
class Act:
    seq: int
    kind: str
    time: str
    actor: str
    staff: str | None


@dataclass(frozen=True)
class ActivityPage:
    acts: list[Act]
    # Where the next, older page starts (exclusive), or None when this page reached the first entry.
    older: int | None


def acts(bank: Bank, member: StaffMember, below: int | None = None) -> ActivityPage:
    """Entries written by the member's institution (any key or desk), or by the bank when they are bank staff."""
    if member.institution_id is not None:
        own = actors.institution_actor(member.institution_id)
        written = or_(LedgerEntry.actor == own, LedgerEntry.actor.startswith(own + actors.STAFF, autoescape=True))
    else:
        written = or_(LedgerEntry.actor == "bank", LedgerEntry.actor.startswith("bank:", autoescape=True))
    with bank.db.reading() as session:
        top = session.scalar(select(func.max(LedgerEntry.seq)))
        if top is None:
            return ActivityPage([], None)
        start = top + 1 if below is None else max(0, min(below, top + 1))
        floor = max(0, start - WINDOW)
        rows = session.execute(
            select(LedgerEntry.seq, LedgerEntry.kind, LedgerEntry.time, LedgerEntry.actor)
            .where(LedgerEntry.seq < start, LedgerEntry.seq >= floor, written)
            .order_by(LedgerEntry.seq.desc())
            .limit(LIMIT)
        ).all()
    found = [Act(seq, kind, time, actor, actors.staff_of(actor)) for seq, kind, time, actor in rows]
    if len(found) == LIMIT:
        return ActivityPage(found, found[-1].seq)
    return ActivityPage(found, floor if floor > 0 else None)
