"""What a running bank holds: settings, the database and (loaded on first use) its log key."""

from __future__ import annotations

import threading
from typing import Any

from flask import Flask, current_app

from creditbank import keys
from creditbank.db import Database
from ledger.note import NoteSigner, NoteVerifier


class Bank:
    def __init__(self, settings: dict[str, Any]) -> None:
        self.settings = settings
        self.db = Database(settings["CREDITBANK_DATABASE_URL"])
        self.origin: str = settings["CREDITBANK_ORIGIN"]
        self.instance_path: str = settings["CREDITBANK_INSTANCE_PATH"]
        self._signer: NoteSigner | None = None
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


def bank_of(app: Flask) -> Bank:
    bank: Bank = app.extensions["creditbank"]
    return bank


def current_bank() -> Bank:
    return bank_of(current_app)
