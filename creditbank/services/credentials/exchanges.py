"""Wallet delivery over a VC-API ("VCALM") exchange, the protocol the DCC Learner Credential Wallet runs.

The learner opens an exchange for one of their credentials on the documents page and gets its interaction URL (a
link and a QR code). The wallet asks that URL which protocols it speaks (``vcapi``: the exchange's own address),
posts ``{}`` and is asked for DID authentication (a challenge and the bank's domain), then posts a presentation
signed by its ``did:key``. Once that verifies, the wallet gets the credential exactly as it was issued — nothing is
re-signed, so its ledger fingerprint holds — and the exchange is closed.

An exchange is good for one delivery, a few rounds and a few minutes; it is bound at opening to the learner and
the credential, so its address alone (a bearer secret, stored only as a hash) can never deliver anything else.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Final
from urllib.parse import urlsplit

from sqlalchemy import delete, select

from certificates import did_auth
from certificates.contexts import VC_V2
from creditbank.errors import (
    Conflict,
    ExchangeClosed,
    ExchangeExpired,
    InvalidInput,
    NotFound,
    PresentationRefused,
)
from creditbank.models import Credential, CredentialDocument, WalletExchange
from creditbank.runtime import Bank

LIFETIME: Final = timedelta(minutes=10)
# One round asks for DID authentication, the others leave room for a wallet that retries a refused presentation.
MAX_ROUNDS: Final = 4
PATH: Final = "/api/v1/exchanges/"
# The wallet accepts an interaction URL of version 1 by this query parameter.
INTERACTION_QUERY: Final = "?iuv=1"
# A QR code a phone reads at arm's length from a screen: the interaction URL stays within this many characters.
QR_BUDGET: Final = 400
TOKEN_BYTES: Final = 32


@dataclass(frozen=True)
class Opened:
    exchange_url: str
    interaction_url: str
    expires_at: datetime


def _digest(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


def exchange_url(bank: Bank, token: str) -> str:
    return f"{bank.public_url}{PATH}{token}"


def domain(bank: Bank) -> str:
    """The domain a wallet's proof must name: the bank's host (and port) as its public address gives it."""
    return urlsplit(bank.public_url).netloc


def _deliverable(row: Credential | None, learner_id: str) -> Credential:
    if row is None or row.learner_id != learner_id:
        raise NotFound("no such credential of this learner")
    if row.revoked_seq is not None:
        raise Conflict("the credential was revoked: it is no longer delivered to wallets")
    if row.suspended:
        raise Conflict("the credential is suspended: it is not delivered to wallets while it is")
    return row


def open_exchange(bank: Bank, learner_id: str, credential_id: str, now: datetime | None = None) -> Opened:
    """A new exchange for one of the learner's credentials (a NotFound for anyone else's)."""
    now = now or datetime.now(UTC)
    token = secrets.token_urlsafe(TOKEN_BYTES)
    url = exchange_url(bank, token)
    interaction = url + INTERACTION_QUERY
    if len(interaction) > QR_BUDGET:
        raise Conflict(f"the bank's public address makes an interaction URL over {QR_BUDGET} characters")
    with bank.db.writing() as session:
        _deliverable(session.get(Credential, credential_id), learner_id)
        # The learner's stale exchanges go as a new one opens, so they never pile up; those that delivered stay,
        # as the learner's record of which wallet DID received what.
        session.execute(
            delete(WalletExchange).where(
                WalletExchange.learner_id == learner_id,
                WalletExchange.expires_at < now,
                WalletExchange.holder_did.is_(None),
            )
        )
        session.add(
            WalletExchange(
                digest=_digest(token),
                learner_id=learner_id,
                credential_id=credential_id,
                challenge=secrets.token_urlsafe(24),
                created_at=now,
                expires_at=now + LIFETIME,
                state="pending",
                rounds=0,
            )
        )
    return Opened(url, interaction, now + LIFETIME)


@dataclass(frozen=True)
class _Seen:
    challenge: str
    state: str


def _open_row(row: WalletExchange | None, now: datetime) -> WalletExchange:
    if row is None:
        raise NotFound("no such exchange: open a new one from your documents page")
    if row.state == "done":
        raise ExchangeClosed("this exchange delivered its credential already: open a new one to deliver it again")
    if row.expires_at <= now:
        raise ExchangeExpired(f"this exchange expired at {row.expires_at.isoformat()}: open a new one")
    if row.rounds >= MAX_ROUNDS:
        raise ExchangeClosed(f"this exchange used its {MAX_ROUNDS} rounds: open a new one")
    return row


def _look(bank: Bank, token: str, now: datetime) -> _Seen:
    with bank.db.reading() as session:
        row = _open_row(session.get(WalletExchange, _digest(token)), now)
        return _Seen(row.challenge, row.state)


def open_until(bank: Bank, token: str, now: datetime | None = None) -> datetime:
    """When the exchange stops working, for the page a person gets who opens the link in a browser; the wallet's
    refusals for one that is unknown, delivered, out of rounds or expired. A read: the page is no round."""
    now = now or datetime.now(UTC)
    with bank.db.reading() as session:
        return _open_row(session.get(WalletExchange, _digest(token)), now).expires_at


def protocols(bank: Bank, token: str, now: datetime | None = None) -> dict[str, Any]:
    """What the interaction URL answers a wallet: the protocols it may run, here only VC-API."""
    _look(bank, token, now or datetime.now(UTC))
    return {"protocols": {"vcapi": exchange_url(bank, token)}}


_BODY = 'the body must be {} or {"verifiablePresentation": …} and nothing else'


def participate(bank: Bank, token: str, body: Any, now: datetime | None = None) -> dict[str, Any]:
    """One round of the exchange: ``{}`` is answered with the DID authentication request, a verifiable
    presentation with the credential once the presentation verifies. Every round counts, a refused one too."""
    now = now or datetime.now(UTC)
    seen = _look(bank, token, now)
    if not isinstance(body, dict):
        refusal: Exception | None = InvalidInput(_BODY)
        holder = None
    elif body == {}:
        refusal, holder = None, None
    elif set(body) == {"verifiablePresentation"}:
        # Verified before any write: canonicalization takes milliseconds, and no lock is held meanwhile.
        try:
            holder = did_auth.verify(body["verifiablePresentation"], challenge=seen.challenge, domain=domain(bank))
            refusal = None
        except did_auth.Refused as refused:
            refusal, holder = PresentationRefused(str(refused)), None
    else:
        refusal = InvalidInput(_BODY)
        holder = None
    with bank.db.writing() as session:
        row = _open_row(session.get(WalletExchange, _digest(token), with_for_update=True), now)
        row.rounds += 1
        if refusal is None and holder is None:
            row.state = "presented"
            answer: dict[str, Any] | None = _request(bank, token, row.challenge)
        elif refusal is None:
            credential = _deliverable(session.get(Credential, row.credential_id), row.learner_id)
            stored = session.get(CredentialDocument, credential.id)
            if stored is None:
                raise NotFound("the credential's document is gone")
            row.state, row.holder_did = "done", holder
            answer = {
                "verifiablePresentation": {
                    "@context": [VC_V2],
                    "type": ["VerifiablePresentation"],
                    "verifiableCredential": [json.loads(stored.document)],
                }
            }
        else:
            answer = None
    # Raised after the commit, so the refused round stays counted.
    if refusal is not None:
        raise refusal
    assert answer is not None
    return answer


def _request(bank: Bank, token: str, challenge: str) -> dict[str, Any]:
    return {
        "verifiablePresentationRequest": {
            "query": [{"type": "DIDAuthentication", "acceptedMethods": [{"method": "key"}]}],
            "challenge": challenge,
            "domain": domain(bank),
            "interact": {
                "service": [
                    {"type": "UnmediatedHttpPresentationService2021", "serviceEndpoint": exchange_url(bank, token)}
                ]
            },
        }
    }


def holder_dids(bank: Bank, learner_id: str) -> list[str]:
    """The wallet DIDs the learner proved in exchanges still kept, newest first (for the learner only)."""
    with bank.db.reading() as session:
        found = session.scalars(
            select(WalletExchange.holder_did)
            .where(WalletExchange.learner_id == learner_id, WalletExchange.holder_did.is_not(None))
            .order_by(WalletExchange.created_at.desc())
        )
        return list(dict.fromkeys(did for did in found if did))
