"""Mutual recognition agreements as published."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.orm import Session

from creditbank.projectors.applied import Applied


def published(session: Session, entries: Sequence[Applied]) -> None:
    raise NotImplementedError
