"""Properties of the conversion engine and the planner that must hold for any input the API accepts: determinism,
rounding, caps, and never consuming more credits than a learner has or a qualification asks for."""

from __future__ import annotations

import copy
import functools
import math
from datetime import date, timedelta
from decimal import ROUND_FLOOR, Decimal
from fractions import Fraction
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from creditbank.credits import documents, frameworks, rules
from creditbank.credits.conversion import Conversion, Source, convert
from creditbank.credits.frameworks import Framework, QualificationType
from creditbank.credits.planner import Line, Plan, plan
from creditbank.credits.rules import Cap, RuleSet
from ledger.canonical import canonical_bytes
from tests.unit.credit_fixtures import AS_OF, INSTITUTIONS, TYPES, framework_document, outcomes, rules_document

SETTINGS = settings(max_examples=150, deadline=None)
STEPS = ("0.01", "0.05", "0.1", "0.25", "0.5", "1", "2", "3")
HOURS_PER_CREDIT = ("7.5", "10", "15", "16", "30")
CATEGORIES = ("general", "professional", "digital_literacy", "culture_arts")
SOURCES = ("mooc", "university", "senior_college")
OUTCOME_CODES = ("DL-1", "PRO-ACC-1", "ZZ-9")
ZERO = Decimal(0)


@functools.cache
def world(hours_per_credit: str, step: str, minimum: int) -> tuple[Framework, RuleSet]:
    """A framework with the given credit unit and a rule set with the given rounding step and minimum result."""
    document = framework_document()
    document["credit_unit"]["hours_per_credit"] = float(hours_per_credit)
    document["credit_unit"].pop("hours_per_credit_max")
    fw = frameworks.read(document, "framework.toml")
    ruleset = rules_document()
    ruleset["defaults"].update(rounding=float(step), minimum_result=minimum)
    return fw, rules.read(ruleset, "rules.toml", fw, INSTITUTIONS)


def cents(low: int, high: int) -> st.SearchStrategy[Decimal]:
    return st.integers(low, high).map(lambda n: Decimal(n) / 100)


def json_number(value: Decimal) -> int | float:
    """How an API payload would carry the value: a whole number as an int, otherwise a float."""
    return int(value) if value == value.to_integral_value() else float(value)


@st.composite
def results(draw: st.DrawFn) -> dict[str, Any] | None:
    kind = draw(st.sampled_from(["none", "score", "pass_fail", "grade"]))
    if kind == "none":
        return None
    if kind == "pass_fail":
        return {"type": "pass_fail", "passed": draw(st.booleans())}
    if kind == "grade":
        grade: dict[str, Any] = {"type": "grade", "grade": draw(st.sampled_from(["A", "B", "C", "F"]))}
        if draw(st.booleans()):
            grade["passed"] = draw(st.booleans())
        return grade
    low = draw(st.integers(-100, 100))
    high = draw(st.integers(low + 1, low + 1000))
    score = draw(st.integers(low * 100, high * 100)) / 100
    result: dict[str, Any] = {"type": "score", "score": score, "max": high}
    if low or draw(st.booleans()):
        result["min"] = low
    return result


@st.composite
def sources(draw: st.DrawFn) -> Source:
    institution = draw(st.sampled_from([*sorted(TYPES), "uni-z"]))
    kind = draw(st.sampled_from(["course", "module", "micro_credential"]))
    data: dict[str, Any] = {"kind": kind, "title": {"en": "x"}}
    if draw(st.integers(0, 3)):
        data["hours"] = json_number(draw(cents(0, 10_000_000)))
    if draw(st.integers(0, 3)):
        data["credits"] = json_number(draw(cents(0, 100_000)))
    code = draw(st.sampled_from([None, "DIG1", "DL100", "ACC1", "NEW1", "X1"]))
    if code is not None:
        data["code"] = code
    result = draw(results())
    if result is not None:
        data["result"] = result
    # Mostly within the last twelve years (inside the validity window or just outside it), sometimes long ago.
    days_ago = draw(st.integers(0, 366 * 12) | st.integers(0, 366 * 76))
    data["completed"] = (AS_OF - timedelta(days=days_ago)).isoformat()
    declared = draw(st.sampled_from([None, Decimal(8), Decimal(15), Decimal(16), Decimal("22.5")]))
    seq = draw(st.integers(1, 10**9))
    kind_of = TYPES.get(institution, "vocational_school")
    return Source("ach_p", "lrn_p", institution, kind_of, seq, data, "credit" if declared else None, declared)


