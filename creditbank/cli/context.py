"""What every `creditbank` command shares: the bank it opens, and how its failures reach the operator.

A command opens the bank that is there; it never makes one by accident. Run in the wrong folder, a command that
needs the bank says where it looked and how to create one, and leaves no ``instance/`` folder behind. Only the
commands that set a bank up (``db upgrade``, ``serve``, ``demo``, ``keys init``, ``restore``) create the instance
folder, and they say so.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import click
from flask import Flask
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, OperationalError, ProgrammingError

from creditbank import config, create_app, migrate
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


def sqlite_file(url: str) -> Path | None:
    """The file of an SQLite database URL (None for another database, or one held in memory)."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        return None
    if parsed.get_backend_name() != "sqlite" or not parsed.database or parsed.database == ":memory:":
        return None
    return Path(parsed.database).resolve()


def database_name(url: str) -> str:
    """The database URL as it may be shown: without its password."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return "the configured database"


class Context:
    """The application and bank of one command, created only when the command first needs them."""

    def __init__(self) -> None:
        self._app: Flask | None = None
        # Settings the command itself decides (serve: the address it listens on), over the environment's.
        self.overrides: dict[str, Any] = {}
        # The instance folder this command made, if it made one.
        self.created_instance: Path | None = None

    def settings(self) -> dict[str, Any]:
        """The settings the bank would be opened with, read without opening it."""
        return config.load(self.overrides)

    @property
    def app(self) -> Flask:
        if self._app is None:
            self._app = create_app(self.overrides or None)
            # Close pooled connections when the command ends rather than at interpreter exit.
            click.get_current_context().call_on_close(bank_of(self._app).db.dispose)
        return self._app

    def missing(self) -> str | None:
        """Why there is no bank to open here (where it was looked for, how to make one), or None if there is one."""
        settings = self.settings()
        instance = Path(settings["CREDITBANK_INSTANCE_PATH"])
        looked = (
            "CREDITBANK_INSTANCE_PATH"
            if settings.get("INSTANCE_GIVEN")
            else "./instance in the current folder, as CREDITBANK_INSTANCE_PATH is unset"
        )
        if not instance.is_dir():
            return (
                f"no bank here: the instance folder {instance} ({looked}) does not exist; run the command where the "
                "bank's instance folder is, set CREDITBANK_INSTANCE_PATH to it, or create a bank there with "
                "`creditbank db upgrade`"
            )
        database = sqlite_file(settings["CREDITBANK_DATABASE_URL"])
        if database is not None and not database.is_file():
            return f"no database at {database} (instance folder {instance}): create it with `creditbank db upgrade`"
        return None

    def bank(self, *, migrated: bool = True, create: bool = False, announce: bool = True) -> Bank:
        """The bank, opened; ``create`` makes its instance folder if need be (the set-up commands alone), and says
        so at once unless the command will (``announce_created``) once it has succeeded."""
        if self._app is None:
            if create:
                instance = Path(self.settings()["CREDITBANK_INSTANCE_PATH"])
                if not instance.exists():
                    self.created_instance = instance
                bank_of(self.app)
                if announce:
                    self.announce_created()
            else:
                reason = self.missing()
                if reason is not None:
                    raise click.ClickException(reason)
        bank = bank_of(self.app)
        if migrated and not migrate.is_current(bank.db.engine):
            where = database_name(bank.settings["CREDITBANK_DATABASE_URL"])
            raise click.ClickException(
                f"the database schema at {where} is not current: run `creditbank db upgrade` first"
            )
        return bank

    def announce_created(self) -> None:
        if self.created_instance is not None:
            click.echo(f"created the instance folder {self.created_instance} (database, keys)", err=True)

    def discard_created(self) -> None:
        """Remove the instance folder this command made, when the command failed before anything of a bank was kept:
        a refusal leaves the folder as it found it (not there)."""
        if self.created_instance is None:
            return
        if self._app is not None:
            bank_of(self._app).db.dispose()
        shutil.rmtree(self.created_instance, ignore_errors=True)
        self.created_instance = None


pass_ctx = click.make_pass_decorator(Context, ensure=True)
