"""Cursor pagination: an opaque cursor names the last row seen, so pages stay stable while rows are added."""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from typing import Any

from creditbank.errors import BadParameter

MAX_LIMIT = 200


@dataclass(frozen=True)
class Page:
    items: list[dict[str, Any]]
    next_cursor: str | None


def encode(position: int) -> str:
    return base64.urlsafe_b64encode(json.dumps([position]).encode()).decode().rstrip("=")


def decode(cursor: str | None) -> int:
    """The position after which the next page starts (-1 for the first page)."""
    if not cursor:
        return -1
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        (position,) = json.loads(raw)
    except (binascii.Error, ValueError, TypeError, UnicodeDecodeError):
        raise BadParameter("the cursor is not one this service issued", errors={"cursor": "invalid"}) from None
    if not isinstance(position, int) or isinstance(position, bool) or not -1 <= position < 2**63:
        raise BadParameter("the cursor is not one this service issued", errors={"cursor": "invalid"})
    return position


def check_limit(limit: int) -> int:
    if not 1 <= limit <= MAX_LIMIT:
        raise BadParameter(f"limit must be between 1 and {MAX_LIMIT}", errors={"limit": f"1-{MAX_LIMIT}"})
    return limit
