"""The witness endpoint of C2SP tlog-witness: ``POST /witness/add-checkpoint``.

The protocol speaks plain text: a refusal is its status code with a one-line reason, and a stale old size is a 409
whose ``text/x.tlog.size`` body is the size held. The body is bounded before it is read.
"""

from __future__ import annotations

from flask import Blueprint, Response, request

from creditbank.errors import DomainError, WitnessSizeConflict
from creditbank.runtime import current_bank
from creditbank.services.transparency import witness
from creditbank.services.transparency.witness import MAX_REQUEST_BYTES

# A plain Flask blueprint, outside the OpenAPI document: the C2SP spec defines this endpoint, and its refusals are
# plain text, where every operation the document lists answers errors as problem documents.
blp = Blueprint("witness", __name__, url_prefix="/witness")


def _text(status: int, body: str, content_type: str = "text/plain; charset=utf-8") -> Response:
    # Given whole, so that the 409's type stays exactly text/x.tlog.size, with no charset added.
    response = Response(body, status=status, content_type=content_type)
    response.headers["Cache-Control"] = "no-store"
    return response


@blp.route("/add-checkpoint", methods=["POST"])
def add_checkpoint() -> Response:
    """200 with the cosignature line(s); 400 malformed or old size past the checkpoint's; 403 no valid signature
    by the log's key; 404 unknown origin; 409 stale old size (``text/x.tlog.size``) or a fork at the same size;
    413 a body over the bound; 422 a consistency proof that does not verify."""
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
