"""`creditbank frameworks|rules|catalogue|credits|qualifications`: the shipped data publishes, bad files are refused
with the place named and exit status 1, and nothing is appended by a refusal."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from creditbank import create_app, ledger_store
from creditbank.runtime import bank_of
from creditbank.services.credits.credit_rules import DATA

FRAMEWORKS = DATA / "frameworks"


@pytest.fixture
def cli(cli):
    """A migrated bank with its keys."""
    cli("db", "upgrade")
    cli("keys", "init")
    return cli


def _size(cli) -> int:
    bank = bank_of(create_app(cli.settings))
    try:
        with bank.db.reading() as session:
            return ledger_store.tree_size(session)
    finally:
        bank.db.dispose()


def test_shipped_frameworks_publish_and_list(cli) -> None:
    for name in ("eqf", "hkqf", "cn-example"):
        out = cli("frameworks", "publish", str(FRAMEWORKS / f"{name}.toml"))
        assert "published at seq" in out
    again = cli("frameworks", "publish", str(FRAMEWORKS / "eqf.toml"))
    assert "already published, unchanged" in again
    listing = cli("frameworks", "list")
    assert "eqf                      2017       8 levels" in listing
    assert "hkqf                     2024       7 levels" in listing
    assert "(example)" in listing.splitlines()[-1] or "(example)" in listing


def test_the_example_framework_says_it_is_an_example() -> None:
    import tomllib

    document = tomllib.loads((FRAMEWORKS / "cn-example.toml").read_text(encoding="utf-8"))
    assert document["example"] is True
    assert "example" in document["description"]["en"].lower()
    assert "no official national level table" in document["description"]["en"].lower()
    assert "示例" in document["description"]["zh"]
    eqf = tomllib.loads((FRAMEWORKS / "eqf.toml").read_text(encoding="utf-8"))
    assert (eqf["credit_unit"]["hours_per_credit"], eqf["credit_unit"]["hours_per_credit_max"]) == (25, 30)
    assert eqf["credit_unit"]["full_time_year"] == 60
    hkqf = tomllib.loads((FRAMEWORKS / "hkqf.toml").read_text(encoding="utf-8"))
    assert hkqf["credit_unit"]["hours_per_credit"] == 10


def test_the_demo_rules_publish_after_their_framework_catalogue_and_institutions(cli) -> None:
    cli("demo", "--learners", "3")
    out = cli("rules", "list")
    assert "cn-example-2026.1" in out
    catalogue = cli("catalogue", "list", "--status", "approved")
    assert "DL-1" in catalogue
    assert "SC-HEALTH-1" in catalogue


@pytest.mark.parametrize(
    ("text", "place"),
    [
        ("id = 'x'\nversion = '1'\n[broken\n", "line 3"),
        ("id = 'x'\n", "levels: missing"),
        (None, "levels[1].number: duplicate level number 1"),
        (None, "credit_unit.hours_per_credit: must be greater than 0"),
    ],
    ids=["syntax", "missing-levels", "duplicate-level", "negative-hours"],
)
def test_bad_framework_files_name_the_place(cli, tmp_path: Path, text: str | None, place: str) -> None:
    if text is None:
        document = (FRAMEWORKS / "hkqf.toml").read_text(encoding="utf-8")
        if "duplicate" in place:
            document = document.replace("number = 2\n", "number = 1\n", 1)
        else:
            document = document.replace("hours_per_credit = 10", "hours_per_credit = -10")
        text = document
    path = tmp_path / "framework.toml"
    path.write_text(text, encoding="utf-8")
    before = _size(cli)
    out = cli("frameworks", "publish", str(path), code=1)
    assert place in out
    assert _size(cli) == before


def test_a_changed_framework_under_the_same_version_is_refused(cli, tmp_path: Path) -> None:
    cli("frameworks", "publish", str(FRAMEWORKS / "hkqf.toml"))
    changed = tmp_path / "hkqf.toml"
    changed.write_text(
        (FRAMEWORKS / "hkqf.toml").read_text(encoding="utf-8").replace("total = 10\n", "total = 12\n"),
        encoding="utf-8",
    )
    out = cli("frameworks", "publish", str(changed), code=1)
    assert "other content" in out
    assert "publish a new version" in out


def test_rules_naming_an_unknown_institution_are_refused(cli, tmp_path: Path) -> None:
    cli("frameworks", "publish", str(FRAMEWORKS / "cn-example.toml"))
    rules = tmp_path / "rules.toml"
    rules.write_text((DATA / "rules" / "cn-example-2026.toml").read_text(encoding="utf-8"), encoding="utf-8")
    out = cli("rules", "publish", str(rules), code=1)
    assert "institutions[0].id: unknown institution 'demo-university'" in out


def test_missing_file_and_json_format(cli, tmp_path: Path) -> None:
    out = cli("frameworks", "publish", str(tmp_path / "absent.toml"), code=1)
    assert "cannot read the file" in out
    bad = tmp_path / "framework.json"
    bad.write_text("[1, 2]", encoding="utf-8")
    assert "must be a table" in cli("frameworks", "publish", str(bad), code=1)
    good = tmp_path / "hkqf.json"
    import tomllib

    good.write_text(json.dumps(tomllib.loads((FRAMEWORKS / "hkqf.toml").read_text(encoding="utf-8"))), "utf-8")
    assert "published at seq" in cli("frameworks", "publish", str(good))


def test_award_and_reconvert_from_the_command_line(cli) -> None:
    cli("demo", "--learners", "2")
    rows = json.loads(cli("learners", "list", "--json"))
    shown = [json.loads(cli("credits", "show", row["id"])) for row in rows]
    awarded = [account for account in shown if account["awards"]]
    assert len(awarded) == 1
    learner = awarded[0]["learner"]
    out = cli("qualifications", "award", "--learner", learner, "--qualification", "cn-example-digital-literacy", code=1)
    assert "cannot be awarded yet" in out
    assert "required outcome not banked" in out
    out = cli("credits", "reconvert", "--rules", "cn-example-2026.1")
    assert "0 achievements reconverted" in out
    assert "rule set 'nope'" in cli("credits", "reconvert", "--rules", "nope", code=1)
    assert "no learner" in cli("credits", "show", "lrn_00000000000000000000", code=1)
