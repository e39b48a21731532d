"""Learners' portal accounts: one-time activation codes, scrypt passwords, login with throttling, password change.

An account is reached by the e-mail or the login name its owner chose at activation, never by the learner id: that
id is printed on every credential and PDF, and whoever holds one must not be able to lock its owner out.

Every refusal a stranger could see says the same thing, and costs the same: an unknown login is checked against a
dummy hash with the same scrypt work, so neither the answer nor its timing tells whether an account exists.

The throttle counts failures per account (or per typed login, for logins that match none) and per client address.
Each attempt reserves its place with one conditional UPDATE before any password is hashed, so however many attempts
arrive at once, at most MAX_FAILURES passwords are checked per window. Its rows are keyed by HMACs (the bank's
matching key) of what was typed; the text itself is never stored.

Activation asks for the code and the learner's birth date. Both are checked, and throttled per address and per
code, before the new password is hashed, so a guesser cannot make the bank do scrypt work for free.

A forgotten password comes back the same way: the institution that first enrolled the learner (or the bank) makes a
new code, printed as a reset letter, and the learner gives it with the birth date on the reset page. A reset code
is an activation code like any other (one row, one use, the same lifetime and throttles, shared with activation so
that two doors do not double the guesses); it only refuses to open an account that does not exist yet.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import unicodedata
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from creditbank.errors import AccountError, Conflict, NotFound
from creditbank.models import ActivationCode, Learner, LearnerAccount, WalletExchange
from creditbank.runtime import Bank
from creditbank.services import throttle
from creditbank.services.learner_access import passwords, portal_sessions
from creditbank.services.records.personal_records import identity_of

CODE_LIFETIME = timedelta(days=14)
MAX_FAILURES = 5
# Per client address the bar is higher: a senior college's computer room shares one address among many learners.
MAX_ADDRESS_FAILURES = 50
# A code holder who mistypes the birth date a few times is told to wait; guessing it (tens of thousands of days)
# is out of reach at this rate.
MAX_CODE_FAILURES = 5
FAILURE_WINDOW = throttle.FAILURE_WINDOW
MIN_PASSWORD = 10
_CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O or 1/I to misread on paper
_LOGIN_NAME = re.compile(r"[a-z0-9._-]{3,64}")
# A name that reads like a learner id would invite people to type the id printed on their certificate.
_LIKE_LEARNER_ID = re.compile(r"lrn[._-]")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+")

WRONG = "the login or password is wrong"
THROTTLED = "too many failed attempts; wait 15 minutes and try again"
_REFUSALS = {
    "code_unknown": "this activation code is not valid",
    "code_used": "this activation code has already been used",
    "code_expired": "this activation code has expired; ask your institution for a new one",
    "throttled": THROTTLED,
    "email_taken": "this e-mail address is already used by another account",
    "login_name_taken": "this login name is already taken",
    "login_needed": "choose a login name or give an e-mail address to log in with",
    "no_account_yet": "this code opens a new account: use it on the activation page",
}


def _refuse(reason: str) -> AccountError:
    return AccountError(reason, _REFUSALS[reason])


def _now() -> datetime:
    return datetime.now(UTC)


def _clean_code(code: str) -> str:
    return "".join(char for char in code.upper() if char.isascii() and char.isalnum())


def code_digest(code: str) -> bytes:
    """The stored form of an activation code: SHA-256 of its letters and digits, upper-cased."""
    return hashlib.sha256(_clean_code(code).encode()).digest()


def random_code() -> str:
    """A fresh activation code, as handed to the learner (three groups of four characters)."""
    raw = "".join(secrets.choice(_CODE_ALPHABET) for _ in range(12))
    return "-".join(raw[index : index + 4] for index in range(0, 12, 4))


def issue_code(session: Session, learner_id: str) -> str:
    """A fresh one-time code (older unused codes stop working), in the caller's transaction."""
    now = _now()
    session.execute(
        delete(ActivationCode).where(ActivationCode.learner_id == learner_id, ActivationCode.used_at.is_(None))
    )
    code = random_code()
    session.add(
        ActivationCode(digest=code_digest(code), learner_id=learner_id, created_at=now, expires_at=now + CODE_LIFETIME)
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


@dataclass(frozen=True)
class ResetCode:
    """A reset code the bank made, with what its letter prints."""

    learner_id: str
    code: str
    expires: date
    name_zh: str | None
    name_latin: str | None


def bank_reset_code(bank: Bank, learner_id: str) -> ResetCode:
    """A fresh reset code from the bank for a learner who has an account, whichever institution enrolled them (older
    unused codes stop working). A learner with no account yet gets none: opening an account is the activation letter
    of the institution that enrolled them, and a reset code would be refused at the reset page anyway."""
    with bank.db.writing() as session:
        learner = session.get(Learner, learner_id)
        identity = None if learner is None else identity_of(bank, session, learner_id)
        if identity is None:  # unknown, or erased
            raise NotFound(f"no learner {learner_id!r}")
        if not has_account(session, learner_id):
            raise Conflict("this learner has no account yet: their institution gives an activation code")
        names = identity.get("name", {})
        code = issue_code(session, learner_id)
        return ResetCode(learner_id, code, (_now() + CODE_LIFETIME).date(), names.get("zh"), names.get("latin"))


def _typed(login: str) -> str:
    return unicodedata.normalize("NFKC", login).strip().casefold()


def email_digest(bank: Bank, email: str) -> bytes:
    return bank.vault().id_digest("email:" + _typed(email))


def normal_login_name(name: str) -> str:
    """The stored form of a chosen login name (lower case), or AccountError("login_name_invalid")."""
    cleaned = name.strip().lower()
    if not cleaned.isascii() or not _LOGIN_NAME.fullmatch(cleaned) or _LIKE_LEARNER_ID.match(cleaned):
        raise AccountError(
            "login_name_invalid",
            "a login name has 3 to 64 letters, digits, dots, dashes or underscores and does not start with lrn_",
        )
    return cleaned


def login_digest(bank: Bank, name: str) -> bytes:
    return bank.vault().id_digest("login-name:" + normal_login_name(name))


def check_new_password(password: str, again: str | None = None) -> None:
    if len(password) < MIN_PASSWORD:
        raise AccountError("password_short", f"the password must have at least {MIN_PASSWORD} characters")
    if again is not None and password != again:
        raise AccountError("password_mismatch", "the two passwords differ")


def _birth_date(value: date | str) -> str:
    if isinstance(value, date):
        return value.isoformat()
    text = value.strip()
    try:
        if not (text.isascii() and len(text) == 10):
            raise ValueError(text)
        return date.fromisoformat(text).isoformat()
    except ValueError:
        raise AccountError("birth_date_invalid", "write the birth date as YYYY-MM-DD") from None


def _judge_code(bank: Bank, session: Session, code: str, born: str, now: datetime) -> tuple[str | None, str | None]:
    """(refusal or None, learner id) for a code and birth date: a digest lookup and one decryption, no scrypt."""
    row = session.get(ActivationCode, code_digest(code))
    learner = session.get(Learner, row.learner_id) if row is not None else None
    if row is None or learner is None or learner.status == "erased":
        return "code_unknown", None
    identity = identity_of(bank, session, row.learner_id)
    # A wrong birth date gets the unknown code's answer, so holding someone's code alone tells nothing more.
    if identity is None or not hmac.compare_digest(str(identity.get("birth_date", "")), born):
        return "code_unknown", None
    if row.used_at is not None:
        return "code_used", None
    if row.expires_at < now:
        return "code_expired", None
    return None, row.learner_id


def _judge_logins(session: Session, learner_id: str, email: bytes | None, name: bytes | None) -> str | None:
    account = session.get(LearnerAccount, learner_id)
    if email is not None:
        taken = session.scalars(select(LearnerAccount.learner_id).where(LearnerAccount.email_digest == email)).first()
        if taken is not None and taken != learner_id:
            return "email_taken"
    if name is not None:
        taken = session.scalars(select(LearnerAccount.learner_id).where(LearnerAccount.login_digest == name)).first()
        if taken is not None and taken != learner_id:
            return "login_name_taken"
    keeps_one = account is not None and (account.email_digest is not None or account.login_digest is not None)
    if email is None and name is None and not keeps_one:
        return "login_needed"
    return None


def activate(
    bank: Bank,
    code: str,
    birth_date: date | str,
    password: str,
    email: str | None = None,
    *,
    login_name: str | None = None,
    client: str = "unknown",
) -> str:
    """Turn a one-time code into an account with this password and login (e-mail and/or login name); returns the
    learner id. A code issued for an existing account resets its password and ends all of its sessions."""
    check_new_password(password)
    born = _birth_date(birth_date)
    if email is not None and (len(email) > 254 or not _EMAIL.fullmatch(email.strip())):
        raise AccountError("email_invalid", "this is not an e-mail address")
    mail = email_digest(bank, email) if email else None
    chosen = login_digest(bank, login_name) if login_name else None
    return _redeem(bank, code, born, password, mail, chosen, client, reset=False)


def reset_password(
    bank: Bank, code: str, birth_date: date | str, password: str, again: str | None = None, *, client: str = "unknown"
) -> str:
    """A forgotten password replaced: a reset code and the birth date, then the new password; returns the learner
    id. The account keeps its e-mail and login name, and every session of it ends (whoever was signed in with the
    old password is signed out). A code for a learner with no account yet is refused, unspent, once the code and
    birth date are right: only its holder learns that it belongs on the activation page."""
    check_new_password(password, again)
    return _redeem(bank, code, _birth_date(birth_date), password, None, None, client, reset=True)


def _judge_redeem(session: Session, learner_id: str, mail: bytes | None, name: bytes | None, reset: bool) -> str | None:
    if reset:
        return None if has_account(session, learner_id) else "no_account_yet"
    return _judge_logins(session, learner_id, mail, name)


def _redeem(
    bank: Bank, code: str, born: str, password: str, mail: bytes | None, chosen: bytes | None, client: str, *,
    reset: bool,
) -> str:  # fmt: skip
    # One address counter and one code counter for activation and reset alike, so two doors do not double the tries.
    address, per_code = throttle.key(bank, "activate-ip", client), throttle.key(bank, "code", _clean_code(code))
    now = _now()
    with bank.db.writing() as session:
        refusal: str | None = "throttled"
        allowed = throttle.reserve(session, address, MAX_ADDRESS_FAILURES, now)
        if allowed and throttle.reserve(session, per_code, MAX_CODE_FAILURES, now):
            refusal, learner_id = _judge_code(bank, session, code, born, now)
            if learner_id is not None:
                refusal = _judge_redeem(session, learner_id, mail, chosen, reset)
                # A good code and birth date with a taken name is not a guess: it does not count against anyone.
                throttle.give_back(session, address)
                throttle.clear(session, per_code)
    if refusal is not None:
        raise _refuse(refusal)
    hashed = passwords.hash_password(password)
    with bank.db.writing() as session:
        # Judged again: another activation with the same code may have finished while the password was hashed.
        refusal, learner_id = _judge_code(bank, session, code, born, _now())
        if learner_id is None:
            raise _refuse(refusal or "code_unknown")
        refusal = _judge_redeem(session, learner_id, mail, chosen, reset)
        if refusal is not None:
            raise _refuse(refusal)
        row = session.get(ActivationCode, code_digest(code))
        assert row is not None  # judged just above, in this transaction
        row.used_at = _now()
        account = session.get(LearnerAccount, learner_id)
        if account is None:
            session.add(
                LearnerAccount(
                    learner_id=learner_id, email_digest=mail, login_digest=chosen, password_hash=hashed,
                    activated_at=_now(), password_changed_at=_now(),
                )
            )  # fmt: skip
        else:
            account.password_hash, account.password_changed_at = hashed, _now()
            account.email_digest = mail if mail is not None else account.email_digest
            account.login_digest = chosen if chosen is not None else account.login_digest
        # A new code is how a lost password is recovered: whoever was signed in with the old one is signed out.
        portal_sessions.end_all(session, learner_id)
        throttle.clear(session, throttle.key(bank, "account", learner_id))
        return learner_id


@dataclass(frozen=True)
class Login:
    learner_id: str


def _account_for(bank: Bank, session: Session, login: str) -> LearnerAccount | None:
    typed = _typed(login)
    if "@" in typed:
        where = LearnerAccount.email_digest == email_digest(bank, typed)
    elif typed.isascii() and _LOGIN_NAME.fullmatch(typed) and not _LIKE_LEARNER_ID.match(typed):
        where = LearnerAccount.login_digest == login_digest(bank, typed)
    else:
        return None
    account = session.scalars(select(LearnerAccount).where(where)).first()
    if account is None:
        return None
    learner = session.get(Learner, account.learner_id)
    return account if learner is not None and learner.status != "erased" else None


def _check_throttled(bank: Bank, learner_id: str | None, typed: str, password: str, client: str) -> str | None:
    """Reserve an attempt for this account (or typed login) and address, then check the password; the learner id
    when it is right. Unknown logins do the same scrypt work against a dummy hash."""
    address = throttle.key(bank, "ip", client)
    now = _now()
    with bank.db.writing() as session:
        account = _account_for(bank, session, typed) if learner_id is None else session.get(LearnerAccount, learner_id)
        key = throttle.key(bank, "account", account.learner_id) if account else throttle.key(bank, "login", typed)
        allowed = throttle.reserve(session, address, MAX_ADDRESS_FAILURES, now) and throttle.reserve(
            session, key, MAX_FAILURES, now
        )
        stored, found = (account.password_hash, account.learner_id) if account else (None, None)
    if not allowed:
        raise AccountError("throttled", THROTTLED)
    good = passwords.check_password(password, stored or passwords.DUMMY_HASH) and stored is not None
    if not good or found is None:
        return None  # the reservation stands as the failure
    with bank.db.writing() as session:
        throttle.clear(session, key)
        throttle.give_back(session, address)
    return found


def authenticate(bank: Bank, login: str, password: str, client: str) -> Login:
    """The account for an e-mail or login name and password; AccountError("wrong" | "throttled") otherwise."""
    found = _check_throttled(bank, None, _typed(login)[:320], password, client)
    if found is None:
        raise AccountError("wrong", WRONG)
    return Login(found)


def tries_left(bank: Bank, login: str | None, client: str, learner_id: str | None = None) -> int:
    """How many more wrong passwords the login (or the signed-in learner) and this address may take before signing
    in pauses, for the warning before it does. A login that matches no account has its own counter with the same
    limit, so the count says nothing about whether an account exists."""
    now = _now()
    with bank.db.reading() as session:
        if learner_id is None:
            typed = _typed(login or "")[:320]
            account = _account_for(bank, session, typed)
            key = throttle.key(bank, "account", account.learner_id) if account else throttle.key(bank, "login", typed)
        else:
            key = throttle.key(bank, "account", learner_id)
        return min(
            throttle.remaining(session, key, MAX_FAILURES, now),
            throttle.remaining(session, throttle.key(bank, "ip", client), MAX_ADDRESS_FAILURES, now),
        )


def reauthenticate(bank: Bank, learner_id: str, password: str, client: str = "unknown") -> None:
    """The signed-in learner's password again, before an act a copied cookie must not be enough for (erasure, the
    export of everything held); throttled like a login."""
    if _check_throttled(bank, learner_id, "", password, client) is None:
        raise AccountError("current_wrong", "the current password is wrong")


def change_password(bank: Bank, learner_id: str, current: str, new: str, again: str, client: str = "unknown") -> str:
    """Set a new password after checking the current one (throttled like a login). Every session of the learner
    ends, the current browser's too; the token of a new session for the browser that made the change is returned."""
    check_new_password(new, again)
    if _check_throttled(bank, learner_id, "", current, client) is None:
        raise AccountError("current_wrong", "the current password is wrong")
    hashed = passwords.hash_password(new)
    with bank.db.writing() as session:
        account = session.get(LearnerAccount, learner_id)
        if account is None:
            raise AccountError("current_wrong", "the current password is wrong")
        account.password_hash = hashed
        account.password_changed_at = _now()
        portal_sessions.end_all(session, learner_id)
        return portal_sessions.begin(session, learner_id)


def forget(session: Session, learner_id: str) -> None:
    """Erasure: the account, its codes and every signed-in session go with the person."""
    session.execute(delete(ActivationCode).where(ActivationCode.learner_id == learner_id))
    session.execute(delete(LearnerAccount).where(LearnerAccount.learner_id == learner_id))
    session.execute(delete(WalletExchange).where(WalletExchange.learner_id == learner_id))  # and wallet DIDs
    portal_sessions.end_all(session, learner_id)
