"""C2SP tlog-cosignature (cosignature/v1, Ed25519) and the request body of C2SP tlog-witness ``add-checkpoint``.

A witness states "as of time T, the largest consistent tree I have seen of this log has this root" by signing::

    cosignature/v1
    time <T in decimal seconds>
    <the checkpoint's note text>

and writes it as a note signature line ``— <witness name> base64(key ID ‖ u64 big-endian T ‖ 64-byte signature)``
whose key ID is SHA-256(name ‖ "\\n" ‖ 0x04 ‖ public key)[:4]. The witness's vkey has signature type 0x04.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Iterable
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from ledger.merkle import HASH_SIZE
from ledger.note import (
    MAX_NOTE_BYTES,
    SIG_PREFIX,
    NoteError,
    key_id,
    parse_signature_line,
    parse_vkey,
    split_note,
)

__all__ = [
    "COSIGNATURE_ALG",
    "MAX_PROOF_LINES",
    "MAX_REQUEST_BYTES",
    "MAX_TIMESTAMP",
    "AddCheckpoint",
    "Cosignature",
    "CosignatureVerifier",
    "Cosigner",
    "WitnessReport",
    "check_witnesses",
    "cosigned_message",
    "parse_add_checkpoint",
    "parse_cosignature_lines",
]

COSIGNATURE_ALG = 0x04
MAX_TIMESTAMP = (1 << 63) - 1
MAX_PROOF_LINES = 63
MAX_REQUEST_BYTES = 64 * 1024
_HEADER = "cosignature/v1\n"
_SIGNATURE_BYTES = 4 + 8 + 64
_DECIMAL = re.compile(r"0|[1-9][0-9]{0,18}")


def cosigned_message(checkpoint_text: str, timestamp: int) -> bytes:
    """The bytes a cosignature/v1 signs: header line, time line, then the note text including its final newline."""
    if not 0 <= timestamp <= MAX_TIMESTAMP:
        raise NoteError("cosignature timestamp must be between 0 and 2^63-1")
    if not checkpoint_text.endswith("\n"):
        raise NoteError("note text must end with a newline")
    return f"{_HEADER}time {timestamp}\n{checkpoint_text}".encode()


@dataclass(frozen=True)
class Cosignature:
    name: str
    key_id: bytes
    timestamp: int
    signature: bytes

    def line(self) -> str:
        raw = self.key_id + self.timestamp.to_bytes(8, "big") + self.signature
        return f"{SIG_PREFIX}{self.name} {base64.b64encode(raw).decode('ascii')}\n"


class CosignatureVerifier:
    """A witness's public key: checks the cosignature/v1 lines it made."""

    __slots__ = ("_public", "key_id", "name", "public_bytes")

    def __init__(self, name: str, public_key: Ed25519PublicKey) -> None:
        self.name = name
        self._public = public_key
        self.public_bytes = public_key.public_bytes(Encoding.Raw, PublicFormat.Raw)
        self.key_id = key_id(name, self.public_bytes, COSIGNATURE_ALG)

    @classmethod
    def from_vkey(cls, vkey: str) -> CosignatureVerifier:
        name, public = parse_vkey(vkey, COSIGNATURE_ALG)
        return cls(name, Ed25519PublicKey.from_public_bytes(public))

    @property
    def vkey(self) -> str:
        encoded = base64.b64encode(bytes([COSIGNATURE_ALG]) + self.public_bytes).decode("ascii")
        return f"{self.name}+{self.key_id.hex()}+{encoded}"

    def claims(self, name: str, raw: bytes) -> bool:
        """Whether a signature line's name and key ID are this witness's (only then is it checked)."""
        return name == self.name and raw[:4] == self.key_id

    def verify(self, checkpoint_text: str, raw: bytes) -> Cosignature | None:
        """The cosignature ``raw`` (key ID ‖ timestamp ‖ signature) holds over the text, or None if it does not."""
        if len(raw) != _SIGNATURE_BYTES or raw[:4] != self.key_id:
            return None
        timestamp = int.from_bytes(raw[4:12], "big")
        if timestamp > MAX_TIMESTAMP:
            return None
        try:
            self._public.verify(raw[12:], cosigned_message(checkpoint_text, timestamp))
        except InvalidSignature:
            return None
        return Cosignature(self.name, self.key_id, timestamp, raw[12:])


