"""The `creditbank ledger` group: checkpoints, audit and replay of the signed append-only ledger."""

from __future__ import annotations

import sys
import time

import click

from creditbank.cli.context import Context, pass_ctx


@click.group()
def ledger() -> None:
    """The signed append-only ledger."""


@ledger.command("checkpoint")
@pass_ctx
def ledger_checkpoint(ctx: Context) -> None:
    """Sign a checkpoint now (if the tree grew) and print the latest."""
    from creditbank.services.transparency import checkpoints

    bank = ctx.bank()
    checkpoints.sign(bank)
    click.echo(checkpoints.latest(bank).note, nl=False)


@ledger.command("audit")
@click.option("--deep", is_flag=True, help="Also re-canonicalize every stored body (slower).")
@pass_ctx
def ledger_audit(ctx: Context, deep: bool) -> None:
    """Recompute every commitment, leaf, subtree and checkpoint from storage; exit 1 on any mismatch."""
    from creditbank.services.transparency.audit import audit, record

    bank = ctx.bank()
    report = audit(bank, deep=deep)
    # What /ready reports until the next audit: an operator's passing audit also clears a monitor alarm.
    record(bank, report)
    rate = report.entries / report.seconds if report.seconds else 0.0
    if report.ok:
        click.echo(
            f"audit passed: {report.entries} entries, {report.checkpoints} checkpoints, "
            f"{report.seconds:.2f} s ({rate:,.0f} entries/s)"
        )
        return
    click.echo(f"audit FAILED ({report.summary()}):", err=True)
    for problem in report.problems:
        click.echo(f"  {problem}", err=True)
    sys.exit(1)


@ledger.command("replay")
@pass_ctx
def ledger_replay(ctx: Context) -> None:
    """Rebuild every projection table from the ledger alone."""
    from creditbank.projections import replay

    bank = ctx.bank()
    started = time.perf_counter()
    with bank.db.writing() as session:
        applied = replay(session)
    click.echo(f"replayed {applied} entries in {time.perf_counter() - started:.2f} s")
