"""Staff accounts: created by an admin with a one-time set-up link, signed into with a password and a TOTP code.

`creditbank staff add` (or an admin in the console) makes the account and prints a link holding a random token; the
table keeps its SHA-256. Opening the link shows the authenticator QR code; the account works once its owner has
chosen a password and typed a first code, which proves the phone holds the secret. Losing the phone means a new
link (`reset`), which clears the password and the secret together.

Sign-in is throttled with the learners' counters (``creditbank.services.throttle``), per account and per address;
an unknown login costs the same scrypt work as a wrong password. Password and code are judged together and refused
with one answer, so the refusal does not say which of the two was wrong.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from creditbank.errors import AccountError, Conflict, InvalidInput, NotFound
from creditbank.models import Institution
from creditbank.models.staff import BANK_ROLES, INSTITUTION_ROLES, StaffAccount
from creditbank.runtime import Bank
from creditbank.services import throttle
from creditbank.services.learner_access import passwords
from creditbank.services.learner_access.accounts import check_new_password
from creditbank.services.random_ids import random_id
from creditbank.services.staff import second_factor, sessions
from creditbank.services.staff.members import StaffMember

SETUP_LIFETIME = timedelta(days=3)
MAX_FAILURES = 5
MAX_ADDRESS_FAILURES = 50
_LOGIN = re.compile(r"[a-z0-9][a-z0-9._@-]{2,63}")
WRONG = "the login, password or code is wrong"


def _now() -> datetime:
    return datetime.now(UTC)


def _digest(token: str) -> bytes:
    return hashlib.sha256(token.encode("utf-8")).digest()


def new_staff_id() -> str:
    # Lower case and a hyphen, so it fits the ledger's actor alphabet ("…/staff:stf-…").
    return random_id("stf-").lower()


def member_of(account: StaffAccount) -> StaffMember:
    return StaffMember(account.id, account.login, account.role, account.institution_id)


@dataclass(frozen=True)
class StaffView:
    id: str
    login: str
    role: str
    institution_id: str | None
    state: str  # "setup_pending" | "active" | "disabled"
    created_at: datetime
    created_by: str


def _view(account: StaffAccount) -> StaffView:
    if account.disabled_at is not None:
        state = "disabled"
    elif account.totp_confirmed_at is None or account.password_hash is None:
        state = "setup_pending"
    else:
        state = "active"
    return StaffView(
        account.id, account.login, account.role, account.institution_id, state, account.created_at, account.created_by
    )


@dataclass(frozen=True)
class NewStaff:
    staff: StaffView
    setup_token: str


def _check_role(session: Session, role: str, institution_id: str | None) -> None:
    if institution_id is None:
        if role not in BANK_ROLES:
            raise InvalidInput(
                f"bank staff take the role {' or '.join(BANK_ROLES)}", errors={"role": "not a bank role"}
            )
        return
    if role not in INSTITUTION_ROLES:
        raise InvalidInput(
            f"institution staff take the role {' or '.join(INSTITUTION_ROLES)}",
            errors={"role": "not an institution role"},
        )
    if session.get(Institution, institution_id) is None:
        raise NotFound(f"no institution {institution_id!r}")


def _fresh_setup(account: StaffAccount) -> str:
    token = secrets.token_urlsafe(32)
    account.setup_digest = _digest(token)
    account.setup_expires_at = _now() + SETUP_LIFETIME
    return token


def add(
    bank: Bank, login: str, role: str, institution_id: str | None, *, created_by: str, affiliation: str | None = None
) -> NewStaff:
    """A new account waiting for set-up; the token for its set-up link is shown once. A bank reviewer may declare an
    ``affiliation`` with an institution, whose applications for recognition they then never review."""
    typed = login.strip().lower()
    if not _LOGIN.fullmatch(typed):
        raise InvalidInput("a staff login is 3-64 lower-case letters, digits and . _ @ -", errors={"login": "invalid"})
    with bank.db.writing() as session:
        _check_role(session, role, institution_id)
        if affiliation is not None:
            if role != "reviewer":
                raise InvalidInput(
                    "only a bank reviewer declares an affiliation", errors={"affiliation": "not a reviewer"}
                )
            if session.get(Institution, affiliation) is None:
                raise NotFound(f"no institution {affiliation!r}", errors={"affiliation": "unknown"})
        if session.scalars(select(StaffAccount.id).where(StaffAccount.login == typed)).first() is not None:
            raise Conflict(f"the login {typed!r} is taken", errors={"login": "taken"})
        account = StaffAccount(
            id=new_staff_id(),
            login=typed,
            institution_id=institution_id,
            role=role,
            affiliation=affiliation,
            created_at=_now(),
            created_by=created_by,
        )
        token = _fresh_setup(account)
        session.add(account)
        session.flush()
        return NewStaff(_view(account), token)


def _find(session: Session, who: str) -> StaffAccount:
    account = (
        session.get(StaffAccount, who)
        or session.scalars(select(StaffAccount).where(StaffAccount.login == who.strip().lower())).first()
    )
    if account is None:
        raise NotFound(f"no staff account {who!r}")
    return account


def reset(bank: Bank, who: str) -> NewStaff:
    """A new set-up link: the password and the second factor are cleared and every session ends."""
    with bank.db.writing() as session:
        account = _find(session, who)
        if account.disabled_at is not None:
            raise Conflict(f"staff account {account.login} is disabled")
        account.password_hash = None
        account.totp_wrapped_key = account.totp_sealed = None
        account.totp_confirmed_at = None
        account.totp_last_step = None
        sessions.end_all(session, account.id)
        token = _fresh_setup(account)
        return NewStaff(_view(account), token)


def disable(bank: Bank, who: str, *, institution_id: str | None = None) -> StaffView:
    """Disable an account at once (its sessions end); with ``institution_id``, only that institution's staff."""
    with bank.db.writing() as session:
        account = _find(session, who)
        if institution_id is not None and account.institution_id != institution_id:
            raise NotFound(f"no staff account {who!r}")
        if account.disabled_at is None:
            account.disabled_at = _now()
            account.setup_digest = None
        sessions.end_all(session, account.id)
        return _view(account)


