"""Words of the bank's pages: catalogue review, awards, institutions, staff, keys, rule sets."""

from __future__ import annotations

WORDS: dict[str, dict[str, str]] = {}
