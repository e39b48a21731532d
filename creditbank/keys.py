"""Key files in the instance folder, sealed with the passphrase from the environment.

Every key file the bank writes — the log key, the credential-signing keys, the personal-data master key and the
portal's session secret — is one small JSON document::

    {"format": "creditbank-key", "version": 1, "purpose": "log key", "kdf": "scrypt", "n": 32768, "r": 8, "p": 1,
     "salt": ..., "nonce": ..., "sealed": ..., "attributes": {"origin": "credits.example.org/creditbank"}}

The secret is encrypted with AES-256-GCM under a key derived from the passphrase by scrypt (32 MiB of memory per
guess, where the PKCS#8 PEMs of earlier releases used 2,048 rounds of PBKDF2). The purpose and the attributes are
bound to the ciphertext as associated data: a log key's origin can be read without the passphrase, but a file whose
origin was edited no longer opens. Without a passphrase (development) the document holds the secret in clear,
``"kdf": "none"``, and a warning says so.

The master key of earlier releases is already this document without its first three fields, so it opens unchanged.
Ed25519 keys written as PEM by earlier releases still open (file names keep their ``.pem`` ending so that backups and
instance folders stay interchangeable between releases); ``creditbank keys reseal`` rewrites them in the sealed form.
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import os
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat, load_pem_private_key

from creditbank import files
from creditbank.errors import ConfigurationError
from ledger.canonical import canonical_bytes

log = logging.getLogger(__name__)

LOG_KEY = "log-ed25519.pem"
LOG_PURPOSE = "log key"
CREDENTIAL_PURPOSE = "credential key"
SESSION_PURPOSE = "session secret"
SESSION_SECRET_FILE = "session-secret"  # noqa: S105 - a file name, not a secret
# Earlier releases kept the portal's session secret as its 32 bytes, unsealed; a sealed document is far longer.
LEGACY_SESSION_SECRET_BYTES = 32
FORMAT = "creditbank-key"
# scrypt's cost: N=2^15, r=8 takes 32 MiB and 0.4-0.5 s per derivation on a busy 2-core machine (measured).
SCRYPT = {"n": 2**15, "r": 8, "p": 1}
_NONCE = 12
_SALT = 16
_PEM = b"-----BEGIN"


def key_path(instance_path: str | Path, name: str) -> Path:
    return Path(instance_path) / "keys" / name


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _aad(purpose: str, attributes: dict[str, str]) -> bytes:
    aad = b"creditbank " + purpose.encode("utf-8")
    return aad + b"\n" + canonical_bytes(attributes) if attributes else aad


# A derivation costs tenths of a second, and a process opens several key files, some many times (a
# credential key per issuance). The key files of one instance share their salt (``_folder_salt``), so one derivation
# per process opens them all; what was derived is kept here, keyed by the passphrase's digest, salt and cost.
_derived: dict[tuple[bytes, bytes, int, int, int], bytes] = {}
_derived_lock = threading.Lock()


def _derive(passphrase: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    memo = (hashlib.sha256(passphrase.encode("utf-8")).digest(), salt, n, r, p)
    with _derived_lock:
        if memo in _derived:
            return _derived[memo]
    kek = Scrypt(salt=salt, length=32, n=n, r=r, p=p).derive(passphrase.encode("utf-8"))
    with _derived_lock:
        _derived[memo] = kek
    return kek


def _folder_salt(folder: Path) -> bytes | None:
    """The salt of a key file already sealed at today's cost in ``folder``, for the next one to share.

    Sharing costs nothing in strength: whoever guesses the passphrase needs only one file to test a guess against,
    whatever the salts; the salt's work is to make each instance's guesses start from scratch."""
    try:
        candidates = sorted(folder.iterdir())
    except FileNotFoundError:
        return None
    for path in candidates:
        if path.name.startswith(".") or not path.is_file():
            continue  # a file still being written, or no file at all
        try:
            document = json.loads(path.read_bytes())
            sealed_alike = document.get("kdf") == "scrypt" and all(document.get(k) == v for k, v in SCRYPT.items())
            salt = base64.b64decode(document["salt"], validate=True) if sealed_alike else b""
        except (OSError, ValueError, AttributeError, KeyError, TypeError):
            continue  # a PEM, a bare secret or a damaged file: nothing to share
        if len(salt) >= _SALT:
            return salt
    return None


def seal(
    secret: bytes,
    passphrase: str | None,
    purpose: str,
    attributes: dict[str, str] | None = None,
    *,
    salt: bytes | None = None,
) -> bytes:
    """The sealed document for ``secret``, as the bytes of its file (a fresh salt unless one is given)."""
    attributes = dict(attributes or {})
    document: dict[str, Any] = {"format": FORMAT, "version": 1, "purpose": purpose}
    if passphrase:
        salt, nonce = salt or os.urandom(_SALT), os.urandom(_NONCE)
        kek = _derive(passphrase, salt, **SCRYPT)
        sealed = AESGCM(kek).encrypt(nonce, secret, _aad(purpose, attributes))
        document.update(kdf="scrypt", **SCRYPT, salt=_b64(salt), nonce=_b64(nonce), sealed=_b64(sealed))
    else:
        document.update(kdf="none", key=_b64(secret))
    if attributes:
        document["attributes"] = attributes
    return json.dumps(document, ensure_ascii=False).encode("utf-8")


@dataclass(frozen=True)
class Opened:
    secret: bytes
    attributes: dict[str, str] = field(default_factory=dict)


def _document(data: bytes, path: Path) -> dict[str, Any]:
    try:
        document = json.loads(data)
    except ValueError:
        raise ConfigurationError(f"key file {path} is damaged (not a sealed key document)") from None
    if not isinstance(document, dict):
        raise ConfigurationError(f"key file {path} is damaged (not a sealed key document)")
    return document


def is_sealed_document(data: bytes) -> bool:
    return data.lstrip().startswith(b"{")


def unseal(data: bytes, passphrase: str | None, purpose: str, path: Path) -> Opened:
    """Open a sealed document read from ``path`` (named in errors only)."""
    document = _document(data, path)
    attributes = document.get("attributes") or {}
    if not isinstance(attributes, dict) or not all(isinstance(v, str) for v in attributes.values()):
        raise ConfigurationError(f"key file {path} is damaged (bad attributes)")
    if document.get("purpose", purpose) != purpose:
        raise ConfigurationError(f"{path} holds a {document.get('purpose')}, not a {purpose}")
    try:
        if document.get("kdf") == "none":
            opened = Opened(base64.b64decode(document["key"], validate=True), attributes)
        else:
            if document.get("kdf") != "scrypt":
                raise ConfigurationError(f"key file {path} names an unknown kdf {document.get('kdf')!r}")
            if not passphrase:
                raise ConfigurationError(
                    f"{path} is encrypted: set CREDITBANK_KEY_PASSPHRASE (or CREDITBANK_KEY_PASSPHRASE_FILE)"
                )
            salt = base64.b64decode(document["salt"], validate=True)
            kek = _derive(passphrase, salt, int(document["n"]), int(document["r"]), int(document["p"]))
            nonce = base64.b64decode(document["nonce"], validate=True)
            sealed = base64.b64decode(document["sealed"], validate=True)
            opened = Opened(AESGCM(kek).decrypt(nonce, sealed, _aad(purpose, attributes)), attributes)
    except (InvalidTag, KeyError, ValueError, TypeError) as exc:
        raise ConfigurationError(f"cannot open {path}: wrong passphrase or damaged file") from exc
    return opened


def write_sealed(
    path: Path, secret: bytes, passphrase: str | None, purpose: str, attributes: dict[str, str] | None = None
) -> None:
    """Create ``path`` (never replacing a file) holding ``secret`` sealed with the passphrase; mode 0600."""
    if path.exists():
        raise ConfigurationError(f"{path} already exists; refusing to replace a key")
    if not passphrase:
        log.warning(
            "CREDITBANK_KEY_PASSPHRASE is not set: %s is stored UNENCRYPTED. "
            "Acceptable for development only; set a passphrase in production.",
            path,
        )
    try:
        sealed = seal(secret, passphrase, purpose, attributes, salt=_folder_salt(path.parent) if passphrase else None)
        files.write_private(path, sealed)
    except FileExistsError:
        raise ConfigurationError(f"{path} already exists; refusing to replace a key") from None


def read_sealed(path: Path, passphrase: str | None, purpose: str) -> Opened:
    try:
        data = path.read_bytes()
    except FileNotFoundError as exc:
        raise ConfigurationError(f"key file {path} not found: run `creditbank keys init`") from exc
    return unseal(data, passphrase, purpose, path)


def stored_attributes(path: Path) -> dict[str, str] | None:
    """The attributes a sealed key file states, read without the passphrase (they are checked when it is opened);
    None when there is no such file or it predates sealed key files."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return None
    if not is_sealed_document(data):
        return None
    attributes = _document(data, path).get("attributes") or {}
    if not isinstance(attributes, dict):
        raise ConfigurationError(f"key file {path} is damaged (bad attributes)")
    return {str(name): str(value) for name, value in attributes.items()}


