"""The `creditbank agreements` group."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

import click

from creditbank.cli.context import Context, pass_ctx
from creditbank.errors import DomainError


@click.group()
def agreements() -> None:
    """Mutual recognition agreements: publish and list."""


@agreements.command("publish")
@click.argument("path", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--json", "as_json", is_flag=True, help="Print the result (or the refusal) as JSON.")
@pass_ctx
def agreements_publish(ctx: Context, path: Path, as_json: bool) -> None:
    """Check an agreement file (TOML or JSON) and publish it as an agreement.published entry; achievements its terms
    cover are then converted by it. Exit 0 published or already published, 1 refused."""
    from creditbank.services.credits import agreements as service

    try:
        published = service.publish_file(ctx.bank(), path)
    except DomainError as error:
        if not as_json:
            raise
        # A script reads the same field paths the API answers with.
        click.echo(
            json.dumps({"error": error.kind, "detail": error.detail, "errors": error.errors}, ensure_ascii=False)
        )
        click.get_current_context().exit(1)
    if as_json:
        click.echo(json.dumps(asdict(published), ensure_ascii=False))
        return
    if not published.created:
        click.echo(
            f"agreement {published.id} version {published.version}: already published, unchanged, at seq "
            f"{published.seq} (sha256 {published.hash})"
        )
        return
    click.echo(
        f"agreement {published.id} version {published.version}: published at seq {published.seq} "
        f"(sha256 {published.hash}); {published.reevaluated} standing achievements now convert by it"
        + (f", {published.decided} left to recognition decisions" if published.decided else "")
    )


@agreements.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_ctx
def agreements_list(ctx: Context, as_json: bool) -> None:
    """List published agreement versions, oldest first."""
    from creditbank.services.credits import agreements as service

    rows = service.list_agreements(ctx.bank())
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    for row in rows:
        click.echo(
            f"{row['id']:24} {row['version']:10} seq {row['seq']:<8} recognized by {row['recognizing']:24} "
            f"{len(row['terms'])} terms  parties {', '.join(row['parties'])}  {row['name']['en']}"
        )
