"""Sealing learners' personal data: a per-learner AES-256-GCM data key wrapped by the bank's master key.

The master key lives in the instance folder, sealed with a key derived (scrypt) from the
passphrase in the environment. From it come the key-wrapping key and, by HKDF, the HMAC key that
turns national ID numbers into match digests; so the number itself is never stored.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import os
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

from creditbank.errors import ConfigurationError
from ledger.canonical import canonical_bytes

log = logging.getLogger(__name__)

MASTER_KEY = "master-key.json"
_NONCE = 12
_SCRYPT = {"n": 2**15, "r": 8, "p": 1}


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _kek(passphrase: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    return Scrypt(salt=salt, length=32, n=n, r=r, p=p).derive(passphrase.encode("utf-8"))


def create_master_key(path: Path, passphrase: str | None) -> bytes:
    if path.exists():
        raise ConfigurationError(f"{path} already exists; refusing to replace the master key")
    key = os.urandom(32)
    if passphrase:
        salt, nonce = os.urandom(16), os.urandom(_NONCE)
        sealed = AESGCM(_kek(passphrase, salt, **_SCRYPT)).encrypt(nonce, key, b"creditbank master key")
        document: dict[str, Any] = {"kdf": "scrypt", **_SCRYPT, "salt": _b64(salt), "nonce": _b64(nonce)}
        document["sealed"] = _b64(sealed)
    else:
        log.warning(
            "CREDITBANK_KEY_PASSPHRASE is not set: the master key %s is stored UNENCRYPTED. "
            "Acceptable for development only; set a passphrase in production.",
            path,
        )
        document = {"kdf": "none", "key": _b64(key)}
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        json.dump(document, handle)
    return key


def load_master_key(path: Path, passphrase: str | None) -> bytes:
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ConfigurationError(f"master key {path} not found: run `creditbank keys init`") from exc
    except ValueError as exc:
        raise ConfigurationError(f"master key {path} is damaged") from exc
    if document.get("kdf") == "none":
        return base64.b64decode(document["key"])
    if not passphrase:
        raise ConfigurationError(f"{path} is encrypted: set CREDITBANK_KEY_PASSPHRASE (or _FILE)")
    try:
        kek = _kek(passphrase, base64.b64decode(document["salt"]), document["n"], document["r"], document["p"])
        nonce, sealed = base64.b64decode(document["nonce"]), base64.b64decode(document["sealed"])
        return AESGCM(kek).decrypt(nonce, sealed, b"creditbank master key")
    except (InvalidTag, KeyError, ValueError) as exc:
        raise ConfigurationError(f"cannot open {path}: wrong passphrase or damaged file") from exc


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
