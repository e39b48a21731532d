"""Words of the registrar's pages: learners, records, documents, imports."""

from __future__ import annotations

WORDS: dict[str, dict[str, str]] = {}
