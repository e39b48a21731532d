"""The `cli` fixture: run `creditbank` commands in-process against the test database, asserting no traceback."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from creditbank.cli import main


@pytest.fixture
def cli(db_url, tmp_path, monkeypatch):
    settings = {
        "CREDITBANK_DATABASE_URL": db_url,
        "CREDITBANK_INSTANCE_PATH": str(tmp_path / "instance"),
        "CREDITBANK_KEY_PASSPHRASE": "cli-test",
    }
    for name, value in settings.items():
        monkeypatch.setenv(name, value)
    runner = CliRunner()

    def run(*args: str, code: int = 0, stdin: str | None = None) -> str:
        result = runner.invoke(main, list(args), input=stdin)
        assert "Traceback" not in result.output
        assert result.exit_code == code, result.output
        return result.output

    run.settings = settings
    return run
