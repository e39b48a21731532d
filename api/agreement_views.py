"""Mutual recognition agreements."""

from __future__ import annotations

from api.blueprint import Blueprint

blp = Blueprint("agreement", __name__, url_prefix="/api/v1", description="Mutual recognition agreements")
