"""The learner's badges: each certificate on the documents page as an Open Badge image (PNG or SVG) with the signed
credential baked in, to put on a profile or send to anyone who wants to check it."""

from __future__ import annotations

from flask import Response, abort

from creditbank.errors import Conflict, NotFound
from creditbank.languages import i18n
from creditbank.portal import security
from creditbank.portal.security import login_required
from creditbank.portal.views import bp
from creditbank.runtime import current_bank
from creditbank.services import credentials
from creditbank.services.learner_access import portal


@bp.route("/me/documents/<string(maxlength=64):credential_id>.png", defaults={"image": "png"})
@bp.route("/me/documents/<string(maxlength=64):credential_id>.svg", defaults={"image": "svg"})
@login_required
def document_badge(credential_id: str, image: credentials.BadgeFormat) -> Response:
    bank = current_bank()
    learner = security.current_learner()
    assert learner is not None  # login_required ran first
    try:
        portal.owned(bank, learner, credential_id)
        data = credentials.badge(bank, None, credential_id, image)
    except (NotFound, Conflict):
        # Someone else's credential and a transcript (which bakes into no badge) alike: there is no such image.
        abort(404)
    named = credentials.content_disposition(bank, None, credential_id, image, i18n.language())
    return Response(data, mimetype=credentials.BADGE_MIMETYPES[image], headers={"Content-Disposition": named})
