"""Institution API keys: issued by the admin CLI, shown once, stored as hashes, scoped, revocable.

A key reads ``cb_<id>_<secret>``: the id finds the row, the secret's SHA-256 is compared in
constant time. Keys carry 256 bits of randomness, so a slow password hash would add nothing.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import bindparam, select

from creditbank import actors
from creditbank.errors import Forbidden, InvalidInput, NotFound, Unauthenticated
from creditbank.models import ApiKey, Institution
from creditbank.runtime import Bank

SCOPES = ("records:read", "records:write", "credentials:write", "qualifications:award")
_TOKEN = re.compile(r"cb_([a-z0-9]{12})_([A-Za-z0-9_-]{43})")


@dataclass(frozen=True)
class IssuedKey:
    id: str
    institution_id: str
    scopes: tuple[str, ...]
    token: str


@dataclass(frozen=True)
class Principal:
    key_id: str
    institution_id: str
    scopes: frozenset[str]
    # The staff account acting through the console, whose pseudonym the ledger's actor then carries.
    staff: str | None = None

    @property
    def actor(self) -> str:
        return actors.institution_actor(self.institution_id, self.staff)

    def require(self, scope: str) -> None:
        if scope not in self.scopes:
            raise Forbidden(f"this API key lacks the {scope!r} scope")


def _hash(secret: str) -> bytes:
    return hashlib.sha256(secret.encode("ascii")).digest()


def issue(bank: Bank, institution_id: str, scopes: tuple[str, ...] | None = None) -> IssuedKey:
    chosen = tuple(dict.fromkeys(scopes or SCOPES))
    unknown = [s for s in chosen if s not in SCOPES]
    if unknown:
        raise InvalidInput(
            f"unknown scope {', '.join(unknown)}; choose from {', '.join(SCOPES)}", errors={"scope": "unknown"}
        )
    key_id = secrets.token_hex(6)
    secret = secrets.token_urlsafe(32)
    with bank.db.writing() as session:
        institution = session.get(Institution, institution_id)
        if institution is None:
            raise NotFound(f"no institution {institution_id!r}")
        session.add(
            ApiKey(
                id=key_id,
                institution_id=institution_id,
                secret_hash=_hash(secret),
                scopes=" ".join(chosen),
                created_at=datetime.now(UTC),
            )
        )
    return IssuedKey(key_id, institution_id, chosen, f"cb_{key_id}_{secret}")


def revoke(bank: Bank, key_id: str) -> ApiKey:
    with bank.db.writing() as session:
        key = session.get(ApiKey, key_id.removeprefix("cb_").split("_")[0])
        if key is None:
            raise NotFound(f"no API key {key_id!r}")
        if key.revoked_at is None:
            key.revoked_at = datetime.now(UTC)
        return key


def list_keys(bank: Bank, institution_id: str | None = None) -> list[ApiKey]:
    with bank.db.reading() as session:
        query = select(ApiKey).order_by(ApiKey.created_at)
        if institution_id:
            query = query.where(ApiKey.institution_id == institution_id)
        return list(session.scalars(query))


_KEYS, _INSTITUTIONS = ApiKey.__table__, Institution.__table__
_KEY_ROW = (
    select(_KEYS.c.secret_hash, _KEYS.c.institution_id, _KEYS.c.scopes, _KEYS.c.revoked_at, _INSTITUTIONS.c.status)
    .outerjoin(_INSTITUTIONS, _INSTITUTIONS.c.id == _KEYS.c.institution_id)
    .where(_KEYS.c.id == bindparam("key_id"))
)


def authenticate(bank: Bank, authorization: str | None) -> Principal:
    """Resolve an ``Authorization: Bearer`` header to the institution it speaks for."""
    if not authorization:
        raise Unauthenticated("send an institution API key as 'Authorization: Bearer <key>'")
    scheme, _, token = authorization.partition(" ")
    match = _TOKEN.fullmatch(token.strip())
    if scheme.lower() != "bearer" or match is None:
        raise Unauthenticated("the Authorization header must be 'Bearer <key>' with a creditbank API key")
    key_id, secret = match.groups()
    # Every API request comes through here: one row from one prepared statement on a plain connection, no session.
    # It is read afresh each time, so a revocation (or a suspended institution) holds from the very next request,
    # whichever process serves it.
    with bank.db.engine.connect() as connection:
        row = connection.execute(_KEY_ROW, {"key_id": key_id}).first()
    if row is None or not hmac.compare_digest(row.secret_hash, _hash(secret)) or row.revoked_at is not None:
        raise Unauthenticated("the API key is not valid or has been revoked")
    if row.status != "active":
        raise Forbidden(f"institution {row.institution_id!r} is not active")
    return Principal(key_id, row.institution_id, frozenset(row.scopes.split()))
