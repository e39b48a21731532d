"""Two real banks for the whole federation session: A on SQLite, B on PostgreSQL when the run selects it (else on
SQLite too). They are started once and shared by every federation test, which run once, not once per database:
each bank is on its own database already."""

from __future__ import annotations

from collections.abc import Generator, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import BACKENDS, fresh_postgres_url
from tests.federation.banks import RunningBank

INSTITUTIONS = {"A": "east-open-university", "B": "west-community-college"}


@dataclass(frozen=True)
class Banks:
    a: RunningBank
    b: RunningBank

    def __iter__(self) -> Iterator[RunningBank]:
        return iter((self.a, self.b))


def _open(bank: RunningBank) -> None:
    """Start the bank (it migrates and makes its keys on first start) and give it an institution with an API key."""
    bank.start()
    institution = INSTITUTIONS[bank.label]
    bank.cli(
        "institutions",
        "add",
        institution,
        "--type",
        "open_university" if bank.label == "A" else "community",
        "--name-en",
        f"Bank {bank.label} institution",
        "--credit-unit",
        "credit",
        "--hours-per-unit",
        "16",
    )
    bank.token = bank.cli("keys", "issue", "--institution", institution).strip().splitlines()[-1]


@pytest.fixture(scope="session")
def banks(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Banks]:
    folder = tmp_path_factory.mktemp("federation")
    if "postgresql" in BACKENDS:
        b_database = fresh_postgres_url(request.getfixturevalue("pg_cluster"))
    else:
        b_database = f"sqlite:///{folder / 'b' / 'instance' / 'creditbank.sqlite3'}"
    pair = Banks(
        RunningBank("A", folder / "a", f"sqlite:///{folder / 'a' / 'instance' / 'creditbank.sqlite3'}"),
        RunningBank("B", folder / "b", b_database),
    )
    try:
        with ThreadPoolExecutor(2) as pool:
            for started in [pool.submit(_open, bank) for bank in pair]:
                started.result()
        yield pair
    finally:
        # Stopping comes first: no bank may outlive the session.
        for bank in pair:
            bank.stop()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    banks = getattr(item, "funcargs", {}).get("banks")
    if report.failed and isinstance(banks, Banks):
        for bank in banks:
            report.sections.append((f"bank {bank.label} log ({bank.log_path})", bank.log_tail()))
    return report


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if Path(str(item.fspath)).is_relative_to(here):
            item.add_marker(pytest.mark.slow)
