"""The gettext catalogues of the public pages, read from their ``.po`` sources.

``creditbank/translations/<language>/<area>.po`` holds one area's words (portal, verify, recognition, …) in one
language; the msgid is the key templates and code ask for, so a word missing everywhere shows as its key and a test
can find it. All areas of a language are merged into one :class:`babel.support.Translations`, read once per process
and again only when a file changes: there is no compile step to forget, and a key defined in two areas is an error at
load, so one area cannot silently change another's text.
"""

from __future__ import annotations

import io
import threading
from dataclasses import dataclass
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

ROOT = Path(__file__).resolve().parent.parent / "translations"


class CatalogueError(RuntimeError):
    """A catalogue that cannot be used: unreadable, or a key that two areas both define."""


@dataclass(frozen=True)
class Loaded:
    translations: Translations
    catalogue: Catalog
    stamp: tuple[tuple[str, int, int], ...]


_lock = threading.Lock()
_loaded: dict[str, Loaded] = {}


def files(language: str, root: Path = ROOT) -> list[Path]:
    return sorted((root / language).glob("*.po"))


def _stamp(paths: list[Path]) -> tuple[tuple[str, int, int], ...]:
    return tuple((path.name, path.stat().st_mtime_ns, path.stat().st_size) for path in paths)


def read(language: str, root: Path = ROOT) -> Catalog:
    """Every area of ``language`` as one catalogue. Its plural rule is CLDR's for the language (Babel's), whatever a
    file's header says; fuzzy entries count as missing, as gettext treats them."""
    merged = Catalog(locale=language, domain="messages", fuzzy=False)
    owner: dict[str, str] = {}
    for path in files(language, root):
        with path.open("rb") as handle:
            try:
                part = read_po(handle, locale=language, abort_invalid=True)
            except Exception as exc:  # babel raises several kinds; any of them means the file is unusable
                raise CatalogueError(f"{path}: {exc}") from exc
        for message in part:
            if not message.id:
                continue
            key = message.id if isinstance(message.id, str) else message.id[0]
            if key in owner:
                raise CatalogueError(f"{key!r} is defined in both {owner[key]} and {path.name}")
            owner[key] = path.name
            merged[message.id] = message
    return merged


def translations(language: str, root: Path = ROOT) -> Translations:
    """The merged catalogue of ``language``, reloaded when one of its files has changed."""
    paths = files(language, root)
    stamp = _stamp(paths)
    cached = _loaded.get(language)
    if cached is not None and cached.stamp == stamp:
        return cached.translations
    with _lock:
        catalogue = read(language, root)
        buffer = io.BytesIO()
        write_mo(buffer, catalogue, use_fuzzy=False)
        buffer.seek(0)
        loaded = Loaded(Translations(buffer, domain="messages"), catalogue, stamp)
        _loaded[language] = loaded
    return loaded.translations
