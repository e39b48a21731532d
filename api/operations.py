"""What every write view shares: documenting its problems, reading the Idempotency-Key, choosing 201 or 200."""

from __future__ import annotations

from collections.abc import Callable
from http import HTTPStatus
from typing import Any, TypeVar

from flask import request

from api.blueprint import Blueprint
from api.record_schemas import ProblemSchema
from creditbank.services.records import idempotency
from creditbank.services.records.idempotency import RetryKey, WriteResult
from ledger import strict_json

F = TypeVar("F", bound=Callable[..., Any])
BEARER = [{"bearerAuth": []}]
IDEMPOTENCY = {
    "in": "header",
    "name": "Idempotency-Key",
    "required": False,
    "schema": {"type": "string", "maxLength": 255},
    "description": "retrying with the same key returns the first answer and appends nothing",
}


def problems(blp: Blueprint, *codes: int) -> Callable[[F], F]:
    """Document the problem documents an operation can answer with."""

    def decorate(function: F) -> F:
        for code in codes:
            function = blp.alt_response(
                code,
                schema=ProblemSchema,
                content_type="application/problem+json",
                description=HTTPStatus(code).phrase,
            )(function)
        return function

    return decorate


def retry(operation: str) -> RetryKey | None:
    # The body was read and validated already; it is read again with the same strict reader, so the retry is
    # matched on exactly the document the view acted on.
    try:
        body = strict_json.loads(request.get_data(cache=True))
    except strict_json.JSONInputError:
        body = None
    return idempotency.retry_key(request.headers.get("Idempotency-Key"), operation, body)


def answer(outcome: WriteResult) -> tuple[dict[str, Any], int]:
    return outcome.body, 201 if outcome.created else 200
