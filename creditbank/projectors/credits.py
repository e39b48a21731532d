"""Credit lines (conversions and their reversals), redemptions, and the qualifications they were redeemed for."""

from __future__ import annotations

import json
from collections.abc import Sequence

from sqlalchemy import Table, insert, select, update
from sqlalchemy.orm import Session

from creditbank.credits import statement
from creditbank.models import CreditLine, QualificationAward, Redemption
from creditbank.projectors.applied import Applied

_LINES: Table = CreditLine.__table__  # type: ignore[assignment]
_REDEMPTIONS: Table = Redemption.__table__  # type: ignore[assignment]


def converted(session: Session, entries: Sequence[Applied]) -> None:
    rows, reversals = [], []
    for entry in entries:
        body = entry.body
        rows.append(
            {
                "seq": entry.seq,
                "learner_id": body["learner"],
                "achievement_id": body.get("achievement"),
                "source_seq": body["source_seq"],
                "institution_id": body["institution"],
                "framework": body["framework"],
                "rules_version": body["rules"],
                "level": body["level"],
                "category": body["category"],
                "source": body["source"],
                "outcome": body.get("outcome"),
                "cents": statement.to_cents(body["credits"]),
                "consumed_cents": 0,
                "reverses": body.get("reverses"),
                "reversed_seq": None,
                "time": entry.time,
                "explanation": json.dumps(body["explanation"], ensure_ascii=False),
                "application_id": body.get("application"),
                "learning": body.get("learning"),
            }
        )
        if body.get("reverses") is not None:
            reversals.append((body["reverses"], entry.seq))
    session.execute(insert(_LINES), rows)
    for reversed_, by in reversals:
        session.execute(update(_LINES).where(_LINES.c.seq == reversed_).values(reversed_seq=by))


def redeemed(session: Session, entries: Sequence[Applied]) -> None:
    for entry in entries:
        for used in entry.body["lines"]:
            amount = statement.to_cents(used["credits"])
            session.execute(
                insert(_REDEMPTIONS).values(
                    redeemed_seq=entry.seq,
                    line_seq=used["conversion"],
                    learner_id=entry.body["learner"],
                    award_id=entry.body["award"],
                    cents=amount,
                )
            )
            session.execute(
                update(_LINES)
                .where(_LINES.c.seq == used["conversion"])
                .values(consumed_cents=_LINES.c.consumed_cents + amount)
            )


def awarded(session: Session, entries: Sequence[Applied]) -> None:
    for entry in entries:
        body = entry.body
        redeemed_seq = session.scalar(
            select(_REDEMPTIONS.c.redeemed_seq).where(_REDEMPTIONS.c.award_id == body["award"]).limit(1)
        )
        session.add(
            QualificationAward(
                id=body["award"],
                learner_id=body["learner"],
                qualification=body["qualification"],
                framework=body["framework"],
                rules_version=body["rules"],
                redeemed_seq=redeemed_seq if redeemed_seq is not None else entry.seq,
                awarded_seq=entry.seq,
                awarded_by=entry.actor,
                time=entry.time,
                cents=statement.to_cents(body["credits"]),
            )
        )
    session.flush()