worlds = st.builds(world, st.sampled_from(HOURS_PER_CREDIT), st.sampled_from(STEPS), st.sampled_from([0, 50, 60, 100]))
as_of_dates = st.just(AS_OF) | st.dates(date(2016, 1, 1), date(2036, 12, 31))


def fmt(value: Decimal) -> str:
    text = f"{value.quantize(Decimal('0.01')):f}".rstrip("0").rstrip(".")
    return text or "0"


# --- conversion ----------------------------------------------------------------------------------------------


@SETTINGS
@given(sources(), worlds, as_of_dates)
def test_conversion_is_deterministic(item: Source, chosen: tuple[Framework, RuleSet], as_of: date) -> None:
    fw, ruleset = chosen
    catalogue = outcomes(fw)
    first = convert(item, ruleset, fw, catalogue, as_of)
    second = convert(item, ruleset, fw, catalogue, as_of)
    body = canonical_bytes(first.body(item, ruleset, "ab" * 32, as_of))
    assert body == canonical_bytes(second.body(item, ruleset, "ab" * 32, as_of))
    # Independent copies of every input (as a verifier re-deriving the entry would hold) give the same bytes.
    again = rules.read(copy.deepcopy(ruleset.document), "copy.toml", fw, INSTITUTIONS)
    twin = Source(
        item.achievement,
        item.learner,
        item.institution,
        item.institution_type,
        item.seq,
        copy.deepcopy(item.data),
        item.unit_name,
        item.hours_per_unit,
    )
    third = convert(twin, again, fw, outcomes(fw), as_of)
    assert canonical_bytes(third.body(twin, again, "ab" * 32, as_of)) == body


def upper_bound(item: Source, result: Conversion, fw: Framework, ruleset: RuleSet) -> Fraction:
    """The most any path of the engine could grant, before rounding."""
    if result.outcome is not None:
        return Fraction(outcomes(fw)[result.outcome].credits)
    data, unit = item.data, Fraction(fw.hours_per_credit)
    candidates = [Fraction(0)]
    if "hours" in data:
        candidates.append(Fraction(str(data["hours"])) / unit)
    rule = ruleset.institutions.get(item.institution)
    if "credits" in data and rule is not None and rule.basis == "credits":
        native = Fraction(str(data["credits"]))
        if rule.ratio is not None:
            candidates.append(native * Fraction(rule.ratio))
        if item.hours_per_unit is not None:
            candidates.append(native * Fraction(item.hours_per_unit) / unit)
    return max(candidates)


@SETTINGS
@given(sources(), worlds, as_of_dates)
def test_credits_are_never_negative_and_a_multiple_of_the_step(
    item: Source, chosen: tuple[Framework, RuleSet], as_of: date
) -> None:
    fw, ruleset = chosen
    result = convert(item, ruleset, fw, outcomes(fw), as_of)
    assert result.credits >= 0
    assert result.credits % ruleset.rounding == 0
    assert Fraction(result.credits) <= upper_bound(item, result, fw, ruleset)
    assert result.level in fw.levels
    assert result.category in fw.categories
    assert result.steps
    assert all(set(step) == {"zh", "en"} and step["zh"] and step["en"] for step in result.steps)
    assert result.steps[-1]["en"].startswith(f"Result: {fmt(result.credits)} credits")
    assert result.steps[-1]["zh"].startswith(f"结果：{fmt(result.credits)} 学分")
    if (item.data.get("result") or {}).get("passed") is False:
        assert result.credits == 0
    if item.institution_type == "mooc_platform":
        assert result.source == "mooc"


@SETTINGS
@given(
    st.integers(0, 10_000_000).map(lambda n: Decimal(n) / 100),
    st.sampled_from(HOURS_PER_CREDIT),
    st.sampled_from(STEPS),
)
def test_hours_are_floored_to_the_step_exactly(hours: Decimal, unit: str, step: str) -> None:
    fw, ruleset = world(unit, step, 60)
    item = Source("a", "l", "senior-c", "senior_college", 1, {"kind": "course", "hours": json_number(hours)})
    result = convert(item, ruleset, fw, {}, AS_OF)
    exact = Fraction(hours) / Fraction(unit) / Fraction(step)
    assert Fraction(result.credits) == math.floor(exact) * Fraction(step)
    said = [s["en"] for s in result.steps if s["en"].startswith("Rounded down")]
    if Fraction(result.credits) == exact * Fraction(step):
        assert said == []
    if said:
        assert Fraction(result.credits) < exact * Fraction(step)
        assert said == [f"Rounded down to a multiple of {fmt(Decimal(step))}: {fmt(result.credits)} credits."]


