"""The witness endpoint of C2SP tlog-witness: ``POST /witness/add-checkpoint``.

The protocol speaks plain text: a refusal is its status code with a one-line reason, and a stale old size is a 409
whose ``text/x.tlog.size`` body is the size held. The body is bounded before it is read.
"""

from __future__ import annotations

from flask import Response, request

from api.blueprint import Blueprint
from creditbank.errors import DomainError, WitnessSizeConflict
from creditbank.runtime import current_bank
from creditbank.services.transparency import witness
from creditbank.services.transparency.witness import MAX_REQUEST_BYTES

blp = Blueprint("witness", __name__, url_prefix="/witness", description="This bank as a witness of other logs")

_TEXT = {"content": {"text/plain": {"schema": {"type": "string"}}}}
_RESPONSES = {
    "200": {"description": "the cosignature line(s) of this bank's witness key", **_TEXT},
    "400": {"description": "malformed request, or old size beyond the checkpoint's", **_TEXT},
    "403": {"description": "no valid signature by the log's key", **_TEXT},
    "404": {"description": "the checkpoint's origin is not a log this bank witnesses", **_TEXT},
    "409": {
        "description": "old size is not the size cosigned last (body: that size), or a fork at the same size",
        "content": {"text/x.tlog.size": {"schema": {"type": "string"}}, "text/plain": {"schema": {"type": "string"}}},
    },
    "413": {"description": f"the body exceeds {MAX_REQUEST_BYTES} bytes", **_TEXT},
    "422": {"description": "the consistency proof does not verify", **_TEXT},
}


def _text(status: int, body: str, content_type: str = "text/plain; charset=utf-8") -> Response:
    # Given whole, so that the 409's type stays exactly text/x.tlog.size, with no charset added.
    response = Response(body, status=status, content_type=content_type)
    response.headers["Cache-Control"] = "no-store"
    return response


@blp.route("/add-checkpoint", methods=["POST"])
@blp.doc(
    summary="Submit a checkpoint with a consistency proof; get this bank's cosignature",
    requestBody={"required": True, "content": {"text/plain": {"schema": {"type": "string"}}}},
    responses=_RESPONSES,
)
def add_checkpoint() -> Response:
    length = request.content_length
    if length is not None and length > MAX_REQUEST_BYTES:
        return _text(413, f"the request body must not exceed {MAX_REQUEST_BYTES} bytes\n")
    body = request.stream.read(MAX_REQUEST_BYTES + 1)
    if len(body) > MAX_REQUEST_BYTES:
        return _text(413, f"the request body must not exceed {MAX_REQUEST_BYTES} bytes\n")
    try:
        lines = witness.add_checkpoint(current_bank(), body)
    except WitnessSizeConflict as conflict:
        return _text(409, f"{conflict.known_size}\n", "text/x.tlog.size")
    except DomainError as refusal:
        if refusal.status >= 500:
            raise
        return _text(refusal.status, refusal.detail + "\n")
    return _text(200, lines)
