"""JSON from outside the bank, read strictly.

RFC 8259 leaves an object that names a key twice to the reader, and Python's reader keeps the
last value. Two readers of one document can then see two different documents — a signature
checked over one, a record shown from the other — so every door that takes JSON from outside
(API bodies, credentials uploaded for verification, files given to the CLI) reads it here and
refuses such an object. Keys are compared after unescaping: ``"a"`` and ``"\\u0061"`` are one key.
"""

from __future__ import annotations

import json
from typing import Any

__all__ = ["DuplicateKeyError", "JSONInputError", "loads"]


class JSONInputError(ValueError):
    """The bytes are not a JSON document this bank accepts; ``line`` and ``column`` say where, when known."""

    def __init__(self, message: str, *, reason: str = "", line: int | None = None, column: int | None = None) -> None:
        super().__init__(message)
        self.reason = reason or message
        self.line = line
        self.column = column


class DuplicateKeyError(JSONInputError):
    """An object names the same key twice; ``path`` leads to that object (keys and list indexes)."""

    def __init__(self, key: str, path: tuple[str | int, ...]) -> None:
        self.key = key
        self.path = path
        where = f" in {self.dotted_parent}" if path else ""
        super().__init__(f"the key {key!r} appears more than once{where}")

    @property
    def dotted_parent(self) -> str:
        return ".".join(str(step) for step in self.path)

    @property
    def dotted(self) -> str:
        """The duplicated member's own path, dotted like the API's field errors (``items.3.learner``)."""
        return ".".join(str(step) for step in (*self.path, self.key))


class _Repeated(dict[str, Any]):
    """An object that named ``repeated`` twice, marked so its place can be found once parsing is done."""

    repeated: str


def _hook(marked: list[_Repeated]) -> Any:
    def pairs(items: list[tuple[str, Any]]) -> dict[str, Any]:
        result = dict(items)
        if len(result) == len(items):
            return result
        # The hook sees one object at a time, not where it sits: mark it and find its place afterwards, which
        # costs nothing for the documents without a duplicate.
        seen: set[str] = set()
        repeated = _Repeated(result)
        for key, _ in items:
            if key in seen:
                repeated.repeated = key
                break
            seen.add(key)
        marked.append(repeated)
        return repeated

    return pairs


def _locate(document: Any) -> DuplicateKeyError:
    # Iterative, so a document nested as deep as the parser allowed cannot exhaust the stack here.
    stack: list[tuple[Any, tuple[str | int, ...]]] = [(document, ())]
    while stack:
        value, path = stack.pop()
        if isinstance(value, _Repeated):
            return DuplicateKeyError(value.repeated, path)
        if isinstance(value, dict):
            children: list[tuple[Any, tuple[str | int, ...]]] = [(v, (*path, k)) for k, v in value.items()]
        elif isinstance(value, list):
            children = [(v, (*path, i)) for i, v in enumerate(value)]
        else:
            continue
        stack.extend(reversed(children))
    raise AssertionError("a marked object is always reachable from the document")  # pragma: no cover


def loads(data: bytes | str) -> Any:
    """Parse one JSON document (UTF-8 when given bytes); raise :class:`JSONInputError` for anything else."""
    if isinstance(data, bytes | bytearray):
        try:
            text = bytes(data).decode("utf-8")
        except UnicodeDecodeError as exc:
            raise JSONInputError(f"not UTF-8 (byte {exc.start})") from None
    else:
        text = data
    marked: list[_Repeated] = []
    try:
        document = json.loads(text, object_pairs_hook=_hook(marked))
    except json.JSONDecodeError as exc:
        where = f"at line {exc.lineno} column {exc.colno}"
        raise JSONInputError(
            f"not JSON: {exc.msg} {where}", reason=exc.msg, line=exc.lineno, column=exc.colno
        ) from None
    except RecursionError:
        raise JSONInputError("not JSON this service reads: nested too deeply") from None
    except ValueError as exc:
        # Integers past the interpreter's digit limit arrive as a plain ValueError.
        raise JSONInputError(f"not JSON this service reads: {exc}") from None
    if marked:
        raise _locate(document)
    return document
