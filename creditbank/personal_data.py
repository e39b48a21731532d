"""Sealing learners' personal data: a per-learner AES-256-GCM data key wrapped by the bank's master key.

The master key lives in the instance folder, sealed with a key derived (scrypt) from the
passphrase in the environment. From it come the key-wrapping key and, by HKDF, the HMAC key that
turns national ID numbers into match digests; so the number itself is never stored.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from creditbank import keys
from creditbank.errors import ConfigurationError
from ledger.canonical import canonical_bytes

MASTER_KEY = "master-key.json"
MASTER_PURPOSE = "master key"
_NONCE = 12


def create_master_key(path: Path, passphrase: str | None) -> bytes:
    """A new master key, sealed in ``path`` like every other key file (``creditbank.keys``)."""
    if path.exists():
        raise ConfigurationError(f"{path} already exists; refusing to replace the master key")
    key = os.urandom(32)
    keys.write_sealed(path, key, passphrase, MASTER_PURPOSE)
    return key


def load_master_key(path: Path, passphrase: str | None) -> bytes:
    try:
        return keys.read_sealed(path, passphrase, MASTER_PURPOSE).secret
    except ConfigurationError as exc:
        if not path.exists():
            raise ConfigurationError(f"master key {path} not found: run `creditbank keys init`") from exc
        raise


def normalize_national_id(country: str, number: str) -> str:
    """The form ID numbers are matched in: NFKC, upper case, without spaces, hyphens and dots."""
    folded = unicodedata.normalize("NFKC", number).upper()
    # NFKC keeps Arabic-Indic and other decimal digits as they are; the same number must match however it is written.
    digits = "".join(str(unicodedata.digit(ch)) if ch.isdecimal() else ch for ch in folded if ch not in " -./")
    return f"{country.upper()}:{digits}"


def cn_resident_id_valid(number: str) -> bool:
    """GB 11643 check character (ISO 7064 MOD 11-2) of an 18-character resident identity number."""
    if len(number) != 18 or not number[:17].isdigit():
        return False
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    total = sum(int(d) * w for d, w in zip(number[:17], weights, strict=True))
    return "10X98765432"[total % 11] == number[17]


@dataclass(frozen=True)
class Sealed:
    wrapped_key: bytes
    sealed: bytes


class Vault:
    """Seals and opens personal data for one bank; holds the master key in memory only."""

    def __init__(self, master_key: bytes) -> None:
        self._wrap = AESGCM(master_key)
        self._match_key = HKDF(
            algorithm=hashes.SHA256(), length=32, salt=None, info=b"creditbank national-id match v1"
        ).derive(master_key)

    def id_digest(self, normalized_id: str) -> bytes:
        return hmac.new(self._match_key, normalized_id.encode("utf-8"), hashlib.sha256).digest()

    def seal(self, learner_id: str, personal: dict[str, Any]) -> Sealed:
        data_key = AESGCM.generate_key(bit_length=256)
        aad = learner_id.encode("ascii")
        key_nonce, data_nonce = os.urandom(_NONCE), os.urandom(_NONCE)
        wrapped = key_nonce + self._wrap.encrypt(key_nonce, data_key, aad)
        sealed = data_nonce + AESGCM(data_key).encrypt(data_nonce, canonical_bytes(personal), aad)
        return Sealed(wrapped, sealed)

    def open(self, learner_id: str, stored: Sealed) -> dict[str, Any]:
        aad = learner_id.encode("ascii")
        try:
            data_key = self._wrap.decrypt(stored.wrapped_key[:_NONCE], stored.wrapped_key[_NONCE:], aad)
            plain = AESGCM(data_key).decrypt(stored.sealed[:_NONCE], stored.sealed[_NONCE:], aad)
        except InvalidTag as exc:
            raise ConfigurationError(f"personal data of {learner_id} does not open with this master key") from exc
        result: dict[str, Any] = json.loads(plain)
        return result
