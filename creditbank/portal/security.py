"""Sessions, CSRF tokens, the login requirement and safe redirects for the portal's pages.

Flask's signed cookie (HttpOnly, SameSite=Lax) carries the CSRF token and, once signed in, a random session token
that means something only while its row exists on the server (``creditbank.services.learner_access.portal_sessions``):
the cookie alone signs nobody in. Every form carries the per-session CSRF token; it is replaced whenever someone signs
in or out.
"""

from __future__ import annotations

import contextlib
import hmac
import os
import re
import secrets
from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import unquote, urlsplit

from flask import Flask, abort, g, redirect, request, session, url_for

from creditbank import keys
from creditbank.errors import ConfigurationError
from creditbank.runtime import current_bank
from creditbank.services.learner_access import portal_sessions
from creditbank.services.staff import sessions as staff_sessions

F = TypeVar("F", bound=Callable[..., Any])
SECRET_FILE = "session-secret"  # noqa: S105 - a file name, not a secret


def secret_key(instance_path: str, passphrase: str | None = None) -> bytes:
    """The cookie-signing secret: from the environment, or kept in the instance folder so every process shares it.

    The file is sealed with the key passphrase like every key file (``creditbank.keys``); one written by an earlier
    release holds the 32 bytes themselves and is still read (``creditbank keys reseal`` seals it).
    """
    configured = os.environ.get("CREDITBANK_SECRET_KEY")
    if configured:
        return configured.encode()
    path = Path(instance_path) / "keys" / SECRET_FILE
    if not path.exists():
        # Another process may write it first; then its secret is the one everybody reads.
        with contextlib.suppress(ConfigurationError):
            keys.write_sealed(path, secrets.token_bytes(32), passphrase, keys.SESSION_PURPOSE)
    data = path.read_bytes()
    if len(data) == keys.LEGACY_SESSION_SECRET_BYTES:
        return data
    return keys.unseal(data, passphrase, keys.SESSION_PURPOSE, path).secret


def configure(app: Flask) -> None:
    app.secret_key = secret_key(app.config["CREDITBANK_INSTANCE_PATH"], app.config["CREDITBANK_KEY_PASSPHRASE"])
    app.config.update(
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=str(app.config.get("CREDITBANK_PUBLIC_URL", "")).startswith("https://"),
        SESSION_COOKIE_NAME="creditbank_session",
    )


def csrf_token() -> str:
    token = session.get("csrf")
    if not isinstance(token, str):
        token = secrets.token_urlsafe(32)
        session["csrf"] = token
    return token


def check_csrf() -> None:
    expected = session.get("csrf")
    sent = request.form.get("csrf_token", "")
    if not isinstance(expected, str) or not hmac.compare_digest(expected, sent):
        abort(400, description="csrf")


_UNSEEN = object()
SESSION_KEY = "sid"
# The console's session token rides in the same cookie (``creditbank.console.security``).
STAFF_SESSION_KEY = "staff_sid"


def current_learner() -> str | None:
    """The signed-in learner, asked of the server once per request; a dead session is dropped from the cookie."""
    known = g.get("portal_learner", _UNSEEN)
    if known is not _UNSEEN:
        return known  # type: ignore[return-value]
    token = session.get(SESSION_KEY)
    learner = portal_sessions.learner_of(current_bank(), token) if isinstance(token, str) else None
    if learner is None and SESSION_KEY in session:
        if STAFF_SESSION_KEY in session:
            # The browser is also signed in to the console, whose forms carry the same CSRF token: only the portal's
            # dead session goes.
            session.pop(SESSION_KEY)
        else:
            session.clear()  # its CSRF token belonged to the session that ended
    g.portal_learner = learner
    return learner


def login_required(view: F) -> F:
    @wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        if current_learner() is None:
            return redirect(url_for("portal.login", next=request.path))
        return view(*args, **kwargs)

    return wrapped  # type: ignore[return-value]


def _end_everything() -> None:
    """Empty the cookie, ending on the server a console session it also names: signing in or out of the portal
    signs the browser out of both, so no staff session outlives the cookie that named it (a shared computer)."""
    staff_token = session.get(STAFF_SESSION_KEY)
    if isinstance(staff_token, str):
        staff_sessions.end(current_bank(), staff_token)
    session.clear()


def _replace(token: str, learner_id: str) -> None:
    _end_everything()
    session[SESSION_KEY] = token
    g.portal_learner = learner_id
    csrf_token()


def sign_in(learner_id: str) -> None:
    """A new server-side session, and a fresh cookie, so a planted cookie or CSRF token cannot ride along."""
    previous = session.get(SESSION_KEY)
    token = portal_sessions.start(current_bank(), learner_id, previous if isinstance(previous, str) else None)
    _replace(token, learner_id)


def resume(token: str, learner_id: str) -> None:
    """Carry on in a session the server has just opened (after a password change ended all the others)."""
    _replace(token, learner_id)


def sign_out() -> None:
    token = session.get(SESSION_KEY)
    if isinstance(token, str):
        portal_sessions.end(current_bank(), token)
    _end_everything()
    g.portal_learner = None


# Control characters (a tab or newline is dropped by browsers, so "/\t/evil.example" would become "//evil.example")
# and backslashes (read as slashes by browsers) have no place in a path the portal sends people back to.
_UNSAFE = re.compile(r"[\x00-\x1f\x7f\\]")


def safe_next(target: str | None, fallback: str = "/") -> str:
    """``target`` when it is a path on this site, else ``fallback``: the one check for every ``next=``.

    A raw line break answers 400: it can only be an attempt to split the Location header. Everything else odd
    (other hosts, schemes, protocol-relative or backslash forms, encoded control characters) falls back.
    """
    if not target:
        return fallback
    if "\n" in target or "\r" in target:
        abort(400)
    if len(target) > 2000 or not target.isascii():
        return fallback
    for form in (target, unquote(target)):
        if _UNSAFE.search(form) or not form.startswith("/") or form.startswith("//"):
            return fallback
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return fallback
    return target
