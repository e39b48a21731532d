"""Learners' portal accounts: one-time activation codes, scrypt passwords, login with throttling, password change.

Every refusal a stranger could see says the same thing ("the learner id or password is wrong"), so the answers do
not tell which learner ids exist; the throttle counts failures per account and per client address.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
import unicodedata
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from creditbank.errors import DomainError, NotFound
from creditbank.models import ActivationCode, Learner, LearnerAccount, LoginThrottle
from creditbank.runtime import Bank

CODE_LIFETIME = timedelta(days=14)
MAX_FAILURES = 5
# Per client address the bar is higher: a senior college's computer room shares one address among many learners.
MAX_ADDRESS_FAILURES = 50
FAILURE_WINDOW = timedelta(minutes=15)
LOCKOUT = timedelta(minutes=15)
MIN_PASSWORD = 10
# scrypt at 2^15 × 8 × 1: about 32 MiB and a few tens of milliseconds per check, slow enough to make guessing
# expensive and quick enough for a login.
_N, _R, _P = 2**15, 8, 1
_CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O or 1/I to misread on paper


class AccountError(DomainError):
    """A portal action refused for a reason the person may be told (each has a stable `reason` key)."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(detail)
        self.reason = reason


def _now() -> datetime:
    return datetime.now(UTC)


def hash_password(password: str) -> str:
    salt = os.urandom(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=_N, r=_R, p=_P, maxmem=64 * 1024 * 1024, dklen=32)
    return "$".join(
        ["scrypt", str(_N), str(_R), str(_P), base64.b64encode(salt).decode(), base64.b64encode(digest).decode()]
    )


def check_password(password: str, stored: str) -> bool:
    try:
        scheme, n, r, p, salt, expected = stored.split("$")
        if scheme != "scrypt":
            return False
        digest = hashlib.scrypt(
            password.encode(), salt=base64.b64decode(salt), n=int(n), r=int(r), p=int(p),
            maxmem=64 * 1024 * 1024, dklen=32,
        )  # fmt: skip
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(digest, base64.b64decode(expected))


def _code_digest(code: str) -> bytes:
    cleaned = "".join(char for char in code.upper() if char.isalnum())
    return hashlib.sha256(cleaned.encode()).digest()


def _new_code() -> str:
    raw = "".join(secrets.choice(_CODE_ALPHABET) for _ in range(12))
    return "-".join(raw[index : index + 4] for index in range(0, 12, 4))


def issue_code(session: Session, learner_id: str) -> str:
    """A fresh one-time code (older unused codes stop working), in the caller's transaction."""
    now = _now()
    session.execute(
        delete(ActivationCode).where(ActivationCode.learner_id == learner_id, ActivationCode.used_at.is_(None))
    )
    code = _new_code()
    session.add(
        ActivationCode(digest=_code_digest(code), learner_id=learner_id, created_at=now, expires_at=now + CODE_LIFETIME)
    )
    return code


def new_code(bank: Bank, learner_id: str) -> str:
    with bank.db.writing() as session:
        learner = session.get(Learner, learner_id)
        if learner is None or learner.status == "erased":
            raise NotFound(f"no learner {learner_id!r}")
        return issue_code(session, learner_id)


def has_account(session: Session, learner_id: str) -> bool:
    return session.get(LearnerAccount, learner_id) is not None


def email_digest(bank: Bank, email: str) -> bytes:
    return bank.vault().id_digest("email:" + unicodedata.normalize("NFKC", email).strip().casefold())


def check_new_password(password: str, again: str | None = None) -> None:
    if len(password) < MIN_PASSWORD:
        raise AccountError("password_short", f"the password must have at least {MIN_PASSWORD} characters")
    if again is not None and password != again:
        raise AccountError("password_mismatch", "the two passwords differ")


