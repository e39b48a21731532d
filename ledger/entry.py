"""The public half of a ledger entry and the commitment that binds it to its private body.

Public entry: ``{"actor", "commitment", "kind", "seq", "time"}``; commitment =
SHA-256(salt ‖ JCS(body)) with a fresh 32-byte salt. Every field of a public entry is confined
to characters JSON never escapes, so its JCS form is a fixed template; the tests check the
template against the reference encoder.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
from dataclasses import dataclass
from typing import Any

from ledger.canonical import canonical_bytes
from ledger.merkle import leaf_hash

__all__ = ["EntryError", "PublicEntry", "commitment", "parse_public_entry", "public_bytes", "valid_names"]

SALT_SIZE = 32
KIND = re.compile(r"[a-z][a-z_]*(?:\.[a-z][a-z_]*)+")
ACTOR = re.compile(r"[a-z0-9][a-z0-9._:/-]{0,127}")
TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d{1,6})?Z")
_TEMPLATE = '{"actor":"%s","commitment":"%s","kind":"%s","seq":%d,"time":"%s"}'
_MAX_SEQ = 2**53 - 1


def public_bytes(seq: int, kind: str, time: str, actor: str, commitment: bytes) -> bytes:
    """JCS bytes of a public entry whose fields are already known to be valid."""
    encoded = base64.b64encode(commitment).decode("ascii")
    return (_TEMPLATE % (actor, encoded, kind, seq, time)).encode("ascii")


def valid_names(kind: str, actor: str) -> bool:
    return KIND.fullmatch(kind) is not None and ACTOR.fullmatch(actor) is not None


class EntryError(ValueError):
    """A public entry or body that does not follow the ledger's entry format."""


def commitment(salt: bytes, body: Any) -> bytes:
    """SHA-256(salt ‖ JCS(body)); ``body`` may be the value or its canonical bytes."""
    if len(salt) != SALT_SIZE:
        raise EntryError(f"salt must be {SALT_SIZE} bytes")
    data = body if isinstance(body, bytes) else canonical_bytes(body)
    return hashlib.sha256(salt + data).digest()


@dataclass(frozen=True, slots=True)
class PublicEntry:
    seq: int
    kind: str
    time: str
    actor: str
    commitment: bytes

    def __post_init__(self) -> None:
        if type(self.seq) is not int or not 0 <= self.seq <= _MAX_SEQ:
            raise EntryError("seq must be a non-negative integer")
        if not KIND.fullmatch(self.kind):
            raise EntryError(f"kind {self.kind!r} is not a dotted lower-case name")
        if not TIME.fullmatch(self.time):
            raise EntryError(f"time {self.time!r} is not an RFC 3339 UTC timestamp")
        if not ACTOR.fullmatch(self.actor):
            raise EntryError(f"actor {self.actor!r} is not a lower-case identifier")
        if len(self.commitment) != 32:
            raise EntryError("commitment must be 32 bytes")

    def canonical(self) -> bytes:
        return public_bytes(self.seq, self.kind, self.time, self.actor, self.commitment)

    def leaf_hash(self) -> bytes:
        return leaf_hash(self.canonical())

    def to_json(self) -> dict[str, Any]:
        return {
            "seq": self.seq,
            "kind": self.kind,
            "time": self.time,
            "actor": self.actor,
            "commitment": base64.b64encode(self.commitment).decode("ascii"),
        }


def parse_public_entry(data: bytes | dict[str, Any]) -> PublicEntry:
    """Read a public entry from JSON bytes or a decoded object, rejecting extra or missing fields."""
    if isinstance(data, bytes):
        try:
            data = json.loads(data)
        except ValueError as exc:
            raise EntryError("public entry is not JSON") from exc
    if not isinstance(data, dict) or set(data) != {"seq", "kind", "time", "actor", "commitment"}:
        raise EntryError("public entry must have exactly seq, kind, time, actor, commitment")
    for field in ("kind", "time", "actor", "commitment"):
        if not isinstance(data[field], str):
            raise EntryError(f"{field} must be a string")
    try:
        raw = base64.b64decode(data["commitment"], validate=True)
    except binascii.Error as exc:
        raise EntryError("commitment is not base64") from exc
    return PublicEntry(data["seq"], data["kind"], data["time"], data["actor"], raw)
