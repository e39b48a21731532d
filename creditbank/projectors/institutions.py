"""Institutions and the keys they sign submissions with."""

from __future__ import annotations

import base64
from collections.abc import Sequence

from sqlalchemy.orm import Session

from creditbank.models import Institution, InstitutionKey
from creditbank.projectors.applied import Applied


def registered(session: Session, entries: Sequence[Applied]) -> None:
    for entry in entries:
        body = entry.body
        unit = body.get("credit_unit") or {}
        session.add(
            Institution(
                id=body["institution"],
                type=body["type"],
                name_en=body["names"]["en"],
                name_zh=body["names"].get("zh"),
                parent_id=body.get("parent"),
                credit_unit=unit.get("name"),
                hours_per_unit=unit.get("hours"),
                status="active",
                registered_seq=entry.seq,
            )
        )
        # A branch registered in the same run must find its parent.
        session.flush()


def key_added(session: Session, entries: Sequence[Applied]) -> None:
    for entry in entries:
        session.add(
            InstitutionKey(
                id=entry.body["key"],
                institution_id=entry.body["institution"],
                public_key=base64.b64decode(entry.body["public_key"]),
                added_seq=entry.seq,
            )
        )
    session.flush()
