"""The `creditbank frameworks`, `rules` and `catalogue` groups: what the credit bank publishes to convert by."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from creditbank.cli.context import Context, pass_ctx

_FILE = click.Path(path_type=Path, dir_okay=False)


def _report(published: Any) -> None:
    state = "published" if published.created else "already published, unchanged"
    version = f" {published.version}" if published.version else ""
    click.echo(f"{published.kind} {published.id}{version}: {state} at seq {published.seq} (sha256 {published.hash})")


@click.group()
def frameworks() -> None:
    """Qualifications frameworks."""


@frameworks.command("publish")
@click.argument("path", type=_FILE)
@pass_ctx
def frameworks_publish(ctx: Context, path: Path) -> None:
    """Validate a framework file (TOML or JSON) and publish it as a framework.published entry."""
    from creditbank.services.credits import credit_rules

    for published in credit_rules.publish_file(ctx.bank(), "framework", path):
        _report(published)


@frameworks.command("list")
@pass_ctx
def frameworks_list(ctx: Context) -> None:
    """List published frameworks."""
    from creditbank.services.credits import credit_rules

    for view in credit_rules.list_frameworks(ctx.bank()):
        example = "  (example)" if view["example"] else ""
        click.echo(f"{view['id']:24} {view['version']:10} {len(view['levels'])} levels  {view['name']['en']}{example}")


@click.group()
def rules() -> None:
    """Conversion rule sets."""


@rules.command("publish")
@click.argument("path", type=_FILE)
@pass_ctx
def rules_publish(ctx: Context, path: Path) -> None:
    """Validate a rule set file and publish it as a rules.published entry; it becomes its framework's active set."""
    from creditbank.services.credits import credit_rules

    for published in credit_rules.publish_file(ctx.bank(), "rules", path):
        _report(published)


@rules.command("list")
@pass_ctx
def rules_list(ctx: Context) -> None:
    """List published rule sets, oldest first."""
    from creditbank.services.credits import credit_rules

    for row in credit_rules.list_rule_sets(ctx.bank()):
        click.echo(f"{row['version']:16} {row['framework']:24} seq {row['seq']:<8} sha256 {row['hash']}")


@click.group()
def catalogue() -> None:
    """The outcome catalogue."""


@catalogue.command("propose")
@click.argument("path", type=_FILE)
@pass_ctx
def catalogue_propose(ctx: Context, path: Path) -> None:
    """Propose every outcome in a catalogue file (all or none)."""
    from creditbank.services.credits import credit_rules

    for published in credit_rules.publish_file(ctx.bank(), "catalogue", path):
        state = "proposed" if published.created else "already proposed, unchanged"
        click.echo(f"outcome {published.id}: {state} at seq {published.seq}")


@catalogue.command("approve")
@click.argument("codes", nargs=-1, required=True)
@click.option("--reviewer", required=True, help="Who reviewed the outcome (recorded in the entry).")
@pass_ctx
def catalogue_approve(ctx: Context, codes: tuple[str, ...], reviewer: str) -> None:
    """Approve proposed outcomes, so conversions may use them."""
    from creditbank.services.credits import credit_rules

    for code in codes:
        published = credit_rules.approve_outcome(ctx.bank(), code, reviewer)
        state = "approved" if published.created else "already approved"
        click.echo(f"outcome {code}: {state} at seq {published.seq}")


@catalogue.command("list")
@click.option("--status", type=click.Choice(["approved", "proposed", "all"]), default="all", show_default=True)
@pass_ctx
def catalogue_list(ctx: Context, status: str) -> None:
    """List catalogue outcomes."""
    from creditbank.services.credits import credit_rules

    for row in credit_rules.list_outcomes(ctx.bank(), status=None if status == "all" else status):
        click.echo(
            f"{row['code']:14} {row['status']:9} L{row['level']} {row['credits']:>6} {row['category']:18} "
            f"{row['name']['zh']} / {row['name']['en']}"
        )
