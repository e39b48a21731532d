"""RFC 8785 (JCS) canonical JSON.

The ``rfc8785`` package is the reference encoder. Walking containers in pure Python inside it
costs ~40 µs for a 1 KB record, which alone would cap ledger appends well below what the bank
needs, so :func:`canonical_bytes` walks containers itself and hands every scalar whose JCS form
is not trivially its Python spelling (floats, integers outside the IEEE-754 safe range, keys that
need UTF-16 ordering) to ``rfc8785``. Tests compare both encoders on the RFC 8785 vectors and on
generated documents.
"""

from __future__ import annotations

from collections.abc import Callable
from json.encoder import encode_basestring
from typing import Any

import rfc8785

__all__ = ["CanonicalizationError", "canonical_bytes"]

# JCS numbers are IEEE-754 doubles; beyond this an integer cannot round-trip through a verifier.
_MAX_SAFE_INTEGER = 2**53 - 1


class CanonicalizationError(ValueError):
    """The value has no RFC 8785 form (non-string key, NaN, unsafe integer, lone surrogate...)."""


def _utf16_key(item: tuple[str, Any]) -> bytes:
    return item[0].encode("utf-16be", "surrogatepass")


def _sorted_items(obj: dict[Any, Any]) -> list[tuple[str, Any]]:
    try:
        joined = "".join(obj)
    except TypeError:
        bad = next(key for key in obj if type(key) is not str)
        raise CanonicalizationError(f"object key {bad!r} is not a string") from None
    # Code-point order equals UTF-16 order unless a key holds characters beyond the BMP.
    if joined.isascii() or max(joined) < "\U00010000":
        return sorted(obj.items())
    return sorted(obj.items(), key=_utf16_key)


def canonical_bytes(value: Any) -> bytes:
    """Return the RFC 8785 canonical UTF-8 bytes of a JSON-compatible value."""
    parts: list[str] = []
    emit: Callable[[str], None] = parts.append
    quote = encode_basestring

    def walk(item: Any) -> None:
        kind = type(item)
        if kind is str:
            emit(quote(item))
        elif kind is dict:
            emit("{")
            first = True
            for key, child in _sorted_items(item):
                if first:
                    first = False
                else:
                    emit(",")
                emit(quote(key))
                emit(":")
                walk(child)
            emit("}")
        elif kind is list or kind is tuple:
            emit("[")
            first = True
            for child in item:
                if first:
                    first = False
                else:
                    emit(",")
                walk(child)
            emit("]")
        elif item is True:
            emit("true")
        elif item is False:
            emit("false")
        elif item is None:
            emit("null")
        elif kind is int and -_MAX_SAFE_INTEGER <= item <= _MAX_SAFE_INTEGER:
            emit(str(item))
        elif kind is int or kind is float:
            try:
                emit(rfc8785.dumps(item).decode("ascii"))
            except rfc8785.CanonicalizationError as exc:
                raise CanonicalizationError(str(exc)) from exc
        else:
            raise CanonicalizationError(f"{kind.__name__} is not a JSON type")

    walk(value)
    try:
        # JCS requires valid Unicode: a lone surrogate anywhere fails here.
        return "".join(parts).encode("utf-8")
    except UnicodeEncodeError as exc:
        raise CanonicalizationError("string holds a lone surrogate") from exc
