"""The HTTP API: blueprints, schemas and the problem+json error mapping."""

from __future__ import annotations

from flask import Flask
from flask_smorest import Api


def init_api(app: Flask) -> Api:
    from api import errors, institutions_views, ledger_views, pages

    app.config.setdefault("API_TITLE", "creditbank")
    app.config.setdefault("API_VERSION", "v1")
    app.config.setdefault("OPENAPI_VERSION", "3.0.3")
    app.config.setdefault("OPENAPI_URL_PREFIX", "/api/v1")
    app.config.setdefault("OPENAPI_JSON_PATH", "openapi.json")
    api = Api(app, spec_kwargs={"info": {"description": "Lifelong-learning credit bank and learner record ledger"}})
    api.spec.components.security_scheme("bearerAuth", {"type": "http", "scheme": "bearer"})
    app.extensions["creditbank.api"] = api
    api.register_blueprint(ledger_views.blp)
    api.register_blueprint(institutions_views.blp)
    app.register_blueprint(pages.bp)
    errors.install(app)
    return api
