"""`creditbank imports`: spreadsheet imports from the shell, as the staff console does them."""

from __future__ import annotations

from pathlib import Path

import click

from creditbank.spreadsheets import template_csv, template_xlsx


@click.group()
def imports() -> None:
    """Import learners' achievements from a spreadsheet, as the console does."""


@imports.command("template")
@click.argument("form", metavar="csv|xlsx", type=click.Choice(["csv", "xlsx"], case_sensitive=False))
@click.argument("file", type=click.Path(dir_okay=False, writable=True, path_type=Path))
@click.option("--force", is_flag=True, help="Replace FILE if it exists.")
def template(form: str, file: Path, force: bool) -> None:
    """Write the blank import spreadsheet (header row and one example row) to FILE."""
    data = template_xlsx() if form.lower() == "xlsx" else template_csv()
    try:
        # "x" creates the file or fails if it exists, so a file appearing meanwhile is not overwritten either.
        with file.open("wb" if force else "xb") as out:
            out.write(data)
    except FileExistsError:
        raise click.ClickException(f"{file} exists; use --force to replace it") from None
    except OSError as exc:
        raise click.ClickException(f"cannot write {file}: {exc.strerror or exc}") from None
    click.echo(f"wrote the {form.lower()} template to {file} ({len(data)} bytes)")
