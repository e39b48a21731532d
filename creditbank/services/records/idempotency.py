"""Safe retries: a write made under an ``Idempotency-Key`` is answered once and remembered for a day.

The use case runs in one write transaction that first takes the sequencer; so of ten concurrent
copies of a request, one does the work and the other nine find its answer, on SQLite and
PostgreSQL alike.

What is remembered is the answer without its secrets. A one-time secret (an enrollment's
activation code) is handed out by the first answer only; the stored copy says it was issued
(``activation_code_issued: true``) instead of holding it, so the database never keeps a usable
code in clear and a retry cannot be used to read one again. Records older than ``RETENTION`` are
forgotten: the key is then new again, and the scheduler's expiry job deletes them.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import delete
from sqlalchemy.orm import Session

from creditbank import ledger_store
from creditbank.errors import BadParameter, Conflict
from creditbank.models import IdempotentRequest
from creditbank.runtime import Bank
from ledger.canonical import canonical_bytes

_KEY = re.compile(r"[\x21-\x7e]{1,255}")
# Long enough for any client's retries (and a day of outage), short enough that the store stays small.
RETENTION = timedelta(hours=24)
# Fields an answer may carry that are shown once: the stored answer keeps "<field>_issued": true instead.
SECRET_FIELDS = ("activation_code",)


@dataclass(frozen=True)
class WriteResult:
    """A use case's answer: whether it created something, and the JSON it reports."""

    created: bool
    body: dict[str, Any]


@dataclass(frozen=True)
class RetryKey:
    key: str
    request_digest: bytes


def retry_key(header: str | None, operation: str, payload: Any) -> RetryKey | None:
    """Check an ``Idempotency-Key`` header and bind it to this exact request."""
    if header is None:
        return None
    if not _KEY.fullmatch(header):
        raise BadParameter(
            "the Idempotency-Key header must be 1-255 visible ASCII characters",
            errors={"Idempotency-Key": "1-255 visible ASCII characters"},
        )
    digest = hashlib.sha256(operation.encode("utf-8") + b"\n" + canonical_bytes(payload)).digest()
    return RetryKey(header, digest)


def remembered(body: dict[str, Any]) -> dict[str, Any]:
    """The answer as it is stored and replayed: every one-time secret replaced by the fact that it was issued."""
    kept = dict(body)
    for name in SECRET_FIELDS:
        if kept.pop(name, None) is not None:
            kept[f"{name}_issued"] = True
    return kept


def _aware(moment: datetime) -> datetime:
    # SQLite hands timestamps back without their zone; the bank writes them all in UTC.
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def prior(session: Session, institution_id: str, key: RetryKey | None) -> WriteResult | None:
    """The answer already given under ``key``, read in the caller's write transaction (which holds the sequencer),
    or None; a different request under the same key is a Conflict."""
    if key is None:
        return None
    held = session.get(IdempotentRequest, (institution_id, key.key))
    now = datetime.now(UTC)
    if held is not None and _aware(held.created_at) <= now - RETENTION:
        # Expired: the key may be reused for anything, as if it had never been seen.
        session.delete(held)
        session.flush()
        held = None
    if held is None:
        return None
    if held.request_digest != key.request_digest:
        raise Conflict(
            "this Idempotency-Key was used for a different request",
            errors={"Idempotency-Key": "already used with a different request"},
        )
    return WriteResult(held.status == 201, json.loads(held.response))


def remember(session: Session, institution_id: str, key: RetryKey | None, outcome: WriteResult) -> None:
    """Keep the answer under ``key``, in the same transaction as the write it answers."""
    if key is None:
        return
    session.add(
        IdempotentRequest(
            institution_id=institution_id,
            key=key.key,
            request_digest=key.request_digest,
            status=201 if outcome.created else 200,
            response=json.dumps(remembered(outcome.body), ensure_ascii=False),
            created_at=datetime.now(UTC),
        )
    )


def once(bank: Bank, institution_id: str, key: RetryKey | None, work: Callable[[Session], WriteResult]) -> WriteResult:
    """Run ``work`` in one write transaction, or return the answer already given under ``key``."""
    with bank.db.writing() as session:
        ledger_store.lock(session, ledger_store.SEQUENCER_LOCK)
        earlier = prior(session, institution_id, key)
        if earlier is not None:
            return earlier
        outcome = work(session)
        remember(session, institution_id, key, outcome)
        return outcome


def expire(bank: Bank, now: datetime | None = None) -> int:
    """Delete the records past their retention (the scheduler's expiry job); returns how many went."""
    horizon = (now or datetime.now(UTC)) - RETENTION
    with bank.db.writing() as session:
        removed = session.execute(delete(IdempotentRequest).where(IdempotentRequest.created_at <= horizon)).rowcount
    return int(removed or 0)
