"""The fonts the certificate PDFs are set in, and the order the pages' stacks name them in.

A name can be in any script, and a character no font in the stack has prints as an empty box that still extracts as
text, so the stack is chosen by glyph coverage (checked per character in the tests), in this order:

1. "Creditbank Sans SC", built once by the set-up: Noto Sans CJK SC has 65,535 glyphs, and WeasyPrint's cut of an
   embedded font costs time with the size of the font it starts from, so the set-up keeps GB2312 (every hanzi an
   ordinary name or title needs) and CJK punctuation from it, with its outlines converted to TrueType (which
   fontTools, WeasyPrint's subsetter when libharfbuzz-subset is missing, cuts several times faster than CFF). Noto
   Sans CJK has only part of Latin Extended (no Ł, ę, ő, ș), so a Polish or Romanian name drew those letters from
   whatever fontconfig found, with another design and other bearings: DejaVu Sans Bold's Ł reaches left of its
   origin into the hyphen before it. The subset therefore takes all its Latin, Greek and Cyrillic letters (and the
   word-internal hyphens) from Noto Sans, merged in with their kerning and mark positioning, so a Latin or Cyrillic
   name is set in one font; the CJK vertical metrics are kept, so lines do not move.
2. Noto Sans, for Latin, Greek and Cyrillic outside those ranges; then Noto Sans Arabic and Noto Naskh Arabic, which
   shape Arabic (joining forms, ligatures; the presentation forms too).
3. Noto Sans CJK SC for hanzi outside GB2312 (堃, 䶮, 𠮷 …; and for everything when the subset was not prepared,
   which makes rendering slower, never wrong).
4. HanaMinB (every ideograph of Extensions B to F) and BabelStone Han (Extension G as far as Debian's fonts go, and
   the last Extension A characters): tens of thousands of glyphs each, so last. Fontconfig answers coverage from
   its cache, and WeasyPrint embeds only fonts that draw something, so they are opened only for a character that
   needs them.

    python -m certificates.fonts prepare [DEST]     # DEST defaults to font_dir()
"""

from __future__ import annotations

import io
import json
import os
import sys
from collections.abc import Iterable
from pathlib import Path

from fontTools import subset
from fontTools.merge import Merger
from fontTools.pens.cu2quPen import Cu2QuPen
from fontTools.pens.ttGlyphPen import TTGlyphPen
from fontTools.ttLib import TTCollection, TTFont, newTable

SYSTEM_FAMILY = "Noto Sans CJK SC"
SUBSET_FAMILY = "Creditbank Sans SC"
LATIN_FAMILY = "Noto Sans"
ARABIC_FAMILIES = ("Noto Sans Arabic", "Noto Naskh Arabic")
RARE_HAN_FAMILIES = ("HanaMinB", "BabelStone Han")
FAMILIES = (SUBSET_FAMILY, LATIN_FAMILY, *ARABIC_FAMILIES, SYSTEM_FAMILY, *RARE_HAN_FAMILIES)
FONT_STACK = ", ".join(f'"{family}"' for family in FAMILIES) + ", sans-serif"

SOURCE_DIR = Path("/usr/share/fonts/opentype/noto")
LATIN_SOURCE_DIR = Path("/usr/share/fonts/truetype/noto")
# weight (CSS) → (collection in fonts-noto-cjk, Noto Sans file in fonts-noto-core, file written by prepare)
WEIGHTS: dict[int, tuple[str, str, str]] = {
    400: ("NotoSansCJK-Regular.ttc", "NotoSans-Regular.ttf", "CreditbankSansSC-Regular.ttf"),
    700: ("NotoSansCJK-Bold.ttc", "NotoSans-Bold.ttf", "CreditbankSansSC-Bold.ttf"),
}
STAMP = "fonts.stamp.json"
# Bumped whenever the coverage or the conversion changes, so an old build is not taken for a current one.
RECIPE = 2

_RANGES = (
    (0x0020, 0x007E),  # ASCII
    (0x00A0, 0x00FF),  # Latin-1
    (0x2000, 0x206F),  # general punctuation
    (0x3000, 0x303F),  # CJK symbols and punctuation
    (0xFF00, 0xFFEF),  # full-width forms
)
# Taken from Noto Sans rather than the CJK font: the letters of Latin, Greek and Cyrillic names (Łukasz, Ștefan,
# Nguyễn, Żółć, Жанна), their accents, and the hyphens inside a double name (U+2010 is a full em wide in the CJK font).
_LATIN_RANGES = (
    (0x0020, 0x007E),  # ASCII
    (0x00A0, 0x024F),  # Latin-1, Latin Extended-A and -B
    (0x02B0, 0x036F),  # spacing modifiers and combining accents, for names typed in decomposed form
    (0x0370, 0x03FF),  # Greek
    (0x0400, 0x052F),  # Cyrillic and its supplement
    (0x1E00, 0x1EFF),  # Latin Extended Additional (Vietnamese)
    (0x2010, 0x2011),  # hyphen, non-breaking hyphen
)
# The middle dot stays full-width, as Chinese writes it between the parts of a transcribed name (阿依古丽·买买提).
_KEPT_CJK = frozenset({0x00B7})
# Only what horizontal text needs: 'locl' and 'vert' would pull in the JP/KR/TC/HK and vertical variants, and every
# glyph kept makes each render's subsetting slower.
_FEATURES = ["ccmp", "kern", "liga", "calt", "mark", "mkmk"]
# Noto Sans's 'locl' holds only Latin and Cyrillic forms (Romanian ș, Serbian and Bulgarian letters).
_LATIN_FEATURES = [*_FEATURES, "locl"]
# Largest distance, in font units (1/1000 em), between a CFF curve and its quadratic replacement: invisible in print.
_MAX_CURVE_ERROR = 1.0
# Line metrics the merged font keeps from its CJK part, so the subset sets lines exactly as Noto Sans CJK SC does.
_VERTICAL = {
    "hhea": ("ascent", "descent", "lineGap"),
    "OS/2": (
        "sTypoAscender",
        "sTypoDescender",
        "sTypoLineGap",
        "usWinAscent",
        "usWinDescent",
        "sxHeight",
        "sCapHeight",
    ),
}


