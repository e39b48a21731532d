"""creditbank: a lifelong-learning credit bank on a signed, append-only, publicly auditable ledger."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from flask import Flask

from creditbank import config as settings_module
from creditbank.runtime import Bank

__all__ = ["create_app"]


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Build the web/API application. ``config`` overrides ``CREDITBANK_*`` environment settings."""
    settings = settings_module.load(config)
    app = Flask(__name__, instance_path=settings["CREDITBANK_INSTANCE_PATH"])
    app.config.update(settings)
    logging.basicConfig(
        level=settings["CREDITBANK_LOG_LEVEL"], format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    # Migration chatter on every command hides what the operator asked for.
    logging.getLogger("alembic").setLevel(logging.WARNING)
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    # WeasyPrint narrates every rendering step at INFO.
    logging.getLogger("weasyprint").setLevel(logging.WARNING)
    app.extensions["creditbank"] = Bank(settings)

    from api import init_api

    init_api(app)
    from creditbank import web

    app.register_blueprint(web.bp)
    from creditbank.portal import init_portal

    init_portal(app)
    return app
