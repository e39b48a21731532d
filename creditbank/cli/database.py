"""The `creditbank db` group: the database schema."""

from __future__ import annotations

import click

from creditbank import migrate
from creditbank.cli.context import Context, database_name, pass_ctx


@click.group()
def db() -> None:
    """Database schema."""


@db.command("upgrade")
@pass_ctx
def db_upgrade(ctx: Context) -> None:
    """Apply all migrations (creating the database, and its instance folder, if there is none yet)."""
    bank = ctx.bank(migrated=False, create=True)
    migrate.upgrade(bank.db.engine)
    where = database_name(bank.settings["CREDITBANK_DATABASE_URL"])
    click.echo(f"database at revision {migrate.current_revision(bank.db.engine)}: {where}")
