"""Being a witness (C2SP tlog-witness): cosigning other banks' checkpoints once they are proven consistent.

The bank's witness key is an Ed25519 key of its own (never the log key: a cosignature/v1 does not commit to the
signer's name, so one key must not speak for two signers), kept sealed in the instance folder like the other keys.
Its name is fixed with the key: ``<this bank's origin>/witness``.

For each log it witnesses the bank keeps one row: the origin, the log's verifier key and the latest (size, root) it
cosigned. A checkpoint is cosigned only if it extends that one by a valid consistency proof (or is that very one);
the check and the update happen in one write transaction on the locked row, so two submissions from the same old
size cannot both advance it, and no submission can move it back or sideways.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import select

from creditbank import keys
from creditbank.errors import (
    ConfigurationError,
    Conflict,
    Forbidden,
    InvalidInput,
    MalformedDocument,
    NotFound,
    WitnessSizeConflict,
)
from creditbank.models import WitnessedLog
from creditbank.runtime import Bank
from ledger.cosignature import MAX_REQUEST_BYTES, Cosigner, parse_add_checkpoint
from ledger.merkle import EMPTY_ROOT, verify_consistency
from ledger.note import NoteError, NoteVerifier, parse_checkpoint, parse_signature_line, split_note

log = logging.getLogger(__name__)

__all__ = ["MAX_REQUEST_BYTES", "add_checkpoint", "add_log", "cosigner", "key_path", "list_logs", "vkey"]

WITNESS_KEY = "witness-ed25519.key"
WITNESS_PURPOSE = "witness key"
_ORIGIN = re.compile(r"[^\x00-\x1f\x7f]{1,255}")

_cosigners: dict[Path, Cosigner] = {}
_cosigners_lock = threading.Lock()


def key_path(bank: Bank) -> Path:
    return keys.key_path(bank.instance_path, WITNESS_KEY)


def cosigner(bank: Bank, *, create: bool = True) -> Cosigner:
    """This bank's witness key, created (with its name) on first use."""
    path = key_path(bank)
    with _cosigners_lock:
        if path in _cosigners:
            return _cosigners[path]
        passphrase = bank.settings["CREDITBANK_KEY_PASSPHRASE"]
        if create and not path.exists():
            name = f"{bank.origin}/witness"
            try:
                key = keys.create_key(path, passphrase, WITNESS_PURPOSE, {"name": name})
            except ConfigurationError:
                # Another process created it first: that one is the key.
                key = keys.load_key(path, passphrase, WITNESS_PURPOSE)
        else:
            key = keys.load_key(path, passphrase, WITNESS_PURPOSE)
        name = (keys.stored_attributes(path) or {}).get("name") or f"{bank.origin}/witness"
        signer = Cosigner(name, key)
        _cosigners[path] = signer
        return signer


def vkey(bank: Bank) -> str:
    return cosigner(bank).vkey


# --- the logs this bank witnesses ------------------------------------------------------------------------------


def add_log(bank: Bank, origin: str, log_vkey: str) -> WitnessedLog:
    """Witness the log ``origin`` signed by ``log_vkey`` (an Ed25519 note vkey). Naming it again with the same key
    changes nothing; with another key it is refused, since the record of what was cosigned belongs to that key."""
    if not _ORIGIN.fullmatch(origin):
        raise InvalidInput("a log origin is 1 to 255 characters without control characters", errors={"origin": "bad"})
    try:
        verifier = NoteVerifier.from_vkey(log_vkey)
    except NoteError as exc:
        raise InvalidInput(f"log key: {exc}", errors={"vkey": str(exc)}) from None
    with bank.db.writing() as session:
        row = session.get(WitnessedLog, origin)
        if row is not None:
            if row.vkey != verifier.vkey:
                raise Conflict(f"the log {origin} is already witnessed under another key ({row.vkey})")
            return row
        row = WitnessedLog(
            origin=origin, vkey=verifier.vkey, size=0, root=None, added_at=datetime.now(UTC), cosigned_at=None
        )
        session.add(row)
    log.info("now witnessing log %s", origin, extra={"fields": {"origin": origin, "vkey": verifier.vkey}})
    return row


