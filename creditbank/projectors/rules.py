"""Published frameworks and rule sets, and the outcome catalogue (proposed, then approved)."""

from __future__ import annotations

import json
from collections.abc import Sequence

from sqlalchemy.orm import Session

from creditbank.models import CatalogueOutcome, PublishedFramework, PublishedRuleSet
from creditbank.projectors.applied import Applied


def framework_published(session: Session, entries: Sequence[Applied]) -> None:
    for entry in entries:
        body = entry.body
        session.add(
            PublishedFramework(
                id=body["framework"],
                version=body["version"],
                hash=body["hash"],
                seq=entry.seq,
                document=json.dumps(body["document"], ensure_ascii=False, sort_keys=True),
            )
        )
    session.flush()


def rules_published(session: Session, entries: Sequence[Applied]) -> None:
    for entry in entries:
        body = entry.body
        session.add(
            PublishedRuleSet(
                version=body["rules"],
                framework=body["framework"],
                hash=body["hash"],
                seq=entry.seq,
                document=json.dumps(body["document"], ensure_ascii=False, sort_keys=True),
            )
        )
    session.flush()


def outcome_proposed(session: Session, entries: Sequence[Applied]) -> None:
    for entry in entries:
        body = entry.body
        session.add(
            CatalogueOutcome(
                code=body["outcome"],
                framework=body["document"]["framework"],
                status="proposed",
                proposed_seq=entry.seq,
                proposed_by=entry.actor,
                approved_seq=None,
                reviewer=None,
                document=json.dumps(body["document"], ensure_ascii=False, sort_keys=True),
            )
        )
    session.flush()


def outcome_approved(session: Session, entries: Sequence[Applied]) -> None:
    for entry in entries:
        held = session.get(CatalogueOutcome, entry.body["outcome"])
        assert held is not None
        held.status, held.approved_seq, held.reviewer = "approved", entry.seq, entry.body["reviewer"]
    session.flush()
