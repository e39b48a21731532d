"""Not keeping uploaded files longer than needed: expiry after a day, and discarding them when a learner is erased.

An uploaded file holds personal data of people who may not be learners of the bank yet, so it cannot be searched
for one person without opening every file. Erasure therefore discards every upload still waiting (validating,
ready, or claimed for writing, across institutions): erasures are rare and uploads short-lived, and the registrar
only uploads again. The pseudonym of an erased learner is also taken out of the imports' lists of enrolled
learners.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from creditbank.models import SpreadsheetImport
from creditbank.services.imports import store
from creditbank.services.imports.views import RowProblem, problems_text

# Long enough to finish a preview the next morning; an import still writing after a day was cut off by a crash
# (its transaction rolled back), so it goes too.
UNFINISHED_LIFETIME = timedelta(days=1)
# "writing" too: a commit claimed but not yet holding the sequencer finds its import gone and writes nothing.
_WAITING = ("validating", "ready", "writing")


def _expire_rows(session: Session, rows: list[SpreadsheetImport], code: str) -> int:
    notice = problems_text([RowProblem(0, "", "", code, {})])
    gone = 0
    for row in rows:
        if store.move(session, row.id, "expired", expected=(row.state,), notices=notice):
            gone += 1
        store.forget_parsed(row.file_sha256)
    return gone


def expire(session: Session, now: datetime) -> int:
    """Expire imports left unfinished longer than ``UNFINISHED_LIFETIME``; how many went."""
    rows = list(
        session.scalars(
            select(SpreadsheetImport).where(
                SpreadsheetImport.state.in_(store.KEEPS_FILE),
                SpreadsheetImport.updated_at < now - UNFINISHED_LIFETIME,
            )
        )
    )
    return _expire_rows(session, rows, "import_expired")


def forget_learner(session: Session, learner_id: str) -> None:
    """Erasure's part here: no waiting upload survives it, and the pseudonym leaves the imports' lists."""
    waiting = list(session.scalars(select(SpreadsheetImport).where(SpreadsheetImport.state.in_(_WAITING))))
    _expire_rows(session, waiting, "import_discarded")
    store.forget_every_parse()
    listing = session.scalars(select(SpreadsheetImport).where(SpreadsheetImport.created_learners.contains(learner_id)))
    for row in listing:
        row.created_learners = json.dumps([id_ for id_ in json.loads(row.created_learners) if id_ != learner_id])
        row.letter_learners = json.dumps([id_ for id_ in json.loads(row.letter_learners) if id_ != learner_id])
