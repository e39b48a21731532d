"""CJK fonts for the PDFs.

Embedding Noto Sans CJK as WeasyPrint finds it means subsetting a 65,000-glyph font on every render (seconds). So the
set-up prepares a GB2312 subset once (`python -m certificates.fonts prepare`), and each document gets its own tiny
font holding exactly the characters it shows: cut from that subset, or from the full system font when a name uses a
character outside GB2312, so no character ever renders as a missing-glyph box.
"""

from __future__ import annotations

import base64
import io
import os
import sys
from functools import cache
from pathlib import Path

from fontTools import subset
from fontTools.ttLib import TTCollection, TTFont

SYSTEM_FONT = Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc")
FAMILY = "Noto Sans CJK SC"
PREPARED = "noto-sans-sc-gb2312.otf"
_BASIC = [*range(0x20, 0x250), *range(0x2000, 0x2070), *range(0x3000, 0x3040), *range(0xFF00, 0xFFF0)]


class FontError(Exception):
    pass


def font_dir() -> Path:
    configured = os.environ.get("CREDITBANK_FONT_DIR")
    return Path(configured) if configured else Path(__file__).resolve().parent.parent / "build" / "fonts"


@cache
def _sc_index() -> int:
    collection = TTCollection(str(SYSTEM_FONT), lazy=True)
    for index, font in enumerate(collection.fonts):
        if font["name"].getDebugName(1) == FAMILY:
            return index
    raise FontError(f"{SYSTEM_FONT} has no {FAMILY}")


def gb2312() -> set[int]:
    found = set(_BASIC)
    for high in range(0xA1, 0xF8):
        for low in range(0xA1, 0xFF):
            try:
                found.add(ord(bytes((high, low)).decode("gb2312")))
            except (UnicodeDecodeError, TypeError):
                continue
    return found


def _options() -> subset.Options:
    options = subset.Options()
    options.notdef_outline = True
    options.name_IDs = ["*"]
    options.hinting = False
    options.layout_features = ["*"]
    return options


def prepare(dest: Path | None = None) -> Path:
    """Write the GB2312 subset (idempotent: kept while the system font is unchanged)."""
    if not SYSTEM_FONT.exists():
        raise FontError(f"{SYSTEM_FONT} is missing: install the Debian package fonts-noto-cjk")
    folder = dest or font_dir()
    target = folder / PREPARED
    stamp = folder / (PREPARED + ".source")
    source = f"{SYSTEM_FONT} {SYSTEM_FONT.stat().st_size} {int(SYSTEM_FONT.stat().st_mtime)}"
    if target.exists() and stamp.exists() and stamp.read_text() == source:
        return target
    folder.mkdir(parents=True, exist_ok=True)
    font = TTFont(str(SYSTEM_FONT), fontNumber=_sc_index())
    cutter = subset.Subsetter(_options())
    cutter.populate(unicodes=gb2312())
    cutter.subset(font)
    partial = target.with_suffix(".tmp")
    font.save(str(partial))
    partial.replace(target)
    stamp.write_text(source)
    return target


@cache
def _prepared_bytes() -> bytes | None:
    path = font_dir() / PREPARED
    return path.read_bytes() if path.exists() else None


@cache
def _prepared_cmap() -> frozenset[int]:
    data = _prepared_bytes()
    if data is None:
        return frozenset()
    return frozenset(TTFont(io.BytesIO(data), lazy=True).getBestCmap())


def document_font(text: str) -> bytes:
    """A font holding exactly the characters of `text` (plus what shaping needs)."""
    wanted = {ord(char) for char in text if not char.isspace()} | {0x20}
    data = _prepared_bytes()
    if data is not None and wanted <= _prepared_cmap():
        font = TTFont(io.BytesIO(data), lazy=True)
    else:
        font = TTFont(str(SYSTEM_FONT), fontNumber=_sc_index(), lazy=True)
    options = _options()
    options.layout_features = []
    cutter = subset.Subsetter(options)
    cutter.populate(unicodes=wanted)
    cutter.subset(font)
    out = io.BytesIO()
    font.save(out)
    return out.getvalue()


def font_face_css(text: str, family: str = "CB Document") -> str:
    encoded = base64.b64encode(document_font(text)).decode("ascii")
    return f'@font-face {{ font-family: "{family}"; src: url(data:font/otf;base64,{encoded}) format("opentype"); }}'


if __name__ == "__main__":
    if len(sys.argv) < 2 or sys.argv[1] != "prepare":
        sys.exit("usage: python -m certificates.fonts prepare [DEST]")
    written = prepare(Path(sys.argv[2]) if len(sys.argv) > 2 else None)
    print(f"CJK subset ready: {written}")
