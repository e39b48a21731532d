"""Security headers on every answer: what a browser may load, frame, sniff, cache and tell other sites.

Pages carry no scripts, so the policy allows none; the few portal pages that load the portal's own script file
(a show-password button, a copy button; each works without it) say so with `own_script()`, and only their answers
allow `script-src 'self'` — still nothing inline, no eval. Styles stay inline (`style` blocks and attributes in the
templates), which lets no code run. Share pages put a token in their path, hence `Referrer-Policy: same-origin`:
a link followed from them tells another site nothing. Personal pages are never cached, by the browser or anything
between, so the next person at a shared computer cannot page back through someone's record.
"""

from __future__ import annotations

from flask import Flask, Response, current_app, g, request

CONTENT_SECURITY_POLICY = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; form-action 'self'; "
    "base-uri 'none'; frame-ancestors 'none'"
)
SCRIPTED_POLICY = CONTENT_SECURITY_POLICY.replace("default-src 'none';", "default-src 'none'; script-src 'self';")
# Two years, the span browsers' preload lists ask for; subdomains are the operator's to decide.
HSTS = "max-age=63072000"
_PERSONAL_PREFIXES = ("/me/", "/s/", "/staff/")
_PERSONAL_PATHS = frozenset({"/me", "/login", "/logout", "/activate", "/forgot", "/reset", "/staff"})


def personal(path: str) -> bool:
    """Pages about one person, or on the way to signing in as one."""
    return path in _PERSONAL_PATHS or path.startswith(_PERSONAL_PREFIXES)


def own_script() -> None:
    """This request's page loads the site's own script file (``creditbank/static/portal.js``)."""
    g.own_script = True


def _headers(response: Response) -> Response:
    headers = response.headers
    headers["X-Content-Type-Options"] = "nosniff"
    headers.setdefault("Referrer-Policy", "same-origin")
    if response.mimetype == "text/html":
        headers["Content-Security-Policy"] = SCRIPTED_POLICY if g.get("own_script") else CONTENT_SECURITY_POLICY
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
