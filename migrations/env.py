"""Alembic environment. Runs on the connection handed over by ``creditbank.migrate`` or, when
alembic is invoked directly, on the database the ``CREDITBANK_*`` settings name."""

from __future__ import annotations

from alembic import context

from creditbank import config as settings
from creditbank.db import make_engine
from creditbank.models import Base

target_metadata = Base.metadata


def _run(connection: object) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=True,
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


connection = context.config.attributes.get("connection")
if connection is not None:
    _run(connection)
else:
    engine = make_engine(settings.load()["CREDITBANK_DATABASE_URL"])
    with engine.connect() as fresh:
        _run(fresh)
    engine.dispose()
