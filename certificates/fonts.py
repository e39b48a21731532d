"""The CJK fonts the certificate PDFs are set in.

The system's Noto Sans CJK SC has 65,535 glyphs. WeasyPrint cuts every font it embeds down to the glyphs a document
uses, and the cost of that cut grows with the size of the font it starts from, so the set-up builds a smaller font
once: Noto Sans CJK SC limited to GB2312 (every hanzi an ordinary name or title needs), Latin and punctuation, with
its outlines converted to TrueType, which fontTools — WeasyPrint's subsetter when libharfbuzz-subset is missing —
cuts several times faster than CFF. The stylesheet names that subset first and the full system font after it, so a
character outside the subset (堃, 䶮, 𠮷 …) still comes from Noto Sans CJK SC, and a missing subset only makes
rendering slower, never wrong.

    python -m certificates.fonts prepare [DEST]     # DEST defaults to font_dir()
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterable
from pathlib import Path

from fontTools import subset
from fontTools.pens.cu2quPen import Cu2QuPen
from fontTools.pens.ttGlyphPen import TTGlyphPen
from fontTools.ttLib import TTCollection, TTFont, newTable

SYSTEM_FAMILY = "Noto Sans CJK SC"
SUBSET_FAMILY = "Creditbank Sans SC"
FONT_STACK = f'"{SUBSET_FAMILY}", "{SYSTEM_FAMILY}", sans-serif'

SOURCE_DIR = Path("/usr/share/fonts/opentype/noto")
# weight (CSS) → (collection in fonts-noto-cjk, file written by prepare)
WEIGHTS: dict[int, tuple[str, str]] = {
    400: ("NotoSansCJK-Regular.ttc", "CreditbankSansSC-Regular.ttf"),
    700: ("NotoSansCJK-Bold.ttc", "CreditbankSansSC-Bold.ttf"),
}
STAMP = "fonts.stamp.json"
# Bumped whenever the coverage or the conversion changes, so an old build is not taken for a current one.
RECIPE = 1

_RANGES = (
    (0x0020, 0x007E),  # ASCII
    (0x00A0, 0x00FF),  # Latin-1
    (0x0100, 0x017F),  # Latin Extended-A: Dvořák, Łukasz, Ōno; costs a few hundred glyphs
    (0x0300, 0x036F),  # combining accents, for names typed in decomposed form
    (0x2000, 0x206F),  # general punctuation
    (0x3000, 0x303F),  # CJK symbols and punctuation
    (0xFF00, 0xFFEF),  # full-width forms
)
# Only what horizontal text needs: 'locl' and 'vert' would pull in the JP/KR/TC/HK and vertical variants, and every
# glyph kept makes each render's subsetting slower.
_FEATURES = ["ccmp", "kern", "liga", "calt", "mark", "mkmk"]
# Largest distance, in font units (1/1000 em), between a CFF curve and its quadratic replacement: invisible in print.
_MAX_CURVE_ERROR = 1.0


class FontError(Exception):
    """The system CJK font is missing or unusable."""


def font_dir() -> Path:
    configured = os.environ.get("CREDITBANK_FONT_DIR")
    if configured:
        return Path(configured)
    return Path(__file__).resolve().parent.parent / "build" / "fonts"


def gb2312() -> frozenset[int]:
    """Every character GB2312 encodes, found by decoding each two-byte code with Python's own codec."""
    found = set()
    for lead in range(0xA1, 0xF8):
        for trail in range(0xA1, 0xFF):
            try:
                found.add(ord(bytes((lead, trail)).decode("gb2312")))
            except UnicodeDecodeError:
                continue
    return frozenset(found)


def coverage() -> frozenset[int]:
    """The code points the prepared subset is meant to hold (those the source font has)."""
    wanted = set(gb2312())
    for first, last in _RANGES:
        wanted.update(range(first, last + 1))
    return frozenset(wanted)


def subset_paths(folder: Path | None = None) -> dict[int, Path]:
    """weight → prepared subset file, for the files that exist."""
    where = font_dir() if folder is None else folder
    return {weight: where / name for weight, (_, name) in WEIGHTS.items() if (where / name).is_file()}


def face_rules(folder: Path | None = None) -> str:
    """@font-face rules for the prepared subsets; empty when prepare has not run (the system font then serves)."""
    rules = []
    for weight, path in sorted(subset_paths(folder).items()):
        rules.append(
            f'@font-face {{ font-family: "{SUBSET_FAMILY}"; font-weight: {weight}; font-style: normal; '
            f'src: url("{path.resolve().as_uri()}") format("truetype"); }}'
        )
    return "\n".join(rules)


def stylesheet(folder: Path | None = None) -> str:
    """The CSS that sets every document (and its page margins) in the subset, then the full system font."""
    stack = f"@page {{ font-family: {FONT_STACK}; }}\nhtml {{ font-family: {FONT_STACK}; }}"
    rules = face_rules(folder)
    return f"{rules}\n{stack}" if rules else stack


def _source_state(sources: Iterable[Path]) -> dict[str, object]:
    files = {}
    for path in sources:
        status = path.stat()
        files[path.name] = [status.st_size, status.st_mtime_ns]
    return {"recipe": RECIPE, "sources": files}


