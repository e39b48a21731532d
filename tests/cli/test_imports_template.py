"""`creditbank imports template (csv|xlsx) FILE`: the console's templates, written without overwriting by accident."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from creditbank.cli import main
from creditbank.spreadsheets import read, template_csv, template_xlsx


def _run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["imports", "template", *args])
    assert "Traceback" not in result.output
    return result.exit_code, result.output


def test_both_templates_are_written_as_the_console_serves_them(tmp_path: Path) -> None:
    for form, expected in (("csv", template_csv()), ("xlsx", template_xlsx())):
        target = tmp_path / f"template.{form}"
        code, output = _run(form, str(target))
        assert code == 0, output
        assert f"wrote the {form} template" in output
        if form == "csv":
            assert target.read_bytes() == expected
        assert len(read(target.name, target.read_bytes()).rows) == 1


def test_an_existing_file_is_kept_unless_forced(tmp_path: Path) -> None:
    target = tmp_path / "mine.csv"
    target.write_bytes(b"my own work")
    code, output = _run("csv", str(target))
    assert code == 1
    assert "exists; use --force" in output
    assert target.read_bytes() == b"my own work"
    code, output = _run("csv", str(target), "--force")
    assert code == 0, output
    assert target.read_bytes() == template_csv()


def test_a_bad_form_or_an_unwritable_place_is_a_message(tmp_path: Path) -> None:
    code, output = _run("ods", str(tmp_path / "t.ods"))
    assert code == 2
    assert "'ods' is not one of 'csv', 'xlsx'" in output
    assert not (tmp_path / "t.ods").exists()
    code, output = _run("xlsx", str(tmp_path / "missing" / "t.xlsx"))
    assert code == 1
    assert "cannot write" in output