class FontError(Exception):
    """A system font the subset is built from is missing or unusable."""


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


def latin_coverage() -> frozenset[int]:
    """The code points the subset takes from Noto Sans (those Noto Sans has)."""
    wanted: set[int] = set()
    for first, last in _LATIN_RANGES:
        wanted.update(range(first, last + 1))
    return frozenset(wanted - _KEPT_CJK)


def coverage() -> frozenset[int]:
    """The code points the prepared subset is meant to hold (those its source fonts have)."""
    wanted = set(gb2312()) | latin_coverage()
    for first, last in _RANGES:
        wanted.update(range(first, last + 1))
    return frozenset(wanted)


def subset_paths(folder: Path | None = None) -> dict[int, Path]:
    """weight → prepared subset file, for the files that exist."""
    where = font_dir() if folder is None else folder
    return {weight: where / name for weight, (_, _, name) in WEIGHTS.items() if (where / name).is_file()}


def face_rules(folder: Path | None = None) -> str:
    """@font-face rules for the prepared subsets; empty when prepare has not run (the system fonts then serve)."""
    rules = []
    for weight, path in sorted(subset_paths(folder).items()):
        rules.append(
            f'@font-face {{ font-family: "{SUBSET_FAMILY}"; font-weight: {weight}; font-style: normal; '
            f'src: url("{path.resolve().as_uri()}") format("truetype"); }}'
        )
    return "\n".join(rules)


def stylesheet(folder: Path | None = None) -> str:
    """The CSS that sets every document (and its page margins) in FONT_STACK, with the subset's @font-face rules."""
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
    pairs = [(SOURCE_DIR / cjk, LATIN_SOURCE_DIR / latin) for cjk, latin, _ in WEIGHTS.values()]
    for cjk, latin in pairs:
        if not cjk.is_file():
            raise FontError(f"{cjk} is missing: install the Debian package fonts-noto-cjk")
        if not latin.is_file():
            raise FontError(f"{latin} is missing: install the Debian package fonts-noto-core")
    outputs = [dest / name for _, _, name in WEIGHTS.values()]
    stamp = dest / STAMP
    state = _source_state(path for pair in pairs for path in pair)
    if all(path.is_file() for path in outputs) and _read_stamp(stamp) == state:
        return outputs

    dest.mkdir(parents=True, exist_ok=True)
    # A stale stamp must not vouch for half-rewritten fonts if this run is interrupted.
    stamp.unlink(missing_ok=True)
    for (cjk, latin), output in zip(pairs, outputs, strict=True):
        font = _build(cjk, latin)
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


def _options(features: list[str]) -> subset.Options:
    options = subset.Options()
    options.layout_features = list(features)
    options.drop_tables += ["vhea", "vmtx", "VORG", "DSIG"]
    options.hinting = False  # WeasyPrint drops hints when embedding anyway
    options.desubroutinize = True
    options.notdef_outline = True
    options.name_IDs = ["*"]
    return options


def _build(cjk_source: Path, latin_source: Path) -> TTFont:
    """The CJK cut and the Noto Sans cut merged into one font named SUBSET_FAMILY."""
    latin = TTFont(str(latin_source))
    if latin["head"].unitsPerEm != 1000:
        raise FontError(f"{latin_source} is not drawn on 1000 units to the em like Noto Sans CJK")
    taken = latin_coverage() & set(latin.getBestCmap())
    cutter = subset.Subsetter(_options(_LATIN_FEATURES))
    cutter.populate(unicodes=taken)
    cutter.subset(latin)

    cjk = TTFont(str(cjk_source), fontNumber=collection_index(cjk_source))
    cutter = subset.Subsetter(_options(_FEATURES))
    # Disjoint character sets: the merge then has no two glyphs competing for one code point.
    cutter.populate(unicodes=coverage() - taken)
    cutter.subset(cjk)
    _to_truetype(cjk)
    vertical = {tag: {field: getattr(cjk[tag], field) for field in fields} for tag, fields in _VERTICAL.items()}
    latin_copyright = str(latin["name"].getDebugName(0) or "")

    # The merger reads its inputs as font files; the first one lends the merged font its names and OS/2 defaults.
    files = []
    for part in (cjk, latin):
        data = io.BytesIO()
        part.save(data)
        data.seek(0)
        files.append(data)
    font = Merger().merge(files)
    for tag, values in vertical.items():
        for field, value in values.items():
            setattr(font[tag], field, value)
    _rename(font, latin_copyright)
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


def _rename(font: TTFont, latin_copyright: str) -> None:
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
    # Both sources are under the SIL OFL 1.1: Noto Sans CJK's licence and trademark records are kept as they are,
    # and the copyright names both.
    copyright_cjk = names.getDebugName(0)
    if copyright_cjk and latin_copyright and latin_copyright not in copyright_cjk:
        names.removeNames(nameID=0)
        names.setName(f"{copyright_cjk} {latin_copyright}", 0, 3, 1, 0x409)
    names.setName(
        f"GB2312 subset of {SYSTEM_FAMILY} with TrueType outlines and the Latin, Greek and Cyrillic letters of "
        f"{LATIN_FAMILY}, made for creditbank's certificate PDFs.",
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
