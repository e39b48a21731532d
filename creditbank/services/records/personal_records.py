"""Opening a learner's sealed personal record: the one place it is decrypted, for the services that need it.

The record (identity, its salts, each institution's submission) is sealed with the learner's own data key, wrapped
by the bank's master key (``creditbank.personal_data``); erasure destroys both, after which these answer None.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from creditbank.models import LearnerPersonalData
from creditbank.personal_data import Sealed
from creditbank.runtime import Bank


def personal_of(bank: Bank, session: Session, learner_id: str) -> dict[str, Any] | None:
    """The learner's whole sealed record (identity, salts, other submissions), or None once erased."""
    stored = session.get(LearnerPersonalData, learner_id)
    if stored is None:
        return None
    return bank.vault().open(learner_id, Sealed(stored.wrapped_key, stored.sealed))


def identity_of(bank: Bank, session: Session, learner_id: str) -> dict[str, Any] | None:
    """The learner's decrypted identity (names, birth date, ID, e-mail), or None once it has been erased."""
    personal = personal_of(bank, session, learner_id)
    return None if personal is None else personal["identity"]
