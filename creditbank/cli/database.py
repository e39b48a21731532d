"""The `creditbank db` group: the database schema."""

from __future__ import annotations

import click

from creditbank import migrate
from creditbank.cli.context import Context, pass_ctx


@click.group()
def db() -> None:
    """Database schema."""


@db.command("upgrade")
@pass_ctx
def db_upgrade(ctx: Context) -> None:
    """Apply all migrations."""
    bank = ctx.bank(migrated=False)
    migrate.upgrade(bank.db.engine)
    click.echo(f"database at revision {migrate.current_revision(bank.db.engine)}")
