"""The ledger as a C2SP tlog-tiles log (c2sp.org/tlog-tiles), under the same prefix as its checkpoint: /ledger."""

from __future__ import annotations

from flask import Response

from api.blueprint import Blueprint
from api.operations import problems
from creditbank.runtime import current_bank
from creditbank.services.transparency import tiles

blp = Blueprint("tiles", __name__, url_prefix="/ledger", description="The ledger as a C2SP tlog-tiles log")

_BINARY = {"content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}}}
# A full tile never changes. A partial one does not either, but the specification lets a log drop it once the full
# tile exists, so a cache is told to ask again soon.
_FULL = "public, max-age=31536000, immutable"
_PARTIAL = "public, max-age=60"


def _answer(found: tiles.TileData) -> Response:
    response = Response(found.data, mimetype="application/octet-stream")
    response.headers["Cache-Control"] = _FULL if found.full else _PARTIAL
    return response


# Werkzeug tries the rule with the fixed segment first, so /tile/entries/... never reaches the level rule below.
@blp.route("/tile/entries/<path:path>")
@blp.doc(
    responses={
        "200": {
            "description": "entry bundle <N>[.p/<W>]: each public entry's JCS bytes after its length as a big-endian "
            "uint16; SHA-256(0x00 ‖ bytes) is its leaf hash",
            **_BINARY,
        }
    }
)
@problems(blp, 400, 404)
def bundle(path: str) -> Response:
    return _answer(tiles.bundle(current_bank(), path))


@blp.route("/tile/<path:path>")
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
    return _answer(tiles.hashes(current_bank(), path))
