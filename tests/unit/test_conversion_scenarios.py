"""The conversion engine and the planner on concrete learners: each scenario checks the credits, the level, the
category and the words of the explanation, in English and in Chinese."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from creditbank.credits import rules
from creditbank.credits.catalogue import LearningOutcome
from creditbank.credits.conversion import Conversion, Source, convert
from creditbank.credits.documents import DocumentError
from creditbank.credits.frameworks import QualificationType
from creditbank.credits.planner import Line, plan
from creditbank.credits.rules import Cap
from ledger.canonical import canonical_bytes
from tests.unit.credit_fixtures import (
    AS_OF,
    INSTITUTIONS,
    chinese,
    english,
    framework,
    outcomes,
    rule_set,
    rules_document,
    source,
)

FW = framework()
CATALOGUE = outcomes(FW)
RULES = rule_set(FW)
MOOC_CAP = Cap(source="mooc", category=None, max_share=Decimal("0.3"), max_credits=None)
FIRST_STEP_EN = "Converted under rule set u-1 into Unit framework credits ({who}, source: {label})."
FIRST_STEP_ZH = "按规则集 u-1 换算为“单元测试框架”学分（{who}，来源类别：{label}）。"


def run(
    item: Source, ruleset: Any = None, catalogue: dict[str, LearningOutcome] | None = None, as_of: date = AS_OF
) -> Any:
    return convert(item, ruleset or RULES, FW, CATALOGUE if catalogue is None else catalogue, as_of)


def placed(result: Conversion) -> tuple[Decimal, int, str, str, str | None]:
    return result.credits, result.level, result.category, result.source, result.outcome


# --- (a) hours at a senior college ---------------------------------------------------------------------------


def test_a_senior_college_learner_with_120_course_hours() -> None:
    result = run(source("senior-c", hours=120))
    assert placed(result) == (Decimal(12), 2, "culture_arts", "senior_college", None)
    assert english(result) == [
        FIRST_STEP_EN.format(who="senior-c", label="senior_college"),
        "No result reported: treated as completed.",
        "Completed 2026-01-10, within the 10-year validity window.",
        "120 hours ÷ 10 hours per credit = 12 credits.",
        "Result: 12 credits at level 2, category culture_arts.",
    ]
    assert chinese(result) == [
        FIRST_STEP_ZH.format(who="senior-c", label="senior_college"),
        "未报告成绩：按已完成认定。",
        "完成于 2026-01-10，在 10 年有效期内。",
        "120 学时 ÷ 每学分 10 学时 = 12 学分。",
        "结果：12 学分，第 2 级，类别 culture_arts。",
    ]


def test_senior_college_hours_that_need_rounding_down() -> None:
    result = run(source("senior-c", hours=127, result={"type": "score", "score": 70, "max": 100}))
    assert placed(result) == (Decimal("12.5"), 2, "culture_arts", "senior_college", None)
    assert english(result)[1:] == [
        "Score 70 of 100 (70%) meets the minimum of 60%.",
        "Completed 2026-01-10, within the 10-year validity window.",
        "127 hours ÷ 10 hours per credit = 12.7 credits.",
        "Rounded down to a multiple of 0.5: 12.5 credits.",
        "Result: 12.5 credits at level 2, category culture_arts.",
    ]
    assert chinese(result)[1] == "成绩 70/100（70%），达到最低要求 60%。"
    assert chinese(result)[4] == "向下取整到 0.5 的倍数：12.5 学分。"


def test_whole_credit_rounding_under_another_rule_set() -> None:
    result = run(source("senior-c", hours=129.5), rule_set(FW, rounding=1))
    assert result.credits == Decimal(12)
    assert "129.5 hours ÷ 10 hours per credit = 12.95 credits." in english(result)
    assert "Rounded down to a multiple of 1: 12 credits." in english(result)


def test_an_exact_result_gets_no_rounding_step() -> None:
    result = run(source("senior-c", hours=125))
    assert result.credits == Decimal("12.5")
    assert not any(step.startswith("Rounded down") for step in english(result))
    assert not any("向下取整" in step for step in chinese(result))


# --- (b) transfer through equivalences -----------------------------------------------------------------------


def test_a_transfer_between_universities_through_the_equivalence_table() -> None:
    result = run(source("uni-b", code="DIG1", credits=4))
    # Not 4 x 2 = 8 professional credits at level 5: the catalogue outcome decides.
    assert placed(result) == (Decimal(2), 2, "digital_literacy", "university", "DL-1")
    assert english(result)[3:] == [
        "Course equivalence: uni-b:DIG1 → uni-a:DL100 → DL-1.",
        "Recognized as catalogue outcome DL-1 'Digital literacy 1': 2 credits at level 2, category digital_literacy.",
        "Result: 2 credits at level 2, category digital_literacy.",
    ]
    assert chinese(result)[3:] == [
        "课程等效：uni-b:DIG1 → uni-a:DL100 → DL-1。",
        "按成果名录 DL-1“数字素养一”认定：2 学分，第 2 级，类别 digital_literacy。",
        "结果：2 学分，第 2 级，类别 digital_literacy。",
    ]


def test_the_middle_of_a_chain_also_resolves() -> None:
    result = run(source("uni-a", code="DL100", credits=3, hours_per_unit=Decimal(16)))
    assert placed(result) == (Decimal(2), 2, "digital_literacy", "university", "DL-1")
    assert "Course equivalence: uni-a:DL100 → DL-1." in english(result)


def test_a_direct_equivalence_to_an_outcome_with_fractional_credits() -> None:
    result = run(source("uni-b", code="ACC1", credits=1))
    assert placed(result) == (Decimal("3.5"), 4, "professional", "university", "PRO-ACC-1")
    whole = run(source("uni-b", code="ACC1", credits=1), rule_set(FW, rounding=1))
    assert whole.credits == Decimal(3)
    assert english(whole)[-2:] == [
        "Rounded down to a multiple of 1: 3 credits.",
        "Result: 3 credits at level 4, category professional.",
    ]


def test_an_equivalence_to_an_outcome_not_in_the_catalogue_falls_back_to_the_general_rule() -> None:
    result = run(source("uni-b", code="NEW1", credits=4))
    assert placed(result) == (Decimal(8), 5, "professional", "university", None)
    assert english(result)[3:] == [
        "Course equivalence uni-b:NEW1 → NX-9, but NX-9 is not an approved catalogue outcome: "
        "the general rule applies.",
        "4 credits × 2 = 8 credits.",
        "Result: 8 credits at level 5, category professional.",
    ]
    assert chinese(result)[3] == "课程等效 uni-b:NEW1 → NX-9，但 NX-9 不是已批准的名录成果：按一般规则换算。"
    assert chinese(result)[4] == "4 学分 × 2 = 8 学分。"


def test_a_chain_whose_outcome_is_not_yet_approved_falls_back_too() -> None:
    result = run(source("uni-b", code="DIG1", credits=4), catalogue={})
    assert placed(result) == (Decimal(8), 5, "professional", "university", None)
    assert (
        "Course equivalence uni-b:DIG1 → uni-a:DL100 → DL-1, but DL-1 is not an approved catalogue outcome: "
        "the general rule applies."
    ) in english(result)


def test_an_outcome_of_another_framework_is_not_used() -> None:
    foreign = LearningOutcome(
        "DL-1", "other-fw", 1, Decimal(9), "general", {"zh": "外", "en": "Foreign"}, {"zh": "外", "en": "Foreign"}
    )
    result = run(source("uni-b", code="DIG1", credits=4), catalogue={"DL-1": foreign})
    assert placed(result) == (Decimal(8), 5, "professional", "university", None)
    assert any("DL-1 is not an approved catalogue outcome" in step for step in english(result))


def test_a_course_with_no_equivalence_uses_the_institution_rule() -> None:
    result = run(source("uni-b", code="MATH1", credits=2, kind="module"))
    assert placed(result) == (Decimal(4), 4, "professional", "university", None)  # module: the default level
    assert not any("equivalence" in step.lower() for step in english(result))


# --- (c) MOOC credits and the cap ----------------------------------------------------------------------------


def converted_line(item: Source) -> Line:
    result = run(item)
    return Line(item.seq, result.level, result.category, result.source, result.outcome, result.credits)


def test_mooc_hours_convert_with_the_mooc_source_label() -> None:
    result = run(source("mooc-x", hours=80, credits=99))  # hours basis: the platform's own credits are ignored
    assert placed(result) == (Decimal(8), 3, "general", "mooc", None)
    assert english(result)[0] == FIRST_STEP_EN.format(who="mooc-x", label="mooc")
    assert chinese(result)[0] == FIRST_STEP_ZH.format(who="mooc-x", label="mooc")
    assert "80 hours ÷ 10 hours per credit = 8 credits." in english(result)


def test_a_rule_may_name_the_source_label_itself() -> None:
    document = rules_document()
    document["institutions"][3]["source"] = "partner"
    result = run(source("mooc-x", hours=80), rules.read(document, "rules.toml", FW, INSTITUTIONS))
    assert result.source == "partner"
    assert "(mooc-x, source: partner)" in english(result)[0]


def test_mooc_credits_hit_the_cap_and_the_plan_falls_short() -> None:
    mooc = converted_line(source("mooc-x", seq=1, hours=80))  # 8 credits, level 3, source "mooc"
    uni = converted_line(source("uni-b", seq=2, credits=2.5))  # 5 credits, level 5, source "university"
    assert (mooc.available, mooc.source, uni.available, uni.source) == (8, "mooc", 5, "university")
    plain = FW.qualifications["plain"]  # total 10
    found = plan(plain, [mooc, uni], RULES.caps)
    assert RULES.caps == (MOOC_CAP,)
    assert found.consumed == {1: Decimal(3), 2: Decimal(5)}
    assert found.total == Decimal(8)
    assert not found.met
    assert [(r.key, r.needed, r.counted, r.met) for r in found.requirements] == [("total", 10, 8, False)]
    assert found.missing() == {"total": "2 more credits needed (at least 10 credits in all)"}
    assert found.limits == [
        {
            "zh": "来源“mooc”不超过资历总学分的30%",
            "en": "credits from source 'mooc': at most 30% of the qualification's total",
        }
    ]


def test_mooc_credits_hit_the_cap_and_university_credits_make_up_the_rest() -> None:
    plain = FW.qualifications["plain"]
    lines = [
        Line(1, 3, "general", "mooc", None, Decimal(8)),
        Line(2, 3, "professional", "university", None, Decimal(7)),
    ]
    found = plan(plain, lines, (MOOC_CAP,))
    assert found.met
    assert found.consumed == {1: Decimal(3), 2: Decimal(7)}
    assert found.total == Decimal(10)
    assert found.missing() == {}
    # Without the cap the older MOOC line would have been used in full.
    assert plan(plain, lines, ()).consumed == {1: Decimal(8), 2: Decimal(2)}


def test_a_cap_by_credits_and_share_takes_the_smaller_limit() -> None:
    plain = FW.qualifications["plain"]
    cap = Cap(source="mooc", category=None, max_share=Decimal("0.3"), max_credits=Decimal(2))
    lines = [Line(1, 3, "general", "mooc", None, Decimal(8)), Line(2, 3, "general", "university", None, Decimal(20))]
    assert plan(plain, lines, (cap,)).consumed == {1: Decimal(2), 2: Decimal(8)}
    assert (
        cap.describe()["en"]
        == "credits from source 'mooc': at most 30% of the qualification's total and at most 2 credits"
    )


def test_a_category_cap_limits_every_source() -> None:
    plain = FW.qualifications["plain"]
    cap = Cap(source=None, category="culture_arts", max_share=None, max_credits=Decimal(4))
    lines = [
        Line(1, 2, "culture_arts", "senior_college", None, Decimal(3)),
        Line(2, 2, "culture_arts", "university", None, Decimal(3)),
        Line(3, 2, "general", "university", None, Decimal(3)),
    ]
    found = plan(plain, lines, (cap,))
    assert found.consumed == {1: Decimal(3), 2: Decimal(1), 3: Decimal(3)}
    assert not found.met
    assert cap.describe() == {
        "zh": "类别“culture_arts”不超过4学分",
        "en": "credits in category 'culture_arts': at most 4 credits",
    }


# --- (d) validity --------------------------------------------------------------------------------------------


def test_an_achievement_outside_the_validity_window_converts_to_nothing() -> None:
    result = run(source("senior-c", hours=40, completed="2015-06-30"))
    assert placed(result) == (Decimal(0), 2, "culture_arts", "senior_college", None)
    assert english(result)[-2:] == [
        "Completed 2015-06-30, before 2016-11-22: outside the 10-year validity window, "
        "so it needs re-certification before it converts.",
        "Result: 0 credits.",
    ]
    assert chinese(result)[-2:] == [
        "完成于 2015-06-30，早于 2016-11-22，超出 10 年有效期：需重新认证后才能换算。",
        "结果：0 学分。",
    ]


def test_the_first_day_of_the_validity_window_still_counts() -> None:
    assert run(source("senior-c", hours=40, completed="2016-11-22")).credits == Decimal(4)
    assert run(source("senior-c", hours=40, completed="2016-11-21")).credits == Decimal(0)


def test_an_institution_may_set_a_shorter_validity() -> None:
    result = run(source("open-u", credits=2, completed="2023-06-01"))
    assert result.credits == 0
    assert "outside the 3-year validity window" in english(result)[-2]
    assert run(source("open-u", credits=2, completed="2024-06-01")).credits == Decimal(3)


def test_the_validity_window_on_a_leap_day() -> None:
    leap = date(2028, 2, 29)
    assert run(source("senior-c", hours=10, completed="2018-02-28"), as_of=leap).credits == Decimal(1)
    late = run(source("senior-c", hours=10, completed="2018-02-27"), as_of=leap)
    assert late.credits == 0
    assert "before 2018-02-28" in english(late)[-2]


def test_the_start_date_counts_when_there_is_no_completion_date() -> None:
    result = run(source("senior-c", hours=40, completed=None, started="2001-09-01"))
    assert result.credits == 0
    assert english(result)[-2].startswith("Completed 2001-09-01, before 2016-11-22")


def test_a_rule_set_without_validity_never_expires() -> None:
    document = rules_document()
    del document["defaults"]["validity_years"]
    ruleset = rules.read(document, "rules.toml", FW, INSTITUTIONS)
    result = run(source("senior-c", hours=40, completed="1990-01-01"), ruleset)
    assert result.credits == Decimal(4)
    assert not any("validity" in step for step in english(result))


# --- (e) results that do not pass ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("result", "en", "zh"),
    [
        pytest.param(
            {"type": "score", "score": 59, "max": 100},
            "Score 59 of 100 (59%) is below the minimum of 60%, so nothing is converted.",
            "成绩 59/100（59%），低于最低要求 60%，不予换算。",
            id="score-below",
        ),
        pytest.param(
            {"type": "score", "score": 10, "min": 5, "max": 15},
            "Score 10 of 15 (50%) is below the minimum of 60%, so nothing is converted.",
            "成绩 10/15（50%），低于最低要求 60%，不予换算。",
            id="score-below-on-a-shifted-scale",
        ),
        pytest.param(
            {"type": "score", "score": 1.75, "max": 3},
            "Score 1.75 of 3 (58.33%) is below the minimum of 60%, so nothing is converted.",
            "成绩 1.75/3（58.33%），低于最低要求 60%，不予换算。",
            id="fractional-score",
        ),
        pytest.param(
            {"type": "pass_fail", "passed": False},
            "Result: not passed, so nothing is converted.",
            "成绩：未通过，不予换算。",
            id="pass-fail-false",
        ),
        pytest.param(
            {"type": "grade", "grade": "F", "passed": False},
            "Result: not passed, so nothing is converted.",
            "成绩：未通过，不予换算。",
            id="grade-failed",
        ),
    ],
)
def test_a_failed_result_converts_to_nothing(result: dict[str, Any], en: str, zh: str) -> None:
    converted = run(source("senior-c", hours=30, result=result))
    assert placed(converted) == (Decimal(0), 2, "culture_arts", "senior_college", None)
    assert english(converted)[1:] == [en, "Result: 0 credits."]
    assert chinese(converted)[1:] == [zh, "结果：0 学分。"]


@pytest.mark.parametrize(
    ("result", "en"),
    [
        pytest.param(
            {"type": "score", "score": 60, "max": 100}, "Score 60 of 100 (60%) meets the minimum of 60%.", id="at"
        ),
        pytest.param(
            {"type": "score", "score": 11, "min": 5, "max": 15},
            "Score 11 of 15 (60%) meets the minimum of 60%.",
            id="shifted-scale",
        ),
        pytest.param({"type": "pass_fail", "passed": True}, "Result: passed.", id="pass-fail"),
        pytest.param({"type": "grade", "grade": "A", "passed": True}, "Result: passed.", id="grade-passed"),
        pytest.param({"type": "grade", "grade": "B"}, "Grade B with no pass flag: treated as passed.", id="grade"),
    ],
)
def test_a_passing_result_converts(result: dict[str, Any], en: str) -> None:
    converted = run(source("senior-c", hours=30, result=result))
    assert converted.credits == Decimal(3)
    assert english(converted)[1] == en


def test_an_institution_may_set_a_lower_minimum() -> None:
    score = {"type": "score", "score": 55, "max": 100}
    at_open_u = run(source("open-u", credits=2, result=score))
    assert at_open_u.credits == Decimal(3)
    assert english(at_open_u)[1] == "Score 55 of 100 (55%) meets the minimum of 50%."
    assert chinese(at_open_u)[1] == "成绩 55/100（55%），达到最低要求 50%。"
    assert run(source("senior-c", hours=30, result=score)).credits == 0


def test_a_score_just_below_the_minimum_is_not_rounded_up_to_it() -> None:
    # 599.96 of 1000 is 59.996%, below the 60% minimum, even though it shows as 60.00% to two decimals.
    converted = run(source("senior-c", hours=30, result={"type": "score", "score": 599.96, "max": 1000}))
    assert converted.credits == 0
    assert not any("meets the minimum" in step for step in english(converted))


# --- (f) the credits basis -----------------------------------------------------------------------------------


def test_credits_by_the_institutions_declared_unit_and_rounding_down() -> None:
    result = run(source("uni-a", credits=3, hours_per_unit=Decimal(16)))
    assert placed(result) == (Decimal("4.5"), 4, "professional", "university", None)
    assert english(result)[3:] == [
        "3 × 'credit' of 16 hours (as the institution declares) = 48 hours; ÷ 10 hours per credit = 4.8 credits.",
        "Rounded down to a multiple of 0.5: 4.5 credits.",
        "Result: 4.5 credits at level 4, category professional.",
    ]
    assert chinese(result)[3:] == [
        "3 个“credit”× 每个 16 学时（机构声明）= 48 学时；÷ 每学分 10 学时 = 4.8 学分。",
        "向下取整到 0.5 的倍数：4.5 学分。",
        "结果：4.5 学分，第 4 级，类别 professional。",
    ]


def test_the_declared_unit_keeps_its_name_and_a_finer_step() -> None:
    item = source("uni-a", credits=3, hours_per_unit=Decimal(16), unit_name="ECTS")
    result = run(item, rule_set(FW, rounding=0.25))
    assert result.credits == Decimal("4.75")
    assert "3 × 'ECTS' of 16 hours (as the institution declares) = 48 hours" in english(result)[3]
    assert "3 个“ECTS”× 每个 16 学时" in chinese(result)[3]
    assert english(result)[4] == "Rounded down to a multiple of 0.25: 4.75 credits."


def test_credits_by_an_explicit_ratio_with_a_named_unit() -> None:
    result = run(source("open-u", credits=3))
    assert placed(result) == (Decimal("4.5"), 3, "general", "university", None)
    assert english(result)[3:] == [
        "3 term credits × 1.5 = 4.5 credits.",
        "Result: 4.5 credits at level 3, category general.",
    ]
    assert chinese(result)[3] == "3 学期学分 × 1.5 = 4.5 学分。"


def test_credits_by_an_explicit_ratio_rounded_down() -> None:
    result = run(source("uni-b", credits=1.3))  # 2.6 -> 2.5
    assert placed(result) == (Decimal("2.5"), 5, "professional", "university", None)
    assert english(result)[3:5] == ["1.3 credits × 2 = 2.6 credits.", "Rounded down to a multiple of 0.5: 2.5 credits."]


def test_the_ratio_wins_over_the_declared_hours() -> None:
    result = run(source("uni-b", credits=3, hours_per_unit=Decimal(16)))
    assert result.credits == Decimal(6)
    assert "3 credits × 2 = 6 credits." in english(result)


def test_a_credits_rule_without_a_unit_falls_back_to_hours() -> None:
    result = run(source("uni-a", credits=3, hours=30))  # no declared hours per unit, no ratio
    assert result.credits == Decimal(3)
    assert "30 hours ÷ 10 hours per credit = 3 credits." in english(result)


def test_neither_credits_nor_hours_converts_to_nothing_and_says_why() -> None:
    result = run(source("uni-a"))
    assert placed(result) == (Decimal(0), 4, "professional", "university", None)
    assert english(result)[-2:] == [
        "Neither convertible credits nor hours were reported, so nothing can be converted.",
        "Result: 0 credits.",
    ]
    assert chinese(result)[-2] == "既无可换算的学分也无学时，无法换算。"


def test_an_institution_without_a_rule_uses_the_defaults() -> None:
    ruleset = rule_set(FW)
    bare = Source("ach_9", "lrn_1", "uni-z", "vocational_school", 3, {"kind": "course", "hours": 25})
    result = run(bare, ruleset)
    assert placed(result) == (Decimal("2.5"), 2, "general", "vocational_school", None)


@pytest.mark.parametrize("step", [0.005, 0.003, 0.015, 1.001])
def test_a_rounding_step_finer_than_a_cent_is_refused(step: float) -> None:
    # Balances are kept in cents: a finer step could not be honoured without rounding up, so the rule set is
    # refused for the step, and for nothing else.
    with pytest.raises(DocumentError) as refused:
        rule_set(FW, rounding=step)
    assert refused.value.faults == ["defaults.rounding: must be a whole number of hundredths (0.01 or coarser)"]


@pytest.mark.parametrize(
    ("step", "hours", "credits"),
    [
        pytest.param(0.01, 0.15, Decimal("0.01"), id="cent-step"),  # 0.15 h / 10 h per credit = 0.015
        pytest.param(0.05, 0.99, Decimal("0.05"), id="five-cent-step"),  # 0.099
        pytest.param(0.25, 7.4, Decimal("0.5"), id="quarter-step"),  # 0.74
    ],
)
def test_the_finest_accepted_steps_round_down(step: float, hours: float, credits: Decimal) -> None:
    result = run(source("senior-c", hours=hours), rule_set(FW, rounding=step))
    assert result.credits == credits
    assert f"Rounded down to a multiple of {step}: {credits} credits." in english(result)


# --- the ledger body -----------------------------------------------------------------------------------------


def test_the_ledger_body_names_the_rules_and_the_source() -> None:
    item = source("senior-c", hours=120, seq=41)
    result = run(item)
    body = result.body(item, RULES, "cd" * 32, AS_OF)
    assert body == {
        "learner": "lrn_1",
        "achievement": "ach_1",
        "source_seq": 41,
        "institution": "senior-c",
        "framework": "unit-fw",
        "rules": "u-1",
        "rules_hash": "cd" * 32,
        "as_of": "2026-11-22",
        "credits": 12,
        "level": 2,
        "category": "culture_arts",
        "source": "senior_college",
        "outcome": None,
        "explanation": list(result.steps),
    }
    assert b'"credits":12,' in canonical_bytes(body)
    halves = run(source("senior-c", hours=125)).body(item, RULES, "h", AS_OF)
    assert halves["credits"] == 12.5


# --- (g) the planner -----------------------------------------------------------------------------------------

CERT = FW.qualifications["cert"]  # total 10; 2 in digital_literacy; DL-1 required
DIPLOMA = FW.qualifications["diploma"]  # total 20; 6 at level 4 or above
PLAIN = FW.qualifications["plain"]  # total 10


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


def test_a_missing_required_outcome_is_named() -> None:
    found = plan(CERT, [line(1, "20", category="professional")], ())
    assert not found.met
    assert [(r.key, r.met) for r in found.requirements] == [
        ("outcome.DL-1", False),
        ("category.digital_literacy", False),
        ("total", True),
    ]
    assert found.missing() == {
        "outcome.DL-1": "required outcome not banked (required outcome DL-1)",
        "category.digital_literacy": "2 more credits needed (at least 2 credits in digital_literacy)",
    }
    assert found.consumed == {1: Decimal(10)}


def test_the_required_outcome_and_category_are_met_first() -> None:
    lines = [
        line(1, "20", level=4, category="professional"),
        line(2, "3", level=1, category="digital_literacy"),
        line(3, "2", level=2, category="digital_literacy", outcome="DL-1"),
    ]
    found = plan(CERT, lines, ())
    assert found.met
    assert found.consumed == {1: Decimal(8), 3: Decimal(2)}
    assert [(r.key, r.needed, r.counted) for r in found.requirements] == [
        ("outcome.DL-1", 1, 1),
        ("category.digital_literacy", 2, 2),
        ("total", 10, 10),
    ]


def test_a_category_minimum_takes_lower_level_credits_of_that_category() -> None:
    lines = [
        line(1, "20", level=5, category="professional"),
        line(2, "5", level=1, category="digital_literacy"),
        line(3, "1", level=2, category="digital_literacy", outcome="DL-1"),
    ]
    found = plan(CERT, lines, ())
    assert found.met
    assert found.consumed == {1: Decimal(8), 2: Decimal(1), 3: Decimal(1)}


def test_a_category_minimum_that_is_not_met() -> None:
    lines = [line(1, "20", category="professional"), line(2, "1", level=2, category="digital_literacy", outcome="DL-1")]
    found = plan(CERT, lines, ())
    assert not found.met
    assert found.missing() == {
        "category.digital_literacy": "1 more credits needed (at least 2 credits in digital_literacy)"
    }
    assert found.total == Decimal(10)


def test_a_required_outcome_from_a_capped_source_does_not_count_past_the_cap() -> None:
    lines = [
        line(1, "2", level=2, category="digital_literacy", src="mooc", outcome="DL-1"),
        line(2, "20", category="digital_literacy"),
    ]
    closed = Cap(source="mooc", category=None, max_share=Decimal(0), max_credits=None)
    found = plan(CERT, lines, (closed,))
    assert not found.met
    assert set(found.missing()) == {"outcome.DL-1"}
    assert 1 not in found.consumed


def test_the_level_floor_is_not_met_by_lower_levels() -> None:
    found = plan(DIPLOMA, [line(1, "30", level=3), line(2, "4", level=4)], ())
    assert not found.met
    assert found.missing() == {"level.4": "2 more credits needed (at least 6 credits at level 4 or above)"}
    assert found.consumed == {1: Decimal(16), 2: Decimal(4)}
    assert found.total == DIPLOMA.total


def test_the_level_floor_prefers_higher_levels_and_stops_at_the_total() -> None:
    found = plan(DIPLOMA, [line(1, "30", level=3), line(2, "4", level=4), line(3, "4", level=5)], ())
    assert found.met
    assert found.consumed == {1: Decimal(12), 2: Decimal(4), 3: Decimal(4)}
    floor = next(r for r in found.requirements if r.key == "level.4")
    assert (floor.needed, floor.counted) == (Decimal(6), Decimal(6))  # counted when the floor was checked


def test_the_last_line_is_consumed_only_in_part() -> None:
    found = plan(PLAIN, [line(1, "4"), line(2, "3"), line(3, "5")], ())
    assert found.met
    assert found.consumed == {1: Decimal(4), 2: Decimal(3), 3: Decimal(3)}
    assert found.total == PLAIN.total


def test_fractional_lines_sum_exactly_to_the_total() -> None:
    found = plan(PLAIN, [line(1, "3.75"), line(2, "3.75"), line(3, "3.75"), line(4, "3.75")], ())
    assert found.consumed == {1: Decimal("3.75"), 2: Decimal("3.75"), 3: Decimal("2.5")}
    assert found.total == Decimal(10)


def test_older_credits_go_first_within_a_level_and_empty_lines_are_ignored() -> None:
    found = plan(PLAIN, [line(9, "8"), line(3, "0"), line(5, "8"), line(4, "-1")], ())
    assert found.consumed == {5: Decimal(8), 9: Decimal(2)}


def test_a_qualification_with_every_requirement() -> None:
    every = QualificationType(
        "every",
        "unit-fw",
        {"zh": "全", "en": "All"},
        4,
        Decimal(12),
        (4, Decimal(3)),
        {"digital_literacy": Decimal(2), "culture_arts": Decimal(1)},
        ("DL-1",),
    )
    lines = [
        line(1, "2", level=2, category="digital_literacy", outcome="DL-1"),
        line(2, "5", level=1, category="culture_arts"),
        line(3, "3", level=4, category="professional", src="mooc"),
        line(4, "10", level=2, category="general"),
    ]
    found = plan(every, lines, (MOOC_CAP,))  # mooc: at most 3.6 of 12
    assert found.met
    assert found.consumed == {1: Decimal(2), 2: Decimal(1), 3: Decimal(3), 4: Decimal(6)}
    assert [r.key for r in found.requirements] == [
        "outcome.DL-1",
        "category.digital_literacy",
        "category.culture_arts",
        "level.4",
        "total",
    ]
    assert found.requirements[-1].view() == {
        "requirement": "total",
        "needed": 12,
        "counted": 12,
        "missing": 0,
        "met": True,
        "description": {"zh": "总计至少 12 学分", "en": "at least 12 credits in all"},
    }