def list_all(bank: Bank, institution_id: str | None = None, *, bank_only: bool = False) -> list[StaffView]:
    with bank.db.reading() as session:
        query = select(StaffAccount).order_by(StaffAccount.institution_id, StaffAccount.login)
        if institution_id is not None:
            query = query.where(StaffAccount.institution_id == institution_id)
        elif bank_only:
            query = query.where(StaffAccount.institution_id.is_(None))
        return [_view(account) for account in session.scalars(query)]


def get(bank: Bank, staff_id: str) -> StaffMember | None:
    with bank.db.reading() as session:
        account = session.get(StaffAccount, staff_id)
        if account is None or account.disabled_at is not None:
            return None
        return member_of(account)


@dataclass(frozen=True)
class Setup:
    login: str
    role: str
    institution_id: str | None
    totp_uri: str
    secret: str


def _setup_account(session: Session, token: str) -> StaffAccount:
    account = session.scalars(select(StaffAccount).where(StaffAccount.setup_digest == _digest(token))).first()
    if account is None or account.disabled_at is not None:
        raise AccountError("setup_unknown", "this set-up link is not valid (it may have been used already)")
    expires = account.setup_expires_at
    if expires is None or expires <= _now():
        raise AccountError("setup_expired", "this set-up link has expired; ask an admin for a new one")
    return account


def begin_setup(bank: Bank, token: str, bank_name: str) -> Setup:
    """What the set-up page shows: the account, and its authenticator secret (made on the first visit)."""
    vault = bank.vault()
    with bank.db.writing() as session:
        account = _setup_account(session, token)
        if account.totp_sealed is None or account.totp_wrapped_key is None:
            secret = second_factor.new_secret()
            sealed = second_factor.seal(vault, account.id, secret)
            account.totp_wrapped_key, account.totp_sealed = sealed.wrapped_key, sealed.sealed
        else:
            secret = second_factor.unseal(vault, account.id, account.totp_wrapped_key, account.totp_sealed)
        return Setup(
            account.login,
            account.role,
            account.institution_id,
            second_factor.uri(secret, account.login, bank_name),
            secret,
        )


