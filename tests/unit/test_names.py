"""The spellings of a typed name that the verifier tries against an identity hash, and the birth date forms."""

from __future__ import annotations

from datetime import date

import pytest

from certificates.credentials import identity_object
from certificates.names import MAX_CANDIDATES, BirthDateError, name_candidates, parse_birth_date
from certificates.verify import Identity, Report, _identity

BORN = date(1952, 10, 3)


def holder(*names: str) -> dict[str, object]:
    return {
        "credentialSubject": {"identifier": [identity_object(name, BORN, f"salt-{n}") for n, name in enumerate(names)]}
    }


def compared(document: dict[str, object], name: str, born: date = BORN) -> str:
    report = Report()
    _identity(document, Identity(name, born), report)
    return report.identity


@pytest.mark.parametrize(
    ("recorded", "typed"),
    [
        ("陈秀英", "陳秀英"),  # traditional typed, simplified recorded
        ("陳秀英", "陈秀英"),  # and the other way
        ("陈秀英", "陈 秀英"),
        ("陈秀英", "陈\u3000秀英"),  # ideographic space
        ("张伟", "張偉"),
        ("欧阳秀琴", "歐陽秀琴"),
        ("Chen Xiuying", "Xiuying Chen"),
        ("Chen Xiuying", "chen  xiuying"),
        ("Chen Xiuying", "Chen, Xiuying"),
        ("Chen Xiuying", "Ｃｈｅｎ　Ｘｉｕｙｉｎｇ"),
        ("Ouyang Xiu Qin", "Xiu Qin Ouyang"),  # the family name moved from the front to the end
        ("阿依古丽·买买提", "阿依古丽・买买提"),  # another middle dot
    ],
)
def test_a_name_written_another_way_matches(recorded: str, typed: str) -> None:
    assert compared(holder(recorded), typed) == "matches"


@pytest.mark.parametrize("typed", ["陈秀兰", "陈秀", "Chen Xiuyang", "Chen", "Xiuying"])
def test_another_name_does_not_match(typed: str) -> None:
    assert compared(holder("陈秀英", "Chen Xiuying"), typed) == "does_not_match"


def test_a_wrong_birth_date_does_not_match_and_the_report_keeps_its_verdict_apart() -> None:
    report = Report()
    report.credential = {"id": "urn:uuid:x"}
    report.add("format", "pass", "")
    _identity(holder("陈秀英"), Identity("陈秀英", date(1952, 10, 4)), report)
    assert report.identity == "does_not_match"
    assert report.verdict == "valid"
    assert "does not match what you entered" in report.checks[-1].reason


def test_a_chinese_name_is_not_tried_in_a_latin_order_nor_a_latin_one_in_characters() -> None:
    # The two forms never stand for each other: 陈秀英 says nothing about whether "Chen Xiuying" is right.
    assert compared(holder("Chen Xiuying"), "陈秀英") == "does_not_match"
    assert compared(holder("陈秀英"), "Chen Xiuying") == "does_not_match"


def test_the_candidates_are_few() -> None:
    assert name_candidates("陳秀英")[0] == "陳秀英"
    assert len(name_candidates("Anna Maria Luisa Schmidt Garcia")) <= MAX_CANDIDATES
    assert len(name_candidates("臺灣 灣區 發展 後來")) <= MAX_CANDIDATES
    assert name_candidates("   ") == []


@pytest.mark.parametrize(
    "text",
    [
        "1952-10-03",
        "1952-10-3",
        "1952年10月3日",
        "1952年10月03日",
        " 1952 年 10 月 3 日 ",
        "１９５２年１０月３日",
        "１９５２－１０－０３",
    ],
)
def test_birth_dates_in_iso_or_chinese_form(text: str) -> None:
    assert parse_birth_date(text) == BORN


@pytest.mark.parametrize(
    "text", ["1952/10/03", "03.10.1952", "19521003", "1952-02-30", "1952年13月1日", "52-10-03", ""]
)
def test_other_birth_date_forms_are_refused_with_the_accepted_ones_named(text: str) -> None:
    with pytest.raises(BirthDateError, match=r"1952-10-03 or 1952年10月3日|not a date that exists"):
        parse_birth_date(text)
