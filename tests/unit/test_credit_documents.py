"""Framework, rule-set and catalogue documents: bad input is refused with every fault named by its place, good input
reads, and a document's digest depends on its content only."""

from __future__ import annotations

import json
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest

from creditbank.credits import catalogue, documents, frameworks, rules
from creditbank.credits.documents import DocumentError
from creditbank.credits.frameworks import Framework
from tests.unit.credit_fixtures import (
    INSTITUTIONS,
    framework,
    framework_document,
    outcome_documents,
    rules_document,
)

Mutation = Callable[[dict[str, Any]], Any]


def framework_faults(mutate: Mutation) -> list[str]:
    document = framework_document()
    mutate(document)
    with pytest.raises(DocumentError) as caught:
        frameworks.read(document, "framework.toml")
    assert caught.value.source == "framework.toml"
    assert caught.value.faults, "a refusal must name at least one fault"
    return caught.value.faults


def rules_faults(mutate: Mutation, fw: Framework | None = None, institutions: set[str] = INSTITUTIONS) -> list[str]:
    document = rules_document()
    mutate(document)
    with pytest.raises(DocumentError) as caught:
        rules.read(document, "rules.toml", fw if fw is not None else framework(), institutions)
    return caught.value.faults


def catalogue_faults(mutate: Callable[[list[dict[str, Any]]], Any]) -> list[str]:
    items = outcome_documents()
    mutate(items)
    fw = framework()
    with pytest.raises(DocumentError) as caught:
        catalogue.read_catalogue({"outcomes": items}, "catalogue.toml", {fw.id: fw})
    return caught.value.faults


def parse_faults(raw: bytes, *, json_format: bool) -> list[str]:
    with pytest.raises(DocumentError) as caught:
        documents.parse_bytes(raw, "doc", json_format=json_format)
    assert str(caught.value).startswith("doc: ")
    return caught.value.faults


# --- parsing -------------------------------------------------------------------------------------------------


def test_toml_and_json_parse_to_the_same_dict() -> None:
    toml = b'id = "x"\nversion = "1"\n[credit_unit]\nhours_per_credit = 10\n'
    as_json = b'{"id": "x", "version": "1", "credit_unit": {"hours_per_credit": 10}}'
    expected = {"id": "x", "version": "1", "credit_unit": {"hours_per_credit": 10}}
    assert documents.parse_bytes(toml, "a.toml", json_format=False) == expected
    assert documents.parse_bytes(as_json, "a.json", json_format=True) == expected


def test_a_toml_syntax_error_reports_its_line() -> None:
    faults = parse_faults(b'id = "x"\nversion = "1"\nname = \n', json_format=False)
    assert len(faults) == 1
    assert "line 3" in faults[0]


def test_a_toml_duplicate_key_reports_its_line() -> None:
    faults = parse_faults(b'id = "x"\n\nid = "y"\n', json_format=False)
    assert "line 3" in faults[0]


def test_a_json_syntax_error_reports_line_and_column() -> None:
    faults = parse_faults(b'{\n  "id": "x",\n  "version": \n}', json_format=True)
    assert faults == ["line 4, column 1: Expecting value"]


def test_bytes_that_are_not_utf8_are_refused_with_their_offset() -> None:
    assert parse_faults(b'id = "caf\xe9"\n', json_format=False) == ["byte 9: not UTF-8"]
    assert parse_faults(b"\xff\xfe{}", json_format=True) == ["byte 0: not UTF-8"]


@pytest.mark.parametrize("raw", [b"[1, 2, 3]", b'"a string"', b"42", b"null", b"true"])
def test_json_that_is_not_an_object_is_refused(raw: bytes) -> None:
    assert parse_faults(raw, json_format=True) == ["the document must be a table (object) at the top"]


