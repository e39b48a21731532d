"""The `creditbank witness` group (this bank as a witness of other logs) and `creditbank witnesses` (the witnesses
this bank submits its own checkpoints to)."""

from __future__ import annotations

import click

from creditbank.cli.context import Context, pass_ctx


@click.group()
def witness() -> None:
    """This bank as a witness: its key, and the logs it cosigns (POST /witness/add-checkpoint)."""


@witness.command("key")
@pass_ctx
def witness_key(ctx: Context) -> None:
    """Print this bank's witness verifier key (cosignature/v1), creating the key on first use."""
    from creditbank.services.transparency import witness as service

    click.echo(service.vkey(ctx.bank(migrated=False)))


@witness.group("logs")
def logs() -> None:
    """The logs this bank witnesses."""


@logs.command("add")
@click.argument("origin")
@click.argument("vkey")
@pass_ctx
def logs_add(ctx: Context, origin: str, vkey: str) -> None:
    """Cosign checkpoints of the log ORIGIN signed by VKEY (its Ed25519 note verifier key)."""
    from creditbank.services.transparency import witness as service

    row = service.add_log(ctx.bank(), origin, vkey)
    click.echo(f"witnessing {row.origin} (key {row.vkey}), latest cosigned size {row.size}")


@logs.command("list")
@pass_ctx
def logs_list(ctx: Context) -> None:
    """List the logs this bank witnesses and the latest size it cosigned for each."""
    from creditbank.services.transparency import witness as service

    rows = service.list_logs(ctx.bank())
    if not rows:
        click.echo("no logs witnessed")
    for row in rows:
        when = row.cosigned_at.isoformat() if row.cosigned_at else "never"
        click.echo(f"{row.origin}  size {row.size}  cosigned {when}  {row.vkey}")


@click.group()
def witnesses() -> None:
    """The witnesses this bank submits its checkpoints to."""


@witnesses.command("add")
@click.argument("vkey")
@click.argument("url")
@pass_ctx
def witnesses_add(ctx: Context, vkey: str, url: str) -> None:
    """Submit each new checkpoint to the witness VKEY (cosignature/v1 vkey) at URL (its submission prefix)."""
    from creditbank.services.transparency import witnesses as service

    row = service.add_witness(ctx.bank(), vkey, url)
    click.echo(f"witness {row.name} at {row.url}/add-checkpoint")


@witnesses.command("list")
@pass_ctx
def witnesses_list(ctx: Context) -> None:
    """List the witnesses, the size each cosigned last and the last failure, if any."""
    from creditbank.services.transparency import witnesses as service

    rows = service.list_witnesses(ctx.bank())
    if not rows:
        click.echo("no witnesses configured")
    for row in rows:
        cosigned = "nothing cosigned yet" if row.cosigned_size is None else f"cosigned size {row.cosigned_size}"
        failure = f"  last error: {row.last_error}" if row.last_error else ""
        click.echo(f"{row.name}  {row.url}  {cosigned}{failure}")


@witnesses.command("submit")
@pass_ctx
def witnesses_submit(ctx: Context) -> None:
    """Submit the latest checkpoint to every witness that has not cosigned it; exit 1 if any did not."""
    from creditbank.services.transparency import witnesses as service

    outcomes = service.submit(ctx.bank())
    if not outcomes:
        click.echo("nothing to submit")
    for outcome in outcomes:
        click.echo(f"{outcome.witness}: size {outcome.size}: {outcome.detail}")
    if not all(outcome.ok for outcome in outcomes):
        raise click.exceptions.Exit(1)
