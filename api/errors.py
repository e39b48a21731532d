"""The one place errors become RFC 9457 ``application/problem+json``.

Every problem carries a stable ``type`` URI (``/problems/<kind>`` on this service), a title, the
status, a human detail, and — for input errors — ``errors`` keyed by field path.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, Response, current_app, jsonify, request
from marshmallow import ValidationError
from werkzeug.exceptions import HTTPException

from creditbank import logs
from creditbank.errors import DATABASE_ERRORS, PAGE_ERRORS, DomainError, StorageUnavailable, storage_failure
from ledger import strict_json

log = logging.getLogger(__name__)

PROBLEM_BASE = "https://creditbank.example/problems/"
_HTTP_KINDS = {
    400: ("bad-request", "Bad request"),
    401: ("unauthenticated", "Authentication required"),
    403: ("forbidden", "Not allowed"),
    404: ("not-found", "Not found"),
    405: ("method-not-allowed", "Method not allowed"),
    409: ("conflict", "Conflict with current state"),
    413: ("payload-too-large", "Request body too large"),
    415: ("unsupported-media-type", "Unsupported media type"),
    422: ("invalid-input", "Invalid input"),
    429: ("too-many-requests", "Too many requests"),
    503: ("unavailable", "Service unavailable"),
}


def problem_kinds() -> list[tuple[int, str, str]]:
    """Every problem type this service answers with: (status, kind, title)."""
    from creditbank import errors as domain

    kinds = {(status, kind, title) for status, (kind, title) in _HTTP_KINDS.items()}
    for error in (getattr(domain, name) for name in dir(domain)):
        if isinstance(error, type) and issubclass(error, DomainError) and error is not DomainError:
            kinds.add((error.status, error.kind, error.title))
    kinds.add((500, "internal-error", "Internal error"))
    return sorted(kinds)


def problem(status: int, kind: str, title: str, detail: str, errors: Any = None) -> Response:
    body: dict[str, Any] = {
        "type": PROBLEM_BASE + kind,
        "title": title,
        "status": status,
        "detail": detail,
        "instance": request.path,
    }
    if errors:
        body["errors"] = field_paths(errors)
    response = jsonify(body)
    response.status_code = status
    response.mimetype = "application/problem+json"
    return response


def field_paths(errors: Any, prefix: str = "") -> dict[str, list[str]]:
    """Flatten nested field errors to ``{"items.3.result.score": ["..."]}``, every leaf a list."""
    if not isinstance(errors, dict):
        messages = errors if isinstance(errors, list) else [errors]
        if messages and all(isinstance(m, str) for m in messages):
            return {prefix or "$": [str(m) for m in messages]}
        # A list of per-element errors (marshmallow gives dicts for nested list items).
        flat: dict[str, list[str]] = {}
        for item in messages:
            for path, found in field_paths(item, prefix).items():
                flat.setdefault(path, []).extend(found)
        return flat
    flat = {}
    for key, value in errors.items():
        # marshmallow reports whole-object errors under "_schema"; they belong to the object's own path.
        path = prefix if key == "_schema" else f"{prefix}.{key}" if prefix else str(key)
        for name, found in field_paths(value, path).items():
            flat.setdefault(name, []).extend(found)
    return flat


def _from_domain(exc: DomainError) -> Response:
    if exc.status == 503:
        # A condition of the machine (a restarting or full database), reported per request; ERROR stays for bugs.
        log.warning("%s: %s", exc.kind, exc.detail)
    elif exc.status >= 500:
        log.error("%s: %s", exc.kind, exc.detail)
    page = _page_error(exc.status, None)
    if page is not None:
        return page
    response = problem(exc.status, exc.kind, exc.title, exc.detail, exc.errors)
    if exc.status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="creditbank"'
    if exc.status == 503:
        response.headers["Retry-After"] = RETRY_AFTER_SECONDS
    elif exc.status == 429:
        response.headers["Retry-After"] = LOCKOUT_SECONDS
    return response


# Long enough for a restarting database to come back, short enough that a client's retry soon succeeds.
RETRY_AFTER_SECONDS = "2"
# A spent budget (too many renders) pauses for the throttle's lockout.
LOCKOUT_SECONDS = "900"


def _from_database(exc: Exception) -> Response:
    reason = storage_failure(exc)
    if reason is None:
        return _from_unexpected(exc)
    # A connection lost during COMMIT leaves the outcome unknown, so the advice is the idempotent retry.
    detail = f"{reason}. Retry later; a write retried with the same Idempotency-Key is recorded at most once"
    return _from_domain(StorageUnavailable(detail))


# Paths whose errors are problem documents; anything else is a page for people, answered by the page renderer
# the web app registers (a friendly page in the visitor's language), when there is one.
_MACHINE_PREFIXES = ("/api/", "/ledger/", "/status/", "/.well-known/", "/health", "/ready", "/metrics")


def _page_error(status: int, description: str | None) -> Response | None:
    if request.path.startswith(_MACHINE_PREFIXES):
        return None
    renderer = current_app.extensions.get(PAGE_ERRORS)
    return renderer(status, description) if renderer is not None else None


def _from_http(exc: HTTPException) -> Response:
    status = exc.code or 500
    page = _page_error(status, exc.description)
    if page is not None:
        return page
    kind, title = _HTTP_KINDS.get(status, ("http-error", exc.name))
    data = getattr(exc, "data", None) or {}
    errors = data.get("messages")
    if isinstance(errors, dict) and len(errors) == 1:
        # webargs nests field errors under the location (json, query...): keep the field paths only.
        (errors,) = errors.values()
    detail = exc.description or title
    if isinstance(errors, list):
        # A complaint about the body as a whole (webargs: "Invalid JSON body.").
        detail, errors = " ".join(str(e) for e in errors), {"$": errors}
    elif isinstance(getattr(exc, "exc", None), strict_json.DuplicateKeyError):
        # webargs keeps the parser's error on the HTTP exception it raises.
        detail = f"the body is refused: {getattr(exc, 'exc', '')}"
    elif errors:
        detail = "the request has invalid fields; see errors"
    response = problem(status, kind, title, detail, errors)
    for header, value in (data.get("headers") or {}).items():
        response.headers[header] = value
    return response


def _from_validation(exc: ValidationError) -> Response:
    return problem(422, "invalid-input", "Invalid input", "the request has invalid fields; see errors", exc.messages)


def _from_unexpected(exc: Exception) -> Response:
    # By route template, like the access log: the raw path may hold a share token or a credential id.
    log.exception("unhandled error on %s %s", request.method, logs.route_of())
    page = _page_error(500, None)
    if page is not None:
        return page
    return problem(500, "internal-error", "Internal error", "the service failed; the error has been logged")


def install(app: Flask) -> None:
    app.register_error_handler(DomainError, _from_domain)
    app.register_error_handler(HTTPException, _from_http)
    app.register_error_handler(ValidationError, _from_validation)
    for error in DATABASE_ERRORS:
        app.register_error_handler(error, _from_database)
    app.register_error_handler(Exception, _from_unexpected)
