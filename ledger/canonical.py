"""RFC 8785 (JCS) canonical JSON.

The ``rfc8785`` package is the reference encoder. Walking containers in pure Python inside it
costs ~40 µs for a 1 KB record, which alone would cap ledger appends well below what the bank
needs, so :func:`canonical_bytes` walks containers itself and hands every scalar whose JCS form
is not trivially its Python spelling (floats, integers outside the IEEE-754 safe range, keys that
need UTF-16 ordering) to ``rfc8785``.

Most bodies hold nothing but objects, arrays, strings, safe integers, booleans and null, with keys
inside the Basic Multilingual Plane. For exactly those documents the standard library's C encoder
(compact separators, sorted keys, no ASCII escaping) writes the JCS bytes: it sorts keys by code
point, which is UTF-16 order without astral characters; it escapes strings with the very function
the walk uses; it spells a safe integer as ``str`` does. :func:`_plain` proves a document is of
that kind (exact types, so no subclass can bring its own behaviour) before the C encoder runs; any
other document, and every error, takes the walk. Tests compare both paths with the reference on
the RFC 8785 vectors and on generated documents.
"""

from __future__ import annotations

from collections.abc import Callable
from json import encoder as _json_encoder
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
    # Exactly str, like every value: a subclass could bring its own comparison, and so its own key order.
    bad = next((key for key in obj if type(key) is not str), None)
    if bad is not None:
        raise CanonicalizationError(f"object key {bad!r} is not a string")
    joined = "".join(obj)
    # Code-point order equals UTF-16 order unless a key holds characters beyond the BMP.
    if joined.isascii() or max(joined) < "\U00010000":
        return sorted(obj.items())
    return sorted(obj.items(), key=_utf16_key)


def _no_default(item: Any) -> Any:
    raise TypeError(f"{type(item).__name__} is not a JSON type")


# (value, indent level) -> chunks; no circular-reference markers, as _plain has already walked the value. The C
# encoder is private to the json package (absent without its accelerator), hence getattr.
_make_encoder: Any = getattr(_json_encoder, "c_make_encoder", None)
_c_encode: Callable[[Any, int], Any] | None = (
    None
    if _make_encoder is None
    else _make_encoder(None, _no_default, encode_basestring, None, ":", ",", True, False, False)
)


def _plain(item: Any) -> bool:
    """Whether a container holds only dicts with string keys inside the BMP, lists, tuples, strings, integers in the
    safe range, booleans and None, all of exactly those types: the documents whose JCS form the C encoder writes.

    A cycle ends in RecursionError, as the walk's does.
    """
    kind = type(item)
    children: Any
    if kind is dict:
        for key in item:
            if type(key) is not str:
                return False
        joined = "".join(item)
        if not joined.isascii() and max(joined) >= "\U00010000":
            return False
        children = item.values()
    elif kind is list or kind is tuple:
        children = item
    else:
        return False
    for child in children:
        kind = type(child)
        if kind is str or kind is bool or child is None:
            continue
        if kind is int:
            if -_MAX_SAFE_INTEGER <= child <= _MAX_SAFE_INTEGER:
                continue
            return False
        if (kind is dict or kind is list or kind is tuple) and _plain(child):
            continue
        return False
    return True


def canonical_bytes(value: Any) -> bytes:
    """Return the RFC 8785 canonical UTF-8 bytes of a JSON-compatible value."""
    if _c_encode is not None:
        try:
            plain = _plain(value)
        except RecursionError:
            plain = False
        if plain:
            try:
                # JCS requires valid Unicode: a lone surrogate anywhere fails here.
                return "".join(_c_encode(value, 0)).encode("utf-8")
            except UnicodeEncodeError as exc:
                raise CanonicalizationError("string holds a lone surrogate") from exc
    return _walked_bytes(value)


def _walked_bytes(value: Any) -> bytes:
    """The walk: every JSON value, scalars without a trivial JCS form handed to ``rfc8785``."""
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
