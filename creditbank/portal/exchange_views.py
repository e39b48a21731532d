"""Into the wallet: a learner opens a VC-API exchange for one of their documents and gets its QR code and link,
which the DCC Learner Credential Wallet scans to fetch the credential (creditbank.services.credentials.exchanges).

A POST with the form's CSRF token, since each one opens a new exchange; the page it answers holds the exchange's
secret address, so it is never cached (every /me/ page is no-store) and never reached by a plain link.
"""

from __future__ import annotations

import segno
from flask import abort, render_template
from markupsafe import Markup

from creditbank.errors import Conflict, NotFound
from creditbank.languages import i18n
from creditbank.portal import security
from creditbank.portal.security import login_required
from creditbank.portal.views import bp
from creditbank.runtime import current_bank
from creditbank.services.credentials import exchanges


@bp.route("/me/documents/<string(maxlength=64):credential_id>/wallet", methods=["POST"])
@login_required
def document_wallet(credential_id: str) -> str:
    security.check_csrf()
    learner = security.current_learner()
    assert learner is not None  # login_required ran first
    try:
        opened = exchanges.open_exchange(current_bank(), learner, credential_id)
    except NotFound:
        abort(404)
    except Conflict:
        # Revoked or suspended: the documents page offers no wallet button for those.
        abort(409)
    # Level M survives a smudged screen; segno's SVG is markup of its own making, with the title read aloud.
    code = segno.make(opened.interaction_url, error="m", micro=False)
    svg = code.svg_inline(scale=5, border=4, dark="#1f2a44", title=i18n.translate("exchange_qr_title"))
    return render_template(
        "portal/wallet.html",
        qr=Markup(svg),  # noqa: S704 - segno's own markup, the title escaped by it
        link=opened.interaction_url,
        expires_at=opened.expires_at,
    )
