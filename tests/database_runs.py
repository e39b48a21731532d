"""Which databases the suite runs on, and proof at the end of a run that every database test ran on each of them.

A test is a database test when one of its parameters is a database name (the `params=BACKENDS` fixtures and
`parametrize("backend", BACKENDS)`). A skipped PostgreSQL fixture or a test parametrized for one database only
would otherwise pass unnoticed, so the run fails when a selected database ran fewer database tests than were
selected for it, or (with both selected) when a test selected on one database is not selected on the other.
"""

from __future__ import annotations

import os
from collections import Counter
from dataclasses import dataclass, field

import pytest

DATABASES = ("sqlite", "postgresql")
VARIABLE = "CREDITBANK_TEST_DATABASES"
DEFAULT = ",".join(DATABASES)
NAMES = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}


class DatabaseChoiceError(ValueError):
    pass


def parse(value: str) -> list[str]:
    """The databases a CREDITBANK_TEST_DATABASES value names, in the order given; refuses anything else."""
    names = [name.strip() for name in value.split(",")]
    allowed = ", ".join(DATABASES)
    if not value.strip() or any(not name for name in names):
        raise DatabaseChoiceError(f"{VARIABLE}={value!r} is empty or has an empty name; allowed values: {allowed}")
    unknown = [name for name in names if name not in DATABASES]
    if unknown:
        raise DatabaseChoiceError(
            f"{VARIABLE}={value!r}: unknown database {', '.join(map(repr, unknown))}; allowed values: {allowed} "
            "(comma-separated)"
        )
    repeated = sorted(name for name, count in Counter(names).items() if count > 1)
    if repeated:
        raise DatabaseChoiceError(f"{VARIABLE}={value!r} names {', '.join(repeated)} more than once")
    return names


def configured() -> tuple[str, list[str], DatabaseChoiceError | None]:
    """The variable's value, the databases it selects, and the error that makes it unusable (if any).

    The error is raised in `pytest_configure`, where pytest reports it as a usage error; test modules read the
    list at import, so a bad value yields an empty list rather than an import error in every module.
    """
    value = os.environ.get(VARIABLE, DEFAULT)
    try:
        return value, parse(value), None
    except DatabaseChoiceError as error:
        return value, [], error


def databases_of(item: pytest.Item) -> list[str]:
    callspec = getattr(item, "callspec", None)
    if callspec is None:
        return []
    return sorted({value for value in callspec.params.values() if isinstance(value, str) and value in DATABASES})


def twin_key(item: pytest.Item) -> tuple[str, str]:
    """What a database test is apart from its database: its node id without parameters, and its other parameters.

    The other parameters are the same objects in each database's copy of a test (pytest crosses one list with
    the other), so their reprs match.
    """
    callspec = item.callspec  # type: ignore[attr-defined]
    base = item.nodeid.removesuffix(f"[{callspec.id}]")
    others = sorted(
        (name, repr(value))
        for name, value in callspec.params.items()
        if not (isinstance(value, str) and value in DATABASES)
    )
    return base, repr(others)


