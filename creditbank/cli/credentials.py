"""The `creditbank credentials` group: issuing and listing credentials, and changing their status."""

from __future__ import annotations

import json
from pathlib import Path

import click

from creditbank.cli.context import Context, pass_ctx

_OUT = click.Path(path_type=Path, dir_okay=False)


@click.group()
def credentials() -> None:
    """Verifiable credentials (Open Badges 3.0 and CLR 2.0) and their PDFs."""


@credentials.command("issue")
@click.option("--learner", "learner_id", required=True)
@click.option("--achievement", "achievement_id", help="Issue for one achievement.")
@click.option("--qualification", "award_id", help="Issue for one awarded qualification (its award id).")
@click.option("--transcript", is_flag=True, help="Issue a transcript of all the learner's achievements.")
@click.option("--json", "json_out", type=_OUT, help="Write the credential with its ledger receipt here.")
@click.option("--pdf", "pdf_out", type=_OUT, help="Write the PDF certificate or transcript here.")
@click.option("--lang", type=click.Choice(["zh-en", "en-zh"]), default="zh-en", show_default=True)
@pass_ctx
def credentials_issue(
    ctx: Context,
    learner_id: str,
    achievement_id: str | None,
    award_id: str | None,
    transcript: bool,
    json_out: Path | None,
    pdf_out: Path | None,
    lang: str,
) -> None:
    """Issue a signed credential for a learner and record it in the ledger."""
    from creditbank.services import credentials as service

    chosen = [name for name, value in (("achievement", achievement_id), ("qualification", award_id)) if value]
    if transcript:
        chosen.append("transcript")
    if len(chosen) != 1:
        raise click.UsageError("give exactly one of --achievement, --qualification, --transcript")
    bank = ctx.bank()
    request = service.Request(learner_id, chosen[0], achievement_id or award_id, lang)
    issued = service.issue(bank, None, request)
    click.echo(f"issued {issued['kind']} credential {issued['id']} at seq {issued['seq']}")
    if json_out is not None:
        json_out.write_text(json.dumps(service.bundle(bank, None, issued["id"]), ensure_ascii=False, indent=2))
        click.echo(f"credential and receipt written to {json_out}")
    if pdf_out is not None:
        pdf_out.write_bytes(service.pdf(bank, None, issued["id"]))
        click.echo(f"PDF written to {pdf_out}")


def _status_command(name: str, change: str, help_text: str) -> None:
    @credentials.command(name, help=help_text)
    @click.argument("credential_id")
    @click.option("--reason", help="Why; kept in the ledger entry's private body.")
    @pass_ctx
    def command(ctx: Context, credential_id: str, reason: str | None) -> None:
        from creditbank.services import credentials as service

        done = service.change_status(ctx.bank(), credential_id, change, reason)
        click.echo(f"{credential_id}: {change} recorded at seq {done['seq']}; status lists republished")


_status_command("revoke", "revoke", "Revoke a credential for good.")
_status_command("suspend", "suspend", "Suspend a credential until it is reinstated.")
_status_command("reinstate", "reinstate", "Lift a suspension.")


@credentials.command("list")
@click.option("--learner", "learner_id", required=True)
@pass_ctx
def credentials_list(ctx: Context, learner_id: str) -> None:
    """List a learner's credentials and their status."""
    from creditbank.services import credentials as service

    for item in service.list_for_learner(ctx.bank(), learner_id):
        state = "revoked" if item["revoked"] else "suspended" if item["suspended"] else "valid"
        click.echo(f"{item['id']}  {item['kind']:13} seq {item['seq']:<8} {item['issued_at']}  {state}")
