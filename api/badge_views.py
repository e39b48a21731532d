"""Baked badges: a certificate's Open Badge as a PNG or SVG image with the signed credential inside."""

from __future__ import annotations

from flask import Response

from api import auth
from api.blueprint import Blueprint
from api.operations import problems
from creditbank.runtime import current_bank
from creditbank.services import credentials

blp = Blueprint("badges", __name__, url_prefix="/api/v1", description="Baked Open Badges (PNG and SVG)")
_ID = "<string(maxlength=64):credential_id>"


def _badge(credential_id: str, image: credentials.BadgeFormat) -> Response:
    principal = auth.principal()
    bank = current_bank()
    data = credentials.badge(bank, principal, credential_id, image)
    named = credentials.content_disposition(bank, principal, credential_id, image)
    return Response(data, mimetype=credentials.BADGE_MIMETYPES[image], headers={"Content-Disposition": named})


def _documented(mimetype: str) -> dict[str, object]:
    return {
        "200": {
            "description": "the badge image with the signed credential baked in (Open Badges 3.0); it verifies at "
            "POST /api/v1/verify like the credential's JSON",
            "content": {mimetype: {"schema": {"type": "string", "format": "binary"}}},
        }
    }


@blp.route(f"/credentials/{_ID}/badge.png")
@auth.requires("records:read")
@blp.doc(responses=_documented("image/png"))
# 409: a transcript (a CLR wrapping several achievements) is no Open Badge and bakes into no image.
@problems(blp, 401, 403, 404, 409)
def get_badge_png(credential_id: str) -> Response:
    """A certificate this institution issued, as a PNG badge with the credential in an iTXt chunk."""
    return _badge(credential_id, "png")


@blp.route(f"/credentials/{_ID}/badge.svg")
@auth.requires("records:read")
@blp.doc(responses=_documented("image/svg+xml"))
@problems(blp, 401, 403, 404, 409)
def get_badge_svg(credential_id: str) -> Response:
    """A certificate this institution issued, as an SVG badge with the credential in an openbadges:credential
    element."""
    return _badge(credential_id, "svg")
