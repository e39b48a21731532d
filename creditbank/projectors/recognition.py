"""Recognition applications: applied, evidence verified, assigned, decided, appealed, appeal decided, withdrawn,
revoked."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.orm import Session

from creditbank.projectors.applied import Applied


def applied(session: Session, entries: Sequence[Applied]) -> None:
    raise NotImplementedError


evidence_verified = assigned = decided = appealed = appeal_decided = withdrawn = revoked = applied
