"""Mutual recognition agreements: read and check an agreement document, and match an achievement to one of its terms.

An agreement is data, like a rule set: its parties (registered institution ids, at least two), the party that
recognizes, and terms of the form "course X of party A, completed between D and E, is recognized as catalogue
outcome Y for Z credits". A region takes part as the institutions it is made of: each is listed as a party, and
each term names the one institution whose course it recognizes, so a regional agreement reads exactly like a
bilateral one with a longer party list.

Terms never overlap: for one course and one framework, at most one term of all published agreements covers any
completion date. So an achievement matches at most one term, and which one does not depend on reading order.
A term recognizes completions: an achievement whose reported result is a fail (or below the rule set's minimum)
is left to the rule set, and the term's completion window stands in place of the rule set's validity window.

Pure: no database and no web framework; the service passes in what is registered and what is published.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from creditbank.credits.catalogue import LearningOutcome
from creditbank.credits.conversion import CENT, Conversion
from creditbank.credits.documents import CODE, SLUG, VERSION, Reader, as_number
from creditbank.credits.frameworks import MAX_CREDITS, Bilingual
from creditbank.credits.rules import COURSE_REF

_TOP = {"id", "version", "name", "parties", "recognizing", "terms"}
_TERM = {"from", "outcome", "credits", "completed_from", "completed_until"}
# Text a database column or the canonical encoding cannot take faithfully (NUL in PostgreSQL, lone surrogates).
_NOT_TEXT = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff]")


@dataclass(frozen=True)
class Term:
    """One term of a published agreement, with what matching and explaining it needs of the agreement."""

    agreement: str
    version: str
    hash: str
    number: int
    institution: str
    code: str
    outcome: str
    framework: str
    credits: Decimal
    completed_from: dt.date
    completed_until: dt.date
    recognizing: str
    parties: tuple[str, ...]

    def covers(self, completed: dt.date) -> bool:
        return self.completed_from <= completed <= self.completed_until

    def overlaps(self, other: Term) -> bool:
        return (
            (self.institution, self.code, self.framework) == (other.institution, other.code, other.framework)
            and self.completed_from <= other.completed_until
            and other.completed_from <= self.completed_until
        )

    def label(self) -> str:
        # Terms are named by their place in the document, as the faults of a refused document name them.
        return f"agreement {self.agreement} version {self.version} terms[{self.number}]"


@dataclass(frozen=True)
class Agreement:
    id: str
    version: str
    name: Bilingual
    parties: tuple[str, ...]
    recognizing: str
    terms: tuple[Term, ...]
    # The document as published: dates written as ISO strings, so TOML and JSON files hash alike.
    document: dict[str, Any]


def _date(r: Reader, item: dict[str, Any], key: str, place: str) -> dt.date | None:
    value = item.get(key)
    if value is None:
        r.fault(place, "missing")
        return None
    # TOML gives dates as date objects and date-times as datetime (a subclass of date), JSON as strings.
    if isinstance(value, dt.datetime):
        r.fault(place, f"must be a date without a time of day, not {value.isoformat()}")
        return None
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            if len(value) == 10:
                return dt.date.fromisoformat(value)
        except ValueError:
            pass
        r.fault(place, f"{value!r} is not a real date (YYYY-MM-DD)")
        return None
    r.fault(place, "must be a date (YYYY-MM-DD)")
    return None


def read(
    document: dict[str, Any],
    source: str,
    institutions: set[str],
    outcomes: dict[str, LearningOutcome],
    published: Iterable[Term] = (),
    *,
    hash_: str = "",
) -> Agreement:
    """Check an agreement against the registered ``institutions``, the approved ``outcomes`` and the terms of the
    agreements ``published`` already; a DocumentError names every faulty place."""
    r = Reader(source)
    r.unknown(document, _TOP, "")
    _text_only(r, document, "")
    agreement_id = r.text(document, "id", "id", pattern=SLUG) or ""
    version = r.text(document, "version", "version", pattern=VERSION) or ""
    name = r.bilingual(document, "name", "name") or {}
    parties = r.strings(document, "parties", "parties", pattern=SLUG, required=True)
    if "parties" in document and isinstance(document["parties"], list):
        seen: set[str] = set()
        for index, party in enumerate(document["parties"]):
            if not isinstance(party, str):
                continue
            if party in seen:
                r.fault(f"parties[{index}]", f"{party!r} is listed twice")
            elif party not in institutions and SLUG.fullmatch(party):
                r.fault(f"parties[{index}]", f"unknown party {party!r}: no registered institution has that id")
            seen.add(party)
        if len(seen) < 2:
            r.fault("parties", "an agreement needs at least two parties")
    recognizing = r.text(document, "recognizing", "recognizing", pattern=SLUG) or ""
    if recognizing and parties and recognizing not in parties:
        r.fault("recognizing", f"{recognizing!r} is not one of the parties")
    normalized = {key: value for key, value in document.items() if key != "terms"}
    terms: list[Term] = []
    written: list[dict[str, Any]] = []
    earlier = list(published)
    for number, (place, item) in enumerate(r.tables(document, "terms", "terms")):
        r.unknown(item, _TERM, place)
        written.append(dict(item))
        origin = r.text(item, "from", f"{place}.from", pattern=COURSE_REF)
        institution, code = origin.split(":", 1) if origin else ("", "")
        if institution:
            if institution not in institutions:
                r.fault(f"{place}.from", f"unknown institution {institution!r}")
            elif institution not in parties:
                r.fault(f"{place}.from", f"{institution!r} is not one of the parties")
            elif institution == recognizing:
                r.fault(
                    f"{place}.from", f"{institution!r} is the recognizing party; a term recognizes another's course"
                )
        outcome_code = r.text(item, "outcome", f"{place}.outcome", pattern=CODE)
        outcome = outcomes.get(outcome_code or "")
        if outcome_code and outcome is None:
            r.fault(f"{place}.outcome", f"{outcome_code} is not an approved catalogue outcome")
        credits = r.number(item, "credits", f"{place}.credits", maximum=MAX_CREDITS)
        if credits is not None and credits != credits.quantize(CENT):
            r.fault(f"{place}.credits", "at most two decimal places")
            credits = None
        start = _date(r, item, "completed_from", f"{place}.completed_from")
        end = _date(r, item, "completed_until", f"{place}.completed_until")
        if start is not None:
            written[-1]["completed_from"] = start.isoformat()
        if end is not None:
            written[-1]["completed_until"] = end.isoformat()
        if start is not None and end is not None and start > end:
            r.fault(f"{place}.completed_until", f"{end.isoformat()} is before completed_from {start.isoformat()}")
            continue
        if not institution or outcome is None or credits is None or start is None or end is None:
            continue
        term = Term(
            agreement_id,
            version,
            hash_,
            number,
            institution,
            code,
            outcome.code,
            outcome.framework,
            credits,
            start,
            end,
            recognizing,
            tuple(parties),
        )
        for other in [*earlier, *terms]:
            if term.overlaps(other):
                where = f"terms[{other.number}] of this document" if other in terms else other.label()
                r.fault(
                    f"{place}.from",
                    f"overlaps {where}: {origin} in {outcome.framework} completed "
                    f"{other.completed_from.isoformat()} to {other.completed_until.isoformat()} is already recognized",
                )
                break
        terms.append(term)
    r.finish()
    normalized["terms"] = written
    return Agreement(agreement_id, version, name, tuple(parties), recognizing, tuple(terms), normalized)


def _text_only(r: Reader, value: Any, place: str) -> None:
    if isinstance(value, str):
        found = _NOT_TEXT.search(value)
        if found:
            r.fault(place or "(top)", f"contains the control character U+{ord(found.group()):04X}")
    elif isinstance(value, dict):
        for key, item in value.items():
            _text_only(r, key, place or "(top)")
            _text_only(r, item, f"{place}.{key}" if place else str(key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _text_only(r, item, f"{place}[{index}]")


def completed_on(data: dict[str, Any]) -> dt.date | None:
    when = data.get("completed")
    if not isinstance(when, str):
        return None
    try:
        return dt.date.fromisoformat(when)
    except ValueError:
        return None


def failed(data: dict[str, Any], minimum: Decimal) -> bool:
    """Whether the reported result says the course was not passed: an agreement recognizes completions only."""
    result = data.get("result")
    if not isinstance(result, dict):
        return False
    kind = result.get("type")
    if kind == "pass_fail" or (kind == "grade" and "passed" in result):
        return result.get("passed") is not True
    if kind == "score":
        try:
            low = Decimal(str(result.get("min", 0)))
            high = Decimal(str(result["max"]))
            score = Decimal(str(result["score"]))
            return (score - low) * 100 / (high - low) < minimum
        except (KeyError, ArithmeticError, ValueError):
            return True
    return False


def match(terms: Iterable[Term], institution: str, data: dict[str, Any], framework: str) -> Term | None:
    """The term that recognizes this achievement in ``framework``, if any (at most one can, by construction)."""
    code = data.get("code")
    completed = completed_on(data)
    if not isinstance(code, str) or completed is None:
        return None
    for term in terms:
        if (term.institution, term.code, term.framework) == (institution, code, framework) and term.covers(completed):
            return term
    return None


def recognize(term: Term, outcome: LearningOutcome, label: str, rules_version: str) -> Conversion:
    """The conversion an agreement term gives: its credits, at the outcome's level and category."""
    parties = ", ".join(term.parties)
    steps: list[Bilingual] = [
        {
            "zh": f"按互认协议 {term.agreement}（第 {term.version} 版，条款 terms[{term.number}]）认定，"
            f"协议方：{parties}；认定方：{term.recognizing}。",
            "en": f"Recognized under mutual recognition {term.label()}; parties: {parties}; "
            f"recognized by {term.recognizing}.",
        },
        {
            "zh": f"课程 {term.institution}:{term.code} 于 {term.completed_from.isoformat()} 至 "
            f"{term.completed_until.isoformat()} 期间完成，认定为成果名录 {outcome.code}“{outcome.name['zh']}”。",
            "en": f"Course {term.institution}:{term.code}, completed between {term.completed_from.isoformat()} and "
            f"{term.completed_until.isoformat()}, is recognized as catalogue outcome {outcome.code} "
            f"'{outcome.name['en']}'.",
        },
        {
            "zh": f"协议学分代替规则集 {rules_version} 的换算。",
            "en": f"The agreement's credits stand in place of rule set {rules_version}'s conversion.",
        },
        {
            "zh": f"结果：{_figure(term.credits)} 学分，第 {outcome.level} 级，类别 {outcome.category}。",
            "en": f"Result: {_figure(term.credits)} credits at level {outcome.level}, category {outcome.category}.",
        },
    ]
    return Conversion(term.credits.quantize(CENT), outcome.level, outcome.category, label, outcome.code, tuple(steps))


def _figure(value: Decimal) -> str:
    return str(as_number(value.quantize(CENT)))


def reference(term: Term) -> dict[str, str]:
    """What a ``credits.converted`` body names of the agreement it was written by."""
    return {"id": term.agreement, "version": term.version, "hash": term.hash}
