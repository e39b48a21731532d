"""Ed25519 keys kept in the instance folder, encrypted with the passphrase from the environment."""

from __future__ import annotations

import logging
import os
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import (
    BestAvailableEncryption,
    Encoding,
    NoEncryption,
    PrivateFormat,
    load_pem_private_key,
)

from creditbank.errors import ConfigurationError

log = logging.getLogger(__name__)

LOG_KEY = "log-ed25519.pem"


def key_path(instance_path: str | Path, name: str) -> Path:
    return Path(instance_path) / "keys" / name


def create_key(path: Path, passphrase: str | None) -> Ed25519PrivateKey:
    key = Ed25519PrivateKey.generate()
    write_key(path, key, passphrase)
    return key


def write_key(path: Path, key: Ed25519PrivateKey, passphrase: str | None) -> None:
    if path.exists():
        raise ConfigurationError(f"{path} already exists; refusing to replace a signing key")
    encryption = BestAvailableEncryption(passphrase.encode()) if passphrase else NoEncryption()
    if not passphrase:
        log.warning(
            "CREDITBANK_KEY_PASSPHRASE is not set: %s is stored UNENCRYPTED. "
            "Acceptable for development only; set a passphrase in production.",
            path,
        )
    pem = key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, encryption)
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(pem)


def load_key(path: Path, passphrase: str | None) -> Ed25519PrivateKey:
    try:
        data = path.read_bytes()
    except FileNotFoundError as exc:
        raise ConfigurationError(f"signing key {path} not found: run `creditbank keys init`") from exc
    try:
        key = load_pem_private_key(data, passphrase.encode() if passphrase else None)
    except TypeError as exc:
        raise ConfigurationError(
            f"{path} is encrypted: set CREDITBANK_KEY_PASSPHRASE (or CREDITBANK_KEY_PASSPHRASE_FILE)"
        ) from exc
    except ValueError as exc:
        raise ConfigurationError(f"cannot decrypt {path}: wrong passphrase or damaged file") from exc
    if not isinstance(key, Ed25519PrivateKey):
        raise ConfigurationError(f"{path} is not an Ed25519 key")
    return key


def load_or_create(path: Path, passphrase: str | None) -> Ed25519PrivateKey:
    if path.exists():
        return load_key(path, passphrase)
    return create_key(path, passphrase)
