"""Who is calling: institutions authenticate with ``Authorization: Bearer <API key>``.

An operation declares what it needs with :func:`requires` (or :func:`optional`), written directly under
``@blp.route``. The declaration is checked by a ``before_request`` hook, so a caller without a valid key
(or without the scope) is answered 401 (403) before the request body is read, parsed or validated, and
before its media type is even looked at; the same declaration writes the operation's ``security`` into
the OpenAPI document, so the documentation cannot drift from what is enforced.
"""

from __future__ import annotations

from collections.abc import Callable
from copy import deepcopy
from dataclasses import dataclass
from functools import wraps
from typing import Any, TypeVar

from flask import Flask, current_app, g, request

from api.operations import BEARER
from creditbank.runtime import current_bank
from creditbank.services.records import api_keys
from creditbank.services.records.api_keys import Principal

F = TypeVar("F", bound=Callable[..., Any])
_MARK = "_creditbank_auth"


@dataclass(frozen=True)
class Requirement:
    scopes: tuple[str, ...]  # empty: any valid key
    optional: bool = False  # the caller may send no credentials at all (but bad ones are refused)


def requires(*scopes: str) -> Callable[[F], F]:
    """The operation needs a valid API key holding every scope named."""
    return _declare(Requirement(scopes))


def optional() -> Callable[[F], F]:
    """Credentials are optional; sent ones must be valid (the caller then sees more)."""
    return _declare(Requirement((), optional=True))


def _declare(requirement: Requirement) -> Callable[[F], F]:
    def decorate(view: F) -> F:
        @wraps(view)
        def guarded(*args: Any, **kwargs: Any) -> Any:
            # The hook has run for every request routed to this view; this covers a view reached some other
            # way (a test calling it inside a request context), so the view can never run unauthenticated.
            _authenticate(requirement)
            return view(*args, **kwargs)

        doc = deepcopy(getattr(guarded, "_apidoc", {}))
        manual = doc.setdefault("manual_doc", {})
        manual["security"] = [{}, *BEARER] if requirement.optional else BEARER
        # flask-smorest reads an operation's documentation from the view's ``_apidoc``.
        guarded.__dict__["_apidoc"] = doc
        guarded.__dict__[_MARK] = requirement
        return guarded  # type: ignore[return-value]

    return decorate


def requirement_of(view: Callable[..., Any] | None) -> Requirement | None:
    return getattr(view, _MARK, None)


def _authenticate(requirement: Requirement) -> None:
    if "principal" in g:
        principal = g.principal
    elif requirement.optional and "Authorization" not in request.headers:
        principal = None
    else:
        principal = api_keys.authenticate(current_bank(), request.headers.get("Authorization"))
    g.principal = principal
    if principal is not None:
        for scope in requirement.scopes:
            principal.require(scope)


def _before_request() -> None:
    if request.endpoint is None:
        return
    requirement = requirement_of(current_app.view_functions.get(request.endpoint))
    if requirement is not None:
        _authenticate(requirement)


def install(app: Flask) -> None:
    """Check declared requirements; registered ahead of the API's hooks that look at the body or its type."""
    app.before_request(_before_request)


def principal() -> Principal:
    """The authenticated caller of an operation declared with :func:`requires`."""
    found: Principal | None = g.get("principal")
    if found is None:
        raise RuntimeError("principal() is for operations declared with @auth.requires")
    return found


def optional_principal() -> Principal | None:
    """The caller of an operation declared with :func:`optional`, or None when it sent no credentials."""
    found: Principal | None = g.get("principal")
    return found


def institution(scope: str | None = None) -> Principal:
    """The authenticated caller, checked for ``scope``; for views declared with :func:`requires`."""
    found = principal()
    if scope is not None:
        found.require(scope)
    return found