def test_parse_file_reads_toml_and_json_and_names_a_missing_file(tmp_path: Any) -> None:
    (tmp_path / "a.toml").write_text('id = "x"\n', encoding="utf-8")
    (tmp_path / "b.JSON").write_text('{"id": "y"}', encoding="utf-8")
    assert documents.parse_file(tmp_path / "a.toml") == {"id": "x"}
    assert documents.parse_file(tmp_path / "b.JSON") == {"id": "y"}
    with pytest.raises(DocumentError) as caught:
        documents.parse_file(tmp_path / "absent.toml")
    assert caught.value.faults[0].startswith("cannot read the file")


# --- frameworks ----------------------------------------------------------------------------------------------


def test_a_valid_framework_reads() -> None:
    fw = framework()
    assert (fw.id, fw.version, fw.example) == ("unit-fw", "2026.1", True)
    assert fw.hours_per_credit == Decimal(10)
    assert fw.hours_per_credit_max == Decimal(12)
    assert list(fw.levels) == [1, 2, 3, 4, 5]
    assert fw.levels[3].name == {"zh": "第3级", "en": "Level 3"}
    assert list(fw.categories) == ["general", "professional", "digital_literacy", "culture_arts"]
    cert = fw.qualifications["cert"]
    assert (cert.level, cert.total, cert.framework) == (3, Decimal(10), "unit-fw")
    assert cert.per_category == {"digital_literacy": Decimal(2)}
    assert cert.required_outcomes == ("DL-1",)
    assert fw.qualifications["diploma"].min_at_or_above == (4, Decimal(6))
    assert fw.qualifications["plain"].min_at_or_above is None


def test_a_framework_read_from_toml_text_equals_the_dict() -> None:
    toml = """
id = "tiny"
version = "1"
name = { zh = "小", en = "Tiny" }
description = { zh = "小框架", en = "A tiny framework" }
credit_unit = { name = { zh = "学分", en = "credit" }, hours_per_credit = 12.5 }

[[categories]]
id = "digital_literacy"
name = { zh = "数字素养", en = "Digital literacy" }

[[levels]]
number = 1
name = { zh = "一", en = "One" }
knowledge = { zh = "知", en = "know" }
skills = { zh = "技", en = "do" }
competence = { zh = "能", en = "be" }
"""
    fw = frameworks.read(documents.parse_bytes(toml.encode(), "tiny.toml", json_format=False), "tiny.toml")
    assert fw.hours_per_credit == Decimal("12.5")
    assert fw.example is False
    assert list(fw.categories) == ["digital_literacy"]
    assert fw.qualifications == {}


