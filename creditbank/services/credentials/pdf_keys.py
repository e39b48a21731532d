"""The bank's PDF signing chain: its root certificate, the document-signing certificate, their keys, rotation.

Files in the instance's ``keys/`` folder:

* ``pdf-root-ca.pem`` — the root certificate (public; published at ``/.well-known/creditbank-pdf-ca.pem`` and in
  the DID document), ``pdf-root-ca.key`` — its private key, sealed like every key file (``creditbank.keys``);
* ``pdf-signing-<UTC time>.pem`` and ``.key`` — each document-signing certificate and its sealed key; the latest
  signs, earlier ones stay for the record (what they signed verifies through the root alone).

Both certificates start at the bank's inception (the time of its first ledger entry, or the moment the chain is
made when the ledger is empty): a PDF is rendered, and signed, whenever its holder downloads it, so a certificate
issued today must be valid at the time the ledger recorded a credential issued years ago. The root lasts 30 years,
each signing certificate 10 from when it is made; rotating makes a new one, and PDFs signed by an older one keep
verifying, since the signature is judged at its signing time.

The chain is made on first use, under a file lock, so two workers starting together make one.
"""

from __future__ import annotations

import fcntl
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from certificates import pdf_signature
from creditbank import files, keys, ledger_store
from creditbank.errors import ConfigurationError
from creditbank.runtime import Bank

ROOT_CERTIFICATE = "pdf-root-ca.pem"
ROOT_KEY = "pdf-root-ca.key"
ROOT_PURPOSE = "pdf root key"
SIGNING_PURPOSE = "pdf signing key"
_SIGNING_PREFIX = "pdf-signing-"
_LOCK = "pdf-chain.lock"
ROOT_YEARS = 30
SIGNING_YEARS = 10
WELL_KNOWN_PATH = "/.well-known/creditbank-pdf-ca.pem"


@dataclass(frozen=True)
class _Chain:
    root: x509.Certificate
    root_key_path: Path


def bank_name(bank: Bank) -> pdf_signature.BankName:
    return pdf_signature.BankName(
        zh=str(bank.settings.get("CREDITBANK_NAME_ZH") or "终身学习学分银行"),
        en=str(bank.settings.get("CREDITBANK_NAME_EN") or "Lifelong Learning Credit Bank"),
        url=bank.public_url,
    )


def _folder(bank: Bank) -> Path:
    return keys.key_path(bank.instance_path, ROOT_CERTIFICATE).parent


def _passphrase(bank: Bank) -> str | None:
    passphrase = bank.settings.get("CREDITBANK_KEY_PASSPHRASE")
    return str(passphrase) if passphrase else None


@contextmanager
def _locked(bank: Bank) -> Iterator[None]:
    folder = files.private_folder(_folder(bank))
    descriptor = os.open(folder / _LOCK, os.O_RDWR | os.O_CREAT, files.FILE_MODE)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX)
        yield
    finally:
        os.close(descriptor)  # closing releases the lock


