"""What every `creditbank` command shares: the bank it opens, and how its failures reach the operator."""

from __future__ import annotations

from typing import Any

import click
from flask import Flask
from sqlalchemy.exc import OperationalError, ProgrammingError

from creditbank import create_app, migrate
from creditbank.errors import DATABASE_ERRORS, DomainError, storage_failure
from creditbank.runtime import Bank, bank_of


class ErrorReportingGroup(click.Group):
    """Domain errors become one-line messages with exit status 1, never tracebacks."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except DomainError as exc:
            raise click.ClickException(exc.detail) from None
        except DATABASE_ERRORS as exc:
            reason = storage_failure(exc)
            if reason is None and not isinstance(exc, (OperationalError, ProgrammingError)):
                raise
            if reason is None:
                original = getattr(exc, "orig", None) or exc
                reason = str(original).strip().splitlines()[0]
            raise click.ClickException(f"database error: {reason}") from None


class Context:
    """The application and bank of one command, created only when the command first needs them."""

    def __init__(self) -> None:
        self._app: Flask | None = None

    @property
    def app(self) -> Flask:
        if self._app is None:
            self._app = create_app()
            # Close pooled connections when the command ends rather than at interpreter exit.
            click.get_current_context().call_on_close(bank_of(self._app).db.dispose)
        return self._app

    def bank(self, *, migrated: bool = True) -> Bank:
        bank = bank_of(self.app)
        if migrated and not migrate.is_current(bank.db.engine):
            raise click.ClickException("the database schema is not current: run `creditbank db upgrade` first")
        return bank


pass_ctx = click.make_pass_decorator(Context, ensure=True)
