"""Who is calling: institutions authenticate with ``Authorization: Bearer <API key>``."""

from __future__ import annotations

from flask import request

from creditbank.runtime import current_bank
from creditbank.services import api_keys
from creditbank.services.api_keys import Principal


def institution(scope: str | None = None) -> Principal:
    principal = api_keys.authenticate(current_bank(), request.headers.get("Authorization"))
    if scope is not None:
        principal.require(scope)
    return principal


def optional_institution() -> Principal | None:
    """The caller if it sent credentials (which must then be valid), else None."""
    if "Authorization" not in request.headers:
        return None
    return institution()
