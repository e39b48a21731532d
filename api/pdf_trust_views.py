"""The bank's PDF signing root, published so that verifiers and PDF readers can pin it."""

from __future__ import annotations

from flask import Response

from api.blueprint import Blueprint
from creditbank.runtime import current_bank
from creditbank.services.credentials import pdf_keys

blp = Blueprint("pdf_trust", __name__, description="The root certificate the bank's PDF signatures chain to")


@blp.route(pdf_keys.WELL_KNOWN_PATH)
@blp.doc(
    responses={
        "200": {
            "description": "the bank's PDF signing root certificate(s), PEM; the same ones the DID document lists",
            "content": {"application/x-pem-file": {"schema": {"type": "string"}}},
        }
    }
)
def pdf_signing_roots() -> Response:
    return Response(pdf_keys.roots_pem(current_bank()), mimetype="application/x-pem-file")
