"""Ledger receipts: what a holder needs to show, offline, that a credential was recorded in the bank's ledger.

A receipt holds the public entries of the credential's `credential.issued` entry and of its source entries, their
private bodies and salts (so the commitments can be recomputed), an inclusion proof for each, and the signed
checkpoint the proofs lead to.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ledger.canonical import canonical_bytes
from ledger.entry import EntryError, commitment, parse_public_entry
from ledger.merkle import verify_inclusion
from ledger.note import NoteError, NoteVerifier, open_note, parse_checkpoint

RECEIPT_TYPE = "CreditbankLedgerReceipt"
ISSUED_KIND = "credential.issued"
# A transcript's receipt proves each of its (at most 500) source entries.
MAX_ENTRIES = 1024


def credential_hash(credential: Mapping[str, Any]) -> str:
    """The hash a `credential.issued` entry records: SHA-256 of the signed credential's canonical JSON."""
    return "sha256:" + hashlib.sha256(canonical_bytes(dict(credential))).hexdigest()


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


@dataclass(frozen=True)
class ProvenEntry:
    role: str  # "credential" or "source"
    entry: dict[str, Any]
    body: Any
    salt: bytes
    proof: Sequence[bytes]

    def to_json(self) -> dict[str, Any]:
        return {
            "role": self.role,
            "entry": self.entry,
            "body": self.body,
            "salt": _b64(self.salt),
            "proof": [_b64(step) for step in self.proof],
        }


def build(checkpoint_note: str, entries: Sequence[ProvenEntry]) -> dict[str, Any]:
    return {"type": RECEIPT_TYPE, "checkpoint": checkpoint_note, "entries": [item.to_json() for item in entries]}


class ReceiptError(Exception):
    """The receipt does not show that the credential was recorded."""


@dataclass(frozen=True)
class Recorded:
    seq: int
    time: str
    tree_size: int
    source_seqs: tuple[int, ...]


def _decode(text: Any, what: str) -> bytes:
    if not isinstance(text, str):
        raise ReceiptError(f"{what} is not base64 text")
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise ReceiptError(f"{what} is not base64") from None


def verify(
    receipt: Any, credential: Mapping[str, Any], log_keys: Iterable[NoteVerifier], trusted_note: str | None = None
) -> Recorded:
    """Check the receipt against the credential; raise ReceiptError naming the first thing that fails.

    `trusted_note` replaces the receipt's own checkpoint when the verifier brings one it obtained independently.
    """
    if not isinstance(receipt, dict) or receipt.get("type") != RECEIPT_TYPE:
        raise ReceiptError("no ledger receipt")
    note = trusted_note if trusted_note is not None else receipt.get("checkpoint")
    if not isinstance(note, str):
        raise ReceiptError("the receipt has no signed checkpoint")
    try:
        checkpoint = parse_checkpoint(open_note(note, list(log_keys)).text)
    except NoteError as exc:
        raise ReceiptError(f"the checkpoint is not signed by the bank's log key: {exc}") from None
    items = receipt.get("entries")
    if not isinstance(items, list) or not items:
        raise ReceiptError("the receipt lists no entries")
    if len(items) > MAX_ENTRIES:
        raise ReceiptError(f"the receipt lists more than {MAX_ENTRIES} entries")
    issued: Recorded | None = None
    seen: set[int] = set()
    for position, item in enumerate(items):
        place = f"entries[{position}]"
        if not isinstance(item, dict):
            raise ReceiptError(f"{place} is not an object")
        try:
            entry = parse_public_entry(item.get("entry"))  # type: ignore[arg-type]
        except (EntryError, TypeError) as exc:
            raise ReceiptError(f"{place}.entry: {exc}") from None
        salt = _decode(item.get("salt"), f"{place}.salt")
        try:
            if commitment(salt, item.get("body")) != entry.commitment:
                raise ReceiptError(f"{place}: the body does not match the entry's commitment")
        except (EntryError, TypeError, ValueError) as exc:
            raise ReceiptError(f"{place}: {exc}") from None
        proof_items = item.get("proof")
        if not isinstance(proof_items, list) or len(proof_items) > 64:
            raise ReceiptError(f"{place}.proof is not a list of hashes")
        proof = [_decode(step, f"{place}.proof") for step in proof_items]
        if entry.seq >= checkpoint.size or not verify_inclusion(
            entry.leaf_hash(), entry.seq, checkpoint.size, proof, checkpoint.root
        ):
            raise ReceiptError(f"entry #{entry.seq} is not included in the checkpoint of size {checkpoint.size}")
        seen.add(entry.seq)
        if item.get("role") == "credential":
            issued = _issued(entry.kind, entry.seq, entry.time, item.get("body"), credential, checkpoint.size)
    if issued is None:
        raise ReceiptError("the receipt holds no credential.issued entry")
    missing = [seq for seq in issued.source_seqs if seq not in seen]
    if missing:
        raise ReceiptError(f"the receipt lacks the source entries {missing}")
    return issued


def _issued(kind: str, seq: int, time: str, body: Any, credential: Mapping[str, Any], size: int) -> Recorded:
    if kind != ISSUED_KIND or not isinstance(body, dict):
        raise ReceiptError(f"entry #{seq} is a {kind}, not a credential.issued entry")
    if body.get("credential_id") != credential.get("id"):
        raise ReceiptError(f"entry #{seq} records another credential")
    if body.get("credential_hash") != credential_hash(credential):
        raise ReceiptError(f"the credential differs from the one recorded at #{seq}")
    sources = body.get("sources", [])
    if not isinstance(sources, list) or not all(type(s) is int for s in sources):
        raise ReceiptError(f"entry #{seq} has a malformed source list")
    return Recorded(seq, time, size, tuple(sources))


def issued_body(receipt: Mapping[str, Any]) -> Mapping[str, Any]:
    """The body of the receipt's credential.issued entry (call after `verify` has accepted the receipt)."""
    for item in receipt.get("entries", []):
        if isinstance(item, dict) and item.get("role") == "credential" and isinstance(item.get("body"), dict):
            body: Mapping[str, Any] = item["body"]
            return body
    return {}
