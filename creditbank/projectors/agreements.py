"""Mutual recognition agreements as published, and their terms indexed by the course they recognize."""

from __future__ import annotations

import json
from collections.abc import Sequence

from sqlalchemy.orm import Session

from creditbank.credits import statement
from creditbank.models import AgreementTerm, CatalogueOutcome, PublishedAgreement
from creditbank.projectors.applied import Applied


def published(session: Session, entries: Sequence[Applied]) -> None:
    for entry in entries:
        body = entry.body
        document = body["document"]
        session.add(
            PublishedAgreement(
                id=body["agreement"],
                version=body["version"],
                hash=body["hash"],
                seq=entry.seq,
                actor=entry.actor,
                recognizing=document["recognizing"],
                parties=json.dumps(document["parties"]),
                document=json.dumps(document, ensure_ascii=False, sort_keys=True),
            )
        )
        for number, term in enumerate(document["terms"]):
            institution, code = term["from"].split(":", 1)
            # Approved before the agreement was published (it was checked then), so replay has it by now too.
            outcome = session.get(CatalogueOutcome, term["outcome"])
            assert outcome is not None
            session.add(
                AgreementTerm(
                    agreement=body["agreement"],
                    version=body["version"],
                    number=number,
                    from_institution=institution,
                    from_code=code,
                    outcome=term["outcome"],
                    framework=outcome.framework,
                    cents=statement.to_cents(term["credits"]),
                    completed_from=term["completed_from"],
                    completed_until=term["completed_until"],
                )
            )
    session.flush()
