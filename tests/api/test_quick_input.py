"""The quick path for achievement input accepts exactly what the marshmallow schema accepts and loads it the same way
(same values, keys in the same order); whatever it does not accept in full, it hands to the schema."""

from __future__ import annotations

import copy
import math
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from marshmallow import Schema, ValidationError

from api import record_schemas
from api.record_schemas import AchievementInputSchema, BatchInputSchema

BASE: dict[str, Any] = {
    "kind": "course",
    "title": {"zh": "程序设计基础", "en": "Foundations of Programming"},
    "code": "CS101",
    "level": "undergraduate",
    "credits": 3,
    "hours": 48,
    "result": {"type": "score", "score": 88, "min": 0, "max": 100, "pass_mark": 60},
    "started": "2025-09-01",
    "completed": "2026-01-10",
    "mode": "in_person",
    "outcomes": ["writes programs", "reads them"],
    "language": "zh-CN",
    "learner": "lrn_" + "a" * 20,
    "record_id": "r-1",
    "signature": {"key": "ed25519:" + "0" * 32, "value": "A" * 86 + "=="},
}

ODD_VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**7), max_value=10**7),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=6),
    st.sampled_from(
        [
            "",
            " ",
            "a\x00b",
            "line\nbreak",
            "\ud800",
            "x" * 129,
            "2025-02-30",
            "2025-9-1",
            "٢٠٢٥-٠١-٠١",
            "course",
            "online",
            "score",
            "grade",
            "pass_fail",
            "en",
            "zh-Hant-TW",
            "lrn_" + "b" * 20,
            "ed25519:" + "f" * 32,
            "B" * 86 + "==",
            1e6,
            -1e6,
            1000,
            1000.5,
            100000,
        ]
    ),
    st.lists(st.text(max_size=3), max_size=3),
    st.dictionaries(
        st.sampled_from(["zh", "en", "type", "score", "max", "grade", "passed", "key", "x"]),
        st.text(max_size=3),
        max_size=3,
    ),
)
PLACES = st.sampled_from(
    [
        *[(name,) for name in BASE],
        *[("title", name) for name in ("zh", "en", "fr")],
        *[("result", name) for name in ("type", "score", "min", "max", "pass_mark", "grade", "scale", "passed", "x")],
        *[("signature", name) for name in ("key", "value", "x")],
        ("outcomes", 0),
        ("evidence",),
        ("unknown",),
    ]
)


def _marshmallow(schema: Schema, data: Any) -> Any:
    """The schema's own answer, without the quick path."""
    try:
        return Schema.load(schema, data)
    except ValidationError as error:
        return error


def _mutate(item: dict[str, Any], changes: list[tuple[tuple[Any, ...], Any, bool]]) -> dict[str, Any]:
    changed = copy.deepcopy(item)
    for place, value, remove in changes:
        target: Any = changed
        for step in place[:-1]:
            if not isinstance(target, dict) or step not in target:
                break
            target = target[step]
        else:
            last = place[-1]
            if isinstance(target, dict):
                if remove:
                    target.pop(last, None)
                else:
                    target[last] = value
            elif isinstance(target, list) and isinstance(last, int) and target:
                target[0] = value
    return changed


def _same(quick: Any, slow: Any) -> None:
    if isinstance(slow, ValidationError):
        assert quick is None, f"quick path accepted what the schema refuses: {slow.messages}"
    elif quick is not None:
        assert quick == slow
        assert _key_order(quick) == _key_order(slow)


def _key_order(value: Any) -> Any:
    if isinstance(value, dict):
        return [(key, _key_order(item)) for key, item in value.items()]
    if isinstance(value, list):
        return [_key_order(item) for item in value]
    return type(value).__name__, value if not (isinstance(value, float) and math.isnan(value)) else "nan"


@settings(max_examples=1500, deadline=None)
@given(st.lists(st.tuples(PLACES, ODD_VALUES, st.booleans()), min_size=1, max_size=3))
def test_quick_item_agrees_with_the_schema(changes: list[tuple[tuple[Any, ...], Any, bool]]) -> None:
    item = _mutate(BASE, changes)
    _same(record_schemas._quick_item(item), _marshmallow(AchievementInputSchema(), item))


@settings(max_examples=300, deadline=None)
@given(
    st.sampled_from(["score", "grade", "pass_fail"]), st.lists(st.tuples(PLACES, ODD_VALUES, st.booleans()), max_size=2)
)
def test_quick_results_agree_with_the_schema(kind: str, changes: list[tuple[tuple[Any, ...], Any, bool]]) -> None:
    result = {
        "score": {"type": "score", "score": 5, "max": 10},
        "grade": {"type": "grade", "grade": "A", "scale": "A-F", "passed": True},
        "pass_fail": {"type": "pass_fail", "passed": False},
    }[kind]
    item = _mutate({**BASE, "result": result}, changes)
    _same(record_schemas._quick_item(item), _marshmallow(AchievementInputSchema(), item))


def test_a_valid_item_takes_the_quick_path() -> None:
    loaded = record_schemas._quick_item(BASE)
    assert loaded == _marshmallow(AchievementInputSchema(), BASE)
    assert loaded is not BASE
    assert loaded["title"] is not BASE["title"]


def test_evidence_is_left_to_the_schema_and_still_loads() -> None:
    item = {**BASE, "evidence": [{"url": "https://example.org/x", "sha256": "0" * 64}]}
    assert record_schemas._quick_item(item) is None
    assert BatchInputSchema().load({"items": [BASE, item]}) == _marshmallow(BatchInputSchema(), {"items": [BASE, item]})


def test_a_batch_with_one_bad_item_is_answered_by_the_schema() -> None:
    bad = {**BASE, "record_id": "r-2", "credits": "3"}
    batch = {"items": [BASE, bad]}
    expected = _marshmallow(BatchInputSchema(), batch)
    assert isinstance(expected, ValidationError)
    with pytest.raises(ValidationError) as raised:
        BatchInputSchema().load(batch)
    assert raised.value.messages == expected.messages == {"items": {1: {"credits": ["must be a JSON number"]}}}


def test_an_oversized_batch_is_refused_before_its_items_are_looked_at() -> None:
    batch = {"items": [BASE] * 1001}
    with pytest.raises(ValidationError) as raised:
        BatchInputSchema().load(batch)
    assert raised.value.messages == {"items": ["a batch holds 1-1000 items; this one has 1001"]}
