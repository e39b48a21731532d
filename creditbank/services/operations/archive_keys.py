"""What a restore checks and places before it writes a row: the archive's log origin and its key files.

Each key file of the archive goes into the target's instance folder; one already there is kept if it is
byte-identical, and a different one is never touched. Every placed key must open with the passphrase, and the
archive's latest checkpoint must verify with the archive's log key, before any row is loaded.
"""

from __future__ import annotations

import base64
import json
import os
from pathlib import Path
from typing import Any

from creditbank import keys
from creditbank.errors import ArchiveError, ConfigurationError, Conflict
from creditbank.files import FILE_MODE, private_folder
from creditbank.personal_data import MASTER_KEY
from creditbank.runtime import Bank, origin_drift
from creditbank.services.operations.backup import KEY_NAME
from creditbank.services.transparency import witness
from ledger.note import NoteError, open_note


def archived_origin(header: dict[str, Any]) -> str | None:
    """The origin the archive's log key file states (None for a PEM log key of an earlier release, or none)."""
    encoded = (header.get("keys") or {}).get(keys.LOG_KEY) if isinstance(header.get("keys"), dict) else None
    if not isinstance(encoded, str):
        return None
    try:
        data = base64.b64decode(encoded, validate=True)
        if not keys.is_sealed_document(data):
            return None
        origin = (json.loads(data).get("attributes") or {}).get("origin")
    except (ValueError, AttributeError):
        raise ArchiveError(f"key file {keys.LOG_KEY} in the archive is malformed") from None
    return origin if isinstance(origin, str) else None


def check_origin(bank: Bank, header: dict[str, Any]) -> None:
    """The archive's log is the one this bank is (or, without a log key yet, may become)."""
    theirs = header.get("origin")
    fixed = archived_origin(header)
    if fixed is not None and fixed != theirs:
        raise ArchiveError(f"the archive's header names the log {theirs!r} but its log key was made for {fixed!r}")
    ours = bank.origin  # refuses a configuration that disagrees with a log key already in place
    if fixed is None or bank.log_key_path.exists():
        if theirs != ours:
            raise ConfigurationError(
                f"this bank's log is {ours!r} but the archive's is {theirs!r}: "
                "set CREDITBANK_ORIGIN (or CREDITBANK_SERVER_NAME) to match before restoring"
            )
        return
    source = bank.settings.get("ORIGIN_SOURCE")
    if source is not None and bank.settings["CREDITBANK_ORIGIN"] != fixed:
        raise ConfigurationError(origin_drift(keys.LOG_KEY, fixed, bank.settings["CREDITBANK_ORIGIN"], source))


def plan_keys(bank: Bank, header: dict[str, Any]) -> tuple[dict[Path, bytes], list[str]]:
    """Key files to write, and those already in place; a different file under the same name is refused."""
    archived = header.get("keys")
    if not isinstance(archived, dict):
        raise ArchiveError("the archive's header lists no key files")
    folder = Path(bank.instance_path) / "keys"
    to_write: dict[Path, bytes] = {}
    kept: list[str] = []
    for name, encoded in sorted(archived.items()):
        if not isinstance(name, str) or not KEY_NAME.fullmatch(name) or not isinstance(encoded, str):
            raise ArchiveError(f"the archive names a key file {name!r} that is not a plain file name")
        try:
            data = base64.b64decode(encoded, validate=True)
        except ValueError:
            raise ArchiveError(f"key file {name} in the archive is malformed") from None
        path = folder / name
        if path.exists():
            if path.read_bytes() != data:
                raise Conflict(
                    f"{path} exists and differs from the archive's {name}; restore into an instance folder "
                    "without keys, or move that file away"
                )
            kept.append(name)
        else:
            to_write[path] = data
    return to_write, kept


def write_keys(files: dict[Path, bytes]) -> list[Path]:
    written: list[Path] = []
    try:
        for path, data in files.items():
            private_folder(path.parent)
            descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
            written.append(path)
            with os.fdopen(descriptor, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
    except BaseException:
        remove(written)
        raise
    return written


def remove(paths: list[Path]) -> None:
    for path in paths:
        path.unlink(missing_ok=True)


def open_keys(bank: Bank, header: dict[str, Any], checkpoint: dict[str, Any] | None) -> None:
    """The keys in place open with this bank's passphrase and sign what the archive says they signed."""
    try:
        signer = bank.log_signer()
        if MASTER_KEY in header["keys"]:
            bank.vault()
        # The witness key is opened only when a log asks for a cosignature: without this, a key that does not open
        # would be found by the first submission after the restore, not by the restore.
        if witness.WITNESS_KEY in header["keys"]:
            keys.load_key(witness.key_path(bank), bank.settings["CREDITBANK_KEY_PASSPHRASE"], witness.WITNESS_PURPOSE)
    except ConfigurationError as exc:
        raise ConfigurationError(
            f"{exc.detail} (the archive's keys were taken away again; nothing was restored)"
        ) from None
    if checkpoint is not None:
        try:
            open_note(checkpoint["note"], [signer])
        except NoteError:
            raise ArchiveError("the archive's latest checkpoint is not signed by the archive's log key") from None
