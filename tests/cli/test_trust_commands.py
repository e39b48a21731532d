"""`creditbank trust add|list|remove`: entries through the CLI, mappings files in JSON and TOML, and bad input
refused with one line and a non-zero status, appending nothing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from creditbank import create_app, ledger_store
from creditbank.runtime import bank_of
from creditbank.services.credits.credit_rules import DATA

DID = "did:web:bank-a.example"


@pytest.fixture
def cli(cli):
    """A migrated bank with its keys and the EQF published, for mappings to name."""
    cli("db", "upgrade")
    cli("keys", "init")
    cli("frameworks", "publish", str(DATA / "frameworks" / "eqf.toml"))
    return cli


def _size(cli) -> int:
    bank = bank_of(create_app(cli.settings))
    try:
        with bank.db.reading() as session:
            return ledger_store.tree_size(session)
    finally:
        bank.db.dispose()


def test_add_list_and_remove(cli, tmp_path: Path) -> None:
    mappings = tmp_path / "a.json"
    mappings.write_text(
        json.dumps([{"achievement": "*", "framework": "eqf", "credits_ratio": 1, "level": 5, "category": "general"}])
    )
    out = cli("trust", "add", DID, "--name", "Bank A", "--valid-from", "2026-01-01", "--mappings", str(mappings))
    assert out.startswith(f"added: {DID}  Bank A  valid 2026-01-01..open  1 mapping  seq ")
    again = cli("trust", "add", DID, "--name", "Bank A", "--valid-from", "2026-01-01", "--mappings", str(mappings))
    assert again.startswith("already listed with this entry, unchanged")
    toml = tmp_path / "b.toml"
    toml.write_text(
        '[[mappings]]\nachievement = "urn:a:1"\nframework = "eqf"\ncredits = 2.5\nlevel = 4\ncategory = "general"\n'
    )
    other = "did:web:127.0.0.1%3A8443:banks:b"
    cli("trust", "add", other, "--name", "Bank B", "--valid-until", "2030-12-31", "--mappings", str(toml))
    listed = json.loads(cli("trust", "list", "--json"))
    assert [item["did"] for item in listed] == sorted([DID, other])
    b = next(item for item in listed if item["did"] == other)
    assert b["valid_until"] == "2030-12-31"
    assert b["mappings"][0]["credits"] == "2.5"
    text = cli("trust", "list")
    assert "Bank A" in text
    assert "Bank B" in text
    assert cli("trust", "remove", DID, "--reason", "agreement ended").startswith(f"removed: {DID} at seq ")
    assert [item["did"] for item in json.loads(cli("trust", "list", "--json"))] == [other]
    added = json.loads(cli("trust", "add", DID, "--name", "Bank A", "--json"))
    assert added["created"] is True
    assert added["did"] == DID


def test_an_empty_list_says_so(cli) -> None:
    assert cli("trust", "list") == "no issuers are trusted\n"
    assert json.loads(cli("trust", "list", "--json")) == []


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["add", "did:web:Bank.example", "--name", "X"], 1, "lowercase"),
        (["add", "did:web:bank.example", "--name", "X\x07"], 1, "control characters"),
        (["add", "did:web:bank.example", "--name", "X", "--valid-from", "2026-02-30"], 2, "YYYY-MM-DD"),
        (["add", "did:web:bank.example", "--name", "X", "--valid-until", "2026-01-01T00:00"], 2, "YYYY-MM-DD"),
        (["add", "did:web:bank.example"], 2, "--name"),
        (["remove", "did:web:nobody.example", "--reason", "x"], 1, "not on this bank's trust list"),
        (["remove", DID], 2, "--reason"),
    ],
)
def test_bad_input_is_one_line_and_appends_nothing(cli, args: list[str], code: int, message: str) -> None:
    before = _size(cli)
    out = cli("trust", *args, code=code)
    assert message in out
    assert _size(cli) == before


def test_bad_mappings_files_name_the_place(cli, tmp_path: Path) -> None:
    before = _size(cli)
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"mappings": [{"achievement": "*", "framework": "eqf", "credits": 1, "level": 12}]}))
    out = cli("trust", "add", DID, "--name", "A", "--mappings", str(bad), code=1)
    assert "mappings[0].level" in out
    assert "mappings[0].category" in out
    broken = tmp_path / "broken.json"
    broken.write_text("[{")
    assert "not readable JSON" in cli("trust", "add", DID, "--name", "A", "--mappings", str(broken), code=1)
    wrong = tmp_path / "wrong.toml"
    wrong.write_text('name = "x"\n')
    assert "one key, mappings" in cli("trust", "add", DID, "--name", "A", "--mappings", str(wrong), code=1)
    missing = tmp_path / "missing.json"
    assert "cannot read" in cli("trust", "add", DID, "--name", "A", "--mappings", str(missing), code=1)
    assert _size(cli) == before
