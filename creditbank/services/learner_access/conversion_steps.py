"""A conversion's explanation, read back into steps a page can say in any of its languages.

The ``credits.converted`` entries carry their explanation as zh/en sentences that name ids (``category
professional``, ``source: university``, a unit called ``credit``). Those entries are signed history and stay as
they are; a page reads each English sentence back into a kind and its figures (the engine writes them from a fixed
set of patterns, :mod:`creditbank.credits.conversion` and the recognition decisions) and words it from the page's
catalogue, with names in place of ids. A sentence of no known pattern is kept as written.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

_NUMBER = r"-?\d+(?:\.\d+)?"
# Each kind with the English pattern the engine writes it in. Kinds the page words from the credit line itself (the
# rule set and source, the result) carry no figures of their own.
PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (kind, re.compile(pattern, re.DOTALL))
    for kind, pattern in (
        ("converted", r"Converted under rule set .+ into .+ credits \(.+, source: .+\)\."),
        ("no_result", r"No result reported: treated as completed\."),
        ("passed", r"Result: passed\."),
        ("not_passed", r"Result: not passed, so nothing is converted\."),
        ("grade", r"Grade (?P<grade>.+) with no pass flag: treated as passed\."),
        (
            "score_met",
            rf"Score (?P<score>{_NUMBER}) of (?P<scale>{_NUMBER}) \((?P<percent>{_NUMBER})%\) meets the minimum of "
            rf"(?P<minimum>{_NUMBER})%\.",
        ),
        (
            "score_low",
            rf"Score (?P<score>{_NUMBER}) of (?P<scale>{_NUMBER}) \((?P<percent>{_NUMBER})%\) is below the minimum "
            rf"of (?P<minimum>{_NUMBER})%, so nothing is converted\.",
        ),
        ("valid", r"Completed (?P<date>\d{4}-\d{2}-\d{2}), within the (?P<years>\d+)-year validity window\."),
        (
            "too_old",
            r"Completed (?P<date>\d{4}-\d{2}-\d{2}), before (?P<limit>\d{4}-\d{2}-\d{2}): outside the "
            r"(?P<years>\d+)-year validity window, so it needs re-certification before it converts\.",
        ),
        (
            "equivalence_unapproved",
            r"Course equivalence .+, but (?P<ref>\S+) is not an approved catalogue outcome: the general rule "
            r"applies\.",
        ),
        ("equivalence", r"Course equivalence: .+\."),
        (
            "outcome",
            rf"Recognized as catalogue outcome (?P<ref>\S+) '.*': (?P<amount>{_NUMBER}) credits at level \d+, "
            r"category \S+\.",
        ),
        (
            "native_hours",
            rf"(?P<native>{_NUMBER}) × '.*' of (?P<each>{_NUMBER}) hours \(as the institution declares\) = "
            rf"(?P<hours>{_NUMBER}) hours; ÷ (?P<per>{_NUMBER}) hours per credit = (?P<amount>{_NUMBER}) credits\.",
        ),
        ("ratio", rf"(?P<native>{_NUMBER}) .+ × (?P<ratio>{_NUMBER}) = (?P<amount>{_NUMBER}) credits\."),
        (
            "hours",
            rf"(?P<hours>{_NUMBER}) hours ÷ (?P<per>{_NUMBER}) hours per credit = (?P<amount>{_NUMBER}) credits\.",
        ),
        ("nothing_reported", r"Neither convertible credits nor hours were reported, so nothing can be converted\."),
        ("rounded", rf"Rounded down to a multiple of (?P<step>{_NUMBER}): (?P<amount>{_NUMBER}) credits\."),
        ("result_zero", r"Result: 0 credits\."),
        ("result", rf"Result: {_NUMBER} credits at level \d+, .+\."),
        (
            "decision_reviewer",
            r"Decision #(?P<seq>\d+) on recognition application \S+: .*\. Recognized by a reviewer\.",
        ),
        (
            "decision_trusted",
            r"Decision #(?P<seq>\d+) on recognition application \S+: .*\. A valid credential from the trusted issuer "
            r".+, recognized automatically by the trust list's mapping\.",
        ),
    )
)
KINDS = (*(kind for kind, _ in PATTERNS), "text")
# The source labels a page names (the institution types, and "mooc" as rule sets call MOOC platforms); a rule set's
# own label reads as "another kind of institution".
SOURCES = frozenset(
    {
        "university",
        "open_university",
        "senior_college",
        "vocational",
        "community",
        "mooc_platform",
        "mooc",
        "other",
        "recognition",
    }
)
_DATES = ("date", "limit")
_WORDS = ("grade", "ref")


def _value(name: str, text: str) -> Any:
    if name in _DATES:
        return date.fromisoformat(text)
    if name in _WORDS:
        return text
    try:
        return Decimal(text)
    except InvalidOperation:
        return text


def read_step(step: Mapping[str, str]) -> dict[str, Any]:
    """One sentence of an explanation as ``{"kind", "values"}``; ``{"kind": "text", "text": …}`` when it follows
    no known pattern."""
    english = str(step.get("en", ""))
    for kind, pattern in PATTERNS:
        found = pattern.fullmatch(english)
        if found is not None:
            try:
                values = {name: _value(name, text) for name, text in found.groupdict().items()}
            except ValueError:  # a date that does not exist: say the sentence as it was written
                break
            return {"kind": kind, "values": values}
    return {"kind": "text", "values": {}, "text": dict(step)}


def read(steps: Iterable[Any]) -> list[dict[str, Any]]:
    return [read_step(step) for step in steps if isinstance(step, Mapping)]
