"""Baked badges: an achievement credential carried inside the badge's own image, PNG or SVG (Open Badges 3.0,
"Baked Badge"), and read back out of an image someone uploads.

PNG: one ``iTXt`` chunk with the keyword ``openbadgecredential``, uncompressed, empty language tag and translated
keyword, the signed credential's JSON as its text, placed before ``IEND``. SVG: ``xmlns:openbadges`` on the root
``<svg>`` and, as its first child, one ``<openbadges:credential>`` holding the JSON in CDATA.

Reading is attacker-facing. The upload is already bounded in size by the door; here a PNG is walked chunk by chunk by
its declared lengths, every CRC checked and nothing inflated, and a compressed, repeated, truncated or damaged
credential chunk is refused rather than guessed at. An SVG is parsed by defusedxml with any DTD refused (so no entity
is ever declared or expanded, and nothing outside the file is fetched), streamed into a finder that stops at a depth
or element count no badge needs.

The image itself is drawn here too: the institution, the title in the credential's two languages and the level, in the
fonts the certificates use, chosen per run of text by glyph coverage so Chinese, Arabic and rare ideographs draw.
"""

from __future__ import annotations

import io
import re
import threading
import zlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from xml.etree.ElementTree import ParseError
from xml.sax.saxutils import escape, quoteattr

from defusedxml import DefusedXmlException  # type: ignore[import-untyped]
from defusedxml.ElementTree import DefusedXMLParser  # type: ignore[import-untyped]
from fontTools.ttLib import TTFont
from PIL import Image, ImageDraw, ImageFont

from certificates import fonts

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
KEYWORD = b"openbadgecredential"
BADGES_NAMESPACE = "https://purl.imsglobal.org/ob/v3p0"
SVG_NAMESPACE = "http://www.w3.org/2000/svg"
# No honest badge comes near these; a file that does is refused before it costs more.
MAX_CHUNKS = 10_000
MAX_DEPTH = 64
MAX_ELEMENTS = 20_000
_LONGEST_CHUNK = 2**31 - 1  # PNG: a chunk length is at most 2^31 - 1
_CREDENTIAL_TAG = f"{{{BADGES_NAMESPACE}}}credential"


class BakeError(ValueError):
    """The image holds no credential that can be read as baked, and why."""


def is_png(data: bytes) -> bool:
    return data.startswith(PNG_SIGNATURE)


def is_svg(data: bytes) -> bool:
    """Markup, as an SVG (or any XML) starts; JSON and PDF never do."""
    return data.removeprefix(b"\xef\xbb\xbf").lstrip().startswith(b"<")


# --- PNG -------------------------------------------------------------------------------------------------------


def _chunks(data: bytes) -> Iterator[tuple[bytes, int, int]]:
    """(type, offset of the chunk, offset past its CRC) for each chunk from IHDR to IEND, every length and CRC
    checked before the chunk is handed on."""
    if not is_png(data):
        raise BakeError("not a PNG image")
    view = memoryview(data)
    at, count = len(PNG_SIGNATURE), 0
    while True:
        if at + 12 > len(data):
            raise BakeError("the PNG image is cut short: it ends before its IEND chunk")
        length = int.from_bytes(view[at : at + 4], "big")
        kind = bytes(view[at + 4 : at + 8])
        if not kind.isalpha() or not kind.isascii():
            raise BakeError("the PNG image has a chunk whose type is not four letters")
        if length > _LONGEST_CHUNK or at + 12 + length > len(data):
            raise BakeError(f"the PNG chunk {kind.decode()} declares {length} bytes, more than the file holds")
        end = at + 12 + length
        if zlib.crc32(view[at + 4 : end - 4]) != int.from_bytes(view[end - 4 : end], "big"):
            raise BakeError(f"the PNG chunk {kind.decode()} is damaged (its CRC does not match)")
        count += 1
        if count > MAX_CHUNKS:
            raise BakeError(f"the PNG image has more than {MAX_CHUNKS} chunks")
        if count == 1 and kind != b"IHDR":
            raise BakeError("the PNG image does not start with its IHDR chunk")
        yield kind, at, end
        if kind == b"IEND":
            if end != len(data):
                raise BakeError("bytes follow the end of the PNG image (its IEND chunk)")
            return
        at = end