@pytest.mark.parametrize(
    ("mutate", "fault"),
    [
        pytest.param(lambda d: d.pop("levels"), "levels: missing", id="missing-levels"),
        pytest.param(lambda d: d.update(levels=[]), "levels: must be a non-empty list of tables", id="empty-levels"),
        pytest.param(
            lambda d: d["levels"][1].update(number=1),
            "levels[1].number: duplicate level number 1",
            id="duplicate-level",
        ),
        pytest.param(
            lambda d: d["levels"].pop(2),
            "levels: numbers must run 1..4 without gaps; found [1, 2, 4, 5]",
            id="gap-in-levels",
        ),
        pytest.param(
            lambda d: d["levels"][0].update(number=0),
            "levels[0].number: must be greater than 0",
            id="level-zero",
        ),
        pytest.param(
            lambda d: d["levels"][0].update(number=1.5),
            "levels[0].number: must be a whole number",
            id="fractional-level",
        ),
        pytest.param(
            lambda d: d["credit_unit"].update(hours_per_credit=-10),
            "credit_unit.hours_per_credit: must be greater than 0",
            id="negative-hours",
        ),
        pytest.param(
            lambda d: d["credit_unit"].update(hours_per_credit=0),
            "credit_unit.hours_per_credit: must be greater than 0",
            id="zero-hours",
        ),
        pytest.param(
            lambda d: d["credit_unit"].update(hours_per_credit="ten"),
            "credit_unit.hours_per_credit: must be a number",
            id="string-hours",
        ),
        pytest.param(
            lambda d: d["credit_unit"].update(hours_per_credit=True),
            "credit_unit.hours_per_credit: must be a number",
            id="boolean-hours",
        ),
        pytest.param(
            lambda d: d["credit_unit"].update(hours_per_credit=float("nan")),
            "credit_unit.hours_per_credit: must be a finite number",
            id="nan-hours",
        ),
        pytest.param(
            lambda d: d["credit_unit"].update(hours_per_credit=float("inf")),
            "credit_unit.hours_per_credit: must be a finite number",
            id="infinite-hours",
        ),
        pytest.param(
            lambda d: d["credit_unit"].pop("hours_per_credit"),
            "credit_unit.hours_per_credit: missing",
            id="missing-hours",
        ),
        pytest.param(
            lambda d: d["credit_unit"].update(hours_per_credit_max=8),
            "credit_unit.hours_per_credit_max: is below hours_per_credit",
            id="max-below-hours",
        ),
        pytest.param(
            lambda d: d["qualifications"][0].update(total="10"),
            "qualifications[0].total: must be a number",
            id="string-total",
        ),
        pytest.param(lambda d: d.update(colour="blue"), "(top): unknown keys colour", id="unknown-top-key"),
        pytest.param(
            lambda d: d["levels"][2].update(extra=1, another=2),
            "levels[2]: unknown keys another, extra",
            id="unknown-level-keys",
        ),
        pytest.param(
            lambda d: d["credit_unit"].update(per_week=3),
            "credit_unit: unknown keys per_week",
            id="unknown-unit-key",
        ),
        pytest.param(
            lambda d: d["qualifications"][0].update(duration=2),
            "qualifications[0]: unknown keys duration",
            id="unknown-qualification-key",
        ),
        pytest.param(
            lambda d: d["name"].update(fr="Cadre"),
            "name: unknown keys fr",
            id="unknown-language",
        ),
        pytest.param(lambda d: d["name"].pop("zh"), "name.zh: missing or empty", id="missing-chinese"),
        pytest.param(
            lambda d: d["qualifications"][0].update(level=9),
            "qualifications[0].level: level 9 is not one of this framework's levels",
            id="qualification-at-missing-level",
        ),
        pytest.param(
            lambda d: d["qualifications"][1].update(min_at_or_above={"level": 7, "credits": 6}),
            "qualifications[1].min_at_or_above.level: level 7 is not one of this framework's levels",
            id="floor-at-missing-level",
        ),
        pytest.param(
            lambda d: d["qualifications"][1].update(min_at_or_above={"level": 4, "credits": 21}),
            "qualifications[1].min_at_or_above.credits: exceeds the total",
            id="floor-above-total",
        ),
        pytest.param(
            lambda d: d["qualifications"][0].update(per_category={"astrology": 1}),
            "qualifications[0].per_category.astrology: is not one of this framework's categories",
            id="unknown-category-minimum",
        ),
        pytest.param(
            lambda d: d["qualifications"][0].update(per_category={"digital_literacy": 6, "professional": 5}),
            "qualifications[0].per_category: the category minimums add up to more than the total",
            id="minimums-above-total",
        ),
        pytest.param(
            lambda d: d["qualifications"][0].update(required_outcomes=["dl-1"]),
            "qualifications[0].required_outcomes[0]: must be a string matching [A-Z0-9][A-Z0-9-]{1,23}",
            id="lowercase-outcome-code",
        ),
        pytest.param(
            lambda d: d["qualifications"].append(d["qualifications"][0]),
            "qualifications[3].id: duplicate qualification 'cert'",
            id="duplicate-qualification",
        ),
        pytest.param(
            lambda d: d["categories"].append({"id": "general", "name": {"zh": "又", "en": "Again"}}),
            "categories[4].id: duplicate category 'general'",
            id="duplicate-category",
        ),
        pytest.param(
            lambda d: d["categories"][0].update(id="Digital-Literacy"),
            "categories[0].id: 'Digital-Literacy' does not match [a-z][a-z0-9_]{0,39}",
            id="bad-category-id",
        ),
        pytest.param(lambda d: d.update(example="yes"), "example: must be true or false", id="non-boolean-example"),
    ],
)
def test_bad_framework_documents_name_the_place(mutate: Mutation, fault: str) -> None:
    assert fault in framework_faults(mutate)


