"""The outcome catalogue (成果名录): recognized learning outcomes with a level, a credit value and a category."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from creditbank.credits.documents import CATEGORY, CODE, SLUG, Reader, as_number
from creditbank.credits.frameworks import MAX_CREDITS, Bilingual, Framework

_FIELDS = {"code", "framework", "level", "credits", "category", "name", "description"}


@dataclass(frozen=True)
class LearningOutcome:
    code: str
    framework: str
    level: int
    credits: Decimal
    category: str
    name: Bilingual
    description: Bilingual

    def document(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "framework": self.framework,
            "level": self.level,
            "credits": as_number(self.credits),
            "category": self.category,
            "name": self.name,
            "description": self.description,
        }


def read_outcome(r: Reader, item: Any, place: str, frameworks: dict[str, Framework]) -> LearningOutcome | None:
    if not isinstance(item, dict):
        r.fault(place, "must be a table")
        return None
    r.unknown(item, _FIELDS, place)
    faults = len(r.faults)

    def at(name: str) -> str:
        return f"{place}.{name}" if place else name

    code = r.text(item, "code", at("code"), pattern=CODE)
    framework_id = r.text(item, "framework", at("framework"), pattern=SLUG)
    level = r.number(item, "level", at("level"), integer=True, maximum=Decimal(20))
    credits = r.number(item, "credits", at("credits"), maximum=MAX_CREDITS)
    category = r.text(item, "category", at("category"), pattern=CATEGORY)
    name = r.bilingual(item, "name", at("name"))
    description = r.bilingual(item, "description", at("description"))
    framework = frameworks.get(framework_id or "")
    if framework_id is not None and framework is None:
        r.fault(at("framework"), f"no published framework {framework_id!r}")
    if framework is not None:
        if level is not None and int(level) not in framework.levels:
            r.fault(at("level"), f"level {level} is not one of {framework.id}'s levels")
        if category is not None and category not in framework.categories:
            r.fault(at("category"), f"{category!r} is not one of {framework.id}'s categories")
    if len(r.faults) > faults or None in (code, framework_id, level, credits, category, name, description):
        return None
    assert code
    assert framework_id
    assert category
    assert name
    assert description
    assert level is not None
    assert credits is not None
    return LearningOutcome(code, framework_id, int(level), credits, category, name, description)


def read_catalogue(document: dict[str, Any], source: str, frameworks: dict[str, Framework]) -> list[LearningOutcome]:
    """Every outcome of a catalogue file, or a DocumentError naming each faulty place."""
    r = Reader(source)
    r.unknown(document, {"outcomes"}, "")
    outcomes: list[LearningOutcome] = []
    seen: set[str] = set()
    for place, item in r.tables(document, "outcomes", "outcomes"):
        outcome = read_outcome(r, item, place, frameworks)
        if outcome is not None:
            if outcome.code in seen:
                r.fault(f"{place}.code", f"duplicate outcome {outcome.code}")
            seen.add(outcome.code)
            outcomes.append(outcome)
    r.finish()
    return outcomes
