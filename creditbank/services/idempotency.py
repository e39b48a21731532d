"""Safe retries: a write made under an ``Idempotency-Key`` is answered once and remembered.

The use case runs in one write transaction that first takes the sequencer; so of ten concurrent
copies of a request, one does the work and the other nine find its answer, on SQLite and
PostgreSQL alike.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session

from creditbank import ledger_store
from creditbank.errors import BadParameter, Conflict
from creditbank.models import IdempotentRequest
from creditbank.runtime import Bank
from ledger.canonical import canonical_bytes

_KEY = re.compile(r"[\x21-\x7e]{1,255}")


@dataclass(frozen=True)
class Outcome:
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


def once(bank: Bank, institution_id: str, key: RetryKey | None, work: Callable[[Session], Outcome]) -> Outcome:
    """Run ``work`` in one write transaction, or return the answer already given under ``key``."""
    with bank.db.writing() as session:
        ledger_store.lock(session, ledger_store.SEQUENCER_LOCK)
        if key is not None:
            prior = session.get(IdempotentRequest, (institution_id, key.key))
            if prior is not None:
                if prior.request_digest != key.request_digest:
                    raise Conflict(
                        "this Idempotency-Key was used for a different request",
                        errors={"Idempotency-Key": "already used with a different request"},
                    )
                return Outcome(prior.status == 201, json.loads(prior.response))
        outcome = work(session)
        if key is not None:
            session.add(
                IdempotentRequest(
                    institution_id=institution_id,
                    key=key.key,
                    request_digest=key.request_digest,
                    status=201 if outcome.created else 200,
                    response=json.dumps(outcome.body, ensure_ascii=False),
                    created_at=datetime.now(UTC),
                )
            )
        return outcome