def is_encrypted(data: bytes) -> bool:
    """Whether a key file's bytes need the passphrase to open."""
    if data.startswith(_PEM):
        return b"ENCRYPTED" in data.split(b"\n", 1)[0]
    try:
        return bool(json.loads(data).get("kdf") != "none")
    except (ValueError, AttributeError):
        return False


# --- Ed25519 signing keys ------------------------------------------------------------------------


def _raw(key: Ed25519PrivateKey) -> bytes:
    return key.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())


def create_key(
    path: Path, passphrase: str | None, purpose: str, attributes: dict[str, str] | None = None
) -> Ed25519PrivateKey:
    key = Ed25519PrivateKey.generate()
    write_key(path, key, passphrase, purpose, attributes)
    return key


def write_key(
    path: Path,
    key: Ed25519PrivateKey,
    passphrase: str | None,
    purpose: str,
    attributes: dict[str, str] | None = None,
) -> None:
    write_sealed(path, _raw(key), passphrase, purpose, attributes)


def _legacy_pem(path: Path, data: bytes, passphrase: str | None) -> Ed25519PrivateKey:
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


def load_key(path: Path, passphrase: str | None, purpose: str) -> Ed25519PrivateKey:
    try:
        data = path.read_bytes()
    except FileNotFoundError as exc:
        raise ConfigurationError(f"signing key {path} not found: run `creditbank keys init`") from exc
    if not is_sealed_document(data):
        return _legacy_pem(path, data, passphrase)
    secret = unseal(data, passphrase, purpose, path).secret
    try:
        return Ed25519PrivateKey.from_private_bytes(secret)
    except ValueError:
        raise ConfigurationError(f"{path} does not hold an Ed25519 key") from None


