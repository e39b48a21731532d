"""Whether a wallet exchange's link still works, and until when: for the page a person gets who opens the
interaction URL in a web browser rather than in the wallet.

A read and nothing more. Opening the page is no round of the exchange, so a wallet can still finish it afterwards;
the rules are the wallet's own (:func:`exchanges._open_row`), so the page and the JSON agree on every link.
"""

from __future__ import annotations

from datetime import UTC, datetime

from creditbank.models import WalletExchange
from creditbank.runtime import Bank
from creditbank.services.credentials import exchanges


def open_until(bank: Bank, token: str, now: datetime | None = None) -> datetime:
    """When the exchange stops working; the wallet's refusals (NotFound, ExchangeClosed, ExchangeExpired) for one
    that is unknown, delivered, out of rounds or expired."""
    now = now or datetime.now(UTC)
    with bank.db.reading() as session:
        row = exchanges._open_row(session.get(WalletExchange, exchanges._digest(token)), now)
        return row.expires_at