def test_a_framework_reports_every_fault_at_once() -> None:
    def break_three(d: dict[str, Any]) -> None:
        d["credit_unit"]["hours_per_credit"] = 0
        d["levels"][1]["number"] = 1
        d["qualifications"][0]["level"] = 9

    faults = framework_faults(break_three)
    assert "credit_unit.hours_per_credit: must be greater than 0" in faults
    assert "levels[1].number: duplicate level number 1" in faults
    assert "qualifications[0].level: level 9 is not one of this framework's levels" in faults
    assert len(faults) == len(set(faults))


def test_category_minimums_equal_to_the_total_are_accepted() -> None:
    document = framework_document()
    document["qualifications"][0]["per_category"] = {"digital_literacy": 4, "professional": 6}
    fw = frameworks.read(document, "framework.toml")
    assert sum(fw.qualifications["cert"].per_category.values()) == fw.qualifications["cert"].total


def test_category_ids_may_contain_underscores() -> None:
    document = framework_document()
    document["categories"].append({"id": "health_and_care_2", "name": {"zh": "健康", "en": "Health"}})
    assert "health_and_care_2" in frameworks.read(document, "framework.toml").categories


def test_public_view_shows_numbers_as_json_numbers() -> None:
    view = frameworks.public_view(framework(), seq=3, digest="ab")
    assert view["credit_unit"]["hours_per_credit"] == 10
    assert isinstance(view["credit_unit"]["hours_per_credit"], int)
    assert view["qualifications"][1]["min_at_or_above"] == {"level": 4, "credits": 6}
    assert view["qualifications"][0]["min_at_or_above"] is None
    assert (view["published_seq"], view["hash"]) == (3, "ab")


# --- rule sets -----------------------------------------------------------------------------------------------


def test_a_valid_rule_set_reads() -> None:
    ruleset = rules.read(rules_document(), "rules.toml", framework(), INSTITUTIONS)
    assert (ruleset.version, ruleset.framework) == ("u-1", "unit-fw")
    assert (ruleset.minimum_result, ruleset.rounding, ruleset.validity_years) == (Decimal(60), Decimal("0.5"), 10)
    assert ruleset.institutions["uni-b"].ratio == Decimal(2)
    assert ruleset.institutions["uni-b"].levels == {"course": 5, "default": 4}
    assert ruleset.institutions["open-u"].unit == {"zh": "学期学分", "en": "term credits"}
    assert ruleset.resolve("uni-b", "DIG1") == ["uni-a:DL100", "DL-1"]
    assert ruleset.resolve("uni-a", "DL100") == ["DL-1"]
    assert ruleset.resolve("uni-a", "NOPE") == []
    assert ruleset.awarding == {"cert": ("uni-a",), "diploma": ("uni-a", "uni-b")}
    assert len(ruleset.caps) == 1
    assert ruleset.caps[0].limit(Decimal(20)) == Decimal(6)


def test_unknown_institutions_are_named_wherever_they_appear() -> None:
    def ghosts(d: dict[str, Any]) -> None:
        d["institutions"].append({"id": "ghost-u", "basis": "hours"})
        d["equivalences"].append({"from": "nowhere:A1", "to": "DL-1"})
        d["equivalences"].append({"from": "uni-a:B2", "to": "elsewhere:C3"})
        d["awarding"]["cert"] = ["uni-a", "phantom"]

    faults = rules_faults(ghosts)
    assert "institutions[5].id: unknown institution 'ghost-u'" in faults
    assert "equivalences[4].from: unknown institution 'nowhere'" in faults
    assert "equivalences[5].to: unknown institution 'elsewhere'" in faults
    assert "awarding.cert[1]: unknown institution 'phantom'" in faults