@SETTINGS
@given(
    st.integers(-1000, 1000),
    st.integers(1, 2000),
    st.data(),
    st.sampled_from([0, 50, 60, 100]),
)
def test_a_score_converts_only_at_or_above_the_minimum(low: int, span: int, data: st.DataObject, minimum: int) -> None:
    fw, ruleset = world("10", "0.5", minimum)
    high = low + span
    score = data.draw(st.integers(low, high))
    item = Source(
        "a",
        "l",
        "senior-c",
        "senior_college",
        1,
        {"kind": "course", "hours": 100, "result": {"type": "score", "score": score, "min": low, "max": high}},
    )
    result = convert(item, ruleset, fw, {}, AS_OF)
    passes = Fraction(score - low, span) * 100 >= minimum
    assert (result.credits == 10) == passes
    assert (result.credits == 0) == (not passes)


# --- the planner ---------------------------------------------------------------------------------------------


@st.composite
def line_lists(draw: st.DrawFn) -> list[Line]:
    count = draw(st.integers(0, 12))
    seqs = draw(st.lists(st.integers(1, 10_000), min_size=count, max_size=count, unique=True))
    return [
        Line(
            seq,
            draw(st.integers(1, 5)),
            draw(st.sampled_from(CATEGORIES)),
            draw(st.sampled_from(SOURCES)),
            draw(st.sampled_from([None, None, *OUTCOME_CODES])),
            draw(st.one_of(cents(0, 2000), st.just(ZERO))),
        )
        for seq in seqs
    ]


@st.composite
def qualifications(draw: st.DrawFn) -> QualificationType:
    total = draw(cents(1, 4000))
    chosen = draw(st.lists(st.sampled_from(CATEGORIES), unique=True, max_size=3))
    shares = [draw(st.integers(0, 100)) for _ in chosen]
    scale = max(sum(shares), 100)
    per_category = {
        category: (total * share / scale).quantize(Decimal("0.01"), rounding=ROUND_FLOOR)
        for category, share in zip(chosen, shares, strict=True)
    }
    floor = None
    if draw(st.booleans()):
        floor = (
            draw(st.integers(1, 5)),
            (total * draw(st.integers(0, 100)) / 100).quantize(Decimal("0.01"), rounding=ROUND_FLOOR),
        )
    required = tuple(
        draw(st.lists(st.sampled_from(OUTCOME_CODES), unique=True, max_size=2)) if draw(st.booleans()) else ()
    )
    return QualificationType("q", "unit-fw", {"zh": "资历", "en": "Q"}, 3, total, floor, per_category, required)


@st.composite
def cap_tuples(draw: st.DrawFn) -> tuple[Cap, ...]:
    caps = []
    for _ in range(draw(st.integers(0, 3))):
        source = draw(st.sampled_from([None, *SOURCES]))
        category = draw(st.sampled_from([None, *CATEGORIES])) if source else draw(st.sampled_from(CATEGORIES))
        share = draw(st.one_of(st.none(), cents(0, 100)))
        credits = draw(cents(0, 3000)) if share is None else draw(st.one_of(st.none(), cents(0, 3000)))
        caps.append(Cap(source, category, share, credits))
    return tuple(caps)


def consumed_where(found: Plan, lines: list[Line], wanted: Any) -> Decimal:
    return sum((found.consumed.get(line.seq, ZERO) for line in lines if wanted(line)), ZERO)


@SETTINGS
@given(qualifications(), line_lists(), cap_tuples())
def test_the_plan_never_consumes_more_than_there_is_or_is_asked(
    qualification: QualificationType, lines: list[Line], caps: tuple[Cap, ...]
) -> None:
    found = plan(qualification, lines, caps)
    by_seq = {line.seq: line for line in lines}
    for seq, amount in found.consumed.items():
        assert seq in by_seq
        assert ZERO < amount <= by_seq[seq].available
    assert found.total == sum(found.consumed.values(), ZERO)
    assert found.total <= qualification.total
    assert found.requirements[-1].key == "total"
    assert found.requirements[-1].counted == found.total


@SETTINGS
@given(qualifications(), line_lists(), cap_tuples())
def test_every_cap_holds(qualification: QualificationType, lines: list[Line], caps: tuple[Cap, ...]) -> None:
    found = plan(qualification, lines, caps)
    for cap in caps:
        used = consumed_where(found, lines, lambda line, c=cap: c.applies(line.source, line.category))
        assert used <= cap.limit(qualification.total), cap


