"""Commands for the credit bank: publishing frameworks, rule sets and catalogue outcomes, reconverting, awarding."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from creditbank.cli import _Context, main, pass_ctx

_FILE = click.Path(path_type=Path, dir_okay=False)


def _report(published: Any) -> None:
    state = "published" if published.created else "already published, unchanged"
    version = f" {published.version}" if published.version else ""
    click.echo(f"{published.kind} {published.id}{version}: {state} at seq {published.seq} (sha256 {published.hash})")


@main.group()
def frameworks() -> None:
    """Qualifications frameworks."""


@frameworks.command("publish")
@click.argument("path", type=_FILE)
@pass_ctx
def frameworks_publish(ctx: _Context, path: Path) -> None:
    """Validate a framework file (TOML or JSON) and publish it as a framework.published entry."""
    from creditbank.services import credit_rules

    for published in credit_rules.publish_file(ctx.bank(), "framework", path):
        _report(published)


@frameworks.command("list")
@pass_ctx
def frameworks_list(ctx: _Context) -> None:
    """List published frameworks."""
    from creditbank.services import credit_rules

    for view in credit_rules.list_frameworks(ctx.bank()):
        example = "  (example)" if view["example"] else ""
        click.echo(f"{view['id']:24} {view['version']:10} {len(view['levels'])} levels  {view['name']['en']}{example}")


@main.group()
def rules() -> None:
    """Conversion rule sets."""


@rules.command("publish")
@click.argument("path", type=_FILE)
@pass_ctx
def rules_publish(ctx: _Context, path: Path) -> None:
    """Validate a rule set file and publish it as a rules.published entry; it becomes its framework's active set."""
    from creditbank.services import credit_rules

    for published in credit_rules.publish_file(ctx.bank(), "rules", path):
        _report(published)


@rules.command("list")
@pass_ctx
def rules_list(ctx: _Context) -> None:
    """List published rule sets, oldest first."""
    from creditbank.services import credit_rules

    for row in credit_rules.list_rule_sets(ctx.bank()):
        click.echo(f"{row['version']:16} {row['framework']:24} seq {row['seq']:<8} sha256 {row['hash']}")


@main.group()
def catalogue() -> None:
    """The outcome catalogue."""


@catalogue.command("propose")
@click.argument("path", type=_FILE)
@pass_ctx
def catalogue_propose(ctx: _Context, path: Path) -> None:
    """Propose every outcome in a catalogue file (all or none)."""
    from creditbank.services import credit_rules

    for published in credit_rules.publish_file(ctx.bank(), "catalogue", path):
        state = "proposed" if published.created else "already proposed, unchanged"
        click.echo(f"outcome {published.id}: {state} at seq {published.seq}")


@catalogue.command("approve")
@click.argument("codes", nargs=-1, required=True)
@click.option("--reviewer", required=True, help="Who reviewed the outcome (recorded in the entry).")
@pass_ctx
def catalogue_approve(ctx: _Context, codes: tuple[str, ...], reviewer: str) -> None:
    """Approve proposed outcomes, so conversions may use them."""
    from creditbank.services import credit_rules

    for code in codes:
        published = credit_rules.approve_outcome(ctx.bank(), code, reviewer)
        state = "approved" if published.created else "already approved"
        click.echo(f"outcome {code}: {state} at seq {published.seq}")


@catalogue.command("list")
@click.option("--status", type=click.Choice(["approved", "proposed", "all"]), default="all", show_default=True)
@pass_ctx
def catalogue_list(ctx: _Context, status: str) -> None:
    """List catalogue outcomes."""
    from creditbank.services import credit_rules

    for row in credit_rules.list_outcomes(ctx.bank(), status=None if status == "all" else status):
        click.echo(
            f"{row['code']:14} {row['status']:9} L{row['level']} {row['credits']:>6} {row['category']:18} "
            f"{row['name']['zh']} / {row['name']['en']}"
        )


@main.group()
def credits() -> None:
    """Credit accounts."""


@credits.command("reconvert")
@click.option("--rules", "version", required=True, help="The published rule set version to re-evaluate under.")
@pass_ctx
def credits_reconvert(ctx: _Context, version: str) -> None:
    """Re-evaluate every standing achievement under a rule set, appending entries where the result changes."""
    from creditbank.services import credits as service

    report = service.reconvert(ctx.bank(), version)
    click.echo(
        f"rule set {report['rules']} ({report['framework']}): {report['changed']} achievements reconverted, "
        f"{report['unchanged']} unchanged"
    )


@credits.command("show")
@click.argument("learner_id")
@pass_ctx
def credits_show(ctx: _Context, learner_id: str) -> None:
    """Print a learner's credit account as JSON."""
    from creditbank.services import credits as service

    click.echo(json.dumps(service.account(ctx.bank(), None, learner_id), ensure_ascii=False, indent=2))


@main.group()
def qualifications() -> None:
    """Qualification awards."""


@qualifications.command("award")
@click.option("--learner", "learner_id", required=True)
@click.option("--qualification", "qualification_id", required=True)
@pass_ctx
def qualifications_award(ctx: _Context, learner_id: str, qualification_id: str) -> None:
    """Award a qualification as bank staff, redeeming the credits it uses."""
    from creditbank.services import credits as service

    outcome = service.award(ctx.bank(), None, learner_id, qualification_id)
    body = outcome.body
    click.echo(f"awarded {body['qualification']} to {learner_id} as {body['id']} at seq {body['awarded_seq']}")
    for used in body["used"]:
        click.echo(f"  used {used['credits']} credits of conversion #{used['conversion']}")
