"""The conversion engine: (achievement, rule set) → bank credits at a framework level, with every step in words.

Pure and deterministic: the same source, rule set, catalogue and date always give the same result, so a
``credits.converted`` entry can be re-derived by anyone holding the published rule set.
"""

from __future__ import annotations

import json
from collections.abc import Hashable
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_FLOOR, Decimal
from typing import Any

from creditbank.credits.catalogue import LearningOutcome
from creditbank.credits.documents import as_number
from creditbank.credits.frameworks import Bilingual, Framework
from creditbank.credits.rules import InstitutionRule, RuleSet

# The source label caps refer to, when a rule set gives none: the institution's type, MOOC platforms as "mooc".
_SOURCE_OF_TYPE = {"mooc_platform": "mooc"}
CENT = Decimal("0.01")


@dataclass(frozen=True)
class Source:
    """An achievement as the engine sees it: who recorded it, of what type, and its current values."""

    achievement: str
    learner: str
    institution: str
    institution_type: str
    seq: int
    data: dict[str, Any]
    unit_name: str | None = None
    hours_per_unit: Decimal | None = None


@dataclass(frozen=True)
class Conversion:
    credits: Decimal
    level: int
    category: str
    source: str
    outcome: str | None
    steps: tuple[Bilingual, ...]

    def body(self, source: Source, rules: RuleSet, rules_hash: str, as_of: date) -> dict[str, Any]:
        """The ``credits.converted`` entry body."""
        return {
            "learner": source.learner,
            "achievement": source.achievement,
            "source_seq": source.seq,
            "institution": source.institution,
            "framework": rules.framework,
            "rules": rules.version,
            "rules_hash": rules_hash,
            "as_of": as_of.isoformat(),
            "credits": as_number(self.credits),
            "level": self.level,
            "category": self.category,
            "source": self.source,
            "outcome": self.outcome,
            "explanation": list(self.steps),
        }


def inputs_key(source: Source) -> Hashable:
    """Everything :func:`convert` reads of a source: two sources with equal keys convert alike (under the same rule
    set, framework, catalogue and date), whoever the learner, whatever the achievement and its seq. The values are
    written as JSON, which keeps ``1``, ``1.0`` and ``true`` apart."""
    return (
        source.institution,
        source.institution_type,
        source.unit_name,
        None if source.hours_per_unit is None else str(source.hours_per_unit),
        json.dumps(source.data, sort_keys=True, ensure_ascii=False, allow_nan=False),
    )


def _fmt(value: Decimal) -> str:
    text = f"{value.quantize(CENT):f}".rstrip("0").rstrip(".")
    return text or "0"


class _Steps:
    def __init__(self) -> None:
        self.items: list[Bilingual] = []

    def add(self, zh: str, en: str) -> None:
        self.items.append({"zh": zh, "en": en})


def convert(
    source: Source, rules: RuleSet, framework: Framework, catalogue: dict[str, LearningOutcome], as_of: date
) -> Conversion:
    steps = _Steps()
    rule = rules.institutions.get(source.institution)
    data = source.data
    kind = str(data.get("kind", ""))
    label = (rule.source if rule else None) or _SOURCE_OF_TYPE.get(source.institution_type, source.institution_type)
    level, category = _placement(rules, rule, kind)
    steps.add(
        f"按规则集 {rules.version} 换算为“{framework.name['zh']}”学分（{source.institution}，来源类别：{label}）。",
        f"Converted under rule set {rules.version} into {framework.name['en']} credits "
        f"({source.institution}, source: {label}).",
    )

    def nothing() -> Conversion:
        steps.add("结果：0 学分。", "Result: 0 credits.")
        return Conversion(Decimal(0), level, category, label, None, tuple(steps.items))

    minimum = rule.minimum_result if rule and rule.minimum_result is not None else rules.minimum_result
    if not _passed(data.get("result"), minimum, steps):
        return nothing()
    if not _valid(data, rule, rules, as_of, steps):
        return nothing()

    outcome = _equivalent(source, rules, framework, catalogue, steps)
    if outcome is not None:
        credits = outcome.credits
        steps.add(
            f"按成果名录 {outcome.code}“{outcome.name['zh']}”认定：{_fmt(credits)} 学分，"
            f"第 {outcome.level} 级，类别 {outcome.category}。",
            f"Recognized as catalogue outcome {outcome.code} '{outcome.name['en']}': {_fmt(credits)} credits "
            f"at level {outcome.level}, category {outcome.category}.",
        )
        return _final(credits, outcome.level, outcome.category, label, outcome.code, rules, steps)

    raw = _by_basis(source, rule, framework, steps)
    if raw is None:
        return nothing()
    return _final(raw, level, category, label, None, rules, steps)


