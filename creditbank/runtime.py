"""What a running bank holds: settings, the database and (loaded on first use) its log key.

The log's origin — the name in every checkpoint and the log key's name — belongs to the instance: it is written into
the log key's file when the key is created and read from there ever after. Configuration only proposes the origin of
a log key not yet created; an origin configured later that differs is refused (``ConfigurationError``) rather than
used, since checkpoints signed under another name would not verify against the published key. A log key from an
earlier release (PEM, no stored origin) keeps using the configured origin until ``creditbank keys reseal`` records it.
"""

from __future__ import annotations

import threading
from typing import Any
from urllib.parse import quote, urlsplit

from flask import Flask, current_app

from creditbank import files, keys
from creditbank.db import Database
from creditbank.errors import ConfigurationError
from creditbank.personal_data import MASTER_KEY, Vault, create_master_key, load_master_key
from ledger.note import NoteSigner, NoteVerifier


class Bank:
    def __init__(self, settings: dict[str, Any]) -> None:
        self.settings = settings
        self.instance_path: str = settings["CREDITBANK_INSTANCE_PATH"]
        files.private_folder(self.instance_path)
        self.db = Database(settings["CREDITBANK_DATABASE_URL"])
        self._stored_origin: str | None = None
        self._signer: NoteSigner | None = None
        self._vault: Vault | None = None
        self._lock = threading.Lock()
        # Refuse a drifted configuration at once, before any command or worker acts under the wrong name.
        _ = self.origin

    @property
    def public_url(self) -> str:
        """Where the bank is reached from outside: what QR codes, status lists and the DID document point to."""
        return str(self.settings.get("CREDITBANK_PUBLIC_URL") or f"http://{self.settings['CREDITBANK_SERVER_NAME']}")

    @property
    def did(self) -> str:
        """did:web for the public URL's host; a port is percent-encoded, as did:web requires."""
        return "did:web:" + quote(urlsplit(self.public_url).netloc, safe="")

    @property
    def log_key_path(self) -> Any:
        return keys.key_path(self.instance_path, keys.LOG_KEY)

    @property
    def origin(self) -> str:
        """The log's origin: the one stored with the log key, or (before the key exists) the configured one."""
        if self._stored_origin is None:
            self._stored_origin = (keys.stored_attributes(self.log_key_path) or {}).get("origin")
        configured: str = self.settings["CREDITBANK_ORIGIN"]
        stored = self._stored_origin
        if stored is None:
            return configured
        source = self.settings.get("ORIGIN_SOURCE")
        if source is not None and configured != stored:
            raise ConfigurationError(origin_drift(self.log_key_path, stored, configured, source))
        return stored

    def log_signer(self, *, create: bool = False) -> NoteSigner:
        with self._lock:
            if self._signer is None:
                passphrase = self.settings["CREDITBANK_KEY_PASSPHRASE"]
                path = self.log_key_path
                if create and not path.exists():
                    # The origin is fixed here, with the key, and bound to it by the seal.
                    origin = self.origin
                    key = keys.create_key(path, passphrase, keys.LOG_PURPOSE, {"origin": origin})
                else:
                    key = keys.load_key(path, passphrase, keys.LOG_PURPOSE)
                    origin = self.origin
                self._signer = NoteSigner(origin, key)
            return self._signer

    def log_verifier(self) -> NoteVerifier:
        return self.log_signer()

    @property
    def master_key_path(self) -> Any:
        return keys.key_path(self.instance_path, MASTER_KEY)

    def vault(self, *, create: bool = False) -> Vault:
        """The personal-data vault, opened with the master key on first use."""
        with self._lock:
            if self._vault is None:
                passphrase = self.settings["CREDITBANK_KEY_PASSPHRASE"]
                path = self.master_key_path
                if create and not path.exists():
                    master = create_master_key(path, passphrase)
                else:
                    master = load_master_key(path, passphrase)
                self._vault = Vault(master)
            return self._vault

    def prepare_keys(self) -> None:
        """Create whichever of the log key and master key is missing (development and first start)."""
        self.log_signer(create=True)
        self.vault(create=True)


def origin_drift(path: Any, stored: str, configured: str, source: str) -> str:
    """The one-line refusal of a configured origin that is not the log's."""
    given = f"{source} gives {configured!r}" if source == "CREDITBANK_ORIGIN" else f"{source} makes it {configured!r}"
    return (
        f"the log's origin is {stored!r}, fixed with its key {path}, but {given}: a log cannot change its origin; "
        f"set CREDITBANK_ORIGIN={stored}"
    )


def bank_of(app: Flask) -> Bank:
    bank: Bank = app.extensions["creditbank"]
    return bank


def current_bank() -> Bank:
    return bank_of(current_app)
