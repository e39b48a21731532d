"""The ledger as a C2SP tlog-tiles log (c2sp.org/tlog-tiles), under the same prefix as its checkpoint: /ledger."""

from __future__ import annotations

import gzip

from flask import Response, request

from api.blueprint import Blueprint
from api.operations import problems
from creditbank.errors import BadParameter
from creditbank.runtime import current_bank
from creditbank.services.transparency import tiles

blp = Blueprint("tiles", __name__, url_prefix="/ledger", description="The ledger as a C2SP tlog-tiles log")

_BINARY = {"content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}}}
# A full tile never changes. A partial one does not either, but the specification lets a log drop it once the full
# tile exists, so a cache is told to ask again soon.
_FULL = "public, max-age=31536000, immutable"
_PARTIAL = "public, max-age=60"
# Bundles of JSON shrink about fivefold; level 6 costs a few milliseconds a bundle, the read itself about as much.
_GZIP_LEVEL = 6


def _as_sent(path: str) -> str:
    """``path`` as the client wrote it: a tile has one spelling, so one percent-encoded (``x001%2F234``, ``%30%30%30``)
    is refused like any other misspelling instead of being decoded into a second address of the same tile. The WSGI
    path is decoded already; the request line as sent (RAW_URI under gunicorn, REQUEST_URI in Werkzeug) is not."""
    sent = request.environ.get("RAW_URI") or request.environ.get("REQUEST_URI")
    if sent is not None and not sent.partition("?")[0].endswith(path):
        refused = "a tile path is written without percent-encoding"
        raise BadParameter(f"tile path: {refused}", errors={"path": refused})
    return path


def _answer(found: tiles.TileData) -> Response:
    response = Response(found.data, mimetype="application/octet-stream")
    response.headers["Cache-Control"] = _FULL if found.full else _PARTIAL
    return response


def _compressed(found: tiles.TileData) -> Response:
    """An entry bundle, gzipped for a client that accepts it (the specification asks bundles to be compressed at the
    HTTP layer). Hashes are not: random bytes do not shrink. A client that does not name gzip, or refuses it with
    q=0, gets the bytes as they are, so a plain reader is never handed an encoding it did not ask for."""
    response = _answer(found)
    response.vary.add("Accept-Encoding")
    if request.accept_encodings["gzip"] > 0:
        # mtime=0: the same bundle is the same bytes on every request and in every process, as a cache expects.
        response.set_data(gzip.compress(found.data, compresslevel=_GZIP_LEVEL, mtime=0))
        response.headers["Content-Encoding"] = "gzip"
    return response


# Werkzeug tries the rule with the fixed segment first, so /tile/entries/... never reaches the level rule below.
# merge_slashes=False: /tile//0/000 is no tile's path, and is not redirected to one.
@blp.route("/tile/entries/<path:path>", merge_slashes=False)
@blp.doc(
    responses={
        "200": {
            "description": "entry bundle <N>[.p/<W>]: each public entry's JCS bytes after its length as a big-endian "
            "uint16; SHA-256(0x00 ‖ bytes) is its leaf hash. Content-Encoding gzip when Accept-Encoding allows it",
            **_BINARY,
        }
    }
)
@problems(blp, 400, 404)
def bundle(path: str) -> Response:
    return _compressed(tiles.bundle(current_bank(), _as_sent(path)))


@blp.route("/tile/<path:path>", merge_slashes=False)
@blp.doc(
    responses={
        "200": {
            "description": "Merkle tree tile <L>/<N>[.p/<W>]: up to 256 hashes of the nodes at height 8·L, "
            "32 bytes each",
            **_BINARY,
        }
    }
)
@problems(blp, 400, 404)
def tile(path: str) -> Response:
    return _answer(tiles.hashes(current_bank(), _as_sent(path)))
