"""The `creditbank keys` group: the log, master and credential-signing keys, and institution API keys."""

from __future__ import annotations

import json
from pathlib import Path

import click

from creditbank.cli.context import Context, pass_ctx


@click.group()
def keys() -> None:
    """Signing keys and institution API keys."""


@keys.command("init")
@pass_ctx
def keys_init(ctx: Context) -> None:
    """Create the log signing key and the personal-data master key (each kept if it exists)."""
    bank = ctx.bank(migrated=False, create=True)
    existed = bank.log_key_path.exists(), bank.master_key_path.exists()
    bank.prepare_keys()
    click.echo(f"log key {'kept' if existed[0] else 'created'}: {bank.log_key_path}")
    click.echo(f"master key {'kept' if existed[1] else 'created'}: {bank.master_key_path}")
    click.echo(f"log origin: {bank.origin} (fixed with the log key)")
    click.echo(f"verifier key: {bank.log_signer().vkey}")


@keys.command("reseal")
@click.option(
    "--new-passphrase-file",
    type=click.Path(path_type=Path, dir_okay=False, exists=True),
    help="Seal every key file with the passphrase in this file instead (a change of passphrase); the current one "
    "stays in CREDITBANK_KEY_PASSPHRASE (or _FILE) until the command is done.",
)
@pass_ctx
def keys_reseal(ctx: Context, new_passphrase_file: Path | None) -> None:
    """Seal key files of earlier releases (PEM, or unsealed while a passphrase is now set) with scrypt and AES-GCM,
    or, with --new-passphrase-file, every key file with a new passphrase.

    The keys stay the same; only their files change. The log key also records the log's origin: the one its signed
    checkpoints name, else the configured one. A change of passphrase interrupted half way can be run again: files
    already sealed with the new passphrase are left as they are. Take a new backup afterwards: older archives hold
    the old files.
    """
    from creditbank import keys as key_files
    from creditbank.personal_data import MASTER_PURPOSE
    from creditbank.runtime import origin_drift
    from creditbank.services.credentials import pdf_keys
    from creditbank.services.transparency import checkpoints, witness
    from ledger.note import parse_checkpoint

    bank = ctx.bank()
    passphrase = bank.settings["CREDITBANK_KEY_PASSPHRASE"]
    new_passphrase = None
    if new_passphrase_file is not None:
        new_passphrase = new_passphrase_file.read_text(encoding="utf-8").strip()
        if not new_passphrase:
            raise click.ClickException(f"{new_passphrase_file} is empty: there is nothing to seal the keys with")
        if new_passphrase == passphrase:
            raise click.ClickException("the new passphrase is the current one")
    elif not passphrase:
        raise click.ClickException("set CREDITBANK_KEY_PASSPHRASE (or _FILE): there is nothing to seal the keys with")
    origin = bank.origin
    if key_files.stored_attributes(bank.log_key_path) is None:
        with bank.db.reading() as session:
            latest = checkpoints.latest_in(session)
        if latest is not None:
            signed = parse_checkpoint(latest.note[: latest.note.rindex("\n\n") + 1]).origin
            source = bank.settings.get("ORIGIN_SOURCE")
            if source is not None and signed != origin:
                raise click.ClickException(origin_drift(bank.log_key_path, signed, origin, source))
            origin = signed
    folder = bank.log_key_path.parent
    plan: list[tuple[Path, str, dict[str, str] | None]] = [
        (bank.log_key_path, key_files.LOG_PURPOSE, {"origin": origin})
    ]
    plan += [(path, key_files.CREDENTIAL_PURPOSE, None) for path in sorted(folder.glob("credential-*.pem"))]
    # The witness key keeps the name it was made with: its cosignatures are checked under that name.
    plan.append((witness.key_path(bank), witness.WITNESS_PURPOSE, None))
    plan.append((folder / pdf_keys.ROOT_KEY, pdf_keys.ROOT_PURPOSE, None))
    plan += [(path, pdf_keys.SIGNING_PURPOSE, None) for path in sorted(folder.glob("pdf-signing-*.key"))]
    # The session secret last: every command opens it first, with the passphrase configured, so until it changes
    # an interrupted run can be started again as it was.
    plan += [
        (bank.master_key_path, MASTER_PURPOSE, None),
        (folder / key_files.SESSION_SECRET_FILE, key_files.SESSION_PURPOSE, None),
    ]
    for path, purpose, attributes in plan:
        if not path.exists():
            continue
        changed = key_files.reseal(path, passphrase, purpose, attributes, new_passphrase=new_passphrase)
        if new_passphrase is None:
            click.echo(f"{'sealed' if changed else 'already sealed'}: {path}")
        else:
            click.echo(f"{'sealed with the new passphrase' if changed else 'already on the new passphrase'}: {path}")
    click.echo(f"log origin: {bank.origin}")
    if new_passphrase is not None:
        click.echo("set CREDITBANK_KEY_PASSPHRASE (or _FILE) to the new passphrase before the bank starts again")


