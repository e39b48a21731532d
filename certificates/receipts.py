"""Ledger receipts: what a holder needs to show, offline, that a credential was recorded in the bank's ledger.

A receipt holds the public entries of the credential's `credential.issued` entry and of its source entries, their
private bodies and salts (so the commitments can be recomputed), an inclusion proof for each, and the signed
checkpoint the proofs lead to. Each entry's proof is a C2SP tlog-proof (``c2sp.org/tlog-proof@v1``: the entry's
index, its inclusion hashes and the checkpoint with the witnesses' cosignatures, verbatim), so a standard
transparency-log tool can check it; the entry, body and salt beside it are what the bank adds. Receipts made before
that form carried the inclusion hashes as a ``proof`` list, and still verify.
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
TLOG_PROOF_HEADER = "c2sp.org/tlog-proof@v1"
# A proof of a tree of 2^64 leaves has 64 hashes; a checkpoint with a few dozen cosignatures is a few kilobytes.
MAX_PROOF_HASHES = 64
MAX_TLOG_PROOF_BYTES = 64 * 1024
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

    def to_json(self, checkpoint_note: str) -> dict[str, Any]:
        return {
            "role": self.role,
            "entry": self.entry,
            "body": self.body,
            "salt": _b64(self.salt),
            "tlog_proof": tlog_proof(int(self.entry["seq"]), self.proof, checkpoint_note),
        }


def build(checkpoint_note: str, entries: Sequence[ProvenEntry]) -> dict[str, Any]:
    return {
        "type": RECEIPT_TYPE,
        "checkpoint": checkpoint_note,
        "entries": [item.to_json(checkpoint_note) for item in entries],
    }


def tlog_proof(index: int, proof: Sequence[bytes], checkpoint_note: str) -> str:
    """The C2SP tlog-proof text of leaf ``index``: header, index, one base64 hash per line from the leaf's sibling
    up, an empty line, then the signed checkpoint verbatim (no extra data)."""
    lines = [TLOG_PROOF_HEADER, f"index {index}", *(_b64(step) for step in proof)]
    return "\n".join(lines) + "\n\n" + checkpoint_note


@dataclass(frozen=True)
class TlogProof:
    index: int
    proof: tuple[bytes, ...]
    checkpoint: str
    extra: bytes | None = None


def parse_tlog_proof(text: Any) -> TlogProof:
    """Read a C2SP tlog-proof strictly: anything the format does not allow is a ReceiptError, never a guess."""
    if not isinstance(text, str):
        raise ReceiptError("the tlog-proof is not text")
    if len(text.encode("utf-8", "surrogatepass")) > MAX_TLOG_PROOF_BYTES:
        raise ReceiptError(f"the tlog-proof is longer than {MAX_TLOG_PROOF_BYTES} bytes")
    head, separator, checkpoint = text.partition("\n\n")
    if not separator or not checkpoint:
        raise ReceiptError("the tlog-proof has no checkpoint after an empty line")
    lines = head.split("\n")
    if lines[0] != TLOG_PROOF_HEADER:
        raise ReceiptError(f"the tlog-proof does not start with {TLOG_PROOF_HEADER}")
    rest = lines[1:]
    extra = None
    if rest and rest[0].startswith("extra "):
        extra = _decode(rest.pop(0)[len("extra ") :], "the tlog-proof's extra data")
    if not rest or not rest[0].startswith("index "):
        raise ReceiptError("the tlog-proof has no index line")
    digits = rest.pop(0)[len("index ") :]
    # ASCII decimal, no sign, no leading zero: one index has exactly one spelling.
    if not (digits.isascii() and digits.isdigit()) or (len(digits) > 1 and digits[0] == "0") or len(digits) > 20:
        raise ReceiptError(f"the tlog-proof's index {digits!r} is not a plain decimal")
    if len(rest) > MAX_PROOF_HASHES:
        raise ReceiptError(f"the tlog-proof has more than {MAX_PROOF_HASHES} hashes")
    proof = []
    for number, line in enumerate(rest, 1):
        step = _decode(line, f"the tlog-proof's hash {number}")
        if len(step) != 32:
            raise ReceiptError(f"the tlog-proof's hash {number} is not a SHA-256 hash")
        proof.append(step)
    return TlogProof(int(digits), tuple(proof), checkpoint, extra)


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
        proof = _inclusion_hashes(item, place, entry.seq, receipt.get("checkpoint"))
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


def _inclusion_hashes(item: Mapping[str, Any], place: str, seq: int, checkpoint_note: Any) -> list[bytes]:
    """An entry's inclusion hashes, from its tlog-proof or (a receipt of the earlier form) its ``proof`` list; never
    both, so no reader can be shown one proof while another checks a different one."""
    if "tlog_proof" in item:
        if "proof" in item:
            raise ReceiptError(f"{place} holds both a tlog-proof and a proof list")
        try:
            found = parse_tlog_proof(item["tlog_proof"])
        except ReceiptError as exc:
            raise ReceiptError(f"{place}.tlog_proof: {exc}") from None
        if found.index != seq:
            raise ReceiptError(f"{place}.tlog_proof is for index {found.index}, not entry #{seq}")
        # The proof's checkpoint is the receipt's, verbatim: one receipt, one checkpoint.
        if found.checkpoint != checkpoint_note:
            raise ReceiptError(f"{place}.tlog_proof carries another checkpoint than the receipt's")
        return list(found.proof)
    proof_items = item.get("proof")
    if not isinstance(proof_items, list) or len(proof_items) > MAX_PROOF_HASHES:
        raise ReceiptError(f"{place}.proof is not a list of hashes")
    return [_decode(step, f"{place}.proof") for step in proof_items]


def _issued(kind: str, seq: int, time: str, body: Any, credential: Mapping[str, Any], size: int) -> Recorded:
    if kind != ISSUED_KIND or not isinstance(body, dict):
        raise ReceiptError(f"entry #{seq} is a {kind}, not a credential.issued entry")
    if body.get("credential_id") != credential.get("id"):
        raise ReceiptError(f"entry #{seq} records another credential")
    try:
        uploaded = credential_hash(credential)
    except ValueError:  # no RFC 8785 form (a lone surrogate, say): nothing the bank could have recorded
        raise ReceiptError(
            f"the credential has no canonical form, so it differs from the one recorded at #{seq}"
        ) from None
    if body.get("credential_hash") != uploaded:
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