def test_an_unknown_institution_in_the_first_rule() -> None:
    faults = rules_faults(lambda d: d["institutions"][0].update(id="x"))
    assert "institutions[0].id: unknown institution 'x'" in faults


def test_a_two_step_cycle_in_equivalences() -> None:
    cycle = [{"from": "uni-a:X1", "to": "uni-b:Y1"}, {"from": "uni-b:Y1", "to": "uni-a:X1"}]
    faults = rules_faults(lambda d: d.update(equivalences=cycle))
    assert faults == [
        "equivalences[0].to: equivalences form a cycle: uni-a:X1 → uni-b:Y1 → uni-a:X1",
        "equivalences[1].to: equivalences form a cycle: uni-b:Y1 → uni-a:X1 → uni-b:Y1",
    ]


def test_a_three_step_cycle_in_equivalences() -> None:
    cycle = [
        {"from": "uni-a:A1", "to": "uni-b:B1"},
        {"from": "uni-b:B1", "to": "senior-c:C1"},
        {"from": "senior-c:C1", "to": "uni-a:A1"},
    ]
    faults = rules_faults(lambda d: d.update(equivalences=cycle))
    assert "equivalences[0].to: equivalences form a cycle: uni-a:A1 → uni-b:B1 → senior-c:C1 → uni-a:A1" in faults
    assert "equivalences[2].to: equivalences form a cycle: senior-c:C1 → uni-a:A1 → uni-b:B1 → senior-c:C1" in faults
    assert len(faults) == 3


def test_a_chain_leading_into_a_cycle_is_refused() -> None:
    chain = [
        {"from": "open-u:S1", "to": "uni-a:A1"},
        {"from": "uni-a:A1", "to": "uni-b:B1"},
        {"from": "uni-b:B1", "to": "uni-a:A1"},
    ]
    faults = rules_faults(lambda d: d.update(equivalences=chain))
    assert "equivalences[0].to: equivalences form a cycle: uni-a:A1 → uni-b:B1 → uni-a:A1" in faults


def test_a_self_equivalence_is_a_cycle() -> None:
    faults = rules_faults(lambda d: d.update(equivalences=[{"from": "mooc-x:M1", "to": "mooc-x:M1"}]))
    assert faults == ["equivalences[0].to: equivalences form a cycle: mooc-x:M1 → mooc-x:M1"]


def test_a_chain_ending_at_a_course_with_no_equivalence() -> None:
    chain = [{"from": "uni-b:B1", "to": "uni-a:A1"}, {"from": "uni-a:A1", "to": "open-u:C1"}]
    faults = rules_faults(lambda d: d.update(equivalences=chain))
    assert "equivalences[1].to: open-u:C1 has no equivalence of its own, so the chain ends at no outcome" in faults
    assert "equivalences[0].to: open-u:C1 has no equivalence of its own, so the chain ends at no outcome" in faults


def test_a_second_equivalence_for_the_same_course_is_refused() -> None:
    twice = [{"from": "uni-a:A1", "to": "DL-1"}, {"from": "uni-a:A1", "to": "PRO-ACC-1"}]
    faults = rules_faults(lambda d: d.update(equivalences=twice))
    assert faults == ["equivalences[1].from: uni-a:A1 already has an equivalence (equivalences[0])"]


def test_an_equivalence_target_that_is_neither_code_nor_course() -> None:
    faults = rules_faults(lambda d: d.update(equivalences=[{"from": "uni-a:A1", "to": "not a code"}]))
    assert "equivalences[0].to: must be a catalogue outcome code or institution:course" in faults


