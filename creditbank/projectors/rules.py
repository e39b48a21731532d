"""Published frameworks and rule sets, and the outcome catalogue (proposed, then approved or rejected)."""

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
        document = json.dumps(body["document"], ensure_ascii=False, sort_keys=True)
        held = session.get(CatalogueOutcome, body["outcome"])
        if held is None:
            held = CatalogueOutcome(code=body["outcome"], rejected_seq=None, reason=None)
            session.add(held)
        # A code proposed again (only after a rejection) starts a new review; the last rejection stays on the row.
        held.framework = body["document"]["framework"]
        held.status, held.proposed_seq, held.proposed_by = "proposed", entry.seq, entry.actor
        held.approved_seq, held.reviewer, held.document = None, None, document
    session.flush()


def outcome_approved(session: Session, entries: Sequence[Applied]) -> None:
    for entry in entries:
        held = session.get(CatalogueOutcome, entry.body["outcome"])
        assert held is not None
        held.status, held.approved_seq, held.reviewer = "approved", entry.seq, entry.body["reviewer"]
    session.flush()


def outcome_rejected(session: Session, entries: Sequence[Applied]) -> None:
    for entry in entries:
        held = session.get(CatalogueOutcome, entry.body["outcome"])
        assert held is not None
        held.status, held.rejected_seq, held.reason = "rejected", entry.seq, entry.body["reason"]
        # The body names no one; who refused it is the entry's actor.
        held.reviewer = entry.actor
    session.flush()
