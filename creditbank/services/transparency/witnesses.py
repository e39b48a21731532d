"""Having witnesses: submitting this bank's checkpoints to other witnesses and keeping their cosignatures.

Each configured witness (its cosignature/v1 vkey and its submission prefix) gets the latest checkpoint with a
consistency proof from the size it last said it holds. A 409 answer names that size, and the request is made again
from there at once; any other failure is recorded on the witness's row and tried again on the next run. A
cosignature is kept only after it verifies with the witness's key over this exact checkpoint; ``GET
/ledger/checkpoint`` then appends the lines held for the checkpoint it serves.

Network calls happen outside any database transaction: a slow witness holds no lock.
"""

from __future__ import annotations

import logging
import re
import urllib.error
import urllib.request
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.orm import Session

from creditbank import ledger_store
from creditbank.errors import Conflict, InvalidInput, NotFound
from creditbank.models import LedgerCheckpoint, LogWitness
from creditbank.runtime import Bank
from creditbank.services.transparency import checkpoints
from ledger.cosignature import AddCheckpoint, CosignatureVerifier, parse_cosignature_lines
from ledger.note import MAX_NOTE_BYTES, NoteError

log = logging.getLogger(__name__)

TIMEOUT_SECONDS = 5.0
SIZE_TYPE = "text/x.tlog.size"
_SIZE = re.compile(r"(0|[1-9][0-9]{0,18})\n")


def add_witness(bank: Bank, witness_vkey: str, url: str) -> LogWitness:
    """Submit this bank's checkpoints to the witness ``witness_vkey`` at the submission prefix ``url``."""
    try:
        verifier = CosignatureVerifier.from_vkey(witness_vkey)
    except NoteError as exc:
        raise InvalidInput(f"witness key: {exc}", errors={"vkey": str(exc)}) from None
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.query or parts.fragment:
        raise InvalidInput("the witness URL must be an http(s) URL without query or fragment", errors={"url": url})
    prefix = url.rstrip("/")
    with bank.db.writing() as session:
        row = session.get(LogWitness, verifier.name)
        if row is not None:
            if (row.vkey, row.url) != (verifier.vkey, prefix):
                raise Conflict(f"a witness named {verifier.name} is already configured ({row.vkey} at {row.url})")
            return row
        row = LogWitness(name=verifier.name, vkey=verifier.vkey, url=prefix, added_at=datetime.now(UTC))
        session.add(row)
    return row


def list_witnesses(bank: Bank) -> list[LogWitness]:
    with bank.db.reading() as session:
        return list(session.scalars(select(LogWitness).order_by(LogWitness.name)))


def cosignature_lines(session: Session, size: int) -> list[str]:
    """The cosignature lines held for this bank's checkpoint of ``size``."""
    rows = session.scalars(select(LogWitness).where(LogWitness.cosigned_size == size).order_by(LogWitness.name)).all()
    return [row.cosignature for row in rows if row.cosignature]


def best_cosigned(session: Session, min_size: int) -> LedgerCheckpoint | None:
    """Of this bank's checkpoints of at least ``min_size``, the one the most witnesses cosigned (the larger on a tie),
    or None when none did: each witness's cosignature is for the latest checkpoint it was shown."""
    sizes = [
        size
        for size in session.scalars(select(LogWitness.cosigned_size).where(LogWitness.cosigned_size >= min_size))
        if size is not None
    ]
    if not sizes:
        return None
    chosen = max(set(sizes), key=lambda size: (sizes.count(size), size))
    return session.get(LedgerCheckpoint, chosen)


def latest_cosigned(bank: Bank) -> str:
    """The latest checkpoint's signed note with the witnesses' cosignature lines appended."""
    with bank.db.reading() as session:
        latest = checkpoints.latest_in(session)
        if latest is None:
            raise NotFound("no checkpoint has been signed yet")
        return latest.note + "".join(cosignature_lines(session, latest.size))


# --- submitting --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    witness: str
    size: int
    ok: bool
    detail: str


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    # A redirected POST would arrive as a GET without its body; a witness that moved is reconfigured instead.
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


_opener = urllib.request.build_opener(_NoRedirects)


def _post(url: str, body: bytes, timeout: float) -> tuple[int, str, bytes]:
    # Only http(s) prefixes are accepted when a witness is added (add_witness).
    request = urllib.request.Request(url, data=body, method="POST", headers={"Content-Type": "text/plain"})  # noqa: S310
    try:
        with _opener.open(request, timeout=timeout) as response:
            return response.status, response.headers.get("Content-Type", ""), response.read(MAX_NOTE_BYTES + 1)
    except urllib.error.HTTPError as error:
        with error:
            return error.code, error.headers.get("Content-Type", ""), error.read(MAX_NOTE_BYTES + 1)


