import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from creditbank.services.transparency import checkpoints
from tests.helpers import append

STATEMENTS = {
    "ledger_entries": ("UPDATE ledger_entries SET kind = 'x.y' WHERE seq = 0", "DELETE FROM ledger_entries"),
    "ledger_bodies": ("UPDATE ledger_bodies SET body = :blob WHERE seq = 0", "DELETE FROM ledger_bodies"),
    "ledger_checkpoints": ("UPDATE ledger_checkpoints SET note = 'x'", "DELETE FROM ledger_checkpoints"),
}


def count(bank, table: str) -> int:
    with bank.db.engine.connect() as connection:
        return connection.execute(text(f"SELECT count(*) FROM {table}")).scalar_one()


@pytest.mark.parametrize("table", sorted(STATEMENTS))
@pytest.mark.parametrize("action", ["update", "delete"])
def test_database_refuses_to_change_ledger_rows(bank, table, action):
    append(bank, 2)
    checkpoints.sign(bank)
    before = count(bank, table)
    statement = STATEMENTS[table][0 if action == "update" else 1]
    with pytest.raises(DBAPIError, match="append-only"), bank.db.engine.begin() as connection:
        connection.execute(text(statement), {"blob": b"{}"})
    assert count(bank, table) == before > 0


@pytest.mark.parametrize("table", sorted(STATEMENTS))
def test_database_refuses_to_empty_a_ledger_table_at_once(bank, table):
    append(bank, 2)
    checkpoints.sign(bank)
    before = count(bank, table)
    refusals = {
        # TRUNCATE fires no row triggers; a statement trigger of its own refuses it (CASCADE, or the foreign key
        # from the bodies would refuse it first for the entries).
        "postgresql": [(f"TRUNCATE {table} CASCADE", f"{table} is append-only: TRUNCATE refused")],
        # SQLite has no TRUNCATE statement; its way to empty a table at once is a DELETE without WHERE (the
        # truncate optimisation, which skips row-by-row deletion unless a trigger is there), and the trigger
        # refuses it.
        "sqlite": [
            (f"TRUNCATE {table}", "syntax error"),
            (f"DELETE FROM {table}", f"{table} is append-only: DELETE refused"),
        ],
    }[bank.db.dialect]
    for statement, refusal in refusals:
        with pytest.raises(DBAPIError, match=refusal), bank.db.engine.begin() as connection:
            connection.execute(text(statement))
    assert count(bank, table) == before > 0


def test_schema_matches_models(bank):
    from creditbank import migrate

    migrate.check(bank.db.engine)
    assert migrate.is_current(bank.db.engine)
