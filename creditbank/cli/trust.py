"""The `creditbank trust` group."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import click

from creditbank.cli.context import Context, pass_ctx

_FILE = click.Path(path_type=Path, dir_okay=False)


def _day(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """A calendar date in its one ISO spelling: click's DateTime would also take a time of day."""
    if value is None:
        return None
    try:
        if len(value) != 10:
            raise ValueError
        return date.fromisoformat(value).isoformat()
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date written YYYY-MM-DD") from None


@click.group()
def trust() -> None:
    """The trust list: issuers whose credentials count as evidence for recognition."""


def _line(issuer: Any) -> str:
    until = issuer.valid_until or "open"
    count = len(issuer.mappings)
    return (
        f"{issuer.did}  {issuer.name}  valid {issuer.valid_from}..{until}  "
        f"{count} mapping{'s' if count != 1 else ''}  seq {issuer.seq}"
    )


@trust.command("add")
@click.argument("did")
@click.option("--name", required=True, help="The bank's name for the issuer, as reviewers will see it.")
@click.option("--valid-from", callback=_day, help="First day the issuer is trusted (default today, UTC).")
@click.option("--valid-until", callback=_day, help="Last day the issuer is trusted (default: until removed).")
@click.option(
    "--mappings",
    "mappings_file",
    type=_FILE,
    help='How its achievements count: a JSON or TOML file holding {"mappings": [...]} (JSON: or the bare list).',
)
@click.option("--json", "as_json", is_flag=True, help="Print the entry as JSON.")
@pass_ctx
def trust_add(
    ctx: Context,
    did: str,
    name: str,
    valid_from: str | None,
    valid_until: str | None,
    mappings_file: Path | None,
    as_json: bool,
) -> None:
    """Put an issuer's DID on the trust list, or replace its entry (a trust.issuer_added entry)."""
    from creditbank.services.recognition import trust_list

    mappings = trust_list.read_mappings_file(mappings_file) if mappings_file is not None else None
    change = trust_list.add_issuer(
        ctx.bank(), did, name, valid_from=valid_from, valid_until=valid_until, mappings=mappings
    )
    assert change.issuer is not None
    if as_json:
        click.echo(json.dumps({**change.issuer.view(), "created": change.created}, ensure_ascii=False))
        return
    state = "added" if change.created else "already listed with this entry, unchanged"
    click.echo(f"{state}: {_line(change.issuer)}")


@trust.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print the list as JSON.")
@pass_ctx
def trust_list_command(ctx: Context, as_json: bool) -> None:
    """List the trusted issuers."""
    from creditbank.services.recognition import trust_list

    issuers = trust_list.list_issuers(ctx.bank())
    if as_json:
        click.echo(json.dumps([issuer.view() for issuer in issuers], ensure_ascii=False))
        return
    if not issuers:
        click.echo("no issuers are trusted")
    for issuer in issuers:
        click.echo(_line(issuer))


@trust.command("remove")
@click.argument("did")
@click.option("--reason", required=True, help="Why the issuer is no longer trusted (recorded in the ledger).")
@pass_ctx
def trust_remove(ctx: Context, did: str, reason: str) -> None:
    """Take an issuer off the trust list (a trust.issuer_removed entry)."""
    from creditbank.services.recognition import trust_list

    change = trust_list.remove_issuer(ctx.bank(), did, reason)
    click.echo(f"removed: {did} at seq {change.seq}")