def _pkcs8(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def _pem(certificate: x509.Certificate) -> bytes:
    return certificate.public_bytes(serialization.Encoding.PEM)


def _open_key(path: Path, passphrase: str | None, purpose: str) -> ec.EllipticCurvePrivateKey:
    # creditbank.keys seals any secret; what the secret is (a P-256 key as PKCS#8 DER) is this module's business.
    secret = keys.read_sealed(path, passphrase, purpose).secret
    key = serialization.load_der_private_key(secret, password=None)
    if not isinstance(key, ec.EllipticCurvePrivateKey) or not isinstance(key.curve, ec.SECP256R1):
        raise ConfigurationError(f"{path} does not hold a P-256 key")
    return key


def _inception(bank: Bank) -> datetime:
    with bank.db.reading() as session:
        found = ledger_store.get_entry(session, 0)
    if found is None:
        return datetime.now(UTC).replace(microsecond=0)
    moment = datetime.fromisoformat(str(json.loads(found[0].public)["time"]).replace("Z", "+00:00"))
    return moment.replace(microsecond=0) if moment.tzinfo else moment.replace(tzinfo=UTC, microsecond=0)


def _years(moment: datetime, years: int) -> datetime:
    return moment + timedelta(days=365 * years + years // 4)


def _signing_files(bank: Bank) -> list[Path]:
    return sorted(_folder(bank).glob(f"{_SIGNING_PREFIX}*.pem"))


def _root(bank: Bank) -> _Chain:
    """The root, made (with a first signing certificate) if the instance has none yet; call under the lock."""
    folder = _folder(bank)
    certificate_path, key_path = folder / ROOT_CERTIFICATE, folder / ROOT_KEY
    if certificate_path.exists():
        return _Chain(x509.load_pem_x509_certificate(certificate_path.read_bytes()), key_path)
    start = _inception(bank)
    key = pdf_signature.new_key()
    root = pdf_signature.root_certificate(key, bank_name(bank), start, _years(start, ROOT_YEARS))
    # The key before the certificate: a crash in between leaves a key nobody uses, never a root nobody can sign for.
    key_path.unlink(missing_ok=True)
    keys.write_sealed(key_path, _pkcs8(key), _passphrase(bank), ROOT_PURPOSE)
    files.write_private(certificate_path, _pem(root))
    return _Chain(root, key_path)


def _issue(bank: Bank, chain: _Chain) -> Path:
    """A new document-signing certificate and key; the path of the certificate. Call under the lock."""
    root_key = _open_key(chain.root_key_path, _passphrase(bank), ROOT_PURPOSE)
    key = pdf_signature.new_key()
    now = datetime.now(UTC).replace(microsecond=0)
    certificate = pdf_signature.signing_certificate(
        root_key,
        chain.root,
        key.public_key(),
        bank_name(bank),
        chain.root.not_valid_before_utc,
        _years(now, SIGNING_YEARS),
    )
    stem = f"{_SIGNING_PREFIX}{now.strftime('%Y%m%dT%H%M%SZ')}-{certificate.serial_number % 10**6:06d}"
    path = _folder(bank) / f"{stem}.pem"
    keys.write_sealed(path.with_suffix(".key"), _pkcs8(key), _passphrase(bank), SIGNING_PURPOSE)
    files.write_private(path, _pem(certificate))
    return path


def ensure(bank: Bank) -> None:
    """Make the chain if this instance has none."""
    if (_folder(bank) / ROOT_CERTIFICATE).exists() and _signing_files(bank):
        return
    with _locked(bank):
        chain = _root(bank)
        if not _signing_files(bank):
            _issue(bank, chain)


def rotate(bank: Bank) -> x509.Certificate:
    """A new document-signing key and certificate, which signs from now on; the old ones stay valid for what they
    signed."""
    with _locked(bank):
        path = _issue(bank, _root(bank))
    return x509.load_pem_x509_certificate(path.read_bytes())


def roots(bank: Bank) -> list[x509.Certificate]:
    ensure(bank)
    return [x509.load_pem_x509_certificate((_folder(bank) / ROOT_CERTIFICATE).read_bytes())]


def roots_pem(bank: Bank) -> str:
    return pdf_signature.certificate_chain_pem(roots(bank))


def signer(bank: Bank) -> pdf_signature.Signer:
    """The current document-signing key with its certificate chain."""
    ensure(bank)
    path = _signing_files(bank)[-1]
    certificate = x509.load_pem_x509_certificate(path.read_bytes())
    key = _open_key(path.with_suffix(".key"), _passphrase(bank), SIGNING_PURPOSE)
    if key.public_key() != certificate.public_key():
        raise ConfigurationError(f"{path.with_suffix('.key')} does not hold the key of {path}")
    root = roots(bank)[0]
    return pdf_signature.Signer(key, certificate, (root,), bank_name(bank).both)


def did_service(bank: Bank) -> dict[str, object]:
    """The DID document's entry for the PDF roots, so pinning the DID document pins them."""
    return {
        "id": f"{bank.did}#pdf-signing",
        "type": pdf_signature.DID_SERVICE_TYPE,
        "serviceEndpoint": f"{bank.public_url}{WELL_KNOWN_PATH}",
        "certificates": [_pem(root).decode("ascii") for root in roots(bank)],
    }
