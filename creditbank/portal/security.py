"""Sessions, CSRF tokens and the login requirement for the portal's pages.

The session is Flask's signed cookie (HttpOnly, SameSite=Lax); it holds the learner id and the time their password
last changed, so changing the password ends every other session. Every form carries a per-session CSRF token.
"""

from __future__ import annotations

import hmac
import os
import secrets
from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import Any, TypeVar

from flask import Flask, abort, redirect, request, session, url_for

from creditbank.runtime import current_bank
from creditbank.services import accounts

F = TypeVar("F", bound=Callable[..., Any])
SECRET_FILE = "session-secret"  # noqa: S105 - a file name, not a secret


def secret_key(instance_path: str) -> bytes:
    """The cookie-signing secret: from the environment, or kept in the instance folder so every process shares it."""
    configured = os.environ.get("CREDITBANK_SECRET_KEY")
    if configured:
        return configured.encode()
    path = Path(instance_path) / "keys" / SECRET_FILE
    if path.exists():
        return path.read_bytes()
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_bytes()  # another process wrote it first
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(secrets.token_bytes(32))
    return path.read_bytes()


def configure(app: Flask) -> None:
    app.secret_key = secret_key(app.config["CREDITBANK_INSTANCE_PATH"])
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


def current_learner() -> str | None:
    learner = session.get("learner")
    changed = session.get("since")
    if not isinstance(learner, str) or not isinstance(changed, str):
        return None
    if not accounts.session_valid(current_bank(), learner, changed):
        session.clear()
        return None
    return learner


def login_required(view: F) -> F:
    @wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        if current_learner() is None:
            return redirect(url_for("portal.login", next=request.path))
        return view(*args, **kwargs)

    return wrapped  # type: ignore[return-value]


def sign_in(login: accounts.Login) -> None:
    session.clear()  # a fresh session on login, so a planted cookie cannot ride along
    session["learner"] = login.learner_id
    session["since"] = login.password_changed_at.isoformat()
    csrf_token()
