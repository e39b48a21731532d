"""The rules that tie an achievement's values together."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from creditbank.achievement_rules import check

TODAY = date(2026, 11, 22)


def _data(**changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {"kind": "course", "title": {"en": "Statistics"}, "completed": "2026-06-30"}
    data.update(changes)
    return data


def test_consistent_values_pass() -> None:
    assert check(_data(started="2026-02-01", result={"type": "score", "score": 80, "max": 100}), TODAY) == {}


@pytest.mark.parametrize(
    ("changes", "path"),
    [
        ({"title": {}}, "title"),
        ({"started": "2026-07-01"}, "completed"),
        ({"completed": "2026-11-24"}, "completed"),
        ({"completed": "1899-12-31"}, "completed"),
        ({"started": "2999-01-01", "completed": "2999-01-02"}, "started"),
        ({"result": {"type": "score", "score": 101, "max": 100}}, "result.score"),
        ({"result": {"type": "score", "score": -1, "max": 100}}, "result.score"),
        ({"result": {"type": "score", "score": 5, "min": 10, "max": 10}}, "result.max"),
        ({"result": {"type": "score", "score": 5, "max": 10, "pass_mark": 11}}, "result.pass_mark"),
    ],
)
def test_broken_rules_name_their_field(changes: dict[str, Any], path: str) -> None:
    assert path in check(_data(**changes), TODAY)


def test_a_day_ahead_is_a_time_zone_not_the_future() -> None:
    assert check(_data(completed="2026-11-23"), TODAY) == {}
