"""Recognition applications from their entries: applied, evidence verified, assigned, decided, appealed, appeal
decided, withdrawn, revoked. The row is the application's state; the credit lines come from ``credits.converted``."""

from __future__ import annotations

import json
from collections.abc import Sequence

from sqlalchemy.orm import Session

from creditbank.models import RecognitionApplication
from creditbank.projectors.applied import Applied


def _dumps(value: object) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def _row(session: Session, entry: Applied) -> RecognitionApplication:
    row = session.get(RecognitionApplication, entry.body["application"])
    assert row is not None, f"{entry.kind} #{entry.seq} names an application never applied for"
    row.last_seq = entry.seq
    return row


def applied(session: Session, entries: Sequence[Applied]) -> None:
    for entry in entries:
        body = entry.body
        session.add(
            RecognitionApplication(
                id=body["application"],
                learner_id=body["learner"],
                framework=body["framework"],
                qualification=body.get("qualification"),
                institution_id=body.get("institution"),
                applied_seq=entry.seq,
                applied_by=entry.actor,
                applied_at=entry.time,
                state="submitted",
                items=_dumps(body["items"]),
                last_seq=entry.seq,
            )
        )
    session.flush()


def evidence_verified(session: Session, entries: Sequence[Applied]) -> None:
    # What the check found is in the application's items already; the entry is the ledger's record of the check.
    for entry in entries:
        _row(session, entry)
    session.flush()


def assigned(session: Session, entries: Sequence[Applied]) -> None:
    for entry in entries:
        row = _row(session, entry)
        row.reviewer, row.assigned_seq, row.due = entry.body["reviewer"], entry.seq, entry.body["due"]
        if not entry.body.get("appeal"):
            row.state = "under_review"
    session.flush()


def decided(session: Session, entries: Sequence[Applied]) -> None:
    for entry in entries:
        row = _row(session, entry)
        body = entry.body
        row.state, row.decided_seq, row.decided_by = "decided", entry.seq, body["reviewer"]
        row.rules_version, row.appeal_until = body["rules"], body.get("appeal_until")
        row.decision = _dumps({key: body[key] for key in ("basis", "reviewer", "rules", "recognized", "refused")})
    session.flush()


def appealed(session: Session, entries: Sequence[Applied]) -> None:
    for entry in entries:
        row = _row(session, entry)
        row.state, row.appealed_seq, row.appeal_reason = "appealed", entry.seq, entry.body["reason"]
        # The appeal waits for its own reviewer; the first one's assignment is over.
        row.reviewer, row.assigned_seq, row.due = None, None, None
    session.flush()


def appeal_decided(session: Session, entries: Sequence[Applied]) -> None:
    for entry in entries:
        row = _row(session, entry)
        body = entry.body
        row.state, row.appeal_decided_seq, row.appeal_reviewer = "final", entry.seq, body["reviewer"]
        row.rules_version = body["rules"]
        row.appeal_decision = _dumps(
            {key: body[key] for key in ("basis", "reviewer", "rules", "recognized", "refused")}
        )
    session.flush()


def withdrawn(session: Session, entries: Sequence[Applied]) -> None:
    for entry in entries:
        row = _row(session, entry)
        if entry.body.get("appeal"):
            # Withdrawing an appeal leaves the first decision standing, and the one appeal spent.
            row.state, row.reviewer, row.assigned_seq, row.due = "decided", None, None, None
        else:
            row.state, row.closed_seq = "withdrawn", entry.seq
    session.flush()


def revoked(session: Session, entries: Sequence[Applied]) -> None:
    for entry in entries:
        row = _row(session, entry)
        row.state, row.closed_seq = "revoked", entry.seq
    session.flush()