@pytest.mark.parametrize(
    ("mutate", "fault"),
    [
        pytest.param(
            lambda d: d["institutions"][0].update(basis="weight"),
            "institutions[0].basis: must be one of credits, hours",
            id="bad-basis",
        ),
        pytest.param(
            lambda d: d["institutions"][3].update(ratio=2),
            "institutions[3].ratio: hours are converted by the framework's credit unit; ratio applies to credits",
            id="ratio-with-hours",
        ),
        pytest.param(
            lambda d: d["institutions"][0].update(levels={"lecture": 2}),
            "institutions[0].levels.lecture: not an achievement kind",
            id="unknown-kind",
        ),
        pytest.param(
            lambda d: d["institutions"][0].update(levels={"default": 9}),
            "institutions[0].levels.default: level 9 is not one of unit-fw's levels",
            id="institution-level-missing",
        ),
        pytest.param(
            lambda d: d["institutions"][0].update(category="astrology"),
            "institutions[0].category: 'astrology' is not one of unit-fw's categories",
            id="institution-category-unknown",
        ),
        pytest.param(
            lambda d: d["institutions"][0].update(categories={"course": "astrology"}),
            "institutions[0].categories.course: 'astrology' is not one of unit-fw's categories",
            id="kind-category-unknown",
        ),
        pytest.param(
            lambda d: d["institutions"].append({"id": "uni-a", "basis": "hours"}),
            "institutions[5].id: a second rule for uni-a",
            id="second-rule",
        ),
        pytest.param(
            lambda d: d.update(caps=[{"max_share": 0.5}]),
            "caps[0]: name a source, a category or both",
            id="cap-without-target",
        ),
        pytest.param(
            lambda d: d.update(caps=[{"source": "mooc"}]),
            "caps[0]: give max_share, max_credits or both",
            id="cap-without-limit",
        ),
        pytest.param(
            lambda d: d.update(caps=[{"source": "mooc", "max_share": 1.5}]),
            "caps[0].max_share: must be at most 1",
            id="share-above-one",
        ),
        pytest.param(
            lambda d: d.update(caps=[{"source": "mooc", "max_share": -0.1}]),
            "caps[0].max_share: must not be negative",
            id="negative-share",
        ),
        pytest.param(
            lambda d: d.update(caps=[{"category": "astrology", "max_credits": 3}]),
            "caps[0].category: 'astrology' is not one of unit-fw's categories",
            id="cap-category-unknown",
        ),
        pytest.param(
            lambda d: d["defaults"].update(level=9),
            "defaults.level: level 9 is not one of unit-fw's levels",
            id="default-level-missing",
        ),
        pytest.param(
            lambda d: d["defaults"].update(category="astrology"),
            "defaults.category: 'astrology' is not one of unit-fw's categories",
            id="default-category-unknown",
        ),
        pytest.param(
            lambda d: d["defaults"].update(rounding=0),
            "defaults.rounding: must be greater than 0",
            id="zero-rounding",
        ),
        pytest.param(
            lambda d: d["defaults"].update(minimum_result=101),
            "defaults.minimum_result: must be at most 100",
            id="minimum-above-100",
        ),
        pytest.param(lambda d: d["defaults"].pop("level"), "defaults.level: missing", id="missing-default-level"),
        pytest.param(
            lambda d: d["awarding"].update({"phd": ["uni-a"]}),
            "awarding.phd: unit-fw has no qualification type 'phd'",
            id="unknown-qualification",
        ),
        pytest.param(lambda d: d.update(surprise=1), "(top): unknown keys surprise", id="unknown-top-key"),
        pytest.param(
            lambda d: d["institutions"][0].update(weight=1),
            "institutions[0]: unknown keys weight",
            id="unknown-institution-key",
        ),
    ],
)
def test_bad_rule_sets_name_the_place(mutate: Mutation, fault: str) -> None:
    faults = rules_faults(mutate)
    assert any(f == fault or f.startswith(fault + " (") for f in faults), faults


def test_a_rule_set_for_an_unknown_framework() -> None:
    faults = rules_faults(lambda d: d.update(framework="no-such-fw"))
    assert "framework: no published framework 'no-such-fw'" in faults


def test_a_rule_set_with_no_framework_available() -> None:
    document = rules_document()
    with pytest.raises(DocumentError) as caught:
        rules.read(document, "rules.toml", None, INSTITUTIONS)
    assert caught.value.faults == ["framework: no published framework 'unit-fw'"]


