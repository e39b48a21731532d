"""The conversion engine and the redemption planner, pure: the issue's scenarios with their explanations, and
properties that must hold for any input (determinism, rounding, caps, never consuming more than there is)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from creditbank.credits import catalogue, frameworks, rules
from creditbank.credits.conversion import Source, convert, inputs_key
from creditbank.credits.planner import Line, plan
from creditbank.credits.rules import Cap
from ledger.canonical import canonical_bytes
from tests.integration.credit_world import FRAMEWORK, OUTCOME, RULES

FW = frameworks.read(FRAMEWORK, "test")
OUTCOMES = {o.code: o for o in catalogue.read_catalogue({"outcomes": [OUTCOME]}, "test", {FW.id: FW})}
INSTITUTIONS = {"uni-a", "uni-b", "mooc-x", "senior-c"}
RULE_SET = rules.read(RULES, "test", FW, INSTITUTIONS)
TODAY = date(2026, 11, 22)
TYPES = {"uni-a": "university", "uni-b": "university", "mooc-x": "mooc_platform", "senior-c": "senior_college"}


def source(institution: str, hours_per_unit: Decimal | None = None, **data: Any) -> Source:
    values = {"kind": "course", "title": {"en": "x"}, "completed": "2026-01-10", **data}
    return Source("ach_1", "lrn_1", institution, TYPES[institution], 7, values, "credit", hours_per_unit)


def english(result: Any) -> list[str]:
    return [step["en"] for step in result.steps]


def test_senior_college_learner_with_120_course_hours() -> None:
    result = convert(source("senior-c", hours=120), RULE_SET, FW, OUTCOMES, TODAY)
    assert (result.credits, result.level, result.category, result.source) == (12, 2, "general", "senior_college")
    assert english(result) == [
        "Converted under rule set t-1 into Test framework credits (senior-c, source: senior_college).",
        "No result reported: treated as completed.",
        "Completed 2026-01-10, within the 10-year validity window.",
        "120 hours ÷ 10 hours per credit = 12 credits.",
        "Result: 12 credits at level 2, category general.",
    ]
    assert result.steps[3]["zh"] == "120 学时 ÷ 每学分 10 学时 = 12 学分。"


def test_transfer_between_universities_through_the_equivalence_table() -> None:
    result = convert(source("uni-b", code="DIG1", credits=4), RULE_SET, FW, OUTCOMES, TODAY)
    assert (result.credits, result.level, result.category, result.outcome) == (2, 2, "digital_literacy", "DL-1")
    assert "Course equivalence: uni-b:DIG1 → uni-a:DL100 → DL-1." in english(result)
    assert "课程等效：uni-b:DIG1 → uni-a:DL100 → DL-1。" in [step["zh"] for step in result.steps]


def test_an_unapproved_outcome_falls_back_to_the_general_rule() -> None:
    result = convert(source("uni-b", code="DIG1", credits=4), RULE_SET, FW, {}, TODAY)
    assert (result.credits, result.outcome, result.category) == (8, None, "professional")  # 4 x ratio 2
    assert any("DL-1 is not an approved catalogue outcome" in step for step in english(result))
    assert "4 credits × 2 = 8 credits." in english(result)


def test_an_achievement_outside_the_validity_window_converts_to_nothing() -> None:
    result = convert(source("senior-c", hours=40, completed="2015-06-30"), RULE_SET, FW, OUTCOMES, TODAY)
    assert result.credits == 0
    assert english(result)[-2] == (
        "Completed 2015-06-30, before 2016-11-22: outside the 10-year validity window, "
        "so it needs re-certification before it converts."
    )
    assert "需重新认证" in result.steps[-2]["zh"]


@pytest.mark.parametrize(
    ("result", "words"),
    [
        ({"type": "score", "score": 59, "max": 100}, "Score 59 of 100 (59%) is below the minimum of 60%"),
        ({"type": "score", "score": 11, "min": 5, "max": 15}, "Score 11 of 15 (60%) meets the minimum of 60%"),
        ({"type": "pass_fail", "passed": False}, "Result: not passed, so nothing is converted."),
        ({"type": "grade", "grade": "F", "passed": False}, "Result: not passed, so nothing is converted."),
    ],
)
def test_results_below_the_minimum(result: dict[str, Any], words: str) -> None:
    converted = convert(source("senior-c", hours=30, result=result), RULE_SET, FW, OUTCOMES, TODAY)
    assert any(words in step for step in english(converted))
    assert (converted.credits == 0) == ("meets" not in words)


def test_credits_by_declared_unit_and_rounding_down() -> None:
    result = convert(source("uni-a", Decimal(16), credits=3), RULE_SET, FW, OUTCOMES, TODAY)
    assert result.credits == Decimal("4.5")
    assert english(result)[3] == (
        "3 × 'credit' of 16 hours (as the institution declares) = 48 hours; ÷ 10 hours per credit = 4.8 credits."
    )
    assert english(result)[4] == "Rounded down to a multiple of 0.5: 4.5 credits."


def test_no_credits_and_no_hours_converts_to_nothing_and_says_why() -> None:
    result = convert(source("uni-a", None), RULE_SET, FW, OUTCOMES, TODAY)
    assert result.credits == 0
    assert "Neither convertible credits nor hours were reported" in english(result)[-2]


def test_body_names_the_rules_and_the_source() -> None:
    result = convert(source("senior-c", hours=120), RULE_SET, FW, OUTCOMES, TODAY)
    body = result.body(source("senior-c", hours=120), RULE_SET, "ab" * 32, TODAY)
    assert body["source_seq"] == 7
    assert (body["rules"], body["rules_hash"], body["as_of"]) == ("t-1", "ab" * 32, "2026-11-22")
    assert body["credits"] == 12
    assert isinstance(body["credits"], int)  # canonical bytes say 12, never 12.0


# --- the planner -----------------------------------------------------------------------------------------------

CERT = FW.qualifications["test-cert"]  # total 10, digital literacy 2, DL-1 required
DIPLOMA = FW.qualifications["test-diploma"]  # total 20, at least 6 at level 4 or above
MOOC_CAP = Cap("mooc", None, Decimal("0.3"), None)


def line(
    seq: int,
    credits: str,
    *,
    level: int = 3,
    category: str = "general",
    src: str = "university",
    outcome: str | None = None,
) -> Line:
    return Line(seq, level, category, src, outcome, Decimal(credits))


def test_mooc_credits_hit_the_cap() -> None:
    lines = [line(1, "8", src="mooc", level=4), line(2, "14", level=4)]
    found = plan(DIPLOMA, lines, (MOOC_CAP,))
    assert found.met
    assert found.consumed == {1: Decimal("6.0"), 2: Decimal(14)}
    short = plan(DIPLOMA, [line(1, "20", src="mooc", level=4), line(2, "5", level=4)], (MOOC_CAP,))
    assert not short.met
    assert short.missing() == {"total": "9 more credits needed (at least 20 credits in all)"}


def test_required_outcome_and_category_minimum() -> None:
    lines = [line(1, "9", category="professional"), line(2, "2", level=2, category="digital_literacy", outcome="DL-1")]
    found = plan(CERT, lines, ())
    assert found.met
    assert found.consumed == {1: Decimal(8), 2: Decimal(2)}
    without = plan(CERT, [line(1, "20", category="digital_literacy")], ())
    assert not without.met
    assert set(without.missing()) == {"outcome.DL-1"}


def test_the_level_floor_prefers_higher_levels_and_stops_at_the_total() -> None:
    lines = [line(1, "30", level=3), line(2, "4", level=4), line(3, "4", level=5)]
    found = plan(DIPLOMA, lines, ())
    assert found.met
    assert found.total == 20
    assert found.consumed == {1: Decimal(12), 2: Decimal(4), 3: Decimal(4)}
    short = plan(DIPLOMA, [line(1, "30", level=3), line(2, "4", level=4)], ())
    assert short.missing() == {"level.4": "2 more credits needed (at least 6 credits at level 4 or above)"}


# --- properties ----------------------------------------------------------------------------------------------

results = st.one_of(
    st.none(),
    st.builds(lambda s: {"type": "score", "score": s, "max": 100}, st.integers(0, 100)),
    st.builds(lambda p: {"type": "pass_fail", "passed": p}, st.booleans()),
)
sources = st.builds(
    lambda institution, hours, credits, code, completed, result: source(
        institution,
        Decimal(16) if institution == "uni-a" else None,
        **{
            k: v
            for k, v in {"hours": hours, "credits": credits, "code": code, "result": result}.items()
            if v is not None
        },
        completed=completed.isoformat(),
    ),
    st.sampled_from(sorted(INSTITUTIONS)),
    st.one_of(st.none(), st.integers(0, 2000), st.floats(0, 2000, allow_nan=False).map(lambda f: round(f, 2))),
    st.one_of(st.none(), st.integers(0, 200), st.sampled_from([0.5, 1.5, 2.25, 3.3])),
    st.one_of(st.none(), st.sampled_from(["DIG1", "DL100", "X"])),
    st.dates(date(1990, 1, 1), date(2026, 11, 22)),
    results,
)


@settings(max_examples=200, deadline=None)
@given(sources)
def test_conversion_is_deterministic_and_never_negative(item: Source) -> None:
    first = convert(item, RULE_SET, FW, OUTCOMES, TODAY)
    second = convert(item, RULE_SET, FW, OUTCOMES, TODAY)
    assert canonical_bytes(first.body(item, RULE_SET, "h", TODAY)) == canonical_bytes(
        second.body(item, RULE_SET, "h", TODAY)
    )
    assert first.credits >= 0
    assert first.credits % RULE_SET.rounding == 0 or first.outcome is not None
    assert first.level in FW.levels
    assert first.category in FW.categories
    assert first.steps[-1]["en"].startswith("Result:")


lines_strategy = st.lists(
    st.builds(
        Line,
        st.integers(0, 10_000),
        st.integers(1, 5),
        st.sampled_from(["general", "professional", "digital_literacy"]),
        st.sampled_from(["university", "mooc", "senior_college"]),
        st.sampled_from([None, "DL-1"]),
        st.decimals(0, 40, places=2),
    ),
    max_size=12,
    unique_by=lambda item: item.seq,
)
caps_strategy = st.lists(
    st.builds(
        Cap,
        st.sampled_from([None, "mooc", "university"]),
        st.sampled_from([None, "general", "digital_literacy"]),
        st.sampled_from([None, Decimal("0.3"), Decimal("0.5")]),
        st.sampled_from([None, Decimal(4), Decimal(10)]),
    ).filter(lambda cap: (cap.source or cap.category) and (cap.max_share is not None or cap.max_credits is not None)),
    max_size=2,
)


@settings(max_examples=300, deadline=None)
@given(lines_strategy, caps_strategy, st.sampled_from([CERT, DIPLOMA]))
def test_plans_respect_lines_caps_and_requirements(lines: list[Line], caps: list[Cap], qualification: Any) -> None:
    found = plan(qualification, lines, tuple(caps))
    by_seq = {item.seq: item for item in lines}
    for seq, amount in found.consumed.items():
        assert 0 < amount <= by_seq[seq].available
    assert found.total <= qualification.total
    for cap in caps:
        used = sum(
            (amount for seq, amount in found.consumed.items() if cap.applies(by_seq[seq].source, by_seq[seq].category)),
            Decimal(0),
        )
        assert used <= cap.limit(qualification.total)
    if found.met:
        assert found.total == qualification.total
        assert all(requirement.counted >= requirement.needed for requirement in found.requirements)
    else:
        assert found.missing()
    left = sum((item.available for item in lines), Decimal(0)) - found.total
    assert left >= 0


@settings(max_examples=200, deadline=None)
@given(sources, sources)
def test_sources_with_equal_input_keys_convert_alike(one: Source, other: Source) -> None:
    # A batch converts each distinct input once and reuses the result: equal keys must mean equal conversions.
    moved = Source(
        "ach_2", "lrn_2", one.institution, one.institution_type, 99, dict(one.data), one.unit_name, one.hours_per_unit
    )
    assert inputs_key(moved) == inputs_key(one)
    if inputs_key(one) == inputs_key(other):
        assert convert(one, RULE_SET, FW, OUTCOMES, TODAY) == convert(other, RULE_SET, FW, OUTCOMES, TODAY)


def test_input_keys_keep_numbers_and_booleans_apart() -> None:
    keys = {inputs_key(source("uni-b", credits=value)) for value in (1, 1.0, True)}
    assert len(keys) == 3
