"""The bank's credential-signing keys: rotation and compromise."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.orm import Session

from creditbank.models import CredentialKey
from creditbank.projectors.applied import Applied


def rotated(session: Session, entries: Sequence[Applied]) -> None:
    for entry in entries:
        retired = entry.body.get("retires")
        if retired:
            old = session.get(CredentialKey, retired)
            if old is not None:
                old.retired_at = entry.time
        session.add(
            CredentialKey(
                id=entry.body["key"], public_key=entry.body["public_key"], active_from=entry.time, seq=entry.seq
            )
        )
    session.flush()


def compromised(session: Session, entries: Sequence[Applied]) -> None:
    for entry in entries:
        row = session.get(CredentialKey, entry.body["key"])
        if row is not None:
            row.compromised_at = entry.body["since"]
    session.flush()
