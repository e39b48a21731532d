"""Fixtures. Every database test runs twice: on SQLite and on a throw-away PostgreSQL cluster.

Set CREDITBANK_TEST_DATABASES=sqlite to skip PostgreSQL while iterating locally; the test
command always runs both.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import create_engine, text

from creditbank import create_app, migrate
from creditbank.runtime import Bank, bank_of
from tests.postgres import Cluster

BACKENDS = os.environ.get("CREDITBANK_TEST_DATABASES", "sqlite,postgresql").split(",")
PASSPHRASE = "test-passphrase"
_names = itertools.count()


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


@pytest.fixture(params=BACKENDS)
def db_url(request: pytest.FixtureRequest, tmp_path) -> str:
    if request.param == "postgresql":
        return fresh_postgres_url(request.getfixturevalue("pg_cluster"))
    return f"sqlite:///{tmp_path / 'creditbank.sqlite3'}"


@pytest.fixture
def app_config(db_url: str, tmp_path) -> dict[str, object]:
    return {
        "CREDITBANK_DATABASE_URL": db_url,
        "CREDITBANK_INSTANCE_PATH": str(tmp_path / "instance"),
        "CREDITBANK_KEY_PASSPHRASE": PASSPHRASE,
        "CREDITBANK_SERVER_NAME": "bank.test",
    }


@pytest.fixture
def app(app_config: dict[str, object]) -> Iterator[Flask]:
    application = create_app(app_config)
    application.testing = True
    bank = bank_of(application)
    migrate.upgrade(bank.db.engine)
    bank.prepare_keys()
    yield application
    bank.db.dispose()


@pytest.fixture
def bank(app: Flask) -> Bank:
    return bank_of(app)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()
