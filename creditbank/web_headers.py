"""Security headers on every answer: what a browser may load, frame, sniff, cache and tell other sites.

The pages carry no scripts at all, so the policy allows none; styles stay inline (`style` blocks and attributes in
the templates), which lets no code run. Share pages put a token in their path, hence `Referrer-Policy: same-origin`:
a link followed from them tells another site nothing. Personal pages are never cached, by the browser or anything
between, so the next person at a shared computer cannot page back through someone's record.
"""

from __future__ import annotations

from flask import Flask, Response, current_app, request

CONTENT_SECURITY_POLICY = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; form-action 'self'; "
    "base-uri 'none'; frame-ancestors 'none'"
)
# Two years, the span browsers' preload lists ask for; subdomains are the operator's to decide.
HSTS = "max-age=63072000"
_PERSONAL_PREFIXES = ("/me/", "/s/", "/staff/")
_PERSONAL_PATHS = frozenset({"/me", "/login", "/logout", "/activate", "/staff"})


def personal(path: str) -> bool:
    """Pages about one person, or on the way to signing in as one."""
    return path in _PERSONAL_PATHS or path.startswith(_PERSONAL_PREFIXES)


def _headers(response: Response) -> Response:
    headers = response.headers
    headers["X-Content-Type-Options"] = "nosniff"
    headers.setdefault("Referrer-Policy", "same-origin")
    if response.mimetype == "text/html":
        headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
        headers["X-Frame-Options"] = "DENY"
    # An answer to a request with credentials is what that caller alone may read (a profile, a private entry body,
    # a credential's PDF): no browser or proxy cache may keep it for the next user of the machine.
    if personal(request.path) or "Authorization" in request.headers:
        headers["Cache-Control"] = "no-store"
        headers.pop("Expires", None)
    if str(current_app.config.get("CREDITBANK_PUBLIC_URL", "")).startswith("https://"):
        headers["Strict-Transport-Security"] = HSTS
    return response


def install(app: Flask) -> None:
    app.after_request(_headers)
