"""The credit statement without a database: balances by framework, level and category from plain credit lines,
reversals, what awards consumed, what a reader may see of another institution's line, and exact cents."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from creditbank.credits.documents import as_number
from creditbank.credits.planner import Line
from creditbank.credits.statement import AWARD_FIELDS, Account, CreditLine, Redemption, accounts, available, credits

EXPLAINED = [{"zh": "结果：4 学分。", "en": "Result: 4 credits."}]


def line(seq: int, cents: int, **fields: Any) -> CreditLine:
    values: dict[str, Any] = {
        "time": f"2026-01-{seq:02d}T08:00:00Z",
        "framework": "test-fw",
        "institution": "uni-a",
        "achievement": f"ach_{seq}",
        "source_seq": seq,
        "rules": "t-1",
        "level": 4,
        "category": "professional",
        "source": "university",
        "outcome": None,
        "explanation": EXPLAINED,
        **fields,
    }
    return CreditLine(seq=seq, cents=cents, **values)


def redeemed(seq: int, line_seq: int, cents: int, award: str = "qua_1") -> Redemption:
    return Redemption(seq, line_seq, award, "test-cert", f"2026-02-{seq:02d}T08:00:00Z", cents)


def only(found: list[Account]) -> Account:
    (account,) = found
    return account


def test_an_empty_account_has_no_frameworks_and_nothing_to_plan_with() -> None:
    assert accounts([], []) == []
    assert available([]) == []


def test_a_redemption_of_a_line_the_reader_does_not_see_is_not_shown() -> None:
    assert accounts([], [redeemed(9, 1, 400)]) == []


def test_one_conversion_is_one_balance_and_one_movement() -> None:
    account = only(accounts([line(1, 400, outcome="DL-1")], []))
    assert (account.framework, account.earned, account.used, account.available) == ("test-fw", 400, 0, 400)
    (balance,) = account.balances
    assert (balance.level, balance.category, balance.conversions) == (4, "professional", (1,))
    assert account.statement == (
        {
            "seq": 1,
            "time": "2026-01-01T08:00:00Z",
            "type": "converted",
            "credits": 4,
            "level": 4,
            "category": "professional",
            "source": "university",
            "institution": "uni-a",
            "achievement": "ach_1",
            "source_seq": 1,
            "rules": "t-1",
            "explanation": EXPLAINED,
            "outcome": "DL-1",
        },
    )


def test_a_reversed_conversion_stays_on_the_statement_but_leaves_the_balance() -> None:
    lines = [line(1, 800, reversed_by=2), line(2, -800, reverses=1), line(3, 300, reversed_by=4)]
    lines += [line(4, -300, reverses=3), line(5, 300)]
    account = only(accounts(lines, []))
    assert [(m["seq"], m["type"], m["credits"]) for m in account.statement] == [
        (1, "converted", 8),
        (2, "reversed", -8),
        (3, "converted", 3),
        (4, "reversed", -3),
        (5, "converted", 3),
    ]
    assert account.statement[0]["reversed_by"] == 2
    assert "reverses" not in account.statement[0]
    assert account.statement[1]["reverses"] == 1
    assert "reversed_by" not in account.statement[1]
    assert "reversed_by" not in account.statement[4]
    assert (account.earned, account.available) == (300, 300)
    assert [b.conversions for b in account.balances] == [(5,)]
    assert [planned.seq for planned in available(lines)] == [5]


def test_a_fully_revoked_account_shows_zero_not_nothing() -> None:
    account = only(accounts([line(1, 550, reversed_by=2), line(2, -550, reverses=1)], []))
    assert account.balances == ()
    assert (account.earned, account.used, account.available) == (0, 0, 0)
    assert credits(account.available) == 0
    assert isinstance(credits(account.available), int)
    assert len(account.statement) == 2


def test_an_award_consumes_credits_across_levels_and_categories() -> None:
    lines = [
        line(1, 200, level=2, category="digital_literacy", outcome="DL-1", consumed_cents=200),
        line(2, 950, consumed_cents=800),
        line(3, 400, level=4, category="general"),
        line(4, 150, level=3, category="professional", consumed_cents=50),
    ]
    # One credits.redeemed entry (seq 7) names every line it drew on.
    redemptions = [redeemed(7, 4, 50), redeemed(7, 2, 800), redeemed(7, 1, 200)]
    account = only(accounts(lines, redemptions))
    assert [(b.level, b.category, b.earned, b.used, b.available, b.conversions) for b in account.balances] == [
        (2, "digital_literacy", 200, 200, 0, (1,)),
        (3, "professional", 150, 50, 100, (4,)),
        (4, "general", 400, 0, 400, (3,)),
        (4, "professional", 950, 800, 150, (2,)),
    ]
    assert (account.earned, account.used, account.available) == (1700, 1050, 650)
    redemption_movements = [m for m in account.statement if m["type"] == "redeemed"]
    assert [m["seq"] for m in account.statement] == [1, 2, 3, 4, 7, 7, 7]
    assert [(m["conversion"], m["credits"]) for m in redemption_movements] == [(1, -2), (2, -8), (4, -0.5)]
    assert redemption_movements[0] == {
        "seq": 7,
        "time": "2026-02-07T08:00:00Z",
        "type": "redeemed",
        "credits": -2,
        "conversion": 1,
        "award": "qua_1",
        "qualification": "test-cert",
    }
    # What is left for the next plan: the line used up is gone, the others keep their remainder.
    assert available(lines) == [
        Line(2, 4, "professional", "university", None, Decimal("1.5")),
        Line(3, 4, "general", "university", None, Decimal(4)),
        Line(4, 3, "professional", "university", None, Decimal(1)),
    ]


def test_a_redemption_stays_on_the_statement_after_its_line_is_reversed() -> None:
    lines = [line(1, 1000, consumed_cents=1000, reversed_by=9), line(9, -1000, reverses=1), line(10, 200)]
    account = only(accounts(lines, [redeemed(5, 1, 1000)]))
    assert [(m["seq"], m["type"]) for m in account.statement] == [
        (1, "converted"),
        (5, "redeemed"),
        (9, "reversed"),
        (10, "converted"),
    ]
    # The reversed line neither earns nor uses any more; only the standing one counts.
    assert (account.earned, account.used) == (200, 0)


def test_a_reader_sees_another_institutions_line_with_only_what_an_award_uses() -> None:
    lines = [line(1, 400), line(2, 300, institution="uni-b", outcome="DL-1", reversed_by=3)]
    lines.append(line(3, -300, institution="uni-b", reverses=2))
    account = only(accounts(lines, [redeemed(4, 2, 100)], lambda shown: shown.institution == "uni-a"))
    own, other, reversal, redemption = account.statement
    assert "explanation" in own
    assert own["institution"] == "uni-a"
    assert set(other) == {"seq", "time", "type", "credits", "level", "category", "source", "outcome", "reversed_by"}
    assert set(reversal) == {"seq", "time", "type", "credits", "level", "category", "source", "reverses"}
    assert set(other) | set(reversal) <= set(AWARD_FIELDS)
    # The redemption names the award, which the reader already sees in the awards it may read.
    assert redemption["award"] == "qua_1"
    # Trimming changes what is shown, never what is counted.
    assert account.balances == only(accounts(lines, [redeemed(4, 2, 100)])).balances


def test_each_framework_is_its_own_account_in_the_order_the_lines_give() -> None:
    lines = [line(3, 100, framework="hkqf"), line(5, 200, framework="hkqf"), line(1, 300), line(2, 50)]
    found = accounts(lines, [redeemed(6, 2, 50), redeemed(7, 5, 200)])
    assert [(a.framework, a.earned, a.used) for a in found] == [("hkqf", 300, 0), ("test-fw", 350, 0)]
    assert [m["seq"] for m in found[0].statement] == [3, 5, 7]
    assert [m["seq"] for m in found[1].statement] == [1, 2, 6]


def test_cents_add_up_exactly_where_floats_would_not() -> None:
    lines = [line(1, 10, category="a"), line(2, 20, category="a"), line(3, 1, category="b")]
    account = only(accounts(lines, []))
    assert 0.1 + 0.2 != 0.3
    assert [credits(b.earned) for b in account.balances] == [0.3, 0.01]
    assert credits(account.earned) == 0.31
    assert sum((planned.available for planned in available(lines)), Decimal(0)) == Decimal("0.31")


def test_credit_figures_as_json_numbers() -> None:
    assert [credits(c) for c in (0, 1, 5, 50, 100, 250, -250, 12345, -1)] == [
        0,
        0.01,
        0.05,
        0.5,
        1,
        2.5,
        -2.5,
        123.45,
        -0.01,
    ]
    # Whole credits are integers, so canonical JSON never carries "4.0".
    assert [type(credits(c)) for c in (0, 400, -400, 401)] == [int, int, int, float]


def test_a_line_used_up_exactly_or_with_nothing_to_give_is_not_planned_with() -> None:
    lines = [line(1, 233, consumed_cents=233), line(2, 0), line(3, 333, consumed_cents=100)]
    assert available(lines) == [Line(3, 4, "professional", "university", None, Decimal("2.33"))]


# --- properties -------------------------------------------------------------------------------------------------

FRAMEWORKS = ("eqf", "hkqf")
CATEGORIES = ("general", "professional", "digital_literacy")


@st.composite
def histories(draw: st.DrawFn) -> tuple[list[CreditLine], list[Redemption]]:
    """Conversions in seq order, some reversed later, some partly consumed by awards (redeemed in one entry)."""
    count = draw(st.integers(0, 12))
    lines: list[CreditLine] = []
    seq = 0
    for _ in range(count):
        seq += 1
        lines.append(
            line(
                seq,
                draw(st.integers(0, 10_000_000)),
                framework=draw(st.sampled_from(FRAMEWORKS)),
                level=draw(st.integers(1, 5)),
                category=draw(st.sampled_from(CATEGORIES)),
                institution=draw(st.sampled_from(("uni-a", "mooc-x"))),
            )
        )
    redemptions: list[Redemption] = []
    for index, converted in enumerate(list(lines)):
        used = draw(st.integers(0, converted.cents))
        if used:
            seq += 1
            redemptions.append(redeemed(seq, converted.seq, used, award=f"qua_{seq}"))
            lines[index] = replace(converted, consumed_cents=used)
    for index, converted in enumerate(list(lines)):
        if draw(st.booleans()):
            seq += 1
            lines[index] = replace(converted, reversed_by=seq)
            lines.append(replace(converted, seq=seq, cents=-converted.cents, consumed_cents=0, reverses=converted.seq))
    # As the account reads them: by framework, then seq.
    lines.sort(key=lambda shown: (shown.framework, shown.seq))
    return lines, redemptions


@settings(max_examples=200, deadline=None)
@given(histories())
def test_balances_are_conversions_less_reversals_less_what_awards_used(
    history: tuple[list[CreditLine], list[Redemption]],
) -> None:
    lines, redemptions = history
    found = accounts(lines, redemptions)
    assert [a.framework for a in found] == sorted({shown.framework for shown in lines})
    for account in found:
        mine = [shown for shown in lines if shown.framework == account.framework]
        standing = [shown for shown in mine if shown.standing]
        # A reversal cancels its conversion exactly, so the sum of every line is what stands.
        assert account.earned == sum(shown.cents for shown in mine) == sum(shown.cents for shown in standing)
        assert account.used == sum(shown.consumed_cents for shown in standing)
        assert account.available == sum(planned.available for planned in available(mine)) * 100
        assert sorted(seq for b in account.balances for seq in b.conversions) == [s.seq for s in standing]
        for balance in account.balances:
            assert all(
                (shown.level, shown.category) == (balance.level, balance.category)
                for shown in standing
                if shown.seq in balance.conversions
            )
        assert [(b.level, b.category) for b in account.balances] == sorted({(s.level, s.category) for s in standing})
        seqs = [movement["seq"] for movement in account.statement]
        assert seqs == sorted(seqs)
        shown_lines = [m["seq"] for m in account.statement if m["type"] != "redeemed"]
        assert shown_lines == [shown.seq for shown in mine]
        mine_seqs = {shown.seq for shown in mine}
        assert [m["conversion"] for m in account.statement if m["type"] == "redeemed"] == [
            r.line for r in redemptions if r.line in mine_seqs
        ]


@given(st.integers(-(10**13), 10**13))
def test_a_credit_figure_is_exactly_its_cents(amount: int) -> None:
    figure = credits(amount)
    assert figure is not None
    assert Decimal(repr(figure)) == Decimal(amount) / 100
    assert figure == as_number(Decimal(amount).scaleb(-2))