def needs_reseal(data: bytes, passphrase: str | None) -> bool:
    """Whether a key file is in a form of an earlier release (PEM, a bare session secret) or left unsealed although
    a passphrase is now set."""
    if not is_sealed_document(data):
        return True
    try:
        return bool(passphrase) and json.loads(data).get("kdf") == "none"
    except ValueError:
        return False


def _opens_with(data: bytes, passphrase: str, purpose: str, path: Path) -> bool:
    if not is_sealed_document(data) or not is_encrypted(data):
        return False
    try:
        unseal(data, passphrase, purpose, path)
    except ConfigurationError:
        return False
    return True


def reseal(
    path: Path,
    passphrase: str | None,
    purpose: str,
    attributes: dict[str, str] | None = None,
    *,
    new_passphrase: str | None = None,
) -> bool:
    """Rewrite a key file in the sealed form, in place; False if there was nothing to do.

    Without ``new_passphrase`` the file is sealed with ``passphrase`` if it is in an earlier release's form or
    unsealed. With it, a file that opens with ``passphrase`` is sealed with ``new_passphrase`` instead, and one that
    already opens with the new passphrase is left alone, so an interrupted change of passphrase can simply be run
    again. Attributes not given are kept from the file. The new file replaces the old by a rename, so a reader sees
    one or the other, and both hold the same secret.
    """
    data = path.read_bytes()
    if new_passphrase is None:
        if not needs_reseal(data, passphrase):
            return False
    elif _opens_with(data, new_passphrase, purpose, path):
        return False
    if data.startswith(_PEM):
        secret = _raw(_legacy_pem(path, data, passphrase))
    elif not is_sealed_document(data):
        secret = data  # the bare session secret of earlier releases
    else:
        opened = unseal(data, passphrase, purpose, path)
        secret = opened.secret
        attributes = opened.attributes if attributes is None else attributes
    target = passphrase if new_passphrase is None else new_passphrase
    salt = _folder_salt(path.parent) if target else None
    files.write_private(path, seal(secret, target, purpose, attributes, salt=salt), replace=True)
    return True
