"""Operating commands: `creditbank backup DEST` and `creditbank restore SRC`."""

from __future__ import annotations

import base64
import sys
from pathlib import Path

import click

from creditbank.cli.context import Context, pass_ctx

_FILE = click.Path(path_type=Path, dir_okay=False)


def _megabytes(size: int) -> str:
    return f"{size / 1_000_000:.1f} MB"


@click.command("backup")
@click.argument("dest", type=_FILE)
@click.option("--force", is_flag=True, help="Replace DEST if it exists.")
@pass_ctx
def backup_command(ctx: Context, dest: Path, force: bool) -> None:
    """Write a consistent snapshot of the whole bank to DEST while the service keeps running.

    DEST holds every table and the instance's key files as they are on disk (encrypted with the passphrase when the
    bank has one); keep it as safe as the database itself.
    """
    from creditbank.services.operations import backup

    report = backup.backup(ctx.bank(), dest, force=force)
    rate = report.total_rows / report.seconds if report.seconds else 0.0
    checkpoint = "no checkpoint" if report.checkpoint_size is None else f"checkpoint {report.checkpoint_size}"
    click.echo(
        f"backup written to {report.path}: schema {report.revision}, tree size {report.tree_size}, {checkpoint}, "
        f"{report.total_rows:,} rows in {len(report.rows)} tables, {_megabytes(report.compressed)} "
        f"({_megabytes(report.uncompressed)} uncompressed), {report.seconds:.2f} s ({rate:,.0f} rows/s)"
    )
    click.echo(f"sha256 of the content: {report.sha256}; key files: {', '.join(report.keys) or 'none'}")
    if report.unencrypted_keys:
        click.echo(
            f"warning: {', '.join(report.unencrypted_keys)} are not encrypted (no passphrase): "
            "anyone holding the archive can use them",
            err=True,
        )
    if report.missing_keys:
        click.echo(f"warning: no key file for credential keys {', '.join(report.missing_keys)}", err=True)


@click.command("restore")
@click.argument("src", type=_FILE)
@pass_ctx
def restore_command(ctx: Context, src: Path) -> None:
    """Restore a backup into an empty database, then audit the ledger. Exit 1 unless the audit passes and the
    archive's latest checkpoint is reproduced exactly.

    The key files go to the instance folder; they open with the passphrase of the bank that wrote the archive.
    """
    from creditbank.services.operations import restore

    bank = ctx.bank(migrated=False, create=True, announce=False)
    try:
        report = restore.restore(bank, src)
    except BaseException:
        ctx.discard_created()
        raise
    ctx.announce_created()
    rate = report.total_rows / report.load_seconds if report.load_seconds else 0.0
    click.echo(
        f"verified {report.path} ({_megabytes(report.compressed)}) in {report.verify_seconds:.2f} s; "
        f"restored {report.total_rows:,} rows at schema {report.revision} in {report.load_seconds:.2f} s "
        f"({rate:,.0f} rows/s)" + (f", then upgraded to {report.upgraded_to}" if report.upgraded_to else "")
    )
    if report.keys_written or report.keys_kept:
        click.echo(
            f"key files written: {', '.join(report.keys_written) or 'none'}; "
            f"already in place: {', '.join(report.keys_kept) or 'none'}"
        )
    result = report.audit
    if result.ok:
        click.echo(f"audit passed: {result.entries} entries, {result.checkpoints} checkpoints")
    else:
        click.echo("audit FAILED:", err=True)
        for problem in result.problems:
            click.echo(f"  {problem}", err=True)
    if report.checkpoint_root is None:
        click.echo("the archive holds no checkpoint")
    elif report.note_identical:
        root = base64.b64encode(report.checkpoint_root).decode("ascii")
        click.echo(f"latest checkpoint reproduced: size {report.checkpoint_size}, root {root}, note byte-identical")
    else:
        click.echo(f"checkpoint {report.checkpoint_size} is NOT reproduced byte for byte", err=True)
    if not report.ok:
        sys.exit(1)
