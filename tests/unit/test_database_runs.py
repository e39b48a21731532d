"""The run's database coverage: a run that skips or leaves out a database's tests fails, and says so.

Each case runs pytest in a child process on a tiny project whose conftest registers the suite's own plugin
(tests/database_runs.py), with CREDITBANK_TEST_DATABASES set as the case needs.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.database_runs import DatabaseChoiceError, parse

ROOT = Path(__file__).resolve().parents[2]

CONFTEST = """
import pytest

from tests.database_runs import configured, register

BACKENDS = configured()[1]


def pytest_configure(config):
    register(config)


@pytest.fixture(params=BACKENDS)
def database(request):
    if request.param in request.config.getoption("skip_on"):
        pytest.skip(f"{request.param} is not available")
    return request.param


def pytest_addoption(parser):
    parser.addoption("--skip-on", action="append", default=[])
"""

TESTS = """
import pytest

from tests.database_runs import configured

BACKENDS = configured()[1]


def test_one(database):
    assert database in ("sqlite", "postgresql")


@pytest.mark.parametrize("size", [1, 2])
def test_sizes(database, size):
    assert size in (1, 2)


@pytest.mark.parametrize("backend", BACKENDS)
def test_by_name(backend):
    assert backend in ("sqlite", "postgresql")


def test_without_a_database():
    assert True
