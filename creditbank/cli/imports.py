"""`creditbank imports`: spreadsheet imports from the shell, as the staff console does them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import click

from creditbank.cli.context import Context, pass_ctx
from creditbank.spreadsheets import template_csv, template_xlsx

if TYPE_CHECKING:
    from creditbank.services.imports import ImportView


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


@imports.command("run")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--institution", "institution_id", required=True, help="The institution the rows are recorded for.")
@click.option("--dry-run", is_flag=True, help="Check the file and report; write nothing.")
@click.option("--json", "as_json", is_flag=True, help="Print the outcome as JSON on stdout.")
@pass_ctx
def run(ctx: Context, file: Path, institution_id: str, dry_run: bool, as_json: bool) -> None:
    """Validate FILE (XLSX or CSV) and, unless --dry-run, write it whole, as the console's confirm does.

    Exit 0 when written or unchanged (with --dry-run: when clean), 1 with problems (each as "row N, <column>:
    <message>" on stderr, or in the JSON), 2 for a usage error. Nothing is ever half-written."""
    from creditbank import spreadsheets
    from creditbank.errors import NotFound
    from creditbank.services import imports as service
    from creditbank.services.records import api_keys, institutions

    bank = ctx.bank()
    try:
        institutions.get(bank, institution_id)
    except NotFound:
        raise click.UsageError(f"no institution {institution_id!r}") from None
    try:
        with file.open("rb") as handle:
            # One byte past the limit is enough to refuse the file; a larger one is never read whole.
            data = handle.read(spreadsheets.MAX_BYTES + 1)
    except OSError as exc:
        raise click.UsageError(f"cannot read {file}: {exc.strerror or exc}") from None
    principal = api_keys.Principal(key_id="cli", institution_id=institution_id, scopes=frozenset(api_keys.SCOPES))
    started = service.upload(bank, principal, file.name, data)
    outcome = service.validate(bank, started.id)
    if outcome.state == "ready":
        outcome = (
            service.discard(bank, principal, outcome.id) if dry_run else service.commit(bank, principal, outcome.id)
        )
    clean = not outcome.problems_total and outcome.state in ("written", "unchanged", "discarded")
    problems = [*outcome.notices, *outcome.problems] if not clean else list(outcome.notices)
    if as_json:
        report = {
            "import": outcome.id,
            "state": "clean" if clean and dry_run else outcome.state,
            "summary": outcome.summary,
            "problems_total": outcome.problems_total,
            "problems": [
                {"row": p.row, "column": p.column, "field": p.field, "code": p.code, "message": p.text("en")}
                for p in problems
            ],
        }
        click.echo(json.dumps(report, ensure_ascii=False, indent=2))
    else:
        for problem in problems:
            place = f"row {problem.row}, {problem.column}" if problem.row else "file"
            click.echo(f"{place}: {problem.text('en')}", err=True)
        if outcome.problems_hidden:
            click.echo(f"… and {outcome.problems_hidden} more problems", err=True)
        click.echo(_summary_line(outcome, dry_run and clean))
    if not clean:
        click.get_current_context().exit(1)


def _summary_line(outcome: ImportView, dry_run: bool) -> str:
    counts = outcome.summary
    if outcome.state == "unchanged":
        return f"nothing new: all {counts['unchanged_achievements']} achievements are already held; nothing was written"
    what = "would write" if dry_run else "wrote" if outcome.state == "written" else ""
    if not what:
        return f"{outcome.state}: {outcome.problems_total} problems in {outcome.rows_total} rows; nothing was written"
    return (
        f"{what} {counts['new_achievements']} achievements ({counts['unchanged_achievements']} already held), "
        f"{counts['new_learners']} new learners, {counts['linked_learners']} linked, "
        f"{counts['known_learners']} already enrolled; {counts['letters']} need an activation letter"
    )