def _placement(rules: RuleSet, rule: InstitutionRule | None, kind: str) -> tuple[int, str]:
    if rule is None:
        return rules.level, rules.category
    level = rule.levels.get(kind, rule.levels.get("default", rules.level))
    category = rule.categories.get(kind) or rule.category or rules.category
    return level, category


def _passed(result: Any, minimum: Decimal, steps: _Steps) -> bool:
    if not isinstance(result, dict):
        steps.add("未报告成绩：按已完成认定。", "No result reported: treated as completed.")
        return True
    kind = result.get("type")
    if kind == "pass_fail" or (kind == "grade" and "passed" in result):
        if result.get("passed") is True:
            steps.add("成绩：通过。", "Result: passed.")
            return True
        steps.add("成绩：未通过，不予换算。", "Result: not passed, so nothing is converted.")
        return False
    if kind == "grade":
        steps.add(
            f"等级成绩 {result.get('grade')}，未注明是否通过：按通过认定。",
            f"Grade {result.get('grade')} with no pass flag: treated as passed.",
        )
        return True
    low = Decimal(str(result.get("min", 0)))
    high = Decimal(str(result["max"]))
    score = Decimal(str(result["score"]))
    exact = (score - low) * 100 / (high - low)
    # Compare the exact share; the shown figure is cut (never rounded up) so 59.996% cannot read as "60%" and pass.
    percent = exact.quantize(CENT, rounding=ROUND_FLOOR)
    if exact >= minimum:
        steps.add(
            f"成绩 {_fmt(score)}/{_fmt(high)}（{_fmt(percent)}%），达到最低要求 {_fmt(minimum)}%。",
            f"Score {_fmt(score)} of {_fmt(high)} ({_fmt(percent)}%) meets the minimum of {_fmt(minimum)}%.",
        )
        return True
    steps.add(
        f"成绩 {_fmt(score)}/{_fmt(high)}（{_fmt(percent)}%），低于最低要求 {_fmt(minimum)}%，不予换算。",
        f"Score {_fmt(score)} of {_fmt(high)} ({_fmt(percent)}%) is below the minimum of {_fmt(minimum)}%, "
        "so nothing is converted.",
    )
    return False


def _valid(data: dict[str, Any], rule: InstitutionRule | None, rules: RuleSet, as_of: date, steps: _Steps) -> bool:
    years = rule.validity_years if rule and rule.validity_years is not None else rules.validity_years
    when = data.get("completed") or data.get("started")
    if years is None or not isinstance(when, str):
        return True
    finished = date.fromisoformat(when)
    try:
        limit = as_of.replace(year=as_of.year - years)
    except ValueError:  # 29 February in a year that has none
        limit = as_of.replace(year=as_of.year - years, day=28)
    if finished >= limit:
        steps.add(
            f"完成于 {finished.isoformat()}，在 {years} 年有效期内。",
            f"Completed {finished.isoformat()}, within the {years}-year validity window.",
        )
        return True
    steps.add(
        f"完成于 {finished.isoformat()}，早于 {limit.isoformat()}，超出 {years} 年有效期：需重新认证后才能换算。",
        f"Completed {finished.isoformat()}, before {limit.isoformat()}: outside the {years}-year validity window, "
        "so it needs re-certification before it converts.",
    )
    return False


