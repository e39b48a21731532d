"""Rule-set and framework documents refused with the place named: cycles, dangling chains, unknown names."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from creditbank.credits import frameworks, rules
from creditbank.credits.documents import DocumentError, digest, parse_bytes
from tests.integration.credit_world import FRAMEWORK, RULES

FW = frameworks.read(FRAMEWORK, "test")
KNOWN = {"uni-a", "uni-b", "mooc-x", "senior-c"}


def refused_rules(**changes: Any) -> list[str]:
    document = {**copy.deepcopy(RULES), **changes}
    with pytest.raises(DocumentError) as caught:
        rules.read(document, "rules.toml", FW, KNOWN)
    return caught.value.faults


def test_a_two_step_cycle() -> None:
    faults = refused_rules(equivalences=[{"from": "uni-a:X", "to": "uni-b:Y"}, {"from": "uni-b:Y", "to": "uni-a:X"}])
    assert "equivalences[0].to: equivalences form a cycle: uni-a:X → uni-b:Y → uni-a:X" in faults


def test_a_three_step_cycle_and_a_self_loop() -> None:
    chain = [
        {"from": "uni-a:A", "to": "uni-b:B"},
        {"from": "uni-b:B", "to": "senior-c:C"},
        {"from": "senior-c:C", "to": "uni-a:A"},
        {"from": "mooc-x:M", "to": "mooc-x:M"},
    ]
    faults = refused_rules(equivalences=chain)
    assert any(f.startswith("equivalences[0].to: equivalences form a cycle") for f in faults)
    assert "equivalences[3].to: equivalences form a cycle: mooc-x:M → mooc-x:M" in faults


def test_a_chain_that_ends_at_no_outcome() -> None:
    faults = refused_rules(equivalences=[{"from": "uni-a:A", "to": "uni-b:B"}])
    assert faults == ["equivalences[0].to: uni-b:B has no equivalence of its own, so the chain ends at no outcome"]


def test_unknown_institutions_everywhere_they_can_appear() -> None:
    faults = refused_rules(
        institutions=[{"id": "ghost", "basis": "hours"}],
        equivalences=[{"from": "nowhere:A", "to": "DL-1"}],
        awarding={"test-cert": ["phantom"]},
    )
    assert "institutions[0].id: unknown institution 'ghost'" in faults
    assert "equivalences[0].from: unknown institution 'nowhere'" in faults
    assert "awarding.test-cert[0]: unknown institution 'phantom'" in faults


@pytest.mark.parametrize(
    ("changes", "fault"),
    [
        ({"framework": "other"}, "framework: no published framework 'other'"),
        ({"defaults": {**RULES["defaults"], "level": 9}}, "defaults.level: level 9 is not one of test-fw's levels"),
        ({"defaults": {**RULES["defaults"], "rounding": -1}}, "defaults.rounding: must be greater than 0"),
        (
            {"institutions": [{"id": "uni-a", "basis": "weight"}]},
            "institutions[0].basis: must be one of credits, hours",
        ),
        ({"caps": [{"max_share": 0.5}]}, "caps[0]: name a source, a category or both"),
        ({"caps": [{"source": "mooc", "max_share": 1.5}]}, "caps[0].max_share: must be at most 1"),
        ({"awarding": {"no-such": ["uni-a"]}}, "awarding.no-such: test-fw has no qualification type 'no-such'"),
        ({"surprise": 1}, "(top): unknown keys surprise"),
    ],
)
def test_bad_rule_fields(changes: dict[str, Any], fault: str) -> None:
    assert fault in refused_rules(**changes)


@pytest.mark.parametrize(
    ("mutate", "fault"),
    [
        (lambda d: d.pop("levels"), "levels: missing"),
        (lambda d: d["levels"][1].update(number=1), "levels[1].number: duplicate level number 1"),
        (lambda d: d["levels"].pop(2), "levels: numbers must run 1..4 without gaps; found [1, 2, 4, 5]"),
        (
            lambda d: d["credit_unit"].update(hours_per_credit=-10),
            "credit_unit.hours_per_credit: must be greater than 0",
        ),
        (lambda d: d["credit_unit"].update(hours_per_credit="ten"), "credit_unit.hours_per_credit: must be a number"),
        (lambda d: d["qualifications"][0].update(level=42), "qualifications[0].level: must be at most 20"),
        (
            lambda d: d["qualifications"][0].update(per_category={"astrology": 1}),
            "qualifications[0].per_category.astrology: is not one of this framework's categories",
        ),
        (
            lambda d: d["qualifications"][1].update(min_at_or_above={"level": 4, "credits": 99}),
            "qualifications[1].min_at_or_above.credits: exceeds the total",
        ),
    ],
)
def test_bad_framework_fields(mutate: Any, fault: str) -> None:
    document = copy.deepcopy(FRAMEWORK)
    mutate(document)
    with pytest.raises(DocumentError) as caught:
        frameworks.read(document, "framework.toml")
    assert fault in caught.value.faults


def test_syntax_errors_name_their_line_and_the_hash_ignores_key_order() -> None:
    with pytest.raises(DocumentError, match="line 2"):
        parse_bytes(b'id = "x"\nversion = \n', "f.toml", json_format=False)
    with pytest.raises(DocumentError, match="line 1, column 2"):
        parse_bytes(b"{]", "f.json", json_format=True)
    with pytest.raises(DocumentError, match="not UTF-8"):
        parse_bytes(b"id = '\xff'", "f.toml", json_format=False)
    assert digest({"a": 1, "b": [2]}) == digest({"b": [2], "a": 1})
    assert digest({"a": 1}) != digest({"a": 2})


def test_recognition_terms_default_and_are_read() -> None:
    assert rules.read(copy.deepcopy(RULES), "rules.toml", FW, KNOWN).recognition == rules.RecognitionTerms(30, 30, True)
    document = {**copy.deepcopy(RULES), "recognition": {"review_days": 14, "appeal_days": 60, "automatic": False}}
    assert rules.read(document, "rules.toml", FW, KNOWN).recognition == rules.RecognitionTerms(14, 60, False)


def test_recognition_terms_are_refused_by_place() -> None:
    faults = refused_rules(recognition={"review_days": 0, "appeal_days": 400, "automatic": "yes", "window": 3})
    assert faults == [
        "recognition: unknown keys window",
        "recognition.review_days: must be greater than 0",
        "recognition.appeal_days: must be at most 365",
        "recognition.automatic: must be true or false",
    ]
