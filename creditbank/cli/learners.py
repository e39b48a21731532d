"""The `creditbank learners` group: pseudonymous learners, their erasure, names, portal codes and consents."""

from __future__ import annotations

import json

import click

from creditbank.cli.context import Context, pass_ctx


@click.group()
def learners() -> None:
    """Learners (pseudonymous ids; personal data never leaves its sealed store here)."""


@learners.command("list")
@click.option("--institution", "institution_id", help="Only learners enrolled with this institution.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_ctx
def learners_list(ctx: Context, institution_id: str | None, as_json: bool) -> None:
    """List learners with their enrolling institutions."""
    from creditbank.services.records import institutions as institution_service
    from creditbank.services.records import learners as service

    bank = ctx.bank()
    if institution_id:
        institution_service.get(bank, institution_id)
    rows = service.list_all(bank, institution_id)
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    for row in rows:
        click.echo(f"{row['id']}  {row['status']:7}  {', '.join(row['institutions'])}")


@learners.command("erase")
@click.argument("learner_id")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@pass_ctx
def learners_erase(ctx: Context, learner_id: str, yes: bool) -> None:
    """Erase a learner's personal data for good (records learner.erased; achievements stay, pseudonymous)."""
    from creditbank.services.records import learners as service

    bank = ctx.bank()
    if not yes:
        click.confirm(f"Erase the personal data of {learner_id}? This cannot be undone", abort=True)
    seq = service.erase(bank, learner_id)
    click.echo(f"erased {learner_id}: personal data and its key destroyed; learner.erased at ledger seq {seq}")


@learners.command("activation")
@click.argument("learner_id")
@pass_ctx
def learners_activation(ctx: Context, learner_id: str) -> None:
    """Print a new one-time portal activation code for a learner (earlier unused codes stop working)."""
    from creditbank.services.learner_access import accounts

    code = accounts.new_code(ctx.bank(), learner_id)
    click.echo(f"activation code for {learner_id} (valid {accounts.CODE_LIFETIME.days} days, once): {code}")


@learners.command("add-name")
@click.argument("learner_id")
@click.option("--zh", "name_zh", help="The name in Chinese characters, as on the new identity document.")
@click.option("--latin", "name_latin", help="The name in Latin letters, as on the new identity document.")
@pass_ctx
def learners_add_name(ctx: Context, learner_id: str, name_zh: str | None, name_latin: str | None) -> None:
    """Record a change of name, after checking the person's documents: the new form then links like the old one
    (which keeps working). Records learner.identity_amended; the name itself stays in the sealed store."""
    from creditbank.services.records import learners as service

    seq = service.add_name(ctx.bank(), learner_id, name_zh, name_latin)
    click.echo(f"name form added for {learner_id}; learner.identity_amended at ledger seq {seq}")


@learners.command("consents")
@click.argument("learner_id")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_ctx
def learners_consents(ctx: Context, learner_id: str, as_json: bool) -> None:
    """List the consent grants a learner has given (institution, scope, expiry, state)."""
    from creditbank.services.records import consent

    rows = consent.for_learner(ctx.bank(), learner_id)
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    if not rows:
        click.echo(f"{learner_id} has granted no consent")
    for row in rows:
        click.echo(f"#{row['seq']}  {row['institution']:24} {row['scope']:8} until {row['expires_at']}  {row['state']}")