def list_logs(bank: Bank) -> list[WitnessedLog]:
    with bank.db.reading() as session:
        return list(session.scalars(select(WitnessedLog).order_by(WitnessedLog.origin)))


# --- add-checkpoint --------------------------------------------------------------------------------------------


def add_checkpoint(bank: Bank, body: bytes, *, now: float | None = None) -> str:
    """Answer one add-checkpoint request: the cosignature line(s) on success, else the protocol's refusal.

    Refusals, in the order the protocol states its checks: a malformed body (``MalformedDocument``, 400), an
    unknown origin (``NotFound``, 404), no valid signature by the log's key (``Forbidden``, 403), an old size past
    the checkpoint (400), an old size other than the one held (``WitnessSizeConflict``, 409 with the size), the same
    size with another root (``Conflict``, 409), a proof that does not verify (``InvalidInput``, 422).
    """
    try:
        request = parse_add_checkpoint(body)
        text, lines = split_note(request.note)
        checkpoint = parse_checkpoint(text)
        signatures = [parse_signature_line(line) for line in lines]
    except NoteError as exc:
        raise MalformedDocument(f"malformed add-checkpoint request: {exc}") from None
    # The cheap and lock-free checks first: a stream of unknown or forged checkpoints never takes the write lock.
    with bank.db.reading() as session:
        known = session.get(WitnessedLog, checkpoint.origin)
        log_vkey = None if known is None else known.vkey
    if log_vkey is None:
        raise NotFound(f"unknown log origin {checkpoint.origin!r}")
    verifier = NoteVerifier.from_vkey(log_vkey)
    ours = [raw for name, raw in signatures if name == verifier.name and raw[:4] == verifier.key_id]
    if not ours:
        raise Forbidden("the checkpoint carries no signature by the log's key")
    message = text.encode("utf-8")
    if not all(verifier.verify(message, raw[4:]) for raw in ours):
        raise Forbidden("a signature by the log's key does not verify")
    old, size = request.old_size, checkpoint.size
    if old > size:
        raise MalformedDocument(f"old size {old} exceeds the checkpoint's size {size}")
    signer = cosigner(bank)
    with bank.db.writing() as session:
        held = session.get(WitnessedLog, checkpoint.origin, with_for_update=True)
        if held is None or held.vkey != log_vkey:
            raise NotFound(f"the log {checkpoint.origin!r} is no longer witnessed under the key that signed this")
        if old != held.size:
            raise WitnessSizeConflict(
                f"the latest checkpoint cosigned for this log has size {held.size}", known_size=held.size
            )
        if size == 0 and checkpoint.root != EMPTY_ROOT:
            raise InvalidInput("a checkpoint of size 0 must carry the empty tree's root")
        if old == size:
            if checkpoint.root != (held.root or EMPTY_ROOT):
                log.critical(
                    "witnessed log %s forked: another root at size %d",
                    checkpoint.origin,
                    size,
                    extra={"fields": {"alert": "witnessed-log-fork", "origin": checkpoint.origin, "size": size}},
                )
                raise Conflict(f"a checkpoint of size {size} with another root was cosigned: refusing a fork")
            if request.proof:
                raise InvalidInput("the consistency proof between equal sizes must be empty")
        elif old == 0:
            if request.proof:
                raise InvalidInput("the consistency proof from size 0 must be empty")
        elif held.root is None or not verify_consistency(old, size, held.root, checkpoint.root, request.proof):
            log.warning(
                "refused checkpoint %d of %s: not consistent with cosigned %d",
                size,
                checkpoint.origin,
                old,
                extra={"fields": {"alert": "witnessed-log-inconsistent", "origin": checkpoint.origin}},
            )
            raise InvalidInput(f"the consistency proof from size {old} to {size} does not verify")
        stamp = int(time.time() if now is None else now)
        cosignature = signer.cosign(text, stamp)
        held.size, held.root, held.cosigned_at = size, checkpoint.root, datetime.fromtimestamp(stamp, UTC)
    return cosignature.line()
