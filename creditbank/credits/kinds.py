"""The kinds of achievement an institution may record: one list for the record schema, the database model and
the rule sets that give a kind its level or category."""

from __future__ import annotations

ACHIEVEMENT_KINDS = (
    "course",
    "module",
    "micro_credential",
    "certificate",
    "diploma",
    "degree",
    "non_formal",
    "prior_learning",
)
