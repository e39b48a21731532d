"""Reading agreement documents (every fault by its place), matching achievements to terms, and what a term
converts to — the pure part, no database."""

from __future__ import annotations

import datetime as dt
import tomllib
from decimal import Decimal
from typing import Any

import pytest

from creditbank.credits import agreements
from creditbank.credits.catalogue import LearningOutcome
from creditbank.credits.documents import DocumentError, digest
from creditbank.services.credits.credit_rules import DATA

INSTITUTIONS = {"uni-a", "uni-b", "uni-c"}
OUTCOMES = {
    "DL-1": LearningOutcome(
        "DL-1", "fw-a", 2, Decimal(2), "digital_literacy", {"zh": "数字素养一", "en": "Digital 1"}, {"zh": "", "en": ""}
    ),
    "DL-X": LearningOutcome(
        "DL-X", "fw-b", 3, Decimal(4), "digital_literacy", {"zh": "数字", "en": "Digital X"}, {"zh": "", "en": ""}
    ),
}


def document(**changes: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "id": "ab",
        "version": "1",
        "name": {"zh": "协议", "en": "Agreement"},
        "parties": ["uni-a", "uni-b"],
        "recognizing": "uni-a",
        "terms": [
            {
                "from": "uni-b:NET1",
                "outcome": "DL-1",
                "credits": 3.5,
                "completed_from": "2026-01-01",
                "completed_until": "2026-06-30",
            }
        ],
    }
    base.update(changes)
    return base


def term(**changes: Any) -> dict[str, Any]:
    return {**document()["terms"][0], **changes}


def faults(doc: dict[str, Any], published: list[agreements.Term] | None = None) -> dict[str, str]:
    with pytest.raises(DocumentError) as caught:
        agreements.read(doc, "test", INSTITUTIONS, OUTCOMES, published or [])
    found: dict[str, str] = {}
    for fault in caught.value.faults:
        place, _, message = fault.partition(": ")
        found[place] = message
    return found


def test_a_good_document_reads_into_terms() -> None:
    read = agreements.read(document(), "test", INSTITUTIONS, OUTCOMES, hash_="h")
    (only,) = read.terms
    assert (only.institution, only.code, only.framework, only.credits) == ("uni-b", "NET1", "fw-a", Decimal("3.5"))
    assert (only.completed_from, only.completed_until) == (dt.date(2026, 1, 1), dt.date(2026, 6, 30))
    assert only.parties == ("uni-a", "uni-b")
    assert read.document == document()


def test_toml_dates_publish_as_iso_strings_so_formats_hash_alike() -> None:
    text = """
id = "ab"
version = "1"
name = { zh = "协议", en = "Agreement" }
parties = ["uni-a", "uni-b"]
recognizing = "uni-a"
[[terms]]
from = "uni-b:NET1"
outcome = "DL-1"
credits = 3.5
completed_from = 2026-01-01
completed_until = 2026-06-30
"""
    read = agreements.read(tomllib.loads(text), "test", INSTITUTIONS, OUTCOMES)
    assert read.document == document()
    assert digest(read.document) == digest(document())


def test_the_shipped_example_reads() -> None:
    example = tomllib.loads((DATA / "agreement-example.toml").read_text(encoding="utf-8"))
    parties = set(example["parties"])
    outcomes = {
        code: LearningOutcome(code, "cn", 1, Decimal(2), "digital_literacy", {"zh": "", "en": ""}, {"zh": "", "en": ""})
        for code in ("DL-1", "DL-2")
    }
    read = agreements.read(example, "example", parties, outcomes)
    assert len(read.terms) == 2


