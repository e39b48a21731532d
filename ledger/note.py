"""C2SP signed notes with Ed25519 keys, and C2SP tlog-checkpoint bodies.

A signed note is ``text`` (ending in a newline), a blank line, then one line per signature:
``— <key name> <base64(4-byte key ID ‖ signature)>``. The key ID of an Ed25519 key is the first four
bytes of SHA-256(name ‖ "\\n" ‖ 0x01 ‖ public key); its verifier key is written
``<name>+<hex key ID>+<base64(0x01 ‖ public key)>``.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

__all__ = [
    "Checkpoint",
    "NoteError",
    "NoteSigner",
    "NoteVerifier",
    "Signature",
    "SignedNote",
    "key_id",
    "open_note",
    "parse_checkpoint",
    "parse_signature_line",
    "parse_vkey",
    "sign_note",
    "split_note",
]

ED25519_ALG = 0x01
SIG_PREFIX = "\u2014 "
_MAX_SIGNATURES = 100
# A checkpoint with a hundred Ed25519 signatures is under 15 KiB; anything past this bound is refused unread.
MAX_NOTE_BYTES = 32 * 1024
_NAME = re.compile(r"[^\s+]+")
_DECIMAL = re.compile(r"0|[1-9][0-9]{0,19}")


class NoteError(ValueError):
    """A note, checkpoint or key string that does not follow its format, or fails verification."""


def _b64decode(text: str, what: str) -> bytes:
    try:
        return base64.b64decode(text.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError) as exc:
        raise NoteError(f"{what} is not valid base64") from exc


def _check_name(name: str) -> None:
    if not _NAME.fullmatch(name):
        raise NoteError(f"key name {name!r} must be non-empty without spaces or '+'")


def key_id(name: str, public_key: bytes, alg: int = ED25519_ALG) -> bytes:
    """SHA-256(name ‖ "\\n" ‖ signature type ‖ public key)[:4], the key ID every C2SP note signature type shares."""
    _check_name(name)
    return hashlib.sha256(name.encode("utf-8") + b"\n" + bytes([alg]) + public_key).digest()[:4]


def parse_vkey(vkey: str, alg: int) -> tuple[str, bytes]:
    """The name and 32-byte public key of a vkey ``<name>+<hex key ID>+<base64(alg ‖ key)>`` of signature type
    ``alg``, its key ID checked against both."""
    parts = vkey.strip().split("+", 2)
    if len(parts) != 3:
        raise NoteError("verifier key must be <name>+<hex key ID>+<base64 key>")
    name, hex_id, encoded = parts
    _check_name(name)
    raw = _b64decode(encoded, "verifier key")
    if len(raw) != 33 or raw[0] != alg:
        raise NoteError(f"verifier key is not of signature type 0x{alg:02x} with a 32-byte key")
    if len(hex_id) != 8 or hex_id.lower() != key_id(name, raw[1:], alg).hex():
        raise NoteError("verifier key ID does not match its name and key")
    return name, raw[1:]


class NoteVerifier:
    """Checks signatures made by one named Ed25519 key."""

    __slots__ = ("_public", "key_id", "name", "public_bytes")

    def __init__(self, name: str, public_key: Ed25519PublicKey) -> None:
        self.name = name
        self._public = public_key
        self.public_bytes = public_key.public_bytes(Encoding.Raw, PublicFormat.Raw)
        self.key_id = key_id(name, self.public_bytes)

    @classmethod
    def from_vkey(cls, vkey: str) -> NoteVerifier:
        name, public = parse_vkey(vkey, ED25519_ALG)
        return cls(name, Ed25519PublicKey.from_public_bytes(public))

    @property
    def vkey(self) -> str:
        encoded = base64.b64encode(bytes([ED25519_ALG]) + self.public_bytes).decode("ascii")
        return f"{self.name}+{self.key_id.hex()}+{encoded}"

    def verify(self, message: bytes, signature: bytes) -> bool:
        try:
            self._public.verify(signature, message)
        except InvalidSignature:
            return False
        return True


class NoteSigner(NoteVerifier):
    """A named Ed25519 key that signs notes."""

    __slots__ = ("_private",)

    def __init__(self, name: str, private_key: Ed25519PrivateKey) -> None:
        _check_name(name)
        super().__init__(name, private_key.public_key())
        self._private = private_key

    def sign(self, message: bytes) -> bytes:
        return self._private.sign(message)


@dataclass(frozen=True)
class Signature:
    name: str
    key_id: bytes
    signature: bytes

    def line(self) -> str:
        encoded = base64.b64encode(self.key_id + self.signature).decode("ascii")
        return f"{SIG_PREFIX}{self.name} {encoded}\n"


@dataclass(frozen=True)
class SignedNote:
    text: str
    signatures: tuple[Signature, ...]

    def __str__(self) -> str:
        return self.text + "\n" + "".join(sig.line() for sig in self.signatures)


def _check_text(text: str) -> None:
    if not text.endswith("\n"):
        raise NoteError("note text must end with a newline")
    if any(ch < " " and ch != "\n" for ch in text):
        raise NoteError("note text must not contain control characters")


def sign_note(text: str, signers: Sequence[NoteSigner]) -> SignedNote:
    _check_text(text)
    message = text.encode("utf-8")
    sigs = tuple(Signature(s.name, s.key_id, s.sign(message)) for s in signers)
    return SignedNote(text, sigs)


def split_note(note: str) -> tuple[str, list[str]]:
    """A signed note's text (with its final newline) and its signature lines (without theirs), the lines checked
    only for count; the text is what was signed."""
    if len(note) > MAX_NOTE_BYTES or len(note.encode("utf-8")) > MAX_NOTE_BYTES:
        raise NoteError(f"signed note is larger than {MAX_NOTE_BYTES} bytes")
    split = note.rfind("\n\n")
    if split < 0 or not note.endswith("\n"):
        raise NoteError("signed note must be text, a blank line, then signature lines")
    text, sig_block = note[: split + 1], note[split + 2 :]
    _check_text(text)
    lines = sig_block[:-1].split("\n")
    if not sig_block or len(lines) > _MAX_SIGNATURES:
        raise NoteError("signed note has no signature lines or too many")
    return text, lines


def parse_signature_line(line: str) -> tuple[str, bytes]:
    """The key name and the decoded ``key ID ‖ signature`` bytes of one signature line (no newline)."""
    if not line.startswith(SIG_PREFIX):
        raise NoteError("malformed signature line")
    name, sep, encoded = line[len(SIG_PREFIX) :].partition(" ")
    if not sep:
        raise NoteError("malformed signature line")
    _check_name(name)
    raw = _b64decode(encoded, "signature")
    if len(raw) < 5:
        raise NoteError("signature too short")
    return name, raw


def open_note(note: str, verifiers: Iterable[NoteVerifier]) -> SignedNote:
    """Parse a signed note and return it with only the signatures verified by a known key.

    Fails unless at least one known key signed it; signatures by unknown keys are ignored, as the
    format requires, but a signature claiming a known key that does not verify is an error.
    """
    text, lines = split_note(note)
    known = {(v.name, v.key_id): v for v in verifiers}
    message = text.encode("utf-8")
    verified: list[Signature] = []
    for line in lines:
        name, raw = parse_signature_line(line)
        verifier = known.get((name, raw[:4]))
        if verifier is None:
            continue
        if not verifier.verify(message, raw[4:]):
            raise NoteError(f"signature by {name} does not verify")
        verified.append(Signature(name, raw[:4], raw[4:]))
    if not verified:
        raise NoteError("no signature by a known key")
    return SignedNote(text, tuple(verified))


@dataclass(frozen=True)
class Checkpoint:
    """A C2SP tlog-checkpoint body: origin, tree size, root hash, optional extension lines."""

    origin: str
    size: int
    root: bytes
    extensions: tuple[str, ...] = ()

    def text(self) -> str:
        root = base64.b64encode(self.root).decode("ascii")
        lines = [self.origin, str(self.size), root, *self.extensions]
        return "\n".join(lines) + "\n"


def parse_checkpoint(text: str) -> Checkpoint:
    _check_text(text)
    lines = text[:-1].split("\n")
    if len(lines) < 3:
        raise NoteError("checkpoint needs origin, tree size and root hash lines")
    origin, size, root, *extensions = lines
    if not origin:
        raise NoteError("checkpoint origin is empty")
    if not _DECIMAL.fullmatch(size) or int(size) >= 1 << 63:
        raise NoteError("checkpoint tree size is not a decimal number")
    raw_root = _b64decode(root, "checkpoint root hash")
    if len(raw_root) != 32:
        raise NoteError("checkpoint root hash is not 32 bytes")
    if any(not line for line in extensions):
        raise NoteError("checkpoint extension lines must not be empty")
    return Checkpoint(origin, int(size), raw_root, tuple(extensions))
