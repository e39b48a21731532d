"""The HTTP API: blueprints, schemas and the problem+json error mapping."""

from __future__ import annotations

import http

from flask import Flask, request
from flask_smorest import Api
from werkzeug.exceptions import UnsupportedMediaType

from api import auth
from api.blueprint import Decimal, PublicId, decimal_schema, public_id_schema
from api.record_schemas import ProblemSchema

_BODY_METHODS = {"POST", "PUT", "PATCH"}


def _require_json() -> None:
    # Without this, a form-encoded body would read as "no JSON" and be reported as missing fields.
    # Verification takes files (PDF or JSON, multipart or raw), so it is the one write that need not be JSON.
    if request.method in _BODY_METHODS and request.path.startswith("/api/") and request.path != "/api/v1/verify":
        mimetype = request.mimetype
        if mimetype != "application/json" and not (mimetype.startswith("application/") and mimetype.endswith("+json")):
            raise UnsupportedMediaType(f"send the body as application/json, not {mimetype or 'no content type'}")


class _ProblemApi(Api):  # type: ignore[misc]
    """flask-smorest documents errors in its own JSON shape and adds a catch-all ``default`` response to every
    operation. This service answers every error as problem+json, and each operation lists the statuses it can
    answer with, so a status it does not list is a documentation bug a client (or a fuzzer) can see."""

    DEFAULT_ERROR_RESPONSE_NAME = None

    def _register_responses(self) -> None:
        # The responses `@blp.arguments` refers to for a refused query or body (BAD_REQUEST, UNPROCESSABLE_ENTITY).
        for status in http.HTTPStatus:
            if status >= 400:
                content = {"application/problem+json": {"schema": ProblemSchema}}
                self.spec.components.response(
                    status.name, {"description": status.phrase, "content": content}, lazy=True
                )


def init_api(app: Flask) -> Api:
    from api import (
        agreement_views,
        badge_views,
        consent_views,
        credentials_views,
        credits_views,
        errors,
        exchange_views,
        health_views,
        institutions_views,
        ledger_views,
        pages,
        pdf_trust_views,
        recognition_views,
        records_views,
        tile_views,
        trust_views,
        witness_views,
    )

    app.config.setdefault("API_TITLE", "creditbank")
    app.config.setdefault("API_VERSION", "v1")
    app.config.setdefault("OPENAPI_VERSION", "3.0.3")
    app.config.setdefault("OPENAPI_URL_PREFIX", "/api/v1")
    app.config.setdefault("OPENAPI_JSON_PATH", "openapi.json")
    api = _ProblemApi(
        app, spec_kwargs={"info": {"description": "Lifelong-learning credit bank and learner record ledger"}}
    )
    api.spec.components.security_scheme("bearerAuth", {"type": "http", "scheme": "bearer"})
    app.extensions["creditbank.api"] = api
    app.url_map.converters["pid"] = PublicId
    api.register_converter(PublicId, public_id_schema)
    app.url_map.converters["decimal"] = Decimal
    api.register_converter(Decimal, decimal_schema)
    api.register_blueprint(ledger_views.blp)
    api.register_blueprint(tile_views.blp)
    api.register_blueprint(institutions_views.blp)
    api.register_blueprint(records_views.blp)
    api.register_blueprint(credits_views.blp)
    api.register_blueprint(consent_views.blp)
    api.register_blueprint(credentials_views.blp)
    api.register_blueprint(credentials_views.public)
    api.register_blueprint(badge_views.blp)
    api.register_blueprint(pdf_trust_views.blp)
    api.register_blueprint(health_views.blp)
    api.register_blueprint(trust_views.blp)
    api.register_blueprint(agreement_views.blp)
    api.register_blueprint(recognition_views.blp)
    api.register_blueprint(exchange_views.blp)
    auth.install(app)
    app.before_request(_require_json)
    app.register_blueprint(pages.bp)
    app.register_blueprint(witness_views.blp)
    errors.install(app)
    return api