def prepare(dest: Path) -> list[Path]:
    """Build the subsets into `dest`; a no-op when they exist and were built from the same system fonts."""
    sources = [SOURCE_DIR / source for source, _ in WEIGHTS.values()]
    for source in sources:
        if not source.is_file():
            raise FontError(f"{source} is missing: install the Debian package fonts-noto-cjk")
    outputs = [dest / name for _, name in WEIGHTS.values()]
    stamp = dest / STAMP
    state = _source_state(sources)
    if all(path.is_file() for path in outputs) and _read_stamp(stamp) == state:
        return outputs

    dest.mkdir(parents=True, exist_ok=True)
    # A stale stamp must not vouch for half-rewritten fonts if this run is interrupted.
    stamp.unlink(missing_ok=True)
    wanted = coverage()
    for source, output in zip(sources, outputs, strict=True):
        font = _cut(source, wanted)
        partial = output.with_name(f".{output.name}.{os.getpid()}.tmp")
        try:
            font.save(str(partial))
            partial.replace(output)
        finally:
            partial.unlink(missing_ok=True)
    partial_stamp = stamp.with_name(f".{STAMP}.{os.getpid()}.tmp")
    partial_stamp.write_text(json.dumps(state, sort_keys=True) + "\n", encoding="utf-8")
    partial_stamp.replace(stamp)
    return outputs


def _read_stamp(stamp: Path) -> object:
    try:
        return json.loads(stamp.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def collection_index(collection: Path, family: str = SYSTEM_FAMILY) -> int:
    """Which font of a .ttc is `family` (the SC face of Noto Sans CJK is not at a fixed position in every build)."""
    fonts = TTCollection(str(collection), lazy=True)
    try:
        for index, font in enumerate(fonts.fonts):
            if font["name"].getBestFamilyName() == family:
                return index
    finally:
        fonts.close()
    raise FontError(f"{collection} holds no {family}")


def _cut(source: Path, wanted: frozenset[int]) -> TTFont:
    font = TTFont(str(source), fontNumber=collection_index(source))
    options = subset.Options()
    options.layout_features = list(_FEATURES)
    options.drop_tables += ["vhea", "vmtx", "VORG"]
    options.hinting = False  # WeasyPrint drops hints when embedding anyway
    options.desubroutinize = True
    options.notdef_outline = True
    options.name_IDs = ["*"]
    cutter = subset.Subsetter(options)
    cutter.populate(unicodes=wanted)
    cutter.subset(font)
    _to_truetype(font)
    _rename(font)
    return font


def _to_truetype(font: TTFont) -> None:
    order = font.getGlyphOrder()
    outlines = font.getGlyphSet()
    metrics = font["hmtx"]
    glyf = newTable("glyf")
    glyf.glyphOrder = order
    # Filling the dict directly: glyf's item assignment scans the glyph order on each call (quadratic here).
    glyf.glyphs = {}
    for name in order:
        pen = TTGlyphPen(None)
        outlines[name].draw(Cu2QuPen(pen, _MAX_CURVE_ERROR, reverse_direction=True))
        glyph = pen.glyph()
        glyph.recalcBounds(glyf)
        glyf.glyphs[name] = glyph
        advance, _ = metrics[name]
        # TrueType rasterizers expect the left side bearing to be the outline's left edge.
        metrics[name] = (advance, glyph.xMin if glyph.numberOfContours else 0)
    font["glyf"] = glyf
    font["loca"] = newTable("loca")
    for tag in ("CFF ", "VORG"):
        if tag in font:
            del font[tag]

    maxp = font["maxp"]
    maxp.tableVersion = 0x00010000
    for field in (
        "maxTwilightPoints",
        "maxStorage",
        "maxFunctionDefs",
        "maxInstructionDefs",
        "maxStackElements",
        "maxSizeOfInstructions",
    ):
        setattr(maxp, field, 0)
    maxp.maxZones = 1
    # The point and contour maxima are recomputed from glyf when the font is saved.
    for field in (
        "maxPoints",
        "maxContours",
        "maxCompositePoints",
        "maxCompositeContours",
        "maxComponentElements",
        "maxComponentDepth",
    ):
        setattr(maxp, field, 0)
    font["head"].glyphDataFormat = 0
    post = font["post"]
    post.formatType = 2.0
    post.extraNames = []
    post.mapping = {}
    font.sfntVersion = "\x00\x01\x00\x00"


def _rename(font: TTFont) -> None:
    """Give the subset its own family name, so fontconfig never takes it for the full Noto Sans CJK SC."""
    style = "Bold" if font["OS/2"].usWeightClass >= 600 else "Regular"
    postscript = f"{SUBSET_FAMILY.replace(' ', '')}-{style}"
    names = font["name"]
    for name_id in (1, 2, 3, 4, 6, 16, 17, 21, 22):
        names.removeNames(nameID=name_id)
    for name_id, text in (
        (1, SUBSET_FAMILY),
        (2, style),
        (3, f"{postscript};creditbank-recipe-{RECIPE}"),
        (4, f"{SUBSET_FAMILY} {style}"),
        (6, postscript),
    ):
        names.setName(text, name_id, 3, 1, 0x409)
    # Copyright, licence (SIL OFL 1.1) and trademark records of Noto Sans CJK are kept as they are.
    names.setName(
        f"GB2312 subset of {SYSTEM_FAMILY} with TrueType outlines, made for creditbank's certificate PDFs.",
        10,
        3,
        1,
        0x409,
    )


def main(argv: list[str]) -> int:
    if not argv or argv[0] != "prepare" or len(argv) > 2:
        print("usage: python -m certificates.fonts prepare [DEST]", file=sys.stderr)
        return 2
    dest = Path(argv[1]) if len(argv) == 2 else font_dir()
    try:
        written = prepare(dest)
    except FontError as exc:
        print(f"fonts: {exc}", file=sys.stderr)
        return 1
    for path in written:
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
