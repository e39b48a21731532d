"""The migrations build exactly the schema the models describe, on each backend.

Several migrations are written by hand; a column or index that a model declares and no migration creates (or the
other way round) would only show up on a production database. Alembic's comparison of a migrated database against
the models finds such drift here.
"""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from creditbank.models import Base


def test_the_migrated_database_has_the_models_schema(bank):
    with bank.db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, Base.metadata)
    # The ledger's append-only triggers and the alembic bookkeeping table are not models.
    drift = [
        d
        for d in differences
        if not (isinstance(d, tuple) and d[0] == "remove_table" and d[1].name == "alembic_version")
    ]
    assert drift == []
