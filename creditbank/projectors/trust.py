"""The trust list: issuers added to it and removed from it."""

from __future__ import annotations

import json
from collections.abc import Sequence

from sqlalchemy.orm import Session

from creditbank.models import TrustedIssuer
from creditbank.projectors.applied import Applied


def issuer_added(session: Session, entries: Sequence[Applied]) -> None:
    for entry in entries:
        body = entry.body
        # Adding a listed DID again is its new version: the row follows the latest entry.
        row = session.get(TrustedIssuer, body["did"])
        if row is None:
            row = TrustedIssuer(did=body["did"])
            session.add(row)
        row.name = body["name"]
        row.valid_from = body["valid_from"]
        row.valid_until = body["valid_until"]
        row.mappings = json.dumps(body["mappings"], ensure_ascii=False, sort_keys=True)
        row.seq = entry.seq
        row.added_at = entry.time
        # The unique seq and the next entry's lookup both need this version in the database now.
        session.flush()


def issuer_removed(session: Session, entries: Sequence[Applied]) -> None:
    for entry in entries:
        row = session.get(TrustedIssuer, entry.body["did"])
        if row is not None:
            session.delete(row)
            session.flush()
