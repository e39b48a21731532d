"""The `creditbank verify` command: verifying a credential offline, with an exit status a script can act on."""

from __future__ import annotations

import dataclasses
import json
import sys
from pathlib import Path
from typing import Any

import click

from creditbank.cli.context import Context, pass_ctx

# Exit 2 is click's usage error, so "authentic, status not checked" takes 3: a script can never read it as valid.
# 4: the credential is authentic (valid or status not checked) but the --name/--birth-date given are not its holder's.
IDENTITY_MISMATCH = 4
EXIT_CODES = {"valid": 0, "invalid": 1, "authentic_unchecked": 3}
VERDICT_WORDS = {
    "valid": "VALID",
    "invalid": "NOT VALID",
    "authentic_unchecked": "AUTHENTIC, STATUS NOT CHECKED (not a verdict of valid)",
}
_IN = click.Path(path_type=Path, dir_okay=False, exists=True)


def _read_json(path: Path, what: str) -> Any:
    from ledger import strict_json

    try:
        return strict_json.loads(path.read_bytes())
    except (OSError, ValueError) as exc:
        raise click.BadParameter(f"{path} is not a readable JSON file: {exc}", param_hint=what) from None


@click.command("verify")
@click.argument("path", type=_IN)
@click.argument("receipt_path", metavar="[RECEIPT]", type=_IN, required=False)
@click.option("--trust", "trust_file", type=_IN, help="The bank's DID document (did.json) to trust, fully offline.")
@click.option(
    "--checkpoint", "checkpoint_file", type=_IN, help="A signed checkpoint you trust, instead of the receipt's."
)
@click.option("--status", "status_files", type=_IN, multiple=True, help="Status list credential(s) to check against.")
@click.option("--name", help="The holder's name, to check the identity binding.")
@click.option("--birth-date", help="The holder's birth date (1952-10-03 or 1952年10月3日).")
@click.option(
    "--witness",
    "witness_keys",
    multiple=True,
    help="A witness's cosignature verifier key (repeatable): the checkpoint must carry its cosignature.",
)
@click.option(
    "--witnesses", "witnesses_required", type=int, help="How many of the --witness keys must cosign (default: all)."
)
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@pass_ctx
def verify_command(
    ctx: Context,
    path: Path,
    receipt_path: Path | None,
    trust_file: Path | None,
    checkpoint_file: Path | None,
    status_files: tuple[Path, ...],
    name: str | None,
    birth_date: str | None,
    witness_keys: tuple[str, ...],
    witnesses_required: int | None,
    as_json: bool,
) -> None:
    """Verify a credential (PDF or JSON) without a server.

    PATH is a PDF, a JSON credential, or the credential and its receipt in one JSON file; a bare JSON credential's
    receipt may be given as a second file, RECEIPT (as the portal's two downloads are).

    Exit status: 0 valid; 1 not valid; 3 authentic, status not checked (signature, key, ledger and dates hold, but
    revocation and suspension could not be checked: give the bank's status lists with --status, or ask the bank);
    4 not invalid, but --name and --birth-date do not match the credential's holder. With --witness, a checkpoint
    not cosigned by enough of the witnesses named is not valid. Without --trust it trusts this instance's keys and
    status, and exits 2 (nothing verified) when there is no bank here; with --trust it needs no bank at all.
    """
    from certificates import verify as verification
    from creditbank.errors import InvalidInput
    from creditbank.services.credentials import witness_check

    try:
        witness_rule = witness_check.policy(witness_keys, witnesses_required)
    except InvalidInput as exc:
        raise click.BadParameter(exc.detail, param_hint="--witness") from None

    if (name is None) != (birth_date is None):
        raise click.UsageError("--name and --birth-date go together")
    from certificates.names import BirthDateError, parse_birth_date

    try:
        identity = (
            verification.Identity(name, parse_birth_date(birth_date)) if name and birth_date is not None else None
        )
    except BirthDateError as exc:
        raise click.BadParameter(str(exc), param_hint="--birth-date") from None
    if trust_file is not None:
        try:
            trust = verification.did_document_trust(_read_json(trust_file, "--trust"))
        except ValueError as exc:
            raise click.BadParameter(str(exc), param_hint="--trust") from None
        if status_files:
            trust = dataclasses.replace(trust, status=_status_from_files(status_files, trust))
    else:
        from creditbank.services import credentials as service

        # Trusting this instance's keys needs its bank; verifying against a DID document given needs nothing at all.
        missing = ctx.missing()
        if missing is not None:
            raise click.UsageError(
                f"{missing}. To verify without a bank, give the issuer's DID document: "
                f"creditbank verify {path} --trust did.json"
            )
        trust = service.trust(ctx.bank())
    if checkpoint_file is not None:
        trust = dataclasses.replace(trust, checkpoint=checkpoint_file.read_text())
    from certificates import bounds, budget

    data = path.read_bytes() if receipt_path is None else _with_receipt(path, receipt_path)
    try:
        # Like the server, under the CPU budget in a child process: the file may come from anyone.
        report = budget.run(verification.verify_bytes, data, trust, identity=identity)
    except (bounds.LimitExceeded, budget.BudgetExceeded, budget.WorkerFailed) as exc:
        click.echo(f"{path}: NOT VALID: {exc}; the file was not verified", err=True)
        sys.exit(1)
    if witness_rule is not None:
        # After the ledger check, on the checkpoint it used; a file that failed before has no checkpoint worth it.
        ledger_passed = any(c.check == "ledger" and c.outcome == "pass" for c in report.checks)
        if ledger_passed:
            report.add(witness_check.CHECK, *witness_check.check(data, trust.checkpoint, witness_rule))
        else:
            report.add(witness_check.CHECK, "fail", "the ledger check did not pass, so no checkpoint was cosigned")
    if as_json:
        click.echo(_shown(json.dumps(report.to_json(), ensure_ascii=False, indent=2)))
    else:
        click.echo(f"{path}: {VERDICT_WORDS[report.verdict]}")
        for check in report.checks:
            click.echo(_shown(f"  {check.outcome:4}  {check.check:9} {check.reason}"))
        _print_summary(report.to_json()["summary"])
    if report.verdict != "invalid" and report.identity == "does_not_match":
        # The credential holds, the holder named does not: a script must not read that as a confirmed holder.
        sys.exit(IDENTITY_MISMATCH)
    sys.exit(EXIT_CODES[report.verdict])


