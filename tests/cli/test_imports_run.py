"""`creditbank imports run`: exit codes, messages and JSON, and that nothing is half-written."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from creditbank import create_app, ledger_store
from creditbank.cli import main
from creditbank.models import SpreadsheetImport
from creditbank.runtime import bank_of
from tests.integration.test_imports import csv_file, person


@pytest.fixture
def institution(cli) -> str:
    cli("db", "upgrade")
    cli("keys", "init")
    cli("institutions", "add", "uni-a", "--type", "university", "--name-en", "University A")
    return "uni-a"


def _size(cli) -> int:
    bank = bank_of(create_app(dict(cli.settings)))
    try:
        with bank.db.reading() as session:
            return ledger_store.tree_size(session)
    finally:
        bank.db.dispose()


def _imports(cli) -> list[SpreadsheetImport]:
    bank = bank_of(create_app(dict(cli.settings)))
    try:
        with bank.db.reading() as session:
            return list(session.scalars(select(SpreadsheetImport)))
    finally:
        bank.db.dispose()


def _write(tmp_path: Path, rows: list[dict[str, str]], name: str = "learners.csv") -> str:
    path = tmp_path / name
    path.write_bytes(csv_file(rows))
    return str(path)


def test_dry_run_checks_and_writes_nothing_then_run_writes(cli, institution, tmp_path) -> None:
    path = _write(tmp_path, [person(1), person(2)])
    before = _size(cli)
    out = cli("imports", "run", path, "--institution", institution, "--dry-run")
    assert "would write 2 achievements" in out
    assert _size(cli) == before
    assert all(row.file_data is None for row in _imports(cli))  # a dry run keeps no file
    out = cli("imports", "run", path, "--institution", institution)
    assert "wrote 2 achievements" in out
    assert "2 new learners" in out
    assert _size(cli) == before + 4
    out = cli("imports", "run", path, "--institution", institution)
    assert "nothing new" in out
    assert _size(cli) == before + 4


def test_problems_exit_1_with_rows_on_stderr_and_nothing_written(cli, institution, tmp_path) -> None:
    path = _write(tmp_path, [person(1), person(2, result_score="120"), person(3, completed="")])
    before = _size(cli)
    out = cli("imports", "run", path, "--institution", institution, code=1)
    assert "row 3, 分数: The score lies outside its scale of 0 to 100." in out
    assert "row 4, 完成日期:" in out
    assert "nothing was written" in out
    assert _size(cli) == before


def test_json_report(cli, institution, tmp_path) -> None:
    path = _write(tmp_path, [person(1), person(1, record_id="R-1")])
    runner = CliRunner()
    result = runner.invoke(main, ["imports", "run", path, "--institution", institution, "--json"])
    assert result.exit_code == 1, result.output
    report = json.loads(result.stdout)
    assert report["state"] == "invalid"
    assert report["problems"] == [
        {
            "row": 3,
            "column": "记录编号",
            "field": "record_id",
            "code": "duplicate_record_id_in_file",
            "message": "This record ID already appears in row 2; each achievement needs a record ID of its own.",
        }
    ]
    clean = runner.invoke(
        main, ["imports", "run", _write(tmp_path, [person(5)], "b.csv"), "--institution", institution, "--json"]
    )
    assert clean.exit_code == 0, clean.output
    written = json.loads(clean.stdout)
    assert written["state"] == "written"
    assert written["summary"]["new_achievements"] == 1
    assert written["problems"] == []


def test_usage_errors_exit_2(cli, institution, tmp_path) -> None:
    path = _write(tmp_path, [person(1)])
    out = cli("imports", "run", path, "--institution", "nowhere", code=2)
    assert "no institution 'nowhere'" in out
    out = cli("imports", "run", str(tmp_path / "missing.csv"), "--institution", institution, code=2)
    assert "cannot read" in out
    assert _imports(cli) == []


def test_an_unreadable_file_exits_1_with_the_reason(cli, institution, tmp_path) -> None:
    path = tmp_path / "learners.xlsx"
    path.write_bytes(b"%PDF-1.7 this is no spreadsheet")
    out = cli("imports", "run", str(path), "--institution", institution, code=1)
    assert out.startswith("file: ")
    assert "nothing was written" in out
