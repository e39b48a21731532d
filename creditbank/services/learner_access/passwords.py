"""Learners' passwords: scrypt hashes, and a dummy hash that makes an unknown login cost what a wrong password costs."""

from __future__ import annotations

import base64
import hashlib
import hmac
import os

# scrypt at 2^15 × 8 × 1: about 32 MiB and a few tens of milliseconds per check, slow enough to make guessing
# expensive and quick enough for a login.
_N, _R, _P = 2**15, 8, 1


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


# Checked when a login matches no account, so that answer costs the same scrypt work as a wrong password. The
# password behind it was random and never kept. A literal rather than one made at start-up: making it would cost
# the first unknown login a second scrypt, which is just the difference this is here to hide.
DUMMY_HASH = "scrypt$32768$8$1$7QLrhzgWCjZWNR7qsce9DQ==$HLDAVtO5xHR0MefvrW0e5CODWS7ADi8ucmpVcXH6CT8="
