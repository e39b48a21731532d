"""The issuers this bank trusts as evidence for recognition."""

from __future__ import annotations

from api.blueprint import Blueprint

blp = Blueprint(
    "trust", __name__, url_prefix="/api/v1", description="The issuers this bank trusts as evidence for recognition"
)
