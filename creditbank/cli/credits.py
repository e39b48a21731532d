"""The `creditbank credits` and `qualifications` groups: learners' credit accounts and qualification awards."""

from __future__ import annotations

import json

import click

from creditbank.cli.context import Context, pass_ctx


@click.group()
def credits() -> None:
    """Credit accounts."""


@credits.command("reconvert")
@click.option("--rules", "version", required=True, help="The published rule set version to re-evaluate under.")
@pass_ctx
def credits_reconvert(ctx: Context, version: str) -> None:
    """Re-evaluate every standing achievement under a rule set, appending entries where the result changes."""
    from creditbank.services.credits import conversion

    report = conversion.reconvert(ctx.bank(), version)
    click.echo(
        f"rule set {report['rules']} ({report['framework']}): {report['changed']} achievements reconverted, "
        f"{report['unchanged']} unchanged"
    )


@credits.command("show")
@click.argument("learner_id")
@pass_ctx
def credits_show(ctx: Context, learner_id: str) -> None:
    """Print a learner's credit account as JSON."""
    from creditbank.services.credits import statements

    click.echo(json.dumps(statements.account(ctx.bank(), None, learner_id), ensure_ascii=False, indent=2))


@click.group()
def qualifications() -> None:
    """Qualification awards."""


@qualifications.command("award")
@click.option("--learner", "learner_id", required=True)
@click.option("--qualification", "qualification_id", required=True)
@pass_ctx
def qualifications_award(ctx: Context, learner_id: str, qualification_id: str) -> None:
    """Award a qualification as bank staff, redeeming the credits it uses."""
    from creditbank.services.credits import awards

    outcome = awards.award(ctx.bank(), None, learner_id, qualification_id)
    body = outcome.body
    click.echo(f"awarded {body['qualification']} to {learner_id} as {body['id']} at seq {body['awarded_seq']}")
    for used in body["used"]:
        click.echo(f"  used {used['credits']} credits of conversion #{used['conversion']}")
