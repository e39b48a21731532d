"""Random public identifiers: a prefix and 20 Crockford base32 characters (100 random bits)."""

from __future__ import annotations

import base64
import os

_TO_CROCKFORD = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", "0123456789abcdefghjkmnpqrstvwxyz")


def random_id(prefix: str) -> str:
    # 15 bytes make 24 base32 characters without padding; 20 of them carry 100 bits.
    return prefix + base64.b32encode(os.urandom(15)).decode("ascii").translate(_TO_CROCKFORD)[:20]