"""


def run(tmp_path: Path, databases: str | None, *args: str, tests: str = TESTS) -> tuple[int, str]:
    (tmp_path / "conftest.py").write_text(CONFTEST)
    (tmp_path / "test_tiny.py").write_text(tests)
    # Without the installed plugins (schemathesis, hypothesis), which the tiny project does not need: each child
    # starts in a fraction of the time.
    environment = {**os.environ, "PYTHONPATH": str(ROOT), "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"}
    environment.pop("CREDITBANK_TEST_DATABASES", None)
    if databases is not None:
        environment["CREDITBANK_TEST_DATABASES"] = databases
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", "-rs", *args],
        cwd=tmp_path,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )
    return done.returncode, done.stdout + done.stderr


def summary(output: str) -> str:
    (line,) = [line for line in output.splitlines() if line.startswith("database tests (")]
    return line


def test_both_databases_run_every_database_test(tmp_path: Path) -> None:
    code, output = run(tmp_path, None)
    assert code == 0, output
    assert summary(output) == (
        "database tests (CREDITBANK_TEST_DATABASES=sqlite,postgresql): SQLite 4 of 4 ran, PostgreSQL 4 of 4 ran"
    )
    assert "9 passed" in output
    assert "database coverage" not in output


def test_skipped_postgresql_tests_fail_the_run(tmp_path: Path) -> None:
    code, output = run(tmp_path, "sqlite,postgresql", "--skip-on", "postgresql")
    assert code == 1, output
    # Every test that ran passed; only the coverage check fails the run.
    assert re.search(r"\b6 passed, 3 skipped\b", output), output
    assert "failed" not in output.splitlines()[-1]
    assert "FAILED database coverage: PostgreSQL ran 1 of the 4 database tests selected for it (3 skipped)" in output
    assert (
        "FAILED database coverage: the databases ran different numbers of database tests: SQLite 4, PostgreSQL 1"
        in (output)
    )
    assert summary(output).startswith(
        "database tests (CREDITBANK_TEST_DATABASES=sqlite,postgresql): SQLite 4 of 4 ran, PostgreSQL 1 of 4 ran"
    )


def test_a_skip_inside_the_test_counts_as_not_run(tmp_path: Path) -> None:
    tests = TESTS + (
        "\n\ndef test_gives_up_on_postgresql(database):\n"
        "    if database == 'postgresql':\n"
        "        pytest.skip('not today')\n"
    )
    code, output = run(tmp_path, None, tests=tests)
    assert code == 1, output
    assert "FAILED database coverage: PostgreSQL ran 4 of the 5 database tests selected for it (1 skipped)" in output


def test_a_test_parametrized_for_one_database_only_fails_the_run(tmp_path: Path) -> None:
    tests = TESTS + (
        '\n\n@pytest.mark.parametrize("backend", ["sqlite"])\ndef test_sqlite_only(backend):\n    assert backend\n'
    )
    code, output = run(tmp_path, None, tests=tests)
    assert code == 1, output
    assert (
        "FAILED database coverage: 1 database tests selected on another database are not selected on PostgreSQL: "
        "test_tiny.py::test_sqlite_only[sqlite]"
    ) in output
    assert "SQLite 5 of 5 ran, PostgreSQL 4 of 4 ran" in summary(output)


def test_deselecting_one_database_with_k_fails_and_names_the_variable(tmp_path: Path) -> None:
    code, output = run(tmp_path, None, "-k", "not postgresql")
    assert code == 1, output
    assert "not selected on PostgreSQL" in output
    assert "set CREDITBANK_TEST_DATABASES" in output
    assert summary(output).endswith("SQLite 4 of 4 ran, PostgreSQL 0 of 0 ran, deselected: PostgreSQL 4")


def test_a_k_subset_on_both_databases_passes(tmp_path: Path) -> None:
    code, output = run(tmp_path, None, "-k", "sizes")
    assert code == 0, output
    assert summary(output).endswith("SQLite 2 of 2 ran, PostgreSQL 2 of 2 ran, deselected: PostgreSQL 2, SQLite 2")


def test_a_folder_with_a_conftest_of_its_own_is_counted_too(tmp_path: Path) -> None:
    # The plugin is registered beside conftest modules found later; pluggy keeps plugins in sets.
    (tmp_path / "deeper").mkdir()
    (tmp_path / "deeper" / "conftest.py").write_text("import pytest\n\n\n@pytest.fixture\ndef size():\n    return 3\n")
    (tmp_path / "deeper" / "test_deeper.py").write_text("def test_deeper(database, size):\n    assert size == 3\n")
    code, output = run(tmp_path, None)
    assert code == 0, output
    assert summary(output).endswith("SQLite 5 of 5 ran, PostgreSQL 5 of 5 ran")


def test_one_database_by_choice_says_so(tmp_path: Path) -> None:
    code, output = run(tmp_path, "sqlite")
    assert code == 0, output
    assert summary(output) == (
        "database tests (CREDITBANK_TEST_DATABASES=sqlite): SQLite 4 of 4 ran; PostgreSQL not selected"
    )


def test_no_database_tests_selected_is_said_plainly(tmp_path: Path) -> None:
    code, output = run(tmp_path, None, "test_tiny.py::test_without_a_database")
    assert code == 0, output
    assert summary(output) == (
        "database tests (CREDITBANK_TEST_DATABASES=sqlite,postgresql): SQLite 0 of 0 ran, PostgreSQL 0 of 0 ran"
    )


@pytest.mark.parametrize("value", ["postgres", "sqlite,postgres", "", "sqlite,", " ", "SQLite", "sqlite,sqlite"])
def test_a_value_that_is_not_a_database_stops_the_run_before_collection(tmp_path: Path, value: str) -> None:
    code, output = run(tmp_path, value)
    assert code == pytest.ExitCode.USAGE_ERROR, output
    assert "CREDITBANK_TEST_DATABASES=" in output
    assert "passed" not in output
    if value != "sqlite,sqlite":
        assert "allowed values: sqlite, postgresql" in output


def test_the_values_that_are_databases() -> None:
    assert parse("sqlite,postgresql") == ["sqlite", "postgresql"]
    assert parse("postgresql") == ["postgresql"]
    assert parse(" sqlite , postgresql ") == ["sqlite", "postgresql"]
    with pytest.raises(DatabaseChoiceError, match="more than once"):
        parse("postgresql,postgresql")


def test_the_test_command_names_both_databases() -> None:
    makefile = (ROOT / "Makefile").read_text()
    recipe = makefile.split("\ntest: ", 1)[1].split("\n\n", 1)[0]
    (pytest_line,) = [line for line in recipe.splitlines() if "$(BIN)/pytest" in line]
    assert pytest_line.strip().startswith("CREDITBANK_TEST_DATABASES=sqlite,postgresql $(BIN)/pytest")