def test_a_rule_set_with_no_registered_institutions() -> None:
    faults = rules_faults(lambda d: None, institutions=set())
    assert "institutions[0].id: unknown institution 'uni-a'" in faults
    assert "awarding.diploma[1]: unknown institution 'uni-b'" in faults


# --- the catalogue -------------------------------------------------------------------------------------------


def test_a_valid_catalogue_reads() -> None:
    fw = framework()
    read = catalogue.read_catalogue({"outcomes": outcome_documents()}, "catalogue.toml", {fw.id: fw})
    assert [o.code for o in read] == ["DL-1", "PRO-ACC-1"]
    assert read[1].credits == Decimal("3.5")
    assert read[1].document()["credits"] == 3.5
    assert read[0].document()["credits"] == 2
    assert isinstance(read[0].document()["credits"], int)


def test_duplicate_outcome_codes_are_refused() -> None:
    faults = catalogue_faults(lambda items: items.append(dict(items[0])))
    assert faults == ["outcomes[2].code: duplicate outcome DL-1"]


@pytest.mark.parametrize(
    ("mutate", "fault"),
    [
        pytest.param(
            lambda items: items[0].update(category="astrology"),
            "outcomes[0].category: 'astrology' is not one of unit-fw's categories",
            id="unknown-category",
        ),
        pytest.param(
            lambda items: items[1].update(level=6),
            "outcomes[1].level: level 6 is not one of unit-fw's levels",
            id="unknown-level",
        ),
        pytest.param(
            lambda items: items[0].update(framework="other-fw"),
            "outcomes[0].framework: no published framework 'other-fw'",
            id="unknown-framework",
        ),
        pytest.param(
            lambda items: items[0].update(credits=0),
            "outcomes[0].credits: must be greater than 0",
            id="zero-credits",
        ),
        pytest.param(
            lambda items: items[0].update(code="dl 1"),
            "outcomes[0].code: 'dl 1' does not match [A-Z0-9][A-Z0-9-]{1,23}",
            id="bad-code",
        ),
        pytest.param(lambda items: items[0].update(extra=1), "outcomes[0]: unknown keys extra", id="unknown-key"),
        pytest.param(lambda items: items.append("DL-2"), "outcomes[2]: must be a table", id="not-a-table"),
    ],
)
def test_bad_catalogue_entries_name_the_place(mutate: Callable[[list[dict[str, Any]]], Any], fault: str) -> None:
    assert fault in catalogue_faults(mutate)


# --- digests -------------------------------------------------------------------------------------------------


def test_the_digest_is_stable_and_ignores_key_order() -> None:
    document = framework_document()
    first = documents.digest(document)
    assert first == documents.digest(framework_document())
    assert len(first) == 64
    assert set(first) <= set("0123456789abcdef")
    reordered = json.loads(json.dumps(document, sort_keys=True))
    reordered = dict(reversed(list(reordered.items())))
    assert list(reordered) != list(document)
    assert documents.digest(reordered) == first
    nested = framework_document()
    nested["credit_unit"] = dict(reversed(list(nested["credit_unit"].items())))
    assert documents.digest(nested) == first


def test_the_digest_changes_with_the_content() -> None:
    document = framework_document()
    first = documents.digest(document)
    document["credit_unit"]["hours_per_credit"] = 11
    assert documents.digest(document) != first
    changed = framework_document()
    changed["levels"][0]["name"]["zh"] = "第一级"
    assert documents.digest(changed) != first
    swapped = framework_document()
    swapped["levels"][0], swapped["levels"][1] = swapped["levels"][1], swapped["levels"][0]
    assert documents.digest(swapped) != first  # list order is content


def test_the_digest_of_toml_and_json_spellings_agree() -> None:
    toml = b'version = "1"\nrounding = 0.5\nlevels = [1, 2]\n'
    spelled = b'{"levels": [1, 2], "rounding": 0.5, "version": "1"}'
    assert documents.digest(documents.parse_bytes(toml, "a.toml", json_format=False)) == documents.digest(
        documents.parse_bytes(spelled, "a.json", json_format=True)
    )