def activate(bank: Bank, code: str, password: str, email: str | None = None) -> str:
    """Turn a one-time code into an account with this password; the code is spent either way it succeeds."""
    check_new_password(password)
    hashed = hash_password(password)
    digest = email_digest(bank, email) if email else None
    with bank.db.writing() as session:
        row = session.get(ActivationCode, _code_digest(code))
        if row is None:
            raise AccountError("code_unknown", "this activation code is not valid")
        if row.used_at is not None:
            raise AccountError("code_used", "this activation code has already been used")
        if row.expires_at < _now():
            raise AccountError("code_expired", "this activation code has expired; ask your institution for a new one")
        learner = session.get(Learner, row.learner_id)
        if learner is None or learner.status == "erased":
            raise AccountError("code_unknown", "this activation code is not valid")
        if digest is not None:
            taken = session.scalars(select(LearnerAccount).where(LearnerAccount.email_digest == digest)).first()
            if taken is not None and taken.learner_id != row.learner_id:
                raise AccountError("email_taken", "this e-mail address is already used by another account")
        row.used_at = _now()
        account = session.get(LearnerAccount, row.learner_id)
        if account is None:
            session.add(
                LearnerAccount(
                    learner_id=row.learner_id, email_digest=digest, password_hash=hashed,
                    activated_at=_now(), password_changed_at=_now(),
                )
            )  # fmt: skip
        else:
            account.password_hash, account.password_changed_at = hashed, _now()
            if digest is not None:
                account.email_digest = digest
        return row.learner_id


@dataclass(frozen=True)
class Login:
    learner_id: str
    password_changed_at: datetime


WRONG = "the learner id or password is wrong"


def _throttled(session: Session, key: str, now: datetime) -> bool:
    row = session.get(LoginThrottle, key)
    return row is not None and row.locked_until is not None and row.locked_until > now


def _fail(session: Session, key: str, now: datetime, limit: int = MAX_FAILURES) -> None:
    row = session.get(LoginThrottle, key)
    if row is None or row.window_start + FAILURE_WINDOW < now:
        if row is None:
            row = LoginThrottle(key=key, failures=0, window_start=now)
            session.add(row)
        row.failures, row.window_start, row.locked_until = 0, now, None
    row.failures += 1
    if row.failures >= limit:
        row.locked_until = now + LOCKOUT


def authenticate(bank: Bank, login: str, password: str, client: str) -> Login:
    """The account for a learner id or e-mail and password; AccountError("wrong" | "throttled") otherwise."""
    now = _now()
    ip_key = f"ip:{client}"[:120]
    with bank.db.reading() as session:
        account = session.get(LearnerAccount, login.strip()[:64])
        if account is None and "@" in login:
            account = session.scalars(
                select(LearnerAccount).where(LearnerAccount.email_digest == email_digest(bank, login))
            ).first()
        account_key = f"account:{account.learner_id if account else login.strip()[:100]}"
        if _throttled(session, ip_key, now) or _throttled(session, account_key, now):
            raise AccountError("throttled", "too many failed attempts; wait 15 minutes and try again")
        learner = session.get(Learner, account.learner_id) if account else None
        good = account is not None and check_password(password, account.password_hash)
        alive = learner is not None and learner.status != "erased"
        result = Login(account.learner_id, account.password_changed_at) if account and good else None
    with bank.db.writing() as session:
        if result is None or not alive:
            _fail(session, ip_key, now, MAX_ADDRESS_FAILURES)
            _fail(session, account_key, now)
        else:
            session.execute(delete(LoginThrottle).where(LoginThrottle.key == account_key))
    if result is None or not alive:
        raise AccountError("wrong", WRONG)
    return result


def change_password(bank: Bank, learner_id: str, current: str, new: str, again: str) -> datetime:
    check_new_password(new, again)
    hashed = hash_password(new)
    with bank.db.writing() as session:
        account = session.get(LearnerAccount, learner_id)
        if account is None or not check_password(current, account.password_hash):
            raise AccountError("current_wrong", "the current password is wrong")
        account.password_hash = hashed
        account.password_changed_at = _now()
        return account.password_changed_at


def session_valid(bank: Bank, learner_id: str, changed_at: str) -> bool:
    """A login stays valid until the password changes or the learner is erased."""
    with bank.db.reading() as session:
        account = session.get(LearnerAccount, learner_id)
        learner = session.get(Learner, learner_id)
        if account is None or learner is None or learner.status == "erased":
            return False
        return account.password_changed_at.isoformat() == changed_at


def forget(session: Session, learner_id: str) -> None:
    """Erasure: the account and its codes go with the person."""
    session.execute(delete(ActivationCode).where(ActivationCode.learner_id == learner_id))
    session.execute(delete(LearnerAccount).where(LearnerAccount.learner_id == learner_id))
