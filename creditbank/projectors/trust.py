"""The trust list: issuers added to it and removed from it."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.orm import Session

from creditbank.projectors.applied import Applied


def issuer_added(session: Session, entries: Sequence[Applied]) -> None:
    raise NotImplementedError


def issuer_removed(session: Session, entries: Sequence[Applied]) -> None:
    raise NotImplementedError
