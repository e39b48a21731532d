"""Wallet exchanges (VC-API): the interaction URL a wallet reads from a QR code, and the exchange it runs there.

No account: the exchange's address is the secret the learner handed their wallet. The wallet speaks JSON, so
there is no CSRF token; every refusal is a problem document and nothing is delivered.

A person who opens the interaction URL in a web browser (one that prefers ``text/html`` to JSON) gets a page
instead, in their language, saying what the link is for and how to hand it to the wallet. It is rendered here, at
the interaction URL itself, from the portal's template by name (a template, not an import: the API still reaches
the application only through its services, and the visitor's language through :mod:`creditbank.languages`, as the
API docs page does). A redirect to a portal route would have put the secret into a second address, and the address
bar would no longer hold the link the wallet's "paste a link" box takes. The page reveals nothing of the learner
or the credential, is never cached or named to another site, and is no round of the exchange.
"""

from __future__ import annotations

from typing import Any

import segno
from flask import Response, jsonify, make_response, render_template, request
from markupsafe import Markup
from werkzeug.exceptions import RequestEntityTooLarge

from api.blueprint import Blueprint, load_body
from api.operations import problems
from creditbank.errors import ExchangeClosed, ExchangeExpired, NotFound
from creditbank.languages import i18n
from creditbank.runtime import current_bank
from creditbank.services.credentials import exchanges

blp = Blueprint("exchanges", __name__, url_prefix="/api/v1", description="Wallet delivery (VC-API exchanges)")
_ID = "<string(minlength=16,maxlength=64):exchange_id>"
# A DID authentication is about a kilobyte; this leaves room for any wallet's spelling of it.
MAX_BODY_BYTES = 64 * 1024
_OBJECT = {"content": {"application/json": {"schema": {"type": "object"}}}}
# What the page says of a link that no longer works, by the status the wallet's JSON gives it.
CLOSED = {404: "exchange_page_unknown", 409: "exchange_page_used", 410: "exchange_page_expired"}


def _json(found: dict[str, Any]) -> Response:
    response = jsonify(found)
    # Each answer belongs to one exchange at one moment: never kept by a cache.
    response.headers["Cache-Control"] = "no-store"
    return response


def _wants_page() -> bool:
    """A browser, which asks for text/html ahead of JSON (Chromium, Firefox and Safari name it first, JSON only
    through */* at a lower q). A wallet's application/json, */*, or no Accept at all get the JSON."""
    accept = request.accept_mimetypes
    return accept.quality("text/html") > accept.quality("application/json")


def _page(token: str) -> Response:
    bank = current_bank()
    closed: str | None = None
    shown: dict[str, object] = {}
    try:
        until = exchanges.open_until(bank, token)
    except (NotFound, ExchangeClosed, ExchangeExpired) as refused:
        status, closed = refused.status, CLOSED[refused.status]
    else:
        status = 200
        # From the bank's public address, never the request's Host: the same URL the documents page handed out.
        link = exchanges.exchange_url(bank, token) + exchanges.INTERACTION_QUERY
        code = segno.make(link, error="m", micro=False)
        svg = code.svg_inline(scale=5, border=4, dark="#1f2a44", title=i18n.translate("exchange_qr_title"))
        shown = {"link": link, "qr": Markup(svg), "until": until}  # noqa: S704 - segno's own markup, title escaped
    page = render_template("portal/exchange_link.html", closed=closed, **shown)
    response = make_response(page, status)
    response.headers["Cache-Control"] = "no-store"
    # The secret is in this page's own address: a link followed from it names no page to the next site.
    response.headers["Referrer-Policy"] = "no-referrer"
    response.vary.add("Accept")
    return response


@blp.route(f"/exchanges/{_ID}")
@blp.doc(
    parameters=[{"in": "query", "name": "iuv", "required": False, "schema": {"type": "string", "enum": ["1"]}}],
    responses={
        "200": {
            "description": 'the protocols the exchange runs: {"protocols": {"vcapi": <URL>}}; to a client that '
            "prefers text/html (a web browser), a page in the visitor's language on how to hand the link to the "
            "wallet, with the status the JSON would have",
            **_OBJECT,
        }
    },
)
@problems(blp, 404, 409, 410)
def interaction(exchange_id: str) -> Response:
    """The interaction URL (`?iuv=1`): which protocols a wallet may run for this exchange."""
    if _wants_page():
        return _page(exchange_id)
    response = _json(exchanges.protocols(current_bank(), exchange_id))
    response.vary.add("Accept")
    return response


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
