"""Small, self-contained credit documents for the pure unit tests: a framework, a catalogue and a rule set.

Every builder returns a fresh deep copy, so a test may mutate what it gets without touching another test.
"""

from __future__ import annotations

import copy
from datetime import date
from decimal import Decimal
from typing import Any

from creditbank.credits import catalogue, frameworks, rules
from creditbank.credits.catalogue import LearningOutcome
from creditbank.credits.conversion import Conversion, Source
from creditbank.credits.frameworks import Framework
from creditbank.credits.rules import RuleSet

AS_OF = date(2026, 11, 22)
INSTITUTIONS = {"uni-a", "uni-b", "mooc-x", "senior-c", "open-u"}
TYPES = {
    "uni-a": "university",
    "uni-b": "university",
    "mooc-x": "mooc_platform",
    "senior-c": "senior_college",
    "open-u": "university",
}


def bilingual(zh: str, en: str) -> dict[str, str]:
    return {"zh": zh, "en": en}


def level(number: int) -> dict[str, Any]:
    return {
        "number": number,
        "name": bilingual(f"第{number}级", f"Level {number}"),
        "knowledge": bilingual("知识", "knowledge"),
        "skills": bilingual("技能", "skills"),
        "competence": bilingual("能力", "competence"),
    }


_FRAMEWORK: dict[str, Any] = {
    "id": "unit-fw",
    "version": "2026.1",
    "example": True,
    "name": bilingual("单元测试框架", "Unit framework"),
    "description": bilingual("仅供单元测试。", "For unit tests only."),
    "credit_unit": {"name": bilingual("学分", "credit"), "hours_per_credit": 10, "hours_per_credit_max": 12},
    "categories": [
        {"id": "general", "name": bilingual("通识", "General")},
        {"id": "professional", "name": bilingual("专业", "Professional")},
        {"id": "digital_literacy", "name": bilingual("数字素养", "Digital literacy")},
        {"id": "culture_arts", "name": bilingual("文化艺术", "Culture and arts")},
    ],
    "levels": [level(n) for n in range(1, 6)],
    "qualifications": [
        {
            "id": "cert",
            "name": bilingual("证书", "Certificate"),
            "level": 3,
            "total": 10,
            "per_category": {"digital_literacy": 2},
            "required_outcomes": ["DL-1"],
        },
        {
            "id": "diploma",
            "name": bilingual("文凭", "Diploma"),
            "level": 4,
            "total": 20,
            "min_at_or_above": {"level": 4, "credits": 6},
        },
        {"id": "plain", "name": bilingual("普通证书", "Plain certificate"), "level": 2, "total": 10},
    ],
}

_OUTCOMES: list[dict[str, Any]] = [
    {
        "code": "DL-1",
        "framework": "unit-fw",
        "level": 2,
        "credits": 2,
        "category": "digital_literacy",
        "name": bilingual("数字素养一", "Digital literacy 1"),
        "description": bilingual("会用智能手机。", "Uses a smartphone."),
    },
    {
        "code": "PRO-ACC-1",
        "framework": "unit-fw",
        "level": 4,
        "credits": 3.5,
        "category": "professional",
        "name": bilingual("会计基础", "Accounting basics"),
        "description": bilingual("记账。", "Keeps books."),
    },
]

_RULES: dict[str, Any] = {
    "version": "u-1",
    "framework": "unit-fw",
    "name": bilingual("单元测试规则", "Unit rules"),
    "defaults": {"minimum_result": 60, "rounding": 0.5, "validity_years": 10, "level": 2, "category": "general"},
    "institutions": [
        {"id": "uni-a", "basis": "credits", "levels": {"default": 4}, "category": "professional"},
        {
            "id": "uni-b",
            "basis": "credits",
            "ratio": 2,
            "levels": {"course": 5, "default": 4},
            "category": "professional",
        },
        {
            "id": "open-u",
            "basis": "credits",
            "ratio": 1.5,
            "unit": bilingual("学期学分", "term credits"),
            "levels": {"default": 3},
            "minimum_result": 50,
            "validity_years": 3,
        },
        {"id": "mooc-x", "basis": "hours", "levels": {"default": 3}},
        {"id": "senior-c", "basis": "hours", "levels": {"default": 2}, "category": "culture_arts"},
    ],
    "equivalences": [
        {"from": "uni-b:DIG1", "to": "uni-a:DL100"},
        {"from": "uni-a:DL100", "to": "DL-1"},
        {"from": "uni-b:ACC1", "to": "PRO-ACC-1"},
        {"from": "uni-b:NEW1", "to": "NX-9"},
    ],
    "caps": [{"source": "mooc", "max_share": 0.3}],
    "awarding": {"cert": ["uni-a"], "diploma": ["uni-a", "uni-b"]},
}


def framework_document() -> dict[str, Any]:
    return copy.deepcopy(_FRAMEWORK)


def outcome_documents() -> list[dict[str, Any]]:
    return copy.deepcopy(_OUTCOMES)


def rules_document() -> dict[str, Any]:
    return copy.deepcopy(_RULES)


def framework() -> Framework:
    return frameworks.read(framework_document(), "unit-fw.toml")


def outcomes(fw: Framework | None = None) -> dict[str, LearningOutcome]:
    fw = fw or framework()
    read = catalogue.read_catalogue({"outcomes": outcome_documents()}, "catalogue.toml", {fw.id: fw})
    return {outcome.code: outcome for outcome in read}


def rule_set(fw: Framework | None = None, **defaults: Any) -> RuleSet:
    """The rule set, with any ``defaults`` overridden (e.g. ``rounding=1``)."""
    document = rules_document()
    document["defaults"].update(defaults)
    return rules.read(document, "rules.toml", fw or framework(), INSTITUTIONS)


def source(
    institution: str,
    *,
    hours_per_unit: Decimal | None = None,
    unit_name: str | None = "credit",
    seq: int = 7,
    **data: Any,
) -> Source:
    values: dict[str, Any] = {"kind": "course", "title": {"en": "A course"}, "completed": "2026-01-10", **data}
    return Source("ach_1", "lrn_1", institution, TYPES[institution], seq, values, unit_name, hours_per_unit)


def english(result: Conversion) -> list[str]:
    return [step["en"] for step in result.steps]


def chinese(result: Conversion) -> list[str]:
    return [step["zh"] for step in result.steps]