@SETTINGS
@given(qualifications(), line_lists(), cap_tuples())
def test_met_means_every_requirement_holds_in_what_is_consumed(
    qualification: QualificationType, lines: list[Line], caps: tuple[Cap, ...]
) -> None:
    found = plan(qualification, lines, caps)
    assert found.met == all(r.counted >= r.needed for r in found.requirements)
    assert set(found.missing()) == {r.key for r in found.requirements if not r.met}
    if found.met:
        assert found.total == qualification.total
        assert found.missing() == {}
    # What the progress view says must be what an award using ``consumed`` would find.
    for requirement in found.requirements:
        kind, _, name = requirement.key.partition(".")
        if kind == "outcome":
            counted = consumed_where(found, lines, lambda line, c=name: line.outcome == c)
            assert requirement.met == (counted > 0)
        elif kind == "category":
            counted = consumed_where(found, lines, lambda line, c=name: line.category == c)
            assert requirement.met == (counted >= requirement.needed)
        elif kind == "level":
            counted = consumed_where(found, lines, lambda line, n=int(name): line.level >= n)
            assert requirement.met == (counted >= requirement.needed)
    expected = [f"outcome.{c}" for c in qualification.required_outcomes] + [
        f"category.{c}" for c in qualification.per_category
    ]
    if qualification.min_at_or_above:
        expected.append(f"level.{qualification.min_at_or_above[0]}")
    assert [r.key for r in found.requirements] == [*expected, "total"]


@SETTINGS
@given(qualifications(), line_lists(), cap_tuples())
def test_a_short_plan_has_used_everything_it_could(
    qualification: QualificationType, lines: list[Line], caps: tuple[Cap, ...]
) -> None:
    found = plan(qualification, lines, caps)
    if found.total == qualification.total:
        return
    for line in lines:
        left = line.available - found.consumed.get(line.seq, ZERO)
        if left <= 0:
            continue
        blocked = [
            cap
            for cap in caps
            if cap.applies(line.source, line.category)
            and consumed_where(found, lines, lambda other, c=cap: c.applies(other.source, other.category))
            >= cap.limit(qualification.total)
        ]
        assert blocked, f"line {line.seq} still had {left} credits and no cap was full"


@SETTINGS
@given(qualifications(), line_lists(), cap_tuples(), st.randoms(use_true_random=False))
def test_the_plan_does_not_depend_on_the_order_of_lines(
    qualification: QualificationType, lines: list[Line], caps: tuple[Cap, ...], shuffler: Any
) -> None:
    shuffled = list(lines)
    shuffler.shuffle(shuffled)
    first, second = plan(qualification, lines, caps), plan(qualification, shuffled, caps)
    assert first.consumed == second.consumed
    assert [(r.key, r.counted) for r in first.requirements] == [(r.key, r.counted) for r in second.requirements]


@SETTINGS
@given(st.lists(qualifications(), min_size=1, max_size=3), line_lists(), cap_tuples())
def test_the_balance_never_goes_negative(
    awards: list[QualificationType], lines: list[Line], caps: tuple[Cap, ...]
) -> None:
    """Redeem several qualifications in turn from the same lines: what is left is always what there was minus what
    was consumed, and never below zero."""
    held = {line.seq: line.available for line in lines}
    current = list(lines)
    spent = ZERO
    for qualification in awards:
        found = plan(qualification, current, caps)
        spent += found.total
        current = [
            Line(
                line.seq,
                line.level,
                line.category,
                line.source,
                line.outcome,
                line.available - found.consumed.get(line.seq, ZERO),
            )
            for line in current
        ]
        for line in current:
            assert line.available >= min(ZERO, held[line.seq])
    assert sum(held.values(), ZERO) - spent == sum((line.available for line in current), ZERO)
    assert sum((a for a in held.values() if a > 0), ZERO) - spent >= 0


# --- digests -------------------------------------------------------------------------------------------------

json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**53) + 1, 2**53 - 1) | st.text(max_size=8),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=6), children, max_size=4),
    max_leaves=20,
)


def reversed_keys(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: reversed_keys(value[key]) for key in reversed(list(value))}
    if isinstance(value, list):
        return [reversed_keys(item) for item in value]
    return value


@SETTINGS
@given(st.dictionaries(st.text(max_size=6), json_values, max_size=6))
def test_the_digest_ignores_key_order(document: dict[str, Any]) -> None:
    assert documents.digest(reversed_keys(document)) == documents.digest(document)
    assert documents.digest({**document, "\x00extra": 1}) != documents.digest(document)
