"""`creditbank recognition`: apply with evidence files, list, show, assign, decide (recognize or refuse each item with
a reason), appeal, withdraw and revoke from the bank's desk; every refusal is one line with exit status 1 (2 for a
malformed option) and appends nothing."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from creditbank import create_app, ledger_store
from creditbank.runtime import Bank, bank_of
from creditbank.services.credits import credit_rules
from creditbank.services.records import learners
from creditbank.services.records.api_keys import Principal
from creditbank.services.records.learners import LearnerInput
from tests.helpers import register
from tests.integration.credit_world import FRAMEWORK, rules

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


@pytest.fixture
def bank(cli: Any) -> Iterator[Bank]:
    cli("db", "upgrade")
    cli("keys", "init")
    opened = bank_of(create_app(cli.settings))
    try:
        yield opened
    finally:
        opened.db.dispose()


@pytest.fixture
def learner(bank: Bank) -> str:
    register(bank, "uni-z")
    credit_rules.publish_framework(bank, FRAMEWORK, source="test")
    credit_rules.publish_rules(bank, rules("z-1", institutions=[], equivalences=[], caps=[], awarding={}), source="t")
    principal = Principal("test", "uni-z", frozenset({"records:write"}))
    return str(learners.enroll(bank, principal, LearnerInput(date(1960, 5, 6), name_zh="张伟")).body["id"])


def size(bank: Bank) -> int:
    with bank.db.reading() as session:
        return ledger_store.tree_size(session)


def scan(tmp_path: Path, name: str, salt: str) -> str:
    path = tmp_path / name
    path.write_bytes(PNG + salt.encode())
    return str(path)


def test_the_whole_flow_from_the_desk(cli: Any, bank: Bank, learner: str, tmp_path: Path) -> None:
    cli("staff", "add", "rita", "--bank", "--role", "reviewer")
    cli("staff", "add", "sam", "--bank", "--role", "reviewer")
    applied = json.loads(
        cli(
            "recognition",
            "apply",
            "--learner",
            learner,
            "--evidence",
            scan(tmp_path, "a.png", "a"),
            "--description",
            "Calligraphy, 50 hours",
            "--evidence",
            scan(tmp_path, "b.png", "b"),
            "--description",
            "Walking club",
            "--json",
        )
    )
    number = applied["id"]
    assert applied["state"] == "submitted"  # neither reviewer has set up a password yet
    assert [item["description"] for item in applied["items"]] == ["Calligraphy, 50 hours", "Walking club"]
    assert "assigned to" in cli("recognition", "assign", number, "--reviewer", "rita")
    decided = json.loads(
        cli(
            "recognition",
            "decide",
            number,
            "--recognize",
            "1=2.5@3/general:Hours and a tutor's report",
            "--refuse",
            "2",
            "--reason",
            "No learning outcomes assessed",
            "--reviewer",
            "rita",
            "--json",
        )
    )
    assert decided["state"] == "decided"
    assert decided["decision"]["recognized"][0]["credits"] == 2.5
    assert decided["decision"]["refused"] == [
        {"item": 2, "learning": applied["items"][1]["key"], "reason": "No learning outcomes assessed"}
    ]
    shown = cli("recognition", "show", number)
    assert "2.5 credits at level 3" in shown
    assert "refused — No learning outcomes assessed" in shown
    cli("recognition", "appeal", number, "--reason", "The club kept a log of routes")
    assert "another reviewer" in cli("recognition", "assign", number, "--reviewer", "rita", code=1)
    cli("recognition", "assign", number, "--reviewer", "sam")
    final = json.loads(
        cli(
            "recognition",
            "decide",
            number,
            "--recognize",
            "1=2.5@3/general",
            "--recognize",
            "2=1@2/general",
            "--reason",
            "Logged routes show planning skills",
            "--reviewer",
            "sam",
            "--json",
        )
    )
    assert final["state"] == "final"
    listed = json.loads(cli("recognition", "list", "--learner", learner, "--json"))
    assert [row["id"] for row in listed] == [number]
    assert "reversed" in cli("recognition", "revoke", number, "--reason", "Issued in error")


def test_refusals_are_one_line_and_append_nothing(cli: Any, bank: Bank, learner: str, tmp_path: Path) -> None:
    cli("staff", "add", "rita", "--bank", "--role", "reviewer")
    before = size(bank)
    no_description = cli("recognition", "apply", "--learner", learner, "--evidence", scan(tmp_path, "a.png", "a"),
                         code=1)  # fmt: skip
    assert "description" in no_description
    gif = tmp_path / "x.gif"
    gif.write_bytes(b"GIF89a....")
    assert "a scanned document (PDF, PNG or JPEG)" in cli(
        "recognition", "apply", "--learner", learner, "--evidence", str(gif), code=1
    )
    assert "is a directory" in cli("recognition", "apply", "--learner", learner, "--evidence", str(tmp_path), code=2)
    missing = str(tmp_path / "missing.png")
    assert "cannot read" in cli("recognition", "apply", "--learner", learner, "--evidence", missing, code=1)
    assert "no learner" in cli("recognition", "apply", "--learner", "lrn_nobody", "--evidence",
                               scan(tmp_path, "b.png", "b"), "--description", "x", code=1)  # fmt: skip
    assert size(bank) == before
    applied = json.loads(cli("recognition", "apply", "--learner", learner, "--evidence", scan(tmp_path, "c.png", "c"),
                             "--description", "Course", "--json"))  # fmt: skip
    number = applied["id"]
    before = size(bank)
    assert "--recognize" in cli("recognition", "decide", number, "--recognize", "one=2", "--reviewer", "rita", code=2)
    assert "reason" in cli("recognition", "decide", number, "--recognize", "1=2", "--reviewer", "rita", code=1)
    assert "no active staff account" in cli("recognition", "decide", number, "--refuse", "1", "--reason", "x",
                                            "--reviewer", "nobody", code=1)  # fmt: skip
    assert "only a decision can be appealed" in cli("recognition", "appeal", number, "--reason", "why", code=1)
    assert "no application" in cli("recognition", "show", "rap-nothing", code=1)
    assert size(bank) == before
