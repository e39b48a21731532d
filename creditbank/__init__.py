"""creditbank: a lifelong-learning credit bank on a signed, append-only, publicly auditable ledger."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from creditbank import config as settings_module
from creditbank import logs, metrics, web_headers
from creditbank.runtime import Bank

__all__ = ["create_app"]


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Build the web/API application. ``config`` overrides ``CREDITBANK_*`` environment settings."""
    settings = settings_module.load(config)
    app = Flask(__name__, instance_path=settings["CREDITBANK_INSTANCE_PATH"])
    app.config.update(settings)
    logs.configure(settings["CREDITBANK_LOG_LEVEL"], settings["CREDITBANK_LOG_FORMAT"])
    app.extensions["creditbank"] = Bank(settings)
    # First, so every later hook's lines and every error answer carry the request id.
    logs.install(app)
    metrics.install(app)
    web_headers.install(app)

    from api import init_api

    init_api(app)
    from creditbank import web

    app.register_blueprint(web.bp)
    from creditbank.portal import init_portal

    init_portal(app)
    from creditbank.console import init_console

    init_console(app)
    hops = settings["CREDITBANK_PROXY_HOPS"]
    if hops:
        # Login throttling counts failures per client address: behind a proxy, the client's, not the proxy's.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)  # type: ignore[method-assign]
    return app
