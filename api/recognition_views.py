"""Recognition by application: applications, decisions and appeals."""

from __future__ import annotations

from api.blueprint import Blueprint

blp = Blueprint(
    "recognition",
    __name__,
    url_prefix="/api/v1",
    description="Recognition by application: applications, decisions and appeals",
)
