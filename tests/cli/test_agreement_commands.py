"""`creditbank agreements publish|list`: the example agreement publishes over the demo bank, a refusal names the
place and exits 1 having appended nothing, and --json gives scripts the same answers."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from creditbank import create_app, ledger_store
from creditbank.runtime import bank_of
from creditbank.services.credits.credit_rules import DATA

EXAMPLE = DATA / "agreement-example.toml"


@pytest.fixture
def cli(cli):
    """The demo bank: institutions, frameworks, catalogue and rules, with a few learners."""
    cli("db", "upgrade")
    cli("keys", "init")
    cli("demo", "--learners", "2")
    return cli


def _size(cli) -> int:
    bank = bank_of(create_app(cli.settings))
    try:
        with bank.db.reading() as session:
            return ledger_store.tree_size(session)
    finally:
        bank.db.dispose()


def test_the_example_agreement_publishes_and_lists(cli) -> None:
    out = cli("agreements", "publish", str(EXAMPLE))
    assert "agreement demo-east-digital version 2026.1: published at seq" in out
    assert "standing achievements now convert by it" in out
    assert "already published, unchanged" in cli("agreements", "publish", str(EXAMPLE))
    listing = cli("agreements", "list")
    assert "demo-east-digital" in listing
    assert "recognized by demo-university" in listing
    (row,) = json.loads(cli("agreements", "list", "--json"))
    assert row["terms"][0] == {
        "from": "demo-open-university-east:DL100",
        "outcome": "DL-2",
        "credits": 3,
        "completed_from": "2026-01-01",
        "completed_until": "2028-12-31",
    }
    again = json.loads(cli("agreements", "publish", str(EXAMPLE), "--json"))
    assert again["created"] is False
    assert again["hash"] == row["hash"]


def test_an_overlapping_version_is_refused_with_exit_1(cli, tmp_path: Path) -> None:
    cli("agreements", "publish", str(EXAMPLE))
    before = _size(cli)
    second = tmp_path / "second.toml"
    second.write_text(EXAMPLE.read_text(encoding="utf-8").replace('version = "2026.1"', 'version = "2026.2"'))
    out = cli("agreements", "publish", str(second), code=1)
    assert "terms[0].from: overlaps agreement demo-east-digital version 2026.1 terms[0]" in out
    refused = json.loads(cli("agreements", "publish", str(second), "--json", code=1))
    assert refused["error"] == "invalid-input"
    assert "terms[1].from" in refused["errors"]
    assert _size(cli) == before


def test_unknown_parties_and_unreadable_files_are_refused(cli, tmp_path: Path) -> None:
    before = _size(cli)
    stranger = tmp_path / "stranger.toml"
    stranger.write_text(
        EXAMPLE.read_text(encoding="utf-8").replace('"demo-learning-point-riverside"]', '"demo-nowhere"]')
    )
    out = cli("agreements", "publish", str(stranger), code=1)
    assert "parties[2]: unknown party 'demo-nowhere'" in out
    assert "terms[1].from" in out
    broken = tmp_path / "broken.json"
    broken.write_text("{not json")
    assert "line 1" in cli("agreements", "publish", str(broken), code=1)
    assert "cannot read" in cli("agreements", "publish", str(tmp_path / "absent.toml"), code=1)
    assert _size(cli) == before
    assert cli("agreements", "list") == ""