def _shown(text: str) -> str:
    """Text for the terminal: a lone surrogate a reason quotes from the file (JSON may escape one) has no UTF-8
    form, so it is written as its escape, which in the JSON output still reads as the same string."""
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def _with_receipt(path: Path, receipt_path: Path) -> bytes:
    """A bare credential and its receipt, joined into the one document the engine reads (``{credential, receipt}``).
    Refused when the first file already carries a receipt (a PDF, or a joined file): two receipts are never
    weighed against each other."""
    if path.read_bytes()[:16].lstrip().startswith(b"%PDF"):
        raise click.UsageError(f"{path} is a PDF, which carries its own receipt: give it alone")
    credential = _read_json(path, "PATH")
    receipt = _read_json(receipt_path, "RECEIPT")
    if not isinstance(credential, dict) or "receipt" in credential or "credential" in credential:
        raise click.UsageError(f"{path} is not a bare credential (it already holds a receipt, or is no JSON object)")
    if not isinstance(receipt, dict) or "entries" not in receipt:
        raise click.BadParameter(f"{receipt_path} is not a credential receipt", param_hint="RECEIPT")
    # ASCII with escapes: a lone surrogate the files escaped reaches the engine as it was written, not as an error.
    return json.dumps({"credential": credential, "receipt": receipt}).encode()


def _print_summary(summary: dict[str, Any] | None) -> None:
    """What the credential says, to compare with its paper copy."""
    if summary is None:
        return
    seq = summary["ledger_seq"]
    click.echo("what the credential says:")
    rows = [
        ("title", summary["title"]),
        ("issuer", summary["issuer"]),
        ("valid from", summary["valid_from"]),
        ("valid until", summary["valid_until"] or "does not expire"),
        ("credential", summary["id"]),
        ("ledger seq", f"#{seq} ({summary['ledger_time']})" if seq is not None else "not proved"),
    ]
    for item in summary["achievements"]:
        rows += [
            ("qualification" if item["qualification"] else "achievement", item["title"]),
            ("  institution", item["institution"]),
            ("  credits", item["credits"]),
            ("  level", item["level"] or item["level_code"]),
            ("  framework", item["framework"]),
            ("  completed", item["completed"]),
        ]
    for label, value in rows:
        click.echo(f"  {label + ':':15} {'-' if value is None else value}")


def _status_from_files(paths: tuple[Path, ...], trust: Any) -> Any:
    from certificates import proofs
    from certificates import verify as verification
    from certificates.status_list import StatusBits, StatusListError

    keys_by_method = {key.method: key.public for key in trust.keys}
    # Each list is filed under its own id and its own statusPurpose, never under the file's name or order: a
    # suspension list given with --status can answer only for suspension.
    lists: dict[tuple[str, str], StatusBits] = {}
    for path in paths:
        document = _read_json(path, "--status")
        checks = proofs.verify(document, keys_by_method.get) if isinstance(document, dict) else []
        if not checks or not all(check.ok for check in checks):
            raise click.BadParameter(f"{path} is not a status list signed by the trusted issuer", param_hint="--status")
        try:
            subject = document["credentialSubject"]
            purpose = subject["statusPurpose"]
            if document.get("issuer") != trust.issuer or purpose not in ("revocation", "suspension"):
                raise StatusListError("not a revocation or suspension list of the trusted issuer")
            lists[(document["id"], purpose)] = StatusBits.decode(subject["encodedList"])
        except (KeyError, TypeError, StatusListError) as exc:
            raise click.BadParameter(f"{path}: {exc}", param_hint="--status") from None

    def lookup(_credential_id: str, url: str, index: int) -> verification.StatusAnswer | None:
        revocation = lists.get((url, "revocation"))
        # The bank publishes a credential's suspension bit at the same index of the list beside its revocation
        # list; without that list suspension is unknown, and the status is not checked.
        suspension = lists.get((url.removesuffix("-revocation") + "-suspension", "suspension"))
        if revocation is None:
            return None
        if index >= revocation.size:
            # The trusted list was read and has no such bit: every verifier's RANGE_ERROR, not "not consulted".
            return verification.StatusAnswer(False, False, past_end=revocation.size)
        if revocation.get(index):
            return verification.StatusAnswer(True, False)
        if suspension is None:
            return None
        if index >= suspension.size:
            return verification.StatusAnswer(False, False, past_end=suspension.size)
        return verification.StatusAnswer(False, suspension.get(index))

    return lookup