class Cosigner(CosignatureVerifier):
    """A witness's signing key."""

    __slots__ = ("_private",)

    def __init__(self, name: str, private_key: Ed25519PrivateKey) -> None:
        super().__init__(name, private_key.public_key())
        self._private = private_key

    def cosign(self, checkpoint_text: str, timestamp: int) -> Cosignature:
        signature = self._private.sign(cosigned_message(checkpoint_text, timestamp))
        return Cosignature(self.name, self.key_id, timestamp, signature)


def parse_cosignature_lines(body: str) -> list[tuple[str, bytes]]:
    """The (name, raw) pairs of an add-checkpoint answer: one or more signature lines, each ending in a newline."""
    if len(body) > MAX_NOTE_BYTES or not body.endswith("\n"):
        raise NoteError("cosignature lines must end with a newline and stay under the note size limit")
    return [parse_signature_line(line) for line in body[:-1].split("\n")]


@dataclass(frozen=True)
class WitnessReport:
    """Which of the witnesses asked about cosigned a note's text, and which put a line on it that does not verify."""

    cosigned: tuple[Cosignature, ...]
    failed: tuple[str, ...]

    def names(self) -> list[str]:
        return [c.name for c in self.cosigned]

    def satisfies(self, k: int) -> bool:
        return not self.failed and len(self.cosigned) >= k


def check_witnesses(note: str, witnesses: Iterable[CosignatureVerifier]) -> WitnessReport:
    """Check a signed note's cosignatures against known witnesses, each counted once; lines of others are ignored.

    A line that names a known witness and its key ID but does not verify is reported as failed, never skipped.
    """
    text, lines = split_note(note)
    known = list(witnesses)
    cosigned: dict[str, Cosignature] = {}
    failed: list[str] = []
    for line in lines:
        name, raw = parse_signature_line(line)
        for witness in known:
            if not witness.claims(name, raw):
                continue
            found = witness.verify(text, raw)
            if found is None:
                failed.append(name)
            else:
                cosigned.setdefault(witness.vkey, found)
    return WitnessReport(tuple(cosigned.values()), tuple(dict.fromkeys(failed)))


# --- add-checkpoint request bodies -------------------------------------------------------------------------------


@dataclass(frozen=True)
class AddCheckpoint:
    old_size: int
    proof: tuple[bytes, ...]
    note: str

    def body(self) -> bytes:
        if len(self.proof) > MAX_PROOF_LINES or any(len(h) != HASH_SIZE for h in self.proof):
            raise NoteError(f"a consistency proof has at most {MAX_PROOF_LINES} hashes of {HASH_SIZE} bytes")
        lines = [f"old {self.old_size}", *(base64.b64encode(h).decode("ascii") for h in self.proof)]
        return ("\n".join(lines) + "\n\n" + self.note).encode()


def parse_add_checkpoint(body: bytes) -> AddCheckpoint:
    """Parse an add-checkpoint body; ``NoteError`` (400 Bad Request) for anything not in the protocol's form.

    The signed note is only split here; whose signatures count is the witness's business.
    """
    if len(body) > MAX_REQUEST_BYTES:
        raise NoteError(f"request body is larger than {MAX_REQUEST_BYTES} bytes")
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise NoteError("request body is not UTF-8") from None
    head, sep, note = text.partition("\n\n")
    if not sep:
        raise NoteError("request body needs an old size line, proof lines, an empty line, then the checkpoint")
    lines = head.split("\n")
    old = lines[0]
    if not old.startswith("old ") or not _DECIMAL.fullmatch(old[4:]) or int(old[4:]) >= 1 << 63:
        raise NoteError("the first line must be 'old <size>' in decimal without leading zeroes")
    if len(lines) - 1 > MAX_PROOF_LINES:
        raise NoteError(f"a consistency proof has at most {MAX_PROOF_LINES} lines")
    proof = tuple(_hash_line(line) for line in lines[1:])
    split_note(note)
    return AddCheckpoint(int(old[4:]), proof, note)


def _hash_line(line: str) -> bytes:
    try:
        raw = base64.b64decode(line.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError):
        raise NoteError("a consistency proof line is not base64") from None
    if len(raw) != HASH_SIZE or base64.b64encode(raw).decode("ascii") != line:
        raise NoteError(f"a consistency proof line must be one {HASH_SIZE}-byte hash in base64")
    return raw
