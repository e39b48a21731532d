"""Qualifications frameworks: levels, the credit unit, credit categories and qualification types, read from data."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from creditbank.credits.documents import CATEGORY, CODE, SLUG, VERSION, Reader, as_number

Bilingual = dict[str, str]
_TOP = {"id", "version", "example", "name", "description", "credit_unit", "categories", "levels", "qualifications"}
_LEVEL = {"number", "name", "knowledge", "skills", "competence"}
_QUALIFICATION = {"id", "name", "level", "total", "min_at_or_above", "per_category", "required_outcomes"}
MAX_CREDITS = Decimal(100_000)


@dataclass(frozen=True)
class Level:
    number: int
    name: Bilingual
    knowledge: Bilingual
    skills: Bilingual
    competence: Bilingual


@dataclass(frozen=True)
class QualificationType:
    id: str
    framework: str
    name: Bilingual
    level: int
    total: Decimal
    min_at_or_above: tuple[int, Decimal] | None = None
    per_category: dict[str, Decimal] = field(default_factory=dict)
    required_outcomes: tuple[str, ...] = ()


@dataclass(frozen=True)
class Framework:
    id: str
    version: str
    example: bool
    name: Bilingual
    description: Bilingual
    unit_name: Bilingual
    hours_per_credit: Decimal
    hours_per_credit_max: Decimal | None
    full_time_year: Decimal | None
    categories: dict[str, Bilingual]
    levels: dict[int, Level]
    qualifications: dict[str, QualificationType]
    document: dict[str, Any]


def read(document: dict[str, Any], source: str) -> Framework:
    """Validate a parsed framework document; raises DocumentError listing every fault by place."""
    r = Reader(source)
    r.unknown(document, _TOP, "")
    framework_id = r.text(document, "id", "id", pattern=SLUG) or ""
    version = r.text(document, "version", "version", pattern=VERSION) or ""
    example = document.get("example", False)
    if not isinstance(example, bool):
        r.fault("example", "must be true or false")
    name = r.bilingual(document, "name", "name") or {}
    description = r.bilingual(document, "description", "description") or {}
    unit = r.table(document, "credit_unit", "credit_unit") or {}
    r.unknown(unit, {"name", "hours_per_credit", "hours_per_credit_max", "full_time_year"}, "credit_unit")
    unit_name = r.bilingual(unit, "name", "credit_unit.name") or {}
    hours = r.number(unit, "hours_per_credit", "credit_unit.hours_per_credit", maximum=Decimal(1000))
    hours_max = r.number(unit, "hours_per_credit_max", "credit_unit.hours_per_credit_max", required=False)
    if hours is not None and hours_max is not None and hours_max < hours:
        r.fault("credit_unit.hours_per_credit_max", "is below hours_per_credit")
    year = r.number(unit, "full_time_year", "credit_unit.full_time_year", required=False, maximum=MAX_CREDITS)

    categories: dict[str, Bilingual] = {}
    for place, item in r.tables(document, "categories", "categories"):
        r.unknown(item, {"id", "name"}, place)
        category = r.text(item, "id", f"{place}.id", pattern=CATEGORY)
        label = r.bilingual(item, "name", f"{place}.name")
        if category is not None:
            if category in categories:
                r.fault(f"{place}.id", f"duplicate category {category!r}")
            categories[category] = label or {}

    levels: dict[int, Level] = {}
    for place, item in r.tables(document, "levels", "levels"):
        r.unknown(item, _LEVEL, place)
        number = r.number(item, "number", f"{place}.number", integer=True, maximum=Decimal(20))
        texts = {key: r.bilingual(item, key, f"{place}.{key}") or {} for key in ("name", "knowledge", "skills")}
        competence = r.bilingual(item, "competence", f"{place}.competence") or {}
        if number is None:
            continue
        if int(number) in levels:
            r.fault(f"{place}.number", f"duplicate level number {number}")
            continue
        levels[int(number)] = Level(int(number), texts["name"], texts["knowledge"], texts["skills"], competence)
    if levels and sorted(levels) != list(range(1, len(levels) + 1)):
        r.fault("levels", f"numbers must run 1..{len(levels)} without gaps; found {sorted(levels)}")

    qualifications: dict[str, QualificationType] = {}
    for place, item in r.tables(document, "qualifications", "qualifications", required=False):
        qualification = _qualification(r, item, place, framework_id, levels, categories)
        if qualification is None:
            continue
        if qualification.id in qualifications:
            r.fault(f"{place}.id", f"duplicate qualification {qualification.id!r}")
        qualifications[qualification.id] = qualification
    r.finish()
    assert hours is not None  # finish() raised otherwise
    return Framework(
        framework_id,
        version,
        bool(example),
        name,
        description,
        unit_name,
        hours,
        hours_max,
        year,
        categories,
        dict(sorted(levels.items())),
        qualifications,
        document,
    )


def _qualification(
    r: Reader,
    item: dict[str, Any],
    place: str,
    framework_id: str,
    levels: dict[int, Level],
    categories: dict[str, Bilingual],
) -> QualificationType | None:
    r.unknown(item, _QUALIFICATION, place)
    faults = len(r.faults)
    qualification_id = r.text(item, "id", f"{place}.id", pattern=SLUG)
    name = r.bilingual(item, "name", f"{place}.name")
    level = r.number(item, "level", f"{place}.level", integer=True, maximum=Decimal(20))
    if level is not None and levels and int(level) not in levels:
        r.fault(f"{place}.level", f"level {level} is not one of this framework's levels")
    total = r.number(item, "total", f"{place}.total", maximum=MAX_CREDITS)
    floor: tuple[int, Decimal] | None = None
    above = r.table(item, "min_at_or_above", f"{place}.min_at_or_above", required=False)
    if above is not None:
        r.unknown(above, {"level", "credits"}, f"{place}.min_at_or_above")
        floor_level = r.number(above, "level", f"{place}.min_at_or_above.level", integer=True, maximum=Decimal(20))
        floor_credits = r.number(above, "credits", f"{place}.min_at_or_above.credits", maximum=MAX_CREDITS)
        if floor_level is not None and levels and int(floor_level) not in levels:
            r.fault(f"{place}.min_at_or_above.level", f"level {floor_level} is not one of this framework's levels")
        if floor_credits is not None and total is not None and floor_credits > total:
            r.fault(f"{place}.min_at_or_above.credits", "exceeds the total")
        if floor_level is not None and floor_credits is not None:
            floor = (int(floor_level), floor_credits)
    per_category: dict[str, Decimal] = {}
    minimums = r.table(item, "per_category", f"{place}.per_category", required=False)
    for category in minimums or {}:
        credits = r.number(minimums, category, f"{place}.per_category.{category}", maximum=MAX_CREDITS)
        if category not in categories:
            r.fault(f"{place}.per_category.{category}", "is not one of this framework's categories")
        elif credits is not None:
            per_category[category] = credits
    if total is not None and sum(per_category.values(), Decimal(0)) > total:
        r.fault(f"{place}.per_category", "the category minimums add up to more than the total")
    outcomes = r.strings(item, "required_outcomes", f"{place}.required_outcomes", pattern=CODE)
    if len(r.faults) > faults or qualification_id is None or level is None or total is None:
        return None
    return QualificationType(
        qualification_id, framework_id, name or {}, int(level), total, floor, per_category, tuple(outcomes)
    )


def public_view(framework: Framework, seq: int | None = None, digest: str | None = None) -> dict[str, Any]:
    """What ``GET /api/v1/frameworks/<id>`` shows: the document's content in a stable shape."""
    return {
        "id": framework.id,
        "version": framework.version,
        "example": framework.example,
        "name": framework.name,
        "description": framework.description,
        "credit_unit": {
            "name": framework.unit_name,
            "hours_per_credit": as_number(framework.hours_per_credit),
            "hours_per_credit_max": as_number(framework.hours_per_credit_max),
            "full_time_year": as_number(framework.full_time_year),
        },
        "categories": [{"id": key, "name": label} for key, label in framework.categories.items()],
        "levels": [
            {
                "number": level.number,
                "name": level.name,
                "knowledge": level.knowledge,
                "skills": level.skills,
                "competence": level.competence,
            }
            for level in framework.levels.values()
        ],
        "qualifications": [qualification_view(q) for q in framework.qualifications.values()],
        "published_seq": seq,
        "hash": digest,
    }


def qualification_view(q: QualificationType) -> dict[str, Any]:
    return {
        "id": q.id,
        "name": q.name,
        "level": q.level,
        "total": as_number(q.total),
        "min_at_or_above": {"level": q.min_at_or_above[0], "credits": as_number(q.min_at_or_above[1])}
        if q.min_at_or_above
        else None,
        "per_category": {key: as_number(value) for key, value in q.per_category.items()},
        "required_outcomes": list(q.required_outcomes),
    }