@keys.command("issue")
@click.option("--institution", "institution_id", required=True, help="Institution id the key acts for.")
@click.option("--scope", "scopes", multiple=True, help="Scope to grant (repeatable); default: all scopes.")
@pass_ctx
def keys_issue(ctx: Context, institution_id: str, scopes: tuple[str, ...]) -> None:
    """Issue an API key. The key is printed once, alone on the last line."""
    from creditbank.services.records import api_keys

    issued = api_keys.issue(ctx.bank(), institution_id, scopes or None)
    click.echo(f"API key {issued.id} for {issued.institution_id}, scopes: {' '.join(issued.scopes)}")
    click.echo("Store it now; only its hash is kept and it cannot be shown again:")
    click.echo(issued.token)


@keys.command("revoke")
@click.argument("key_id")
@pass_ctx
def keys_revoke(ctx: Context, key_id: str) -> None:
    """Revoke an API key (give its id or the whole key)."""
    from creditbank.services.records import api_keys

    key = api_keys.revoke(ctx.bank(), key_id)
    click.echo(f"API key {key.id} of {key.institution_id} revoked")


@keys.command("list")
@click.option("--institution", "institution_id")
@pass_ctx
def keys_list(ctx: Context, institution_id: str | None) -> None:
    """List API keys (ids and scopes; secrets are never stored)."""
    from creditbank.services.records import api_keys

    for key in api_keys.list_keys(ctx.bank(), institution_id):
        state = f"revoked {key.revoked_at:%Y-%m-%d}" if key.revoked_at else "active"
        click.echo(f"{key.id}  {key.institution_id}  {key.scopes}  {state}")


@keys.command("rotate")
@click.option(
    "--pdf", "pdf", is_flag=True, help="Rotate the PDF document-signing key and certificate instead (same root)."
)
@pass_ctx
def keys_rotate(ctx: Context, pdf: bool) -> None:
    """Add a new credential-signing key (key.rotated); the old one is kept, retired, in the DID document.

    With --pdf, a new document-signing certificate under the bank's PDF root signs PDFs from now on; PDFs signed
    before stay valid."""
    if pdf:
        from creditbank.services.credentials import pdf_keys

        certificate = pdf_keys.rotate(ctx.bank())
        click.echo(
            f"PDF signing certificate {certificate.serial_number:x} valid from "
            f"{certificate.not_valid_before_utc.isoformat()} to {certificate.not_valid_after_utc.isoformat()}"
        )
        return
    from creditbank.services import credentials as service

    rotated = service.rotate_key(ctx.bank())
    click.echo(f"credential key {rotated['key']} active from {rotated['active_from']} ({rotated['public_key']})")


@keys.command("compromised")
@click.argument("key_id")
@click.option("--since", required=True, help="From when the key may have been in other hands (RFC 3339, with a zone).")
@click.option("--reason", help="Kept in the ledger entry's private body.")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@pass_ctx
def keys_compromised(ctx: Context, key_id: str, since: str, reason: str | None, as_json: bool) -> None:
    """Record that a credential-signing key was compromised (key.compromised).

    Unlike rotation, which keeps an old key good for what it signed, the key leaves assertionMethod in the DID
    document (standard verifiers then refuse everything it signed) and the bank's verifier refuses what it signed,
    or the ledger recorded, from SINCE on. A key still in use is rotated out first. Lists the credentials it signed,
    to be reissued.
    """
    from creditbank.errors import Conflict, InvalidInput, NotFound
    from creditbank.services import credentials as service

    try:
        done = service.compromise_key(ctx.bank(), key_id, since, reason)
    except (InvalidInput, NotFound, Conflict) as exc:
        raise click.ClickException(str(exc)) from None
    if as_json:
        click.echo(json.dumps(done, ensure_ascii=False, indent=2))
        return
    click.echo(f"credential key {key_id} recorded as compromised since {since}; signing key now {done['current_key']}")
    click.echo(f"{len(done['credentials'])} credential(s) it signed, to reissue:")
    for item in done["credentials"]:
        refused = "refused by the bank too" if item["after_since"] else "refused by standard verifiers"
        revoked = ", revoked" if item["revoked"] else ""
        where = f"learner {item['learner']}  seq {item['seq']}"
        click.echo(f"  {item['id']}  {item['kind']:13} {where}  ({refused}{revoked})")
