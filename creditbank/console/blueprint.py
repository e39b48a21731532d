"""The console's one blueprint, which every area's view module adds its routes to."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("console", __name__, url_prefix="/staff", template_folder="../templates")
