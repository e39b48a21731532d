"""What a running bank holds: settings, the database and (loaded on first use) its log key."""

from __future__ import annotations

import threading
from typing import Any

from flask import Flask, current_app

from creditbank import keys
from creditbank.db import Database
from creditbank.personal_data import MASTER_KEY, Vault, create_master_key, load_master_key
from ledger.note import NoteSigner, NoteVerifier


class Bank:
    def __init__(self, settings: dict[str, Any]) -> None:
        self.settings = settings
        self.db = Database(settings["CREDITBANK_DATABASE_URL"])
        self.origin: str = settings["CREDITBANK_ORIGIN"]
        self.instance_path: str = settings["CREDITBANK_INSTANCE_PATH"]
        self._signer: NoteSigner | None = None
        self._vault: Vault | None = None
        self._lock = threading.Lock()

    @property
    def log_key_path(self) -> Any:
        return keys.key_path(self.instance_path, keys.LOG_KEY)

    def log_signer(self, *, create: bool = False) -> NoteSigner:
        with self._lock:
            if self._signer is None:
                passphrase = self.settings["CREDITBANK_KEY_PASSPHRASE"]
                load = keys.load_or_create if create else keys.load_key
                self._signer = NoteSigner(self.origin, load(self.log_key_path, passphrase))
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


def bank_of(app: Flask) -> Bank:
    bank: Bank = app.extensions["creditbank"]
    return bank


def current_bank() -> Bank:
    return bank_of(current_app)
