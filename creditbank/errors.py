"""Domain errors raised by services. The API turns them into problem documents, the CLI into messages.

Each error names a stable ``kind`` (the last segment of its problem type URI) and an HTTP status,
so every door reports the same failure the same way.
"""

from __future__ import annotations

import sqlite3
from typing import Any

import psycopg
from sqlalchemy import exc as sa_exc


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


class DocumentOutdated(Conflict):
    """A PDF that would no longer show what the ledger fingerprinted at issuance (an earlier layout, or a holder's
    name changed since): handing it out would give the holder a document every verifier rejects."""

    kind = "document-outdated"


class RenderLimit(DomainError):
    """Too many PDFs rendered for one learner or institution in the window: the next waits (Retry-After)."""

    kind = "too-many-renders"
    status = 429
    title = "Too many documents rendered"


class WitnessSizeConflict(Conflict):
    """An add-checkpoint request whose old size is not the size this witness last cosigned (C2SP tlog-witness):
    answered 409 with that size, so the log can send the consistency proof from there."""

    kind = "witness-size-conflict"

    def __init__(self, detail: str, *, known_size: int) -> None:
        super().__init__(detail)
        self.known_size = known_size


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


class ExchangeClosed(Conflict):
    """A wallet exchange that delivered its credential already, or used up its rounds: each is good for one."""

    kind = "exchange-closed"


class ExchangeExpired(DomainError):
    kind = "exchange-expired"
    status = 410
    title = "Exchange expired"


class PresentationRefused(DomainError):
    """A wallet's presentation that does not authenticate its holder for the exchange (unsigned, wrongly signed,
    another challenge or domain, out of date)."""

    kind = "presentation-refused"
    status = 422
    title = "Presentation refused"


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


class AccountError(DomainError):
    """A portal action refused for a reason the person may be told (each has a stable `reason` key)."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(detail)
        self.reason = reason


class ArchiveError(DomainError):
    """The file is not a complete, intact backup archive this release can read."""

    kind = "invalid-archive"
    status = 422
    title = "Invalid backup archive"


class FileTrouble(DomainError):
    """The archive or a key file cannot be written or read where it should be (full disk, permissions)."""

    kind = "file-trouble"
    status = 500
    title = "File cannot be written or read"


class UnreadableInput(InvalidInput):
    """A refusal of what was sent (422 on the API); ``message`` is its key in the page's catalogue, so the page
    says the same in the visitor's language."""

    def __init__(self, detail: str, *, field: str, reason: str, message: str) -> None:
        super().__init__(detail, errors={field: [reason]})
        self.message = message


# --- the database failing, as opposed to a request being wrong ---------------------------------------------------

_SQLITE_FAILURES = {
    sqlite3.SQLITE_FULL: "the disk is full",
    sqlite3.SQLITE_READONLY: "the database is read-only",
    sqlite3.SQLITE_IOERR: "the disk reports an I/O error",
    sqlite3.SQLITE_CANTOPEN: "the database file cannot be opened",
    sqlite3.SQLITE_BUSY: "the database stayed locked past the busy timeout",
}
# SQLSTATE classes and codes that mean "the server cannot do this now", not "this request is wrong".
_PG_FAILURES = {
    "25006": "the database is read-only",
    "53100": "the database server's disk is full",
    "53": "the database server is out of resources",
    "08": "the connection to the database failed",
    "57P": "the database server is shutting down or starting",
    "58": "the database server reports a system error",
}


def storage_failure(error: BaseException) -> str | None:
    """Why the database cannot serve now, when that is what ``error`` says; None for any other failure.

    These are conditions of the machine, not of the request: they answer 503 and the client retries,
    whereas anything unrecognised stays an internal error that someone must look at.
    """
    if isinstance(error, (sa_exc.DisconnectionError, sa_exc.TimeoutError)):
        return "the database cannot be reached"
    if isinstance(error, sa_exc.DBAPIError) and error.connection_invalidated:
        return "the connection to the database was lost"
    original = getattr(error, "orig", None) or error
    if isinstance(original, sqlite3.Error):
        code = getattr(original, "sqlite_errorcode", None)
        # Extended result codes keep the primary code in their low byte (SQLITE_IOERR_WRITE is an IOERR).
        return _SQLITE_FAILURES.get(code & 0xFF) if isinstance(code, int) else None
    state = getattr(original, "sqlstate", None)
    if isinstance(state, str):
        for prefix in (state, state[:3], state[:2]):
            if prefix in _PG_FAILURES:
                return _PG_FAILURES[prefix]
        return None
    if type(original).__name__ == "OperationalError" and type(original).__module__.startswith("psycopg"):
        # No SQLSTATE: the client library failed before the server answered (refused, reset, timed out).
        return "the database cannot be reached"
    return None


# What the handlers of a door must catch: the ledger's hot paths use the driver's cursor directly, so its
# exceptions arrive unwrapped as well as wrapped by SQLAlchemy.
DATABASE_ERRORS: tuple[type[Exception], ...] = (sa_exc.SQLAlchemyError, sqlite3.Error, psycopg.Error)
