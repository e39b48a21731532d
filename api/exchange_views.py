"""Wallet exchanges (VC-API): the interaction URL a wallet reads from a QR code, and the exchange it runs there.

No account: the exchange's address is the secret the learner handed their wallet. The wallet speaks JSON, so
there is no CSRF token; every refusal is a problem document and nothing is delivered.
"""

from __future__ import annotations

from typing import Any

from flask import Response, jsonify, request
from werkzeug.exceptions import RequestEntityTooLarge

from api.blueprint import Blueprint, load_body
from api.operations import problems
from creditbank.runtime import current_bank
from creditbank.services.credentials import exchanges

blp = Blueprint("exchanges", __name__, url_prefix="/api/v1", description="Wallet delivery (VC-API exchanges)")
_ID = "<string(minlength=16,maxlength=64):exchange_id>"
# A DID authentication is about a kilobyte; this leaves room for any wallet's spelling of it.
MAX_BODY_BYTES = 64 * 1024
_OBJECT = {"content": {"application/json": {"schema": {"type": "object"}}}}


def _json(found: dict[str, Any]) -> Response:
    response = jsonify(found)
    # Each answer belongs to one exchange at one moment: never kept by a cache.
    response.headers["Cache-Control"] = "no-store"
    return response


@blp.route(f"/exchanges/{_ID}")
@blp.doc(
    parameters=[{"in": "query", "name": "iuv", "required": False, "schema": {"type": "string", "enum": ["1"]}}],
    responses={"200": {"description": 'the protocols the exchange runs: {"protocols": {"vcapi": <URL>}}', **_OBJECT}},
)
@problems(blp, 404, 409, 410)
def interaction(exchange_id: str) -> Response:
    """The interaction URL (`?iuv=1`): which protocols a wallet may run for this exchange."""
    return _json(exchanges.protocols(current_bank(), exchange_id))


@blp.route(f"/exchanges/{_ID}", methods=["POST"])
@blp.doc(
    requestBody={"required": True, **_OBJECT},
    responses={
        "200": {
            "description": "to `{}`, a `verifiablePresentationRequest` (DID authentication); to a verified "
            "`verifiablePresentation`, one holding the credential as issued",
            **_OBJECT,
        }
    },
)
@problems(blp, 400, 404, 409, 410, 413, 415, 422)
def participate(exchange_id: str) -> Response:
    """One round of the VC-API exchange: `{}`, then `{"verifiablePresentation": …}` signed by the wallet's did:key."""
    length = request.content_length
    if length is not None and length > MAX_BODY_BYTES:
        raise RequestEntityTooLarge(f"an exchange message is at most {MAX_BODY_BYTES} bytes")
    data = request.stream.read(MAX_BODY_BYTES + 1)
    if len(data) > MAX_BODY_BYTES:
        raise RequestEntityTooLarge(f"an exchange message is at most {MAX_BODY_BYTES} bytes")
    return _json(exchanges.participate(current_bank(), exchange_id, load_body(data)))
