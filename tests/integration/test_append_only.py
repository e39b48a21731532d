import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from creditbank.services import checkpoints
from tests.helpers import append

STATEMENTS = {
    "ledger_entries": ("UPDATE ledger_entries SET kind = 'x.y' WHERE seq = 0", "DELETE FROM ledger_entries"),
    "ledger_bodies": ("UPDATE ledger_bodies SET body = :blob WHERE seq = 0", "DELETE FROM ledger_bodies"),
    "ledger_checkpoints": ("UPDATE ledger_checkpoints SET note = 'x'", "DELETE FROM ledger_checkpoints"),
}


@pytest.mark.parametrize("table", sorted(STATEMENTS))
@pytest.mark.parametrize("action", ["update", "delete"])
def test_database_refuses_to_change_ledger_rows(bank, table, action):
    append(bank, 2)
    checkpoints.sign(bank)
    statement = STATEMENTS[table][0 if action == "update" else 1]
    with pytest.raises(DBAPIError, match="append-only"), bank.db.engine.begin() as connection:
        connection.execute(text(statement), {"blob": b"{}"})
    with bank.db.engine.connect() as connection:
        assert connection.execute(text(f"SELECT count(*) FROM {table}")).scalar() >= 1


def test_postgresql_refuses_truncate(bank):
    if bank.db.dialect != "postgresql":
        assert bank.db.dialect == "sqlite"  # SQLite has no TRUNCATE; DELETE is covered above.
        return
    append(bank, 1)
    with pytest.raises(DBAPIError, match="append-only"), bank.db.engine.begin() as connection:
        connection.execute(text("TRUNCATE ledger_bodies"))


def test_schema_matches_models(bank):
    from creditbank import migrate

    migrate.check(bank.db.engine)
    assert migrate.is_current(bank.db.engine)