@pytest.mark.parametrize(
    ("changes", "place", "words"),
    [
        ({"parties": ["uni-a", "nowhere"]}, "parties[1]", "unknown party 'nowhere'"),
        ({"parties": ["uni-a", "uni-a"]}, "parties[1]", "listed twice"),
        ({"parties": ["uni-a"], "terms": [term(**{"from": "uni-a:X"})]}, "parties", "at least two parties"),
        ({"recognizing": "uni-c"}, "recognizing", "not one of the parties"),
        ({"terms": [term(**{"from": "uni-c:NET1"})]}, "terms[0].from", "not one of the parties"),
        ({"terms": [term(**{"from": "uni-x:NET1"})]}, "terms[0].from", "unknown institution 'uni-x'"),
        ({"terms": [term(**{"from": "uni-a:NET1"})]}, "terms[0].from", "is the recognizing party"),
        ({"terms": [term(**{"from": "NET1"})]}, "terms[0].from", "does not match"),
        ({"terms": [term(outcome="DL-9")]}, "terms[0].outcome", "not an approved catalogue outcome"),
        ({"terms": [term(credits=0)]}, "terms[0].credits", "greater than 0"),
        ({"terms": [term(credits=1.255)]}, "terms[0].credits", "two decimal places"),
        ({"terms": [term(completed_from="2026-13-01")]}, "terms[0].completed_from", "not a real date"),
        ({"terms": [term(completed_from="1 Jan 2026")]}, "terms[0].completed_from", "not a real date"),
        ({"terms": [term(completed_until=20260101)]}, "terms[0].completed_until", "must be a date"),
        (
            {"terms": [term(completed_from=dt.datetime(2026, 1, 1, 9, 0))]},
            "terms[0].completed_from",
            "without a time of day",
        ),
        ({"terms": [term(completed_until="2025-12-31")]}, "terms[0].completed_until", "before completed_from"),
        ({"terms": [term(extra=1)]}, "terms[0]", "unknown keys extra"),
        ({"terms": []}, "terms", "non-empty list"),
        ({"id": "Not A Slug"}, "id", "does not match"),
        ({"colour": "blue"}, "(top)", "unknown keys colour"),
        ({"name": {"zh": "协议", "en": "A\x00B"}}, "name.en", "control character U+0000"),
        ({"terms": [term(**{"from": "uni-b:N\ud800"})]}, "terms[0].from", "control character U+D800"),
    ],
)
def test_faults_are_named_by_place(changes: dict[str, Any], place: str, words: str) -> None:
    found = faults(document(**changes))
    assert place in found, found
    assert words in found[place]


def test_overlaps_name_the_conflicting_term() -> None:
    published = agreements.read(document(), "test", INSTITUTIONS, OUTCOMES).terms
    later = document(version="2", terms=[term(completed_from="2026-06-30", completed_until="2027-01-01")])
    assert "overlaps agreement ab version 1 terms[0]" in faults(later, list(published))["terms[0].from"]
    twice = document(terms=[term(), term(completed_from="2026-03-01", completed_until="2026-03-01")])
    assert "overlaps terms[0] of this document" in faults(twice)["terms[1].from"]
    # Next to each other, another course, or another framework: no overlap.
    fine = [
        term(completed_from="2026-07-01", completed_until="2026-12-31"),
        term(**{"from": "uni-b:NET2"}),
        term(outcome="DL-X"),
    ]
    assert len(agreements.read(document(version="2", terms=fine), "t", INSTITUTIONS, OUTCOMES, published).terms) == 3


def test_matching_is_by_institution_code_framework_and_window() -> None:
    (only,) = agreements.read(document(), "test", INSTITUTIONS, OUTCOMES).terms

    def match(institution: str = "uni-b", framework: str = "fw-a", **data: Any) -> agreements.Term | None:
        return agreements.match([only], institution, {"code": "NET1", "completed": "2026-03-01", **data}, framework)

    assert match() == only
    assert match(completed="2026-01-01") == only
    assert match(completed="2026-06-30") == only
    assert match(completed="2025-12-31") is None
    assert match(completed="2026-07-01") is None
    assert match(completed=None) is None
    assert match(code="NET2") is None
    assert match(institution="uni-c") is None
    assert match(framework="fw-b") is None


def test_failed_results_are_not_completions() -> None:
    minimum = Decimal(60)
    assert not agreements.failed({}, minimum)
    assert agreements.failed({"result": {"type": "pass_fail", "passed": False}}, minimum)
    assert not agreements.failed({"result": {"type": "pass_fail", "passed": True}}, minimum)
    assert agreements.failed({"result": {"type": "score", "score": 59, "max": 100}}, minimum)
    assert not agreements.failed({"result": {"type": "score", "score": 60, "max": 100}}, minimum)
    assert not agreements.failed({"result": {"type": "grade", "grade": "B"}}, minimum)


def test_a_term_converts_at_the_outcome_placement_with_its_own_credits() -> None:
    (only,) = agreements.read(document(), "test", INSTITUTIONS, OUTCOMES, hash_="abc").terms
    result = agreements.recognize(only, OUTCOMES["DL-1"], "university", "r-1")
    assert (result.credits, result.level, result.category, result.outcome) == (
        Decimal("3.50"),
        2,
        "digital_literacy",
        "DL-1",
    )
    english = " ".join(step["en"] for step in result.steps)
    assert "agreement ab version 1 terms[0]" in english
    assert "parties: uni-a, uni-b; recognized by uni-a" in english
    assert "rule set r-1" in english
    assert all(step["zh"] for step in result.steps)
    assert agreements.reference(only) == {"id": "ab", "version": "1", "hash": "abc"}
