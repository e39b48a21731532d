"""Fixtures. Every database test runs twice: on SQLite and on a throw-away PostgreSQL cluster.

Set CREDITBANK_TEST_DATABASES=sqlite (or =postgresql) to run one database while iterating locally; the test
command names both. Any other value stops the run before collection. Every run ends with a line saying how many
database tests ran on each database, and fails when a selected database ran fewer than were selected for it
(tests/database_runs.py).
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import create_engine, text

from creditbank import create_app, migrate
from creditbank.runtime import Bank, bank_of
from tests import database_runs
from tests.postgres import Cluster

# Empty when the value is not usable: pytest_configure then stops the run with the reason.
BACKENDS = database_runs.configured()[1]
PASSPHRASE = "test-passphrase"
_names = itertools.count()


def pytest_configure(config: pytest.Config) -> None:
    database_runs.register(config)


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[Cluster]:
    cluster = Cluster()
    cluster.start()
    try:
        template = cluster.url("creditbank_template")
        admin = create_engine(cluster.url(), isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(text("CREATE DATABASE creditbank_template"))
        admin.dispose()
        from creditbank.db import make_engine

        engine = make_engine(template)
        migrate.upgrade(engine)
        engine.dispose()
        yield cluster
    finally:
        cluster.stop()


def fresh_postgres_url(cluster: Cluster) -> str:
    name = f"t{os.getpid()}_{next(_names)}"
    admin = create_engine(cluster.url(), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f"CREATE DATABASE {name} TEMPLATE creditbank_template"))
    admin.dispose()
    return cluster.url(name)


def database_url(backend: str, request: pytest.FixtureRequest, folder: Path) -> str:
    if backend == "postgresql":
        return fresh_postgres_url(request.getfixturevalue("pg_cluster"))
    if backend == "sqlite":
        return f"sqlite:///{folder / 'creditbank.sqlite3'}"
    raise ValueError(f"unknown test database {backend!r}")


def configuration(db_url: str, folder: Path) -> dict[str, object]:
    return {
        "CREDITBANK_DATABASE_URL": db_url,
        "CREDITBANK_INSTANCE_PATH": str(folder / "instance"),
        "CREDITBANK_KEY_PASSPHRASE": PASSPHRASE,
        "CREDITBANK_SERVER_NAME": "bank.test",
    }


@contextmanager
def running_app(config: dict[str, object]) -> Iterator[Flask]:
    application = create_app(config)
    application.testing = True
    bank = bank_of(application)
    migrate.upgrade(bank.db.engine)
    bank.prepare_keys()
    try:
        yield application
    finally:
        bank.db.dispose()


@pytest.fixture(params=BACKENDS)
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    return database_url(request.param, request, tmp_path)


@pytest.fixture
def app_config(db_url: str, tmp_path: Path) -> dict[str, object]:
    return configuration(db_url, tmp_path)


@pytest.fixture
def app(app_config: dict[str, object]) -> Iterator[Flask]:
    with running_app(app_config) as application:
        yield application


@pytest.fixture
def bank(app: Flask) -> Bank:
    return bank_of(app)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()
