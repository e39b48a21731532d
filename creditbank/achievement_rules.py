"""Rules an achievement's values must meet together, beyond each field's own type and range.

One function serves every door: the single post, each item of a batch, and a correction's merged
result, so the same record can never be accepted by one and refused by another.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

EARLIEST = date(1900, 1, 1)
# Completion a day ahead of the bank's clock is a time zone, not the future.
FUTURE_SLACK = timedelta(days=1)


def check(data: dict[str, Any], today: date) -> dict[str, str]:
    """Field path → message for every broken rule; empty when the values are consistent."""
    errors: dict[str, str] = {}
    title = data.get("title") or {}
    if not title.get("zh") and not title.get("en"):
        errors["title"] = "give the title in Chinese, English or both"
    latest = today + FUTURE_SLACK
    started = _date(data.get("started"))
    completed = _date(data.get("completed"))
    for name, value in (("started", started), ("completed", completed)):
        if value is not None and not EARLIEST <= value <= latest:
            errors[name] = f"must be between {EARLIEST.isoformat()} and {latest.isoformat()}"
    if started and completed and completed < started:
        errors["completed"] = "completion comes before the start date"
    result = data.get("result")
    if isinstance(result, dict) and result.get("type") == "score":
        errors.update(_score_errors(result))
    return errors


def _score_errors(result: dict[str, Any]) -> dict[str, str]:
    low, high = result.get("min", 0), result["max"]
    if low >= high:
        return {"result.max": "the scale's maximum must exceed its minimum"}
    errors = {}
    if not low <= result["score"] <= high:
        errors["result.score"] = f"the score lies outside its scale {low}-{high}"
    pass_mark = result.get("pass_mark")
    if pass_mark is not None and not low <= pass_mark <= high:
        errors["result.pass_mark"] = f"the pass mark lies outside its scale {low}-{high}"
    return errors


def _date(value: Any) -> date | None:
    return date.fromisoformat(value) if isinstance(value, str) else None
