"""The verifier's witness check: whether enough of the witnesses it trusts cosigned the checkpoint a credential's
ledger receipt leads to (C2SP tlog-cosignature).

A witness named but missing, or a cosignature line naming it that does not verify, fails the check; it is never
skipped. The checkpoint checked is the one the ledger check used: the one given to the verifier, else the receipt's.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from certificates.pdf_read import PdfError, embedded_file
from creditbank.errors import InvalidInput
from ledger import strict_json
from ledger.cosignature import CosignatureVerifier, check_witnesses
from ledger.note import NoteError

CHECK = "witnesses"


@dataclass(frozen=True)
class WitnessPolicy:
    witnesses: tuple[CosignatureVerifier, ...]
    required: int


def policy(vkeys: Sequence[str], required: int | None) -> WitnessPolicy | None:
    """The policy of ``--witness VKEY ... [--witnesses K]``: K of the witnesses named (all of them by default)."""
    if not vkeys:
        if required is not None:
            raise InvalidInput("--witnesses needs the witnesses' keys, each given with --witness")
        return None
    try:
        verifiers = tuple(CosignatureVerifier.from_vkey(vkey) for vkey in vkeys)
    except NoteError as exc:
        raise InvalidInput(f"--witness: {exc}") from None
    if len({v.vkey for v in verifiers}) != len(verifiers):
        raise InvalidInput("--witness names the same witness twice")
    count = len(verifiers) if required is None else required
    if count < 1:
        raise InvalidInput("--witnesses must be at least 1")
    return WitnessPolicy(verifiers, count)


def _receipt_note(data: bytes) -> Any:
    if data.lstrip().startswith(b"%PDF"):
        try:
            attached = embedded_file(data, "receipt.json")
        except PdfError:
            return None
        receipt = strict_json.loads(attached) if attached is not None else None
    else:
        loaded = strict_json.loads(data)
        receipt = loaded.get("receipt") if isinstance(loaded, dict) else None
    return receipt.get("checkpoint") if isinstance(receipt, dict) else None


def check(data: bytes, checkpoint: str | None, rule: WitnessPolicy) -> tuple[str, str]:
    """(outcome, reason) of the witness check on a file the ledger check already accepted."""
    try:
        note = checkpoint if checkpoint is not None else _receipt_note(data)
    except (strict_json.JSONInputError, ValueError):
        note = None
    if not isinstance(note, str):
        return "fail", "no signed checkpoint to check the witnesses' cosignatures on"
    try:
        report = check_witnesses(note, rule.witnesses)
    except NoteError as exc:
        return "fail", f"the checkpoint's signature lines cannot be read: {exc}"
    if report.failed:
        return "fail", f"a cosignature by {', '.join(report.failed)} does not verify"
    named = len(rule.witnesses)
    if len(report.cosigned) < rule.required:
        by = ", ".join(report.names()) or "none of them"
        return "fail", f"{rule.required} of {named} trusted witnesses must cosign the checkpoint; cosigned by {by}"
    return "pass", f"cosigned by {len(report.cosigned)} of {named} trusted witnesses: {', '.join(report.names())}"
