"""Public ledger endpoints (DESIGN §2): checkpoint, entries, proofs and the verifier key."""

from __future__ import annotations

from typing import Any

from flask import Response

from api import auth
from api.blueprint import Blueprint
from api.operations import problems
from api.schemas import ConsistencyQuery, ConsistencyResponse, EntryResponse, InclusionQuery, InclusionResponse
from creditbank.runtime import current_bank
from creditbank.services.transparency import ledger_reads, witnesses

blp = Blueprint("ledger", __name__, url_prefix="/ledger", description="The public, append-only ledger")

_TEXT = {"content": {"text/plain": {"schema": {"type": "string"}}}}


@blp.route("/checkpoint")
@blp.doc(
    responses={
        "200": {
            "description": "latest signed checkpoint (C2SP signed note), with the witnesses' cosignatures held for it",
            **_TEXT,
        }
    }
)
@problems(blp, 404)
def checkpoint() -> Response:
    note = witnesses.latest_cosigned(current_bank())
    response = Response(note, mimetype="text/plain")
    response.headers["Cache-Control"] = "no-cache"
    return response


@blp.route("/key")
@blp.doc(responses={"200": {"description": "the log's verifier key, signed-note vkey form", **_TEXT}})
def key() -> Response:
    response = Response(current_bank().log_verifier().vkey + "\n", mimetype="text/plain")
    response.headers["Cache-Control"] = "public, max-age=300"
    return response


# A seq past what a 64-bit database integer holds is no entry (404); left unbounded, the query itself would fail.
@blp.route('/entries/<decimal(name="seq"):seq>')
# Credentials are optional: the institution that wrote an entry also gets its private body.
@auth.optional()
@blp.response(200, EntryResponse)
@problems(blp, 400, 401, 404)
def entry(seq: int) -> dict[str, Any]:
    reader = auth.optional_principal()
    return ledger_reads.entry(current_bank(), seq, reader_actor=reader.actor if reader else None)


@blp.route("/proofs/inclusion")
@blp.arguments(InclusionQuery, location="query", error_status_code=400)
@blp.response(200, InclusionResponse)
@problems(blp, 404)
def inclusion(args: dict[str, int]) -> dict[str, Any]:
    return ledger_reads.inclusion(current_bank(), args["seq"], args["size"])


@blp.route("/proofs/consistency")
@blp.arguments(ConsistencyQuery, location="query", error_status_code=400)
@blp.response(200, ConsistencyResponse)
@problems(blp, 404)
def consistency(args: dict[str, int]) -> dict[str, Any]:
    return ledger_reads.consistency(current_bank(), args["from_"], args["to"])
