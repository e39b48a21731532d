"""The console's sign-in state: a server-side staff session named by a token in the site's signed cookie.

The cookie is the one the portal uses (``creditbank.portal.security``): HttpOnly, SameSite=Lax, and its CSRF token
guards every console form too. Signing in or out replaces the token, so one planted before cannot ride along.
Roles are checked by ``staff_required``; which institution's data a member may touch is the services' business,
through the ``Principal`` the member acts as.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar
from urllib.parse import urlsplit

from flask import abort, g, redirect, request, session, url_for

from creditbank.portal.security import STAFF_SESSION_KEY, check_csrf, csrf_token, safe_next
from creditbank.runtime import current_bank
from creditbank.services.staff import accounts, sessions
from creditbank.services.staff.members import StaffMember

__all__ = ["check_csrf", "csrf_token", "current_staff", "recently_confirmed", "safe_next", "staff_required"]

F = TypeVar("F", bound=Callable[..., Any])
SESSION_KEY = STAFF_SESSION_KEY
_UNSEEN = object()


def _token() -> str | None:
    token = session.get(SESSION_KEY)
    return token if isinstance(token, str) else None


def _lookup() -> tuple[StaffMember, Any] | None:
    known = g.get("console_staff", _UNSEEN)
    if known is not _UNSEEN:
        return known  # type: ignore[return-value]
    token = _token()
    found = None
    if token is not None:
        alive = sessions.lookup(current_bank(), token)
        member = accounts.get(current_bank(), alive[0]) if alive is not None else None
        if alive is not None and member is not None:
            found = (member, alive[1])
        else:
            session.pop(SESSION_KEY, None)
    g.console_staff = found
    return found


def current_staff() -> StaffMember | None:
    found = _lookup()
    return found[0] if found is not None else None


def recently_confirmed() -> bool:
    """Whether password and code were given within the re-authentication window in this session."""
    found = _lookup()
    return found is not None and sessions.recent(found[1])


def sign_in(token: str) -> None:
    previous = _token()
    if previous is not None:
        sessions.end(current_bank(), previous)
    session.pop(SESSION_KEY, None)
    session.pop("csrf", None)
    session[SESSION_KEY] = token
    g.pop("console_staff", None)
    csrf_token()


def sign_out() -> None:
    token = _token()
    if token is not None:
        sessions.end(current_bank(), token)
    session.pop(SESSION_KEY, None)
    session.pop("csrf", None)
    g.console_staff = None


def _referring_page() -> str | None:
    referrer = request.referrer
    if not referrer:
        return None
    parts = urlsplit(referrer)
    if parts.netloc != request.host:
        return None
    return parts.path + (f"?{parts.query}" if parts.query else "")


def session_token() -> str:
    token = _token()
    assert token is not None  # staff_required ran first
    return token


def staff_required(*roles: str, confirm: bool = False) -> Callable[[F], F]:
    """Signed-in staff with one of ``roles`` (any role when none is named); every POST must carry the CSRF token.

    With ``confirm``, a POST also needs password and code given within the re-authentication window; otherwise the
    member is sent to confirm and back to the page the form was on.
    """

    def decorate(view: F) -> F:
        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            member = current_staff()
            if member is None:
                return redirect(url_for("console.login", next=request.full_path.rstrip("?")))
            if roles and member.role not in roles:
                abort(403)
            if request.method == "POST":
                check_csrf()
                if confirm and not recently_confirmed():
                    back = safe_next(request.form.get("back") or _referring_page(), url_for("console.home"))
                    return redirect(url_for("console.reauth", next=back))
            return view(*args, **kwargs)

        return wrapped  # type: ignore[return-value]

    return decorate