def _credential_text(body: bytes) -> bytes | None:
    """The text of an iTXt chunk when its keyword is openbadgecredential; None for any other keyword."""
    keyword, separator, rest = body.partition(b"\0")
    if not separator or keyword != KEYWORD:
        return None
    if len(rest) < 2:
        raise BakeError("the openbadgecredential chunk is cut short")
    if rest[0] != 0 or rest[1] != 0:
        # Compression MUST NOT be used: a compressed chunk would have to be inflated to be read.
        raise BakeError("the openbadgecredential chunk is compressed, which Open Badges does not allow")
    parts = rest[2:].split(b"\0", 2)
    if len(parts) != 3:
        raise BakeError("the openbadgecredential chunk is cut short")
    text = parts[2]
    try:
        text.decode("utf-8")
    except UnicodeDecodeError:
        raise BakeError("the openbadgecredential chunk's text is not UTF-8") from None
    return text


def unbake_png(data: bytes) -> bytes:
    """The credential text baked into a PNG. The whole file is walked, so a second credential chunk (which the
    standard forbids, and which two verifiers could read differently) is found and refused."""
    found: bytes | None = None
    for kind, start, end in _chunks(data):
        if kind != b"iTXt":
            continue
        text = _credential_text(data[start + 8 : end - 4])
        if text is None:
            continue
        if found is not None:
            raise BakeError("the PNG image holds more than one openbadgecredential chunk")
        found = text
    if found is None:
        raise BakeError("no credential is baked into this PNG image (no iTXt chunk named openbadgecredential)")
    return found


def _chunk(kind: bytes, body: bytes) -> bytes:
    if len(body) > _LONGEST_CHUNK:
        raise BakeError("the credential is too large for a PNG chunk")
    return len(body).to_bytes(4, "big") + kind + body + zlib.crc32(kind + body).to_bytes(4, "big")


def bake_png(image: bytes, credential: str) -> bytes:
    """``image`` with ``credential`` (the signed JSON) in one uncompressed iTXt chunk just before IEND."""
    chunks = list(_chunks(image))
    if any(kind == b"iTXt" and _credential_text(image[s + 8 : e - 4]) is not None for kind, s, e in chunks):
        raise BakeError("the image already holds a credential")
    # keyword, NUL, compression flag 0, compression method 0, empty language tag, NUL, empty translated keyword, NUL
    body = KEYWORD + b"\0" + b"\0\0" + b"\0" + b"\0" + credential.encode("utf-8")
    last = chunks[-1][1]
    return image[:last] + _chunk(b"iTXt", body) + image[last:]


# --- SVG -------------------------------------------------------------------------------------------------------


class _Finder:
    """An ElementTree parser target that keeps nothing but the text of the one openbadges:credential element."""

    def __init__(self) -> None:
        self.depth = 0
        self.elements = 0
        self.inside = 0  # the depth of the credential element while it is open
        self.parts: list[str] = []
        self.found: str | None = None

    def start_ns(self, prefix: str, uri: str) -> None:
        # Namespaces decide what is read here, but a reader that looks for the text "openbadges:credential" (as the
        # baking rules spell it) would read an element this finder skips: two verifiers, two credentials.
        if prefix == "openbadges" and uri != BADGES_NAMESPACE:
            raise BakeError(f"the SVG binds the openbadges prefix to {uri!r}, not to Open Badges ({BADGES_NAMESPACE})")

    def start(self, tag: str, attrib: dict[str, str]) -> None:
        self.depth += 1
        self.elements += 1
        if self.depth > MAX_DEPTH:
            raise BakeError(f"the SVG nests elements deeper than {MAX_DEPTH}")
        if self.elements > MAX_ELEMENTS:
            raise BakeError(f"the SVG has more than {MAX_ELEMENTS} elements")
        if self.depth == 1 and tag != f"{{{SVG_NAMESPACE}}}svg":
            raise BakeError("the file is XML, but not an SVG image (its root is not an svg element)")
        if self.inside:
            raise BakeError("the openbadges:credential element holds other elements instead of a credential")
        if tag == _CREDENTIAL_TAG:
            if self.found is not None:
                raise BakeError("the SVG image holds more than one openbadges:credential element")
            if "verify" in attrib:
                raise BakeError(
                    "the credential is baked as a VC-JWT (a verify attribute), which this bank does not read"
                )
            self.inside = self.depth

    def end(self, tag: str) -> None:
        if self.inside == self.depth:
            self.found, self.inside, self.parts = "".join(self.parts), 0, []
        self.depth -= 1

    def data(self, text: str) -> None:
        if self.inside:
            self.parts.append(text)

    def close(self) -> str | None:
        return self.found


