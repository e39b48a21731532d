"""Reading framework, rule and catalogue files: TOML or JSON in, plain values out, every fault named by its place.

A reader collects all faults of a document before refusing it, so an author fixes a file in one pass.
"""

from __future__ import annotations

import hashlib
import re
import tomllib
from collections.abc import Iterator
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from ledger import strict_json
from ledger.canonical import canonical_bytes

SLUG = re.compile(r"[a-z0-9][a-z0-9-]{0,39}")
CODE = re.compile(r"[A-Z0-9][A-Z0-9-]{1,23}")
CATEGORY = re.compile(r"[a-z][a-z0-9_]{0,39}")
VERSION = re.compile(r"[A-Za-z0-9][A-Za-z0-9.-]{0,19}")


class DocumentError(ValueError):
    """A document that cannot be used; ``faults`` are ``place: message`` lines."""

    def __init__(self, source: str, faults: list[str]) -> None:
        super().__init__(f"{source}: " + "; ".join(faults))
        self.source = source
        self.faults = faults


def parse_file(path: Path) -> dict[str, Any]:
    """TOML (by default) or JSON (``.json``) into a dict; syntax errors name their line."""
    try:
        raw = path.read_bytes()
    except OSError as error:
        raise DocumentError(str(path), [f"cannot read the file ({error.strerror})"]) from None
    return parse_bytes(raw, str(path), json_format=path.suffix.lower() == ".json")


def parse_bytes(raw: bytes, source: str, *, json_format: bool) -> dict[str, Any]:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        raise DocumentError(source, [f"byte {error.start}: not UTF-8"]) from None
    try:
        # TOML refuses a repeated key itself; JSON needs the strict reader for that.
        value = strict_json.loads(text) if json_format else tomllib.loads(text)
    except strict_json.DuplicateKeyError as error:
        raise DocumentError(source, [f"{error.dotted}: the key {error.key!r} appears more than once"]) from None
    except strict_json.JSONInputError as error:
        where = f"line {error.line}, column {error.column}: " if error.line is not None else ""
        raise DocumentError(source, [f"{where}{error.reason}"]) from None
    except tomllib.TOMLDecodeError as error:
        # tomllib puts "(at line N, column M)" in the message itself.
        raise DocumentError(source, [str(error)]) from None
    except (ValueError, RecursionError) as error:
        raise DocumentError(source, [f"not readable: {error}"]) from None
    if not isinstance(value, dict):
        raise DocumentError(source, ["the document must be a table (object) at the top"])
    return value


def digest(document: dict[str, Any]) -> str:
    """SHA-256 of the document's canonical JSON: the hash a publication entry carries."""
    return hashlib.sha256(canonical_bytes(document)).hexdigest()


class Reader:
    """Typed access to a parsed document that records a fault instead of raising, with the value's place."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.faults: list[str] = []

    def fault(self, place: str, message: str) -> None:
        self.faults.append(f"{place}: {message}" if place else message)

    def finish(self) -> None:
        if self.faults:
            raise DocumentError(self.source, self.faults)

    def table(self, parent: Any, key: str, place: str, *, required: bool = True) -> dict[str, Any] | None:
        value = self._get(parent, key, place, required)
        if value is None:
            return None
        if not isinstance(value, dict):
            self.fault(place, "must be a table")
            return None
        return value

    def tables(self, parent: Any, key: str, place: str, *, required: bool = True) -> Iterator[tuple[str, Any]]:
        value = self._get(parent, key, place, required)
        if value is None:
            return
        if not isinstance(value, list) or (required and not value):
            self.fault(place, "must be a non-empty list of tables" if required else "must be a list of tables")
            return
        for index, item in enumerate(value):
            if isinstance(item, dict):
                yield f"{place}[{index}]", item
            else:
                self.fault(f"{place}[{index}]", "must be a table")

    def text(
        self, parent: Any, key: str, place: str, *, pattern: re.Pattern[str] | None = None, required: bool = True
    ) -> str | None:
        value = self._get(parent, key, place, required)
        if value is None:
            return None
        if not isinstance(value, str) or not value.strip():
            self.fault(place, "must be a non-empty string")
            return None
        if pattern is not None and not pattern.fullmatch(value):
            self.fault(place, f"{value!r} does not match {pattern.pattern}")
            return None
        return value

    def bilingual(self, parent: Any, key: str, place: str, *, required: bool = True) -> dict[str, str] | None:
        value = self._get(parent, key, place, required)
        if value is None:
            return None
        if not isinstance(value, dict):
            self.fault(place, "must be a table with zh and en strings")
            return None
        for language in ("zh", "en"):
            if not isinstance(value.get(language), str) or not value[language].strip():
                self.fault(f"{place}.{language}", "missing or empty")
        extra = sorted(set(value) - {"zh", "en"})
        if extra:
            self.fault(place, f"unknown keys {', '.join(extra)}")
        return {"zh": str(value.get("zh", "")), "en": str(value.get("en", ""))}

    def number(
        self,
        parent: Any,
        key: str,
        place: str,
        *,
        positive: bool = True,
        integer: bool = False,
        maximum: Decimal | None = None,
        required: bool = True,
    ) -> Decimal | None:
        value = self._get(parent, key, place, required)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int | float) or (integer and not isinstance(value, int)):
            self.fault(place, "must be a whole number" if integer else "must be a number")
            return None
        try:
            # str() first: Decimal(0.1) would carry the binary float's every digit.
            number = Decimal(str(value))
        except InvalidOperation:
            self.fault(place, "must be a finite number")
            return None
        if not number.is_finite():
            self.fault(place, "must be a finite number")
            return None
        if positive and number <= 0:
            self.fault(place, "must be greater than 0")
            return None
        if not positive and number < 0:
            self.fault(place, "must not be negative")
            return None
        if maximum is not None and number > maximum:
            self.fault(place, f"must be at most {maximum}")
            return None
        return number

    def strings(
        self, parent: Any, key: str, place: str, *, pattern: re.Pattern[str] | None = None, required: bool = False
    ) -> list[str]:
        value = self._get(parent, key, place, required)
        if value is None:
            return []
        if not isinstance(value, list):
            self.fault(place, "must be a list of strings")
            return []
        result = []
        for index, item in enumerate(value):
            if not isinstance(item, str) or (pattern is not None and not pattern.fullmatch(item)):
                self.fault(
                    f"{place}[{index}]", "must be a string" + (f" matching {pattern.pattern}" if pattern else "")
                )
            else:
                result.append(item)
        return result

    def unknown(self, value: dict[str, Any], allowed: set[str], place: str) -> None:
        extra = sorted(set(value) - allowed)
        if extra:
            self.fault(place or "(top)", f"unknown keys {', '.join(extra)}")

    def _get(self, parent: Any, key: str, place: str, required: bool) -> Any:
        if not isinstance(parent, dict) or key not in parent:
            if required:
                self.fault(place, "missing")
            return None
        return parent[key]


def as_number(value: Decimal | None) -> int | float | None:
    """A credit figure as a JSON number: whole numbers as integers, so canonical bytes never show ``4.0``."""
    if value is None:
        return None
    return int(value) if value == value.to_integral_value() else float(value)
