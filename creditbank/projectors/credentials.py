"""Issued credentials and their status (revoked, suspended or reinstated)."""

from __future__ import annotations

import json
from collections.abc import Sequence

from sqlalchemy.orm import Session

from creditbank.actors import institution_of
from creditbank.models import Credential
from creditbank.projectors.applied import Applied


def issued(session: Session, entries: Sequence[Applied]) -> None:
    for entry in entries:
        body = entry.body
        session.add(
            Credential(
                id=body["credential_id"],
                learner_id=body["learner"],
                kind=body["kind"],
                subject=body.get("subject"),
                institution_id=institution_of(entry.actor),
                issued_seq=entry.seq,
                issued_at=entry.time,
                hash=body["credential_hash"],
                key_id=body["key"],
                status_list=body["status_list"],
                status_index=body["status_index"],
                sources=json.dumps(body["sources"]),
                suspended=False,
            )
        )
    session.flush()


def revoked(session: Session, entries: Sequence[Applied]) -> None:
    for entry in entries:
        row = session.get(Credential, entry.body["credential_id"])
        if row is not None:
            row.revoked_seq = entry.seq
            row.status_seq = entry.seq
    session.flush()


def suspended(session: Session, entries: Sequence[Applied]) -> None:
    for entry in entries:
        row = session.get(Credential, entry.body["credential_id"])
        if row is not None:
            row.suspended = bool(entry.body.get("suspended"))
            row.status_seq = entry.seq
    session.flush()
