"""`/health` (the process answers), `/ready` (it can serve: database, migrations, a fresh checkpoint, no damage found
by the audit or the monitor) and `/metrics`."""

from __future__ import annotations

from flask import Response, jsonify

from api.blueprint import Blueprint
from api.operations import problems
from api.schemas import HealthSchema, ReadinessSchema
from creditbank import metrics
from creditbank.runtime import current_bank
from creditbank.services.operations import health

blp = Blueprint("health", __name__, description="Liveness and readiness")


@blp.route("/health")
@blp.response(200, HealthSchema, description="the process is alive")
def alive() -> Response:
    return jsonify({"status": "ok"})


@blp.route("/ready")
@blp.response(
    200,
    ReadinessSchema,
    description="ready: the database answers, migrations are current, the checkpoint is fresh, and neither the "
    "last full audit nor the checkpoint monitor found damage",
)
@blp.alt_response(503, schema=ReadinessSchema, description="not ready; each check says why")
def ready() -> Response:
    answer = health.readiness(current_bank())
    response = jsonify(answer)
    response.status_code = 200 if answer["ready"] else 503
    return response


@blp.route("/metrics")
@blp.response(
    200,
    description="Prometheus text exposition: ledger size and checkpoint age, requests and latency by route, "
    "verification verdicts, PDF render times, scheduler activity",
    content_type=metrics.CONTENT_TYPE.split(";")[0],
)
@problems(blp, 401, 503)
def scrape() -> Response:
    return Response(metrics.exposition(current_bank()), content_type=metrics.CONTENT_TYPE)
