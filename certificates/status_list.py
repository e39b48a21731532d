"""Bitstring Status List (W3C VC Bitstring Status List v1.0): revocation and suspension flags for issued credentials.

Each credential is given a position in a large bitstring that the issuer publishes as a credential of its own;
setting that bit revokes (or suspends) it. Verifiers fetch the whole list, and the list has a minimum size, so that
whoever serves it learns only that some credential among many is being checked, not which one.
"""

from __future__ import annotations

import base64
import binascii
import gzip
import re
import zlib
from typing import Any

MIN_BITS = 131_072  # 16 KiB: the group-privacy floor the specification sets
PURPOSES = ("revocation", "suspension")
VC_V2 = "https://www.w3.org/ns/credentials/v2"

_BASE64URL = re.compile(r"[A-Za-z0-9_-]*")
_CHUNK = 64 * 1024
# wbits for zlib meaning "a gzip header and trailer, not a zlib or raw deflate stream".
_GZIP_ONLY = 16 + zlib.MAX_WBITS


class StatusListError(ValueError):
    """An encodedList that cannot be a valid status list."""


class StatusBits:
    """A fixed-size bitstring in which index 0 is the most significant bit of the first byte."""

    __slots__ = ("_bytes",)

    def __init__(self, size: int = MIN_BITS) -> None:
        if isinstance(size, bool) or not isinstance(size, int):
            raise TypeError("size must be an int")
        if size < MIN_BITS or size % 8:
            raise ValueError(f"a status list needs a multiple of 8 bits and at least {MIN_BITS}, not {size}")
        self._bytes = bytearray(size // 8)

    @classmethod
    def from_bytes(cls, data: bytes) -> StatusBits:
        bits = cls(len(data) * 8)
        bits._bytes[:] = data
        return bits

    @property
    def size(self) -> int:
        return len(self._bytes) * 8

    def to_bytes(self) -> bytes:
        return bytes(self._bytes)

    def _locate(self, index: int) -> tuple[int, int]:
        if isinstance(index, bool) or not isinstance(index, int):
            raise TypeError("a status list index must be an int")
        # Python's negative indexing would silently flip a bit at the far end, which belongs to another credential.
        if not 0 <= index < self.size:
            raise IndexError(f"status list index {index} is outside 0..{self.size - 1}")
        byte, offset = divmod(index, 8)
        return byte, 0x80 >> offset

    def get(self, index: int) -> bool:
        byte, mask = self._locate(index)
        return bool(self._bytes[byte] & mask)

    def set(self, index: int, value: bool) -> None:
        byte, mask = self._locate(index)
        if value:
            self._bytes[byte] |= mask
        else:
            self._bytes[byte] &= ~mask & 0xFF

    def ones(self) -> list[int]:
        found: list[int] = []
        for byte, octet in enumerate(self._bytes):
            if octet:
                found.extend(byte * 8 + offset for offset in range(8) if octet & (0x80 >> offset))
        return found

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, StatusBits):
            return NotImplemented
        return self._bytes == other._bytes

    __hash__ = None  # type: ignore[assignment]  # mutable, so unhashable like bytearray

    def __repr__(self) -> str:
        return f"StatusBits(size={self.size}, ones={len(self.ones())})"

    def encode(self) -> str:
        """The specification's encodedList: multibase "u" + unpadded base64url of the GZIP-compressed bytes."""
        # A fixed mtime keeps the output a function of the bits alone, so republishing an unchanged list is a no-op.
        compressed = gzip.compress(bytes(self._bytes), mtime=0)
        return "u" + base64.urlsafe_b64encode(compressed).rstrip(b"=").decode("ascii")

    @classmethod
    def decode(cls, encoded: str, max_bytes: int = 16 * 1024 * 1024) -> StatusBits:
        """Parse an encodedList published by anyone, refusing what is malformed or would expand without bound."""
        if not isinstance(encoded, str):
            raise StatusListError("an encodedList must be a string")
        # Unprefixed base64 of a gzip stream always starts "H4sI" (the gzip magic), so a leading "u" can only be the
        # multibase prefix; lists from older StatusList2021 issuers sometimes omit it.
        text = encoded.removeprefix("u").rstrip("=")
        if not text or not _BASE64URL.fullmatch(text) or len(text) % 4 == 1:
            raise StatusListError("the encodedList is not base64url (multibase 'u') text")
        try:
            compressed = base64.b64decode(text + "=" * (-len(text) % 4), altchars=b"-_", validate=True)
        except (binascii.Error, ValueError) as exc:
            raise StatusListError(f"the encodedList is not valid base64url: {exc}") from None
        data = _gunzip(compressed, max_bytes)
        if len(data) * 8 < MIN_BITS:
            raise StatusListError(f"the status list has {len(data) * 8} bits; at least {MIN_BITS} are required")
        return cls.from_bytes(data)


