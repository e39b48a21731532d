"""Expiry of what the portal hands out: share links, activation codes, wallet exchanges, signed-in sessions and
login-throttle windows; of the console's signed-in sessions; and of spreadsheet imports left unfinished (their
uploaded files deleted, see ``services.imports.upkeep``).

Expired share links and codes already stop working at the moment they expire (the checks compare
times); this only removes them later. They are kept for a while first, so a learner still sees a
recently expired link in their list and a late activation attempt is told "expired" rather than
"unknown". Sessions past their idle timeout or lifetime go at once: nothing is shown about them. A wallet exchange
lives minutes; one that never delivered goes a day after it expired (a wallet retrying late is still told
"expired"), while one that delivered stays as the learner's record of which wallet DID received what.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, or_

from creditbank.models import ActivationCode, LoginThrottle, ShareLink, WalletExchange
from creditbank.runtime import Bank
from creditbank.services.imports import upkeep as imports_upkeep
from creditbank.services.learner_access import portal_sessions
from creditbank.services.learner_access.accounts import FAILURE_WINDOW
from creditbank.services.staff import sessions as staff_sessions

RETENTION = timedelta(days=30)
EXCHANGE_RETENTION = timedelta(days=1)


def expire(bank: Bank, now: datetime | None = None) -> dict[str, int]:
    """Delete what has been dead longer than the retention; returns how many rows of each kind went."""
    moment = now or datetime.now(UTC)
    horizon = moment - RETENTION
    with bank.db.writing() as session:
        # A NULL withdrawal or use time compares as unknown, so only rows that ended before the horizon go.
        links = session.execute(
            delete(ShareLink).where(or_(ShareLink.expires_at < horizon, ShareLink.revoked_at < horizon))
        ).rowcount
        codes = session.execute(
            delete(ActivationCode).where(or_(ActivationCode.expires_at < horizon, ActivationCode.used_at < horizon))
        ).rowcount
        windows = session.execute(
            delete(LoginThrottle).where(
                LoginThrottle.window_start < moment - FAILURE_WINDOW,
                or_(LoginThrottle.locked_until.is_(None), LoginThrottle.locked_until < moment),
            )
        ).rowcount
        exchanges = session.execute(
            delete(WalletExchange).where(
                WalletExchange.expires_at < moment - EXCHANGE_RETENTION, WalletExchange.holder_did.is_(None)
            )
        ).rowcount
        sessions = portal_sessions.expire(session, moment)
        desks = staff_sessions.expire(session, moment)
        imports = imports_upkeep.expire(session, moment)
    return {
        "share_links": links,
        "activation_codes": codes,
        "wallet_exchanges": exchanges,
        "login_windows": windows,
        "portal_sessions": sessions,
        "staff_sessions": desks,
        "spreadsheet_imports": imports,
    }
