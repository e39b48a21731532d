"""Multibase base58btc and the Ed25519 Multikey encoding used by did:key, did:web documents and proof values."""

from __future__ import annotations

_ALPHABET = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_INDEX = {char: value for value, char in enumerate(_ALPHABET)}
# Multicodec prefixes (unsigned varints) that say "this is an Ed25519 public / private key".
_ED25519_PUB = b"\xed\x01"
_ED25519_PRIV = b"\x80\x26"


class MultibaseError(ValueError):
    pass


def b58encode(data: bytes) -> str:
    number = int.from_bytes(data, "big")
    digits: list[str] = []
    while number:
        number, remainder = divmod(number, 58)
        digits.append(_ALPHABET[remainder])
    # Leading zero bytes carry no numeric value, so base58 spells each one as a "1".
    zeros = len(data) - len(data.lstrip(b"\0"))
    return "1" * zeros + "".join(reversed(digits))


def b58decode(text: str) -> bytes:
    number = 0
    for char in text:
        value = _INDEX.get(char)
        if value is None:
            raise MultibaseError(f"{char!r} is not a base58btc character")
        number = number * 58 + value
    zeros = len(text) - len(text.lstrip("1"))
    body = number.to_bytes((number.bit_length() + 7) // 8, "big") if number else b""
    return b"\0" * zeros + body


def encode_z(data: bytes) -> str:
    return "z" + b58encode(data)


def decode_z(text: str) -> bytes:
    if not text.startswith("z"):
        raise MultibaseError("expected a base58btc multibase value (starting with 'z')")
    return b58decode(text[1:])


def public_multikey(raw: bytes) -> str:
    if len(raw) != 32:
        raise MultibaseError("an Ed25519 public key is 32 bytes")
    return encode_z(_ED25519_PUB + raw)


def private_multikey(raw: bytes) -> str:
    if len(raw) != 32:
        raise MultibaseError("an Ed25519 private key is 32 bytes")
    return encode_z(_ED25519_PRIV + raw)


def public_key_bytes(multikey: str) -> bytes:
    data = decode_z(multikey)
    if len(data) != 34 or not data.startswith(_ED25519_PUB):
        raise MultibaseError("not an Ed25519 Multikey public key")
    return data[2:]


def private_key_bytes(multikey: str) -> bytes:
    data = decode_z(multikey)
    if len(data) != 34 or not data.startswith(_ED25519_PRIV):
        raise MultibaseError("not an Ed25519 Multikey secret key")
    return data[2:]