def unbake_svg(data: bytes) -> bytes:
    """The credential text baked into an SVG."""
    finder = _Finder()
    # forbid_dtd: a DOCTYPE fails the parse at once, so no entity is declared, expanded or fetched.
    parser = DefusedXMLParser(target=finder, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    try:
        parser.feed(data)
        parser.close()
    except BakeError:
        raise  # the finder's own refusal
    except DefusedXmlException:
        raise BakeError("the SVG declares a DTD or entities, which a badge never needs; it was not read") from None
    except ParseError as exc:
        raise BakeError(f"the SVG is not well-formed XML ({exc})") from None
    except (ValueError, LookupError):
        # expat's refusal of an encoding it cannot read ("shift_jis", or a name Python does not know)
        raise BakeError("the SVG is written in an encoding this reader does not take (UTF-8 is)") from None
    if finder.found is None:
        raise BakeError("no credential is baked into this SVG image (no openbadges:credential element)")
    return finder.found.strip().encode("utf-8")


# Characters JSON may hold in a string but XML 1.0 may not; written as JSON escapes, which read back the same.
_NOT_XML = re.compile("[\ufffe\uffff]")


def _cdata(credential: str) -> str:
    # "]]>" would end the CDATA section. In JSON ">" only occurs inside a string, where "\u003e" means the same.
    safe = credential.replace("]]>", "]]\\u003e")
    return _NOT_XML.sub(lambda match: f"\\u{ord(match.group()):04x}", safe)


_ROOT = re.compile(r"<svg\b[^>]*>")


def bake_svg(svg: str, credential: str) -> str:
    """``svg`` (drawn by ``render_svg``: its root start tag holds no ">" in a value) with the credential as the root's
    first child."""
    unbaked = svg.encode("utf-8")
    try:
        unbake_svg(unbaked)
    except BakeError as exc:
        if "no credential" not in str(exc):
            raise
    else:
        raise BakeError("the image already holds a credential")
    root = _ROOT.search(svg)
    if root is None:
        raise BakeError("not an SVG image")
    tag = root.group()
    if "xmlns:openbadges=" not in tag:
        tag = f'{tag[:-1].rstrip("/")} xmlns:openbadges="{BADGES_NAMESPACE}">'
    element = f"<openbadges:credential><![CDATA[{_cdata(credential)}]]></openbadges:credential>"
    return svg[: root.start()] + tag + element + svg[root.end() :]


def unbake(data: bytes) -> bytes:
    """The credential text baked into a PNG or SVG image (BakeError when there is none to read)."""
    return unbake_png(data) if is_png(data) else unbake_svg(data)


# --- The picture -----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Line:
    text: str
    language: str  # BCP 47, e.g. "zh-Hans", "ar"


@dataclass(frozen=True)
class Face:
    """What a badge shows: who issued it, for what (in Chinese and the credential's other language), at what level."""

    institution: Sequence[Line]
    title: Sequence[Line]
    details: Sequence[Line]
    footer: str


SIZE = 600
_NAVY, _GOLD, _INK, _MUTED = "#1d3557", "#c9a227", "#1d3557", "#4a5a70"
_SYSTEM = Path("/usr/share/fonts")
_RIGHT_TO_LEFT = frozenset({"ar"})
# The FreeType faces are cached and shared, and a face is not safe to use from two threads at once.
_DRAWING = threading.Lock()


@cache
def _font_files(bold: bool) -> list[tuple[Path, int]]:
    """The certificates' stack as files, in its order; those not installed are left out."""
    weight = 700 if bold else 400
    cjk, latin, _ = fonts.WEIGHTS[weight]
    style = "Bold" if bold else "Regular"
    found: list[tuple[Path, int]] = [(path, 0) for w, path in fonts.subset_paths().items() if w == weight]
    for path in (
        fonts.LATIN_SOURCE_DIR / latin,
        fonts.LATIN_SOURCE_DIR / f"NotoSansArabic-{style}.ttf",
        fonts.LATIN_SOURCE_DIR / f"NotoNaskhArabic-{style}.ttf",
    ):
        if path.is_file():
            found.append((path, 0))
    collection = fonts.SOURCE_DIR / cjk
    if collection.is_file():
        found.append((collection, fonts.collection_index(collection)))
    for path in (_SYSTEM / "truetype/hanazono/HanaMinB.ttf", _SYSTEM / "truetype/babelstone/BabelStoneHan.ttf"):
        if path.is_file():
            found.append((path, 0))
    return found


@cache
def _coverage(path: Path, index: int) -> frozenset[int]:
    font = TTFont(str(path), fontNumber=index, lazy=True)
    try:
        return frozenset(font.getBestCmap() or {})
    finally:
        font.close()


@cache
def _face(path: Path, index: int, size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(path), size, index=index, layout_engine=ImageFont.Layout.RAQM)


def _runs(text: str, bold: bool) -> list[tuple[str, tuple[Path, int]]]:
    """``text`` cut where the font that draws it changes; spaces and marks stay with the run they are in."""
    stack = _font_files(bold)
    runs: list[tuple[str, tuple[Path, int]]] = []
    for char in text:
        current = runs[-1][1] if runs else None
        if current is not None and ord(char) in _coverage(*current):
            runs[-1] = (runs[-1][0] + char, current)
            continue
        chosen = next((item for item in stack if ord(char) in _coverage(*item)), stack[0])
        runs.append((char, chosen))
    return runs


def undrawn(text: str) -> str:
    """The characters of ``text`` no font of the stack has (they would print as empty boxes)."""
    stack = _font_files(False)
    return "".join(c for c in text if not c.isspace() and not any(ord(c) in _coverage(*font) for font in stack))


def _width(text: str, size: int, bold: bool) -> float:
    return sum(_face(*font, size).getlength(run) for run, font in _runs(text, bold))


_TOKEN = re.compile(r"[\u2e80-\u9fff\uf900-\ufaff\U00020000-\U0003ffff][，。、；：！？）」』]?|\S+|\s+")


def _wrap(text: str, size: int, bold: bool, width: float, most: int) -> list[str]:
    """Greedy lines of at most ``width``: between words, or between any two hanzi; the last kept line ends in "…"
    when the text runs past ``most`` lines."""
    lines: list[str] = []
    line = ""
    for token in _TOKEN.findall(" ".join(text.split())):
        trial = line + token
        if line and _width(trial.rstrip(), size, bold) > width:
            lines.append(line.rstrip())
            line = token.lstrip()
        else:
            line = trial
    if line.strip():
        lines.append(line.rstrip())
    if len(lines) > most:
        lines = lines[:most]
        last = lines[-1]
        while last and _width(last + "…", size, bold) > width:
            last = last[:-1]
        lines[-1] = last + "…"
    return lines


@dataclass(frozen=True)
class _Placed:
    text: str
    language: str
    y: float  # baseline
    size: int
    bold: bool
    colour: str


def _layout(face: Face) -> list[_Placed]:
    """Every line of the badge, centred, the blocks stacked about the middle; the title shrinks until all fit inside
    the ring."""
    placed: list[_Placed] = []
    y = 0.0
    for shrink in range(0, 20, 2):
        groups = [
            [(line, 20, False, _MUTED, 340.0, 3) for line in face.institution],
            [
                (line, 38 - shrink if number == 0 else 28 - shrink // 2, number == 0, _INK, 440.0, 3)
                for number, line in enumerate(face.title)
            ],
            [(line, 20, False, _MUTED, 400.0, 2) for line in face.details],
            [(Line(face.footer, "zh-Hans"), 16, False, _MUTED, 360.0, 2)],
        ]
        placed, y = [], 0.0
        for group in groups:
            for line, size, bold, colour, width, most in group:
                for text in _wrap(line.text, size, bold, width, most):
                    y += size * 1.3
                    placed.append(_Placed(text, line.language, y, size, bold, colour))
            y += 16
        if y <= SIZE * 0.66:
            break
    offset = (SIZE - y) / 2
    return [_Placed(p.text, p.language, p.y + offset, p.size, p.bold, p.colour) for p in placed]


def render_png(face: Face) -> bytes:
    """The badge as a PNG: the text drawn at full size on the medallion."""
    with _DRAWING:
        return _png(face)


@cache
def _medallion() -> Image.Image:
    """The rings, drawn four times larger and scaled down so their edges are smooth; the same for every badge."""
    big = SIZE * 4
    disc = Image.new("RGBA", (big, big), (0, 0, 0, 0))
    pen = ImageDraw.Draw(disc)
    for radius, colour in ((0.495, _NAVY), (0.465, _GOLD), (0.45, "#ffffff")):
        inset = big * (0.5 - radius)
        pen.ellipse((inset, inset, big - inset, big - inset), fill=colour)
    return disc.resize((SIZE, SIZE), Image.Resampling.LANCZOS)


def _png(face: Face) -> bytes:
    image = _medallion().copy()
    draw = ImageDraw.Draw(image)
    for item in _layout(face):
        runs = _runs(item.text, item.bold)
        if len(runs) == 1:
            # One font: raqm lays out the whole line (Arabic joins and reads right to left).
            font = _face(*runs[0][1], item.size)
            draw.text((SIZE / 2, item.y), item.text, font=font, fill=item.colour, anchor="ms", language=item.language)
            continue
        x = SIZE / 2 - _width(item.text, item.size, item.bold) / 2
        # A right-to-left line's first run is its rightmost (each run's own letters raqm orders itself).
        for run, file in reversed(runs) if item.language in _RIGHT_TO_LEFT else runs:
            font = _face(*file, item.size)
            draw.text((x, item.y), run, font=font, fill=item.colour, anchor="ls", language=item.language)
            x += font.getlength(run)
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def render_svg(face: Face) -> str:
    """The same badge as SVG text, set in the certificates' font stack, with the same line breaks as the PNG."""
    title = " / ".join(line.text for line in face.title)
    with _DRAWING:
        placed = _layout(face)
    parts = [
        f'<svg xmlns="{SVG_NAMESPACE}" width="{SIZE}" height="{SIZE}" viewBox="0 0 {SIZE} {SIZE}" role="img">',
        f"<title>{escape(title)}</title>",
        f"<style>text {{ font-family: {fonts.FONT_STACK}; text-anchor: middle; }}</style>",
    ]
    for radius, colour in ((0.495, _NAVY), (0.465, _GOLD), (0.45, "#ffffff")):
        parts.append(f'<circle cx="{SIZE / 2:g}" cy="{SIZE / 2:g}" r="{SIZE * radius:g}" fill="{colour}"/>')
    for item in placed:
        direction = ' direction="rtl"' if item.language in _RIGHT_TO_LEFT else ""
        weight = ' font-weight="700"' if item.bold else ""
        parts.append(
            f'<text x="{SIZE / 2:g}" y="{item.y:.1f}" font-size="{item.size}"{weight} fill="{item.colour}" '
            f"xml:lang={quoteattr(item.language)}{direction}>{escape(item.text)}</text>"
        )
    parts.append("</svg>")
    return "\n".join(parts) + "\n"