def _gunzip(compressed: bytes, max_bytes: int) -> bytes:
    # Inflate a bounded piece at a time: a few hundred kilobytes of gzip can claim gigabytes, and the limit has to
    # bite before that memory is allocated, not after.
    inflater = zlib.decompressobj(_GZIP_ONLY)
    out = bytearray()
    pending = compressed
    try:
        while not inflater.eof:
            piece = inflater.decompress(pending, _CHUNK)
            if not piece and len(inflater.unconsumed_tail) == len(pending):
                break  # no progress: the input ended before the gzip stream did
            pending = inflater.unconsumed_tail
            out += piece
            if len(out) > max_bytes:
                raise StatusListError(f"the status list inflates to more than {max_bytes} bytes")
    except zlib.error as exc:
        raise StatusListError(f"the encodedList is not GZIP-compressed data: {exc}") from None
    if not inflater.eof:
        raise StatusListError("the GZIP data in the encodedList is truncated")
    if inflater.unused_data:
        raise StatusListError("the encodedList has data after the end of its GZIP stream")
    return bytes(out)


def _check_purpose(purpose: str) -> None:
    if purpose not in PURPOSES:
        raise ValueError(f"status purpose must be one of {', '.join(PURPOSES)}, not {purpose!r}")


def _check_list_url(list_url: str) -> None:
    # Both the list's subject and each entry are named by appending a fragment to this URL.
    if not isinstance(list_url, str) or not list_url or "#" in list_url:
        raise ValueError(f"a status list URL must be a non-empty URL without a fragment, not {list_url!r}")


def status_list_credential(
    list_url: str, issuer: str, purpose: str, bits: StatusBits, valid_from: str
) -> dict[str, Any]:
    """The unsigned BitstringStatusListCredential that publishes ``bits`` at ``list_url``."""
    _check_list_url(list_url)
    _check_purpose(purpose)
    return {
        "@context": [VC_V2],
        "id": list_url,
        "type": ["VerifiableCredential", "BitstringStatusListCredential"],
        "issuer": issuer,
        "validFrom": valid_from,
        "credentialSubject": {
            "id": f"{list_url}#list",
            "type": "BitstringStatusList",
            "statusPurpose": purpose,
            "encodedList": bits.encode(),
        },
    }


def status_entry(list_url: str, index: int, purpose: str) -> dict[str, Any]:
    """The credentialStatus entry that points a credential at its bit in the list at ``list_url``."""
    _check_list_url(list_url)
    _check_purpose(purpose)
    if isinstance(index, bool) or not isinstance(index, int) or index < 0:
        raise ValueError(f"a status list index must be a non-negative int, not {index!r}")
    return {
        "id": f"{list_url}#{index}",
        "type": "BitstringStatusListEntry",
        "statusPurpose": purpose,
        # The specification makes the index a string of digits, not a JSON number.
        "statusListIndex": str(index),
        "statusListCredential": list_url,
    }