def _equivalent(
    source: Source, rules: RuleSet, framework: Framework, catalogue: dict[str, LearningOutcome], steps: _Steps
) -> LearningOutcome | None:
    code = source.data.get("code")
    if not isinstance(code, str):
        return None
    chain = rules.resolve(source.institution, code)
    if not chain:
        return None
    path = " → ".join([f"{source.institution}:{code}", *chain])
    outcome = catalogue.get(chain[-1])
    if outcome is None or outcome.framework != framework.id:
        steps.add(
            f"课程等效 {path}，但 {chain[-1]} 不是已批准的名录成果：按一般规则换算。",
            f"Course equivalence {path}, but {chain[-1]} is not an approved catalogue outcome: "
            "the general rule applies.",
        )
        return None
    steps.add(f"课程等效：{path}。", f"Course equivalence: {path}.")
    return outcome


def _by_basis(source: Source, rule: InstitutionRule | None, framework: Framework, steps: _Steps) -> Decimal | None:
    data = source.data
    unit_hours = framework.hours_per_credit
    if rule is not None and rule.basis == "credits" and isinstance(data.get("credits"), int | float):
        native = Decimal(str(data["credits"]))
        if rule.ratio is not None:
            unit = rule.unit or {"zh": "学分", "en": "credits"}
            raw = native * rule.ratio
            steps.add(
                f"{_fmt(native)} {unit['zh']} × {_fmt(rule.ratio)} = {_fmt(raw)} 学分。",
                f"{_fmt(native)} {unit['en']} × {_fmt(rule.ratio)} = {_fmt(raw)} credits.",
            )
            return raw
        if source.hours_per_unit is not None:
            hours = native * source.hours_per_unit
            raw = hours / unit_hours
            unit_name = source.unit_name or "credit"
            steps.add(
                f"{_fmt(native)} 个“{unit_name}”× 每个 {_fmt(source.hours_per_unit)} 学时（机构声明）"
                f"= {_fmt(hours)} 学时；"
                f"÷ 每学分 {_fmt(unit_hours)} 学时 = {_fmt(raw)} 学分。",
                f"{_fmt(native)} × '{unit_name}' of {_fmt(source.hours_per_unit)} hours (as the institution declares) "
                f"= {_fmt(hours)} hours; ÷ {_fmt(unit_hours)} hours per credit = {_fmt(raw)} credits.",
            )
            return raw
    if isinstance(data.get("hours"), int | float):
        hours = Decimal(str(data["hours"]))
        raw = hours / unit_hours
        steps.add(
            f"{_fmt(hours)} 学时 ÷ 每学分 {_fmt(unit_hours)} 学时 = {_fmt(raw)} 学分。",
            f"{_fmt(hours)} hours ÷ {_fmt(unit_hours)} hours per credit = {_fmt(raw)} credits.",
        )
        return raw
    steps.add(
        "既无可换算的学分也无学时，无法换算。",
        "Neither convertible credits nor hours were reported, so nothing can be converted.",
    )
    return None


def _final(
    raw: Decimal, level: int, category: str, label: str, outcome: str | None, rules: RuleSet, steps: _Steps
) -> Conversion:
    step = rules.rounding
    credits = ((raw / step).to_integral_value(rounding=ROUND_FLOOR) * step).quantize(CENT)
    if credits != raw.quantize(CENT):
        steps.add(
            f"向下取整到 {_fmt(step)} 的倍数：{_fmt(credits)} 学分。",
            f"Rounded down to a multiple of {_fmt(step)}: {_fmt(credits)} credits.",
        )
    steps.add(
        f"结果：{_fmt(credits)} 学分，第 {level} 级，类别 {category}。",
        f"Result: {_fmt(credits)} credits at level {level}, category {category}.",
    )
    return Conversion(credits, level, category, label, outcome, tuple(steps.items))
