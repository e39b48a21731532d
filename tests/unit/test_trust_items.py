"""What the evidence check reads off a verified credential: titles, credits and the trust list mapping that applies."""

from __future__ import annotations

from typing import Any

import pytest

from creditbank.services.recognition import evidence, trust_list

DID = "did:web:bank-a.example"


def _issuer(*mappings: dict[str, Any]) -> trust_list.Issuer:
    full = [
        {"outcome": None, "credits": None, "credits_ratio": None, "level": 3, "category": "general", **mapping}
        for mapping in mappings
    ]
    return trust_list.Issuer(DID, "Bank A", "2026-01-01", None, tuple(full), 42, "2026-01-01T00:00:00.000Z")


@pytest.mark.parametrize(
    ("name", "title"),
    [
        ("数字素养基础 / Digital basics", {"zh": "数字素养基础", "en": "Digital basics"}),
        ("Digital basics", {"en": "Digital basics"}),
        ("数字素养", {"zh": "数字素养"}),
        ("A / B", {"en": "A / B"}),
        ({"en-US": "Basics", "zh-CN": "基础", "fr": "Bases"}, {"en": "Basics", "zh": "基础"}),
        ({"en": 3}, {}),
        ("  ", {}),
        (None, {}),
    ],
)
def test_titles_come_from_language_maps_or_plain_text(name: Any, title: dict[str, str]) -> None:
    assert evidence._title(name) == title


@pytest.mark.parametrize(
    ("value", "text"), [(4, "4"), (2.5, "2.5"), (0, "0"), (-1, None), (True, None), ("3", None), (None, None)]
)
def test_credits_are_decimal_text_of_a_non_negative_number(value: Any, text: str | None) -> None:
    assert evidence._credits(value) == text


def test_an_exact_achievement_mapping_wins_over_the_wildcard_in_the_requested_framework() -> None:
    issuer = _issuer(
        {"achievement": "*", "framework": "eqf", "credits_ratio": "1.5"},
        {"achievement": "urn:a:1", "framework": "eqf", "credits": "5", "level": 4, "category": "professional"},
        {"achievement": "urn:a:2", "framework": "hkqf", "credits": "9"},
    )
    exact = evidence._mapping(issuer, "urn:a:1", "eqf", "2")
    assert exact == {
        "framework": "eqf",
        "outcome": None,
        "credits": "5",
        "level": 4,
        "category": "professional",
        "rule": f"{DID}@42",
    }
    scaled = evidence._mapping(issuer, "urn:a:2", "eqf", "3")
    assert scaled is not None
    assert scaled["credits"] == "4.5"
    assert evidence._mapping(issuer, "urn:a:2", "hkqf", None) is not None
    # A ratio has nothing to scale when the credential states no credits; no other framework applies.
    assert evidence._mapping(issuer, "urn:a:3", "eqf", None) is None
    assert evidence._mapping(issuer, "urn:a:1", "cn", "2") is None


@pytest.mark.parametrize(
    ("ratio", "credits", "granted"), [("0.333", "1", "0.33"), ("0.339", "1", "0.33"), ("1.5", "3", "4.5")]
)
def test_ratios_are_cut_to_hundredths_never_rounded_up(ratio: str, credits: str, granted: str) -> None:
    issuer = _issuer({"achievement": "*", "framework": "eqf", "credits_ratio": ratio})
    mapping = evidence._mapping(issuer, None, "eqf", credits)
    assert mapping is not None
    assert mapping["credits"] == granted


def test_trust_entries_are_in_force_on_their_days_both_included() -> None:
    from datetime import date

    issuer = trust_list.Issuer(DID, "A", "2026-01-01", "2026-12-31", (), 1, "")
    assert issuer.valid_on(date(2026, 1, 1))
    assert issuer.valid_on(date(2026, 12, 31))
    assert not issuer.valid_on(date(2025, 12, 31))
    assert not issuer.valid_on(date(2027, 1, 1))