def finish_setup(bank: Bank, token: str, password: str, again: str, code: str, client: str) -> tuple[StaffMember, str]:
    """Choose the password and prove the second factor; returns the member and a signed-in session's token.

    The code is throttled per set-up link and address like a login, so the link cannot be used to guess codes.
    """
    check_new_password(password, again)
    vault = bank.vault()
    address = throttle.key(bank, "staff-ip", client)
    per_link = throttle.key(bank, "staff-setup", token[:64])
    now = _now()
    with bank.db.writing() as session:
        allowed = throttle.reserve(session, address, MAX_ADDRESS_FAILURES, now) and throttle.reserve(
            session, per_link, MAX_FAILURES, now
        )
    if not allowed:
        raise AccountError("throttled", "too many failed attempts; wait 15 minutes and try again")
    hashed = passwords.hash_password(password)
    with bank.db.writing() as session:
        account = _setup_account(session, token)
        if account.totp_sealed is None or account.totp_wrapped_key is None:
            raise AccountError("setup_unknown", "open the set-up link again to see the QR code")
        secret = second_factor.unseal(vault, account.id, account.totp_wrapped_key, account.totp_sealed)
        step = second_factor.accepted_step(secret, code, account.totp_last_step)
        if step is None or not _claim_step(session, account.id, step, setup_digest=_digest(token)):
            raise AccountError("code_wrong", "the code from the authenticator app is wrong; try the next one")
        account.password_hash = hashed
        account.totp_confirmed_at = now
        account.setup_digest = None
        account.setup_expires_at = None
        throttle.clear(session, per_link)
        throttle.give_back(session, address)
        sessions.end_all(session, account.id)
        return member_of(account), sessions.begin(session, account.id)


def _claim_step(session: Session, staff_id: str, step: int, *, setup_digest: bytes | None = None) -> bool:
    """Record ``step`` as the last code used, only if no later or equal one was: the database decides, so of two
    sign-ins racing with one code (on PostgreSQL both may read the old step) exactly one gets it."""
    newer = or_(StaffAccount.totp_last_step.is_(None), StaffAccount.totp_last_step < step)
    claim = update(StaffAccount).where(StaffAccount.id == staff_id, StaffAccount.disabled_at.is_(None), newer)
    if setup_digest is not None:
        claim = claim.where(StaffAccount.setup_digest == setup_digest)
    claimed = session.execute(claim.values(totp_last_step=step).execution_options(synchronize_session=False))
    return bool(claimed.rowcount == 1)


def _judge(bank: Bank, account_id: str | None, login: str, password: str, code: str, client: str) -> str | None:
    """Reserve an attempt, then check password and code together; the staff id when both are right."""
    vault = bank.vault()
    address = throttle.key(bank, "staff-ip", client)
    now = _now()
    with bank.db.writing() as session:
        if account_id is not None:
            account = session.get(StaffAccount, account_id)
        else:
            account = session.scalars(select(StaffAccount).where(StaffAccount.login == login)).first()
        usable = account is not None and account.disabled_at is None and account.totp_confirmed_at is not None
        key = (
            throttle.key(bank, "staff", account.id) if account is not None else throttle.key(bank, "staff-login", login)
        )
        allowed = throttle.reserve(session, address, MAX_ADDRESS_FAILURES, now) and throttle.reserve(
            session, key, MAX_FAILURES, now
        )
        stored = account.password_hash if account is not None and usable else None
        sealed = (account.totp_wrapped_key, account.totp_sealed) if account is not None and usable else None
        found = account.id if account is not None else None
    if not allowed:
        raise AccountError("throttled", "too many failed attempts; wait 15 minutes and try again")
    good = passwords.check_password(password, stored or passwords.DUMMY_HASH) and stored is not None
    if not good or sealed is None or found is None or sealed[0] is None or sealed[1] is None:
        return None
    secret = second_factor.unseal(vault, found, sealed[0], sealed[1])
    with bank.db.writing() as session:
        account = session.get(StaffAccount, found)
        if account is None or account.disabled_at is not None:
            return None
        step = second_factor.accepted_step(secret, code, account.totp_last_step)
        if step is None or not _claim_step(session, found, step):
            return None
        throttle.clear(session, key)
        throttle.give_back(session, address)
    return found


def authenticate(bank: Bank, login: str, password: str, code: str, client: str) -> tuple[StaffMember, str]:
    """Sign in: the member and a new session's token; AccountError("wrong" | "throttled") otherwise."""
    typed = login.strip().lower()[:64]
    found = _judge(bank, None, typed, password, code, client)
    if found is None:
        raise AccountError("wrong", WRONG)
    with bank.db.writing() as session:
        account = session.get(StaffAccount, found)
        assert account is not None
        return member_of(account), sessions.begin(session, found)


def reauthenticate(bank: Bank, staff_id: str, token: str, password: str, code: str, client: str) -> None:
    """Password and a fresh code again, before a destructive act; throttled like a sign-in."""
    if _judge(bank, staff_id, "", password, code, client) is None:
        raise AccountError("wrong", WRONG)
    sessions.reauthenticated(bank, token)
