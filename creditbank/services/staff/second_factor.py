"""TOTP (RFC 6238, 30-second steps, 6 digits) as the second factor, with each code accepted once.

The shared secret is sealed with the bank's master key bound to the staff id (``Vault.seal``), so a copy of the
table alone cannot produce codes. A code is accepted for the current step or one step either side (clock drift of a
phone), and only for a step later than the last one accepted: a code seen over a shoulder cannot be replayed.
"""

from __future__ import annotations

import hmac
import time

import pyotp

from creditbank.personal_data import Sealed, Vault

ISSUER = "creditbank"
STEP = 30
DRIFT_STEPS = 1


def new_secret() -> str:
    return pyotp.random_base32()  # 32 base32 characters: 160 bits, as RFC 4226 recommends


def seal(vault: Vault, staff_id: str, secret: str) -> Sealed:
    return vault.seal(staff_id, {"totp": secret})


def unseal(vault: Vault, staff_id: str, wrapped_key: bytes, sealed: bytes) -> str:
    return str(vault.open(staff_id, Sealed(wrapped_key, sealed))["totp"])


def uri(secret: str, login: str, bank_name: str) -> str:
    """The otpauth:// address an authenticator app reads from the QR code."""
    return pyotp.TOTP(secret, issuer=bank_name or ISSUER).provisioning_uri(name=login, issuer_name=bank_name or ISSUER)


def accepted_step(secret: str, code: str, last_step: int | None, now: float | None = None) -> int | None:
    """The step this code belongs to, when it is right and newer than ``last_step``; None otherwise."""
    typed = "".join(code.split())
    if len(typed) != 6 or not typed.isascii() or not typed.isdigit():
        return None
    totp = pyotp.TOTP(secret)
    current = int((time.time() if now is None else now) // STEP)
    for step in range(current - DRIFT_STEPS, current + DRIFT_STEPS + 1):
        if last_step is not None and step <= last_step:
            continue
        if hmac.compare_digest(totp.at(step * STEP), typed):
            return step
    return None
