"""The `creditbank staff` group: console accounts for institution registrars and viewers, bank reviewers and admins."""

from __future__ import annotations

import json

import click

from creditbank.cli.context import Context, pass_ctx
from creditbank.models.staff import STAFF_ROLES


@click.group()
def staff() -> None:
    """Staff accounts for the console: registrars and viewers of an institution, the bank's reviewers and admins."""


def _link(ctx: Context, token: str) -> str:
    return f"{ctx.bank().public_url.rstrip('/')}/staff/setup/{token}"


@staff.command("add")
@click.argument("login")
@click.option("--institution", "institution_id", help="The institution this registrar or viewer works for.")
@click.option("--bank", "for_bank", is_flag=True, help="A member of the bank's own staff (reviewer or admin).")
@click.option("--role", required=True, type=click.Choice(STAFF_ROLES))
@click.option("--affiliation", help="A reviewer's institution: they review none of its applications for recognition.")
@pass_ctx
def staff_add(
    ctx: Context, login: str, institution_id: str | None, for_bank: bool, role: str, affiliation: str | None
) -> None:
    """Create an account and print its one-time set-up link (valid for three days)."""
    from creditbank.services.staff import accounts

    if bool(institution_id) == for_bank:
        raise click.UsageError("give exactly one of --institution ID and --bank")
    created = accounts.add(ctx.bank(), login, role, institution_id, created_by="bank:cli", affiliation=affiliation)
    where = created.staff.institution_id or "the bank"
    click.echo(f"created {created.staff.login} ({created.staff.role}, {where}) as {created.staff.id}")
    click.echo("hand this one-time set-up link to its owner (it is not shown again):")
    click.echo(_link(ctx, created.setup_token))


@staff.command("reset")
@click.argument("login")
@pass_ctx
def staff_reset(ctx: Context, login: str) -> None:
    """A new set-up link for a lost phone or password: the old password and second factor stop working."""
    from creditbank.services.staff import accounts

    created = accounts.reset(ctx.bank(), login)
    click.echo(f"reset {created.staff.login}; its sessions have ended. New one-time set-up link:")
    click.echo(_link(ctx, created.setup_token))


@staff.command("list")
@click.option("--institution", "institution_id", help="Only this institution's staff.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_ctx
def staff_list(ctx: Context, institution_id: str | None, as_json: bool) -> None:
    """List staff accounts and whether they are set up, active or disabled."""
    from creditbank.services.staff import accounts

    rows = [
        {
            "id": view.id,
            "login": view.login,
            "role": view.role,
            "institution": view.institution_id,
            "state": view.state,
            "created_at": view.created_at.isoformat(),
        }
        for view in accounts.list_all(ctx.bank(), institution_id)
    ]
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    for row in rows:
        click.echo(f"{row['login']:<24} {row['role']:<10} {row['institution'] or '(bank)':<24} {row['state']}")


@staff.command("disable")
@click.argument("login")
@pass_ctx
def staff_disable(ctx: Context, login: str) -> None:
    """Disable an account at once: its sessions end and it can no longer sign in."""
    from creditbank.services.staff import accounts

    view = accounts.disable(ctx.bank(), login)
    click.echo(f"disabled {view.login}")