def _text_of(note: str) -> str:
    return note[: note.rindex("\n\n") + 1]


def _record(bank: Bank, name: str, **values: object) -> None:
    with bank.db.writing() as session:
        row = session.get(LogWitness, name, with_for_update=True)
        if row is None:
            return
        cosigned = values.get("cosigned_size")
        if isinstance(cosigned, int) and row.cosigned_size is not None and row.cosigned_size > cosigned:
            # A slower run of older news: the newer cosignature stays.
            values = {k: v for k, v in values.items() if k not in ("cosigned_size", "cosignature")}
        for key, value in values.items():
            setattr(row, key, value)
        row.attempted_at = datetime.now(UTC)


def _submit_one(bank: Bank, witness: LogWitness, latest: LedgerCheckpoint, timeout: float) -> Outcome:
    verifier = CosignatureVerifier.from_vkey(witness.vkey)
    text = _text_of(latest.note)
    old = witness.known_size or 0
    for _attempt in range(2):
        if old > latest.size:
            # This log was rolled back (a restore from an old backup?) or someone showed the witness a fork of it.
            detail = f"the witness holds size {old}, past this log's latest checkpoint {latest.size}"
            _record(bank, witness.name, last_error=detail)
            return Outcome(witness.name, latest.size, False, detail)
        proof: list[bytes] = []
        if 0 < old < latest.size:
            with bank.db.reading() as session:
                proof = ledger_store.consistency_proof(session, old, latest.size)
        body = AddCheckpoint(old, tuple(proof), latest.note).body()
        try:
            status, content_type, answer = _post(witness.url + "/add-checkpoint", body, timeout)
        except (OSError, ValueError) as exc:
            detail = f"cannot reach {witness.url}: {exc}"
            _record(bank, witness.name, last_error=detail)
            return Outcome(witness.name, latest.size, False, detail)
        if status == 409 and content_type.split(";")[0].strip() == SIZE_TYPE:
            match = _SIZE.fullmatch(answer.decode("ascii", "replace"))
            if match is None:
                detail = "the witness's 409 answer does not hold a size"
                _record(bank, witness.name, last_error=detail)
                return Outcome(witness.name, latest.size, False, detail)
            old = int(match.group(1))
            _record(bank, witness.name, known_size=old)
            continue
        if status != 200:
            detail = f"the witness answered {status}: {answer[:200].decode('utf-8', 'replace').strip()}"
            _record(bank, witness.name, last_error=detail)
            return Outcome(witness.name, latest.size, False, detail)
        line = _verified_line(verifier, text, answer)
        if line is None:
            detail = "the witness answered 200 without a cosignature that verifies with its key"
            _record(bank, witness.name, last_error=detail)
            return Outcome(witness.name, latest.size, False, detail)
        _record(
            bank, witness.name, known_size=latest.size, cosigned_size=latest.size, cosignature=line, last_error=None
        )
        return Outcome(witness.name, latest.size, True, "cosigned")
    detail = "the witness's size kept changing"
    _record(bank, witness.name, last_error=detail)
    return Outcome(witness.name, latest.size, False, detail)


def _verified_line(verifier: CosignatureVerifier, text: str, answer: bytes) -> str | None:
    try:
        lines = parse_cosignature_lines(answer.decode("utf-8"))
    except (UnicodeDecodeError, NoteError):
        return None
    for name, raw in lines:
        if verifier.claims(name, raw):
            found = verifier.verify(text, raw)
            return None if found is None else found.line()
    return None


def submit(bank: Bank, *, timeout: float = TIMEOUT_SECONDS) -> list[Outcome]:
    """Submit the latest checkpoint to every witness that has not cosigned it yet."""
    with bank.db.reading() as session:
        latest = checkpoints.latest_in(session)
        configured = list(session.scalars(select(LogWitness).order_by(LogWitness.name)))
    if latest is None:
        return []
    outcomes = []
    for witness in configured:
        if witness.cosigned_size == latest.size:
            continue
        outcome = _submit_one(bank, witness, latest, timeout)
        # Said once per distinct failure: a witness that is down would otherwise fill the log every second.
        if not outcome.ok and outcome.detail != witness.last_error:
            log.warning(
                "witness %s did not cosign checkpoint %d: %s",
                witness.name,
                latest.size,
                outcome.detail,
                extra={"fields": {"witness": witness.name, "size": latest.size}},
            )
        outcomes.append(outcome)
    return outcomes
