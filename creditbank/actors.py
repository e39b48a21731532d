"""Who an entry names as its writer: an institution or a bank role, and for a person at a desk, their pseudonym.

An API key writes as ``inst:<institution>``; a member of staff as ``inst:<institution>/staff:<pseudonym>`` or
``bank:<role>/staff:<pseudonym>``. The pseudonym is the staff account's random id, never a login or a name, so the
ledger shows which desk did what without personal data. Everything that asks "did this institution write it" reads
the institution through here, so a registrar's entry counts as the institution's.
"""

from __future__ import annotations

INSTITUTION = "inst:"
STAFF = "/staff:"


def institution_actor(institution_id: str, staff: str | None = None) -> str:
    return f"{INSTITUTION}{institution_id}{STAFF}{staff}" if staff else f"{INSTITUTION}{institution_id}"


def bank_actor(role: str, staff: str) -> str:
    return f"bank:{role}{STAFF}{staff}"


def institution_of(actor: str) -> str | None:
    """The institution an actor writes for, or None for the bank and its roles."""
    if not actor.startswith(INSTITUTION):
        return None
    return actor[len(INSTITUTION) :].split(STAFF, 1)[0] or None


def staff_of(actor: str) -> str | None:
    """The staff pseudonym an actor carries, or None when a key or the bank itself wrote."""
    return actor.split(STAFF, 1)[1] if STAFF in actor else None
