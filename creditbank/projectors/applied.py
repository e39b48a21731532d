"""What a projector reads of an entry, and the shape of a projector."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session


@dataclass(frozen=True, slots=True)
class Applied:
    """An entry as projectors see it: its public fields and its body parsed from the canonical bytes."""

    seq: int
    kind: str
    time: str
    actor: str
    body: dict[str, Any]


# A projector takes a run of consecutive entries of one kind, so a batch becomes a few multi-row statements.
Projector = Callable[[Session, Sequence[Applied]], None]
