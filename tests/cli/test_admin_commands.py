"""The admin CLI: clear messages and exit codes, never a traceback."""

import json

import pytest
from click.testing import CliRunner

from creditbank import create_app
from creditbank.cli import main
from creditbank.runtime import bank_of
from creditbank.services.records import api_keys


def test_commands_before_migration_say_what_to_do(tmp_path, monkeypatch):
    # The PostgreSQL fixture databases arrive migrated, so this runs on a fresh SQLite file.
    monkeypatch.setenv("CREDITBANK_INSTANCE_PATH", str(tmp_path))
    monkeypatch.delenv("CREDITBANK_DATABASE_URL", raising=False)
    result = CliRunner().invoke(main, ["institutions", "list"])
    assert result.exit_code == 1
    assert "creditbank db upgrade" in result.output


def test_register_list_issue_revoke_audit(cli):
    cli("db", "upgrade")
    assert "+" in cli("keys", "init")
    out = cli(
        "institutions",
        "add",
        "national",
        "--type",
        "open_university",
        "--name-en",
        "National OU",
        "--name-zh",
        "国家开放大学",
        "--credit-unit",
        "credit",
        "--hours-per-unit",
        "18",
    )
    assert "ledger seq 0" in out
    cli("institutions", "add", "branch", "--type", "open_university", "--name-en", "Branch", "--parent", "national")
    assert "already registered" in cli("institutions", "add", "national", "--type", "other", "--name-en", "X", code=1)
    assert "not registered" in cli(
        "institutions", "add", "x", "--type", "other", "--name-en", "X", "--parent", "nowhere", code=1
    )
    cli("institutions", "add", "y", "--type", "bogus", "--name-en", "Y", code=2)
    assert "together" in cli(
        "institutions", "add", "z", "--type", "other", "--name-en", "Z", "--credit-unit", "c", code=1
    )
    listed = json.loads(cli("institutions", "list", "--json"))
    assert {row["id"]: row["parent"] for row in listed} == {"branch": "national", "national": None}
    assert listed[1]["name_zh"] == "国家开放大学"
    assert "unknown scope" in cli("keys", "issue", "--institution", "branch", "--scope", "everything", code=1)
    token = cli("keys", "issue", "--institution", "branch", "--scope", "records:read").strip().splitlines()[-1]
    bank = bank_of(create_app(cli.settings))
    principal = api_keys.authenticate(bank, f"Bearer {token}")
    assert principal.institution_id == "branch"
    cli("keys", "revoke", principal.key_id)
    with pytest.raises(Exception, match="revoked"):
        api_keys.authenticate(bank, f"Bearer {token}")
    note = cli("ledger", "checkpoint")
    assert note.splitlines()[1] == "2"
    assert "audit passed: 2 entries" in cli("ledger", "audit")
    assert "replayed 2 entries" in cli("ledger", "replay")
    bank.db.dispose()


def test_institution_names_with_control_characters_are_refused_at_every_door(cli):
    cli("db", "upgrade")
    out = cli("institutions", "add", "nul-name", "--type", "university", "--name-en", "Bad\x00Name", code=1)
    assert "control characters" in out
    out = cli("institutions", "add", "tab-name", "--type", "university", "--name-en", "Bad\tName", code=1)
    assert "control characters" in out
    assert "nul-name" not in cli("institutions", "list")
