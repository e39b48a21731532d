"""Public ledger endpoints (DESIGN §2): checkpoint, entries, proofs and the verifier key."""

from __future__ import annotations

from typing import Any

from flask import Response

from api import auth
from api.blueprint import Blueprint
from api.schemas import ConsistencyQuery, ConsistencyResponse, EntryResponse, InclusionQuery, InclusionResponse
from creditbank.runtime import current_bank
from creditbank.services import checkpoints, ledger_reads

blp = Blueprint("ledger", __name__, url_prefix="/ledger", description="The public, append-only ledger")

_TEXT = {"content": {"text/plain": {"schema": {"type": "string"}}}}


@blp.route("/checkpoint")
@blp.doc(responses={"200": {"description": "latest signed checkpoint (C2SP signed note)", **_TEXT}})
def checkpoint() -> Response:
    latest = checkpoints.latest(current_bank())
    response = Response(latest.note, mimetype="text/plain")
    response.headers["Cache-Control"] = "no-cache"
    return response


@blp.route("/key")
@blp.doc(responses={"200": {"description": "the log's verifier key, signed-note vkey form", **_TEXT}})
def key() -> Response:
    response = Response(current_bank().log_verifier().vkey + "\n", mimetype="text/plain")
    response.headers["Cache-Control"] = "public, max-age=300"
    return response


@blp.route("/entries/<int(signed=True):seq>")
@blp.response(200, EntryResponse)
def entry(seq: int) -> dict[str, Any]:
    reader = auth.optional_institution()
    return ledger_reads.entry(current_bank(), seq, reader_actor=reader.actor if reader else None)


@blp.route("/proofs/inclusion")
@blp.arguments(InclusionQuery, location="query", error_status_code=400)
@blp.response(200, InclusionResponse)
def inclusion(args: dict[str, int]) -> dict[str, Any]:
    return ledger_reads.inclusion(current_bank(), args["seq"], args["size"])


@blp.route("/proofs/consistency")
@blp.arguments(ConsistencyQuery, location="query", error_status_code=400)
@blp.response(200, ConsistencyResponse)
def consistency(args: dict[str, int]) -> dict[str, Any]:
    return ledger_reads.consistency(current_bank(), args["from_"], args["to"])