@dataclass(eq=False)  # a pytest plugin: pluggy keeps plugins in sets, so it must hash by identity
class DatabaseRuns:
    value: str
    selected: list[str]
    databases: dict[str, list[str]] = field(default_factory=dict)  # node id -> its databases
    keys: dict[str, tuple[str, str]] = field(default_factory=dict)
    deselected: Counter[str] = field(default_factory=Counter)
    ran: Counter[str] = field(default_factory=Counter)
    skipped: Counter[str] = field(default_factory=Counter)
    problems: list[str] = field(default_factory=list)

    def collected(self, items: list[pytest.Item]) -> None:
        for item in items:
            found = databases_of(item)
            if found:
                self.databases[item.nodeid] = found
                self.keys[item.nodeid] = twin_key(item)

    def dropped(self, items: list[pytest.Item]) -> None:
        for item in items:
            for name in databases_of(item):
                self.deselected[name] += 1

    def reported(self, report: pytest.TestReport) -> None:
        found = self.databases.get(report.nodeid)
        if not found:
            return
        # A test ran when its call phase did (passed, failed or xfailed), or its set-up failed (an error, which
        # fails the run anyway). A skip at set-up or in the call is not a run.
        if (report.when == "call" and not (report.skipped and not hasattr(report, "wasxfail"))) or (
            report.when == "setup" and report.failed
        ):
            for name in found:
                self.ran[name] += 1
        elif report.skipped and report.when in ("setup", "call"):
            for name in found:
                self.skipped[name] += 1

    def count_selected(self) -> Counter[str]:
        counts: Counter[str] = Counter()
        for found in self.databases.values():
            counts.update(found)
        return counts

    def check(self) -> list[str]:
        """What is wrong with the run's database coverage: one line a problem, none when all ran."""
        selected = self.count_selected()
        problems = []
        for name in self.selected:
            if self.ran[name] < selected[name]:
                problems.append(
                    f"{NAMES[name]} ran {self.ran[name]} of the {selected[name]} database tests selected for it "
                    f"({self.skipped[name]} skipped)"
                )
        strays = sorted({name for found in self.databases.values() for name in found} - set(self.selected))
        for name in strays:
            problems.append(f"{selected[name]} database tests are parametrized for {NAMES[name]}, not selected")
        if len(self.selected) > 1:
            on: dict[tuple[str, str], set[str]] = {}
            example: dict[tuple[str, str], str] = {}
            for nodeid, found in self.databases.items():
                on.setdefault(self.keys[nodeid], set()).update(found)
                example.setdefault(self.keys[nodeid], nodeid)
            for name in self.selected:
                missing = sorted(example[key] for key, found in on.items() if name not in found)
                if missing:
                    shown = ", ".join(missing[:3]) + (", ..." if len(missing) > 3 else "")
                    problems.append(
                        f"{len(missing)} database tests selected on another database are not selected on "
                        f"{NAMES[name]}: {shown} (to run one database, set {VARIABLE})"
                    )
            counts = {name: self.ran[name] for name in self.selected}
            if len(set(counts.values())) > 1:
                problems.append(
                    "the databases ran different numbers of database tests: "
                    + ", ".join(f"{NAMES[name]} {count}" for name, count in counts.items())
                )
        return problems

    # --- pytest hooks (the object is registered as a plugin by `register`) ---------------------------------------

    def pytest_deselected(self, items: list[pytest.Item]) -> None:
        self.dropped(items)

    def pytest_collection_finish(self, session: pytest.Session) -> None:
        self.collected(session.items)

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        self.reported(report)

    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        option = session.config.option
        if option.collectonly or option.setuponly or option.setupplan:
            return
        if session.shouldstop or session.shouldfail:
            # Stopped early (-x, --maxfail): the run has failed already and the rest had no chance to run.
            return
        self.problems = self.check()
        if self.problems and session.exitstatus == pytest.ExitCode.OK:
            session.exitstatus = pytest.ExitCode.TESTS_FAILED

    def pytest_terminal_summary(self, terminalreporter: pytest.TerminalReporter, config: pytest.Config) -> None:
        if config.option.collectonly:
            return
        for problem in self.problems:
            terminalreporter.write_line(f"FAILED database coverage: {problem}", red=True, bold=True)
        terminalreporter.write_line(self.summary(), red=bool(self.problems))

    def summary(self) -> str:
        selected = self.count_selected()
        parts = [f"{NAMES[name]} {self.ran[name]} of {selected[name]} ran" for name in self.selected]
        if self.skipped.total():
            parts.append("skipped: " + ", ".join(f"{NAMES[n]} {c}" for n, c in sorted(self.skipped.items())))
        if self.deselected.total():
            parts.append("deselected: " + ", ".join(f"{NAMES[n]} {c}" for n, c in sorted(self.deselected.items())))
        left_out = [NAMES[name] for name in DATABASES if name not in self.selected]
        tail = f"; {' and '.join(left_out)} not selected" if left_out else ""
        return f"database tests ({VARIABLE}={self.value}): {', '.join(parts)}{tail}"


def register(config: pytest.Config) -> DatabaseRuns:
    """Check the databases chosen (a usage error before collection if the value is bad) and watch the run."""
    value, selected, error = configured()
    if error is not None:
        raise pytest.UsageError(str(error))
    runs = DatabaseRuns(value, selected)
    config.pluginmanager.register(runs, "creditbank-database-runs")
    return runs
