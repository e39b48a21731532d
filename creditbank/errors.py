"""Domain errors raised by services. The API turns them into problem documents, the CLI into messages.

Each error names a stable ``kind`` (the last segment of its problem type URI) and an HTTP status,
so every door reports the same failure the same way.
"""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    kind = "domain-error"
    status = 400
    title = "Request cannot be processed"

    def __init__(self, detail: str, *, errors: dict[str, Any] | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.errors = errors


class InvalidInput(DomainError):
    kind = "invalid-input"
    status = 422
    title = "Invalid input"


class BadParameter(DomainError):
    kind = "bad-parameter"
    status = 400
    title = "Bad query parameter"


class MalformedDocument(DomainError):
    """A JSON document a reader cannot take at its word, such as an object naming a key twice."""

    kind = "malformed-document"
    status = 400
    title = "Malformed document"


class VerificationLimit(DomainError):
    """A file the verify door refuses to work on: it exceeds a limit counted before checking, or the CPU budget.

    ``limit`` names the limit (certificates.bounds, or ``cpu_seconds``) and ``maximum`` its value."""

    kind = "verification-limit"
    status = 422
    title = "Verification limit exceeded"

    def __init__(self, detail: str, *, limit: str, maximum: float) -> None:
        super().__init__(detail, errors={"file": [f"limit {limit}: at most {maximum:g}"]})
        self.limit = limit
        self.maximum = maximum


class NotFound(DomainError):
    kind = "not-found"
    status = 404
    title = "Not found"


class Conflict(DomainError):
    kind = "conflict"
    status = 409
    title = "Conflict with current state"


class Unauthenticated(DomainError):
    kind = "unauthenticated"
    status = 401
    title = "Authentication required"


class Forbidden(DomainError):
    kind = "forbidden"
    status = 403
    title = "Not allowed"


class LedgerIntegrityError(DomainError):
    """Stored ledger data contradicts itself; the bank refuses to sign or serve past it."""

    kind = "ledger-integrity"
    status = 500
    title = "Ledger integrity failure"


class StorageUnavailable(DomainError):
    """The database cannot take the request now (disk full, read-only, restarting, unreachable).

    The transaction was rolled back, so nothing is half-written; a write retried with the same
    Idempotency-Key is recorded at most once.
    """

    kind = "storage-unavailable"
    status = 503
    title = "Storage unavailable"


class ConfigurationError(DomainError):
    kind = "configuration"
    status = 500
    title = "Service misconfigured"


# Where the web app registers the renderer that turns an error on a page path into a page for people; the error
# module (api/errors.py) looks it up there.
PAGE_ERRORS = "creditbank.page_errors"
