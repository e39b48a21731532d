"""Every character of a learner's name, in any script, is drawn in the PDFs by a font that has it.

Extracted text cannot tell: a character no font has still comes back from pdftotext, drawn as an empty box. So the
check walks the pages' text operators, finds the embedded font each character is drawn with, and asks that font's
own cmap whether it holds the character, and whether the glyph drawn is a real one (not .notdef, not empty).
"""

from __future__ import annotations

import io
import re
import subprocess
from dataclasses import dataclass
from datetime import date
from functools import cache
from typing import Any

import pytest
from fontTools.pens.boundsPen import ControlBoundsPen
from fontTools.ttLib import TTCollection, TTFont
from pypdf import PdfReader
from pypdf.generic import ContentStream

from certificates import fonts
from certificates.pdf_render import Bilingual, CertificatePage, TranscriptPage, render_certificate, render_transcript

# U+2A6A5 and one ideograph of each later extension, beside Extension A (䶮) and hanzi outside GB2312 (堃, 𠮷).
RARE_HAN = "𪚥堃䶮𠮷"
EXTENSIONS = {
    "A": "\u3400\u4db5",
    "B": "\U00020000\U0002a6a5\U00020bb7",
    "C": "\U0002a700\U0002b734",
    "D": "\U0002b740\U0002b81d",
    "E": "\U0002b820\U0002cea1",
    "F": "\U0002ceb0\U0002ebe0",
    "G": "\U00030000\U00030edd",
}
NAMES = {
    "rare han": RARE_HAN + "".join(EXTENSIONS.values()),
    "polish": "Łukasz Kowalski-Łęcki",
    "latin extended": "Ștefan Bălănescu-Ionuț Szőke Nguyễn Thị Ánh",
    "cyrillic": "Жанна Ивановна Щербакова-Ёлкина",
    "arabic": "محمد بن عبد الله الأنصاري",
}
# Scripts whose names must come from one font, so letters of two designs and bearings never meet inside a word.
ONE_FONT = ("polish", "latin extended", "cyrillic")

BANK = Bilingual("上海终身学习学分银行", "Shanghai Lifelong Learning Credit Bank")


def certificate(name: str) -> bytes:
    page = CertificatePage(
        title=Bilingual("程序设计基础", "Foundations of Programming"),
        learner_name=name,
        institution=Bilingual("上海开放大学", "Shanghai Open University"),
        bank=BANK,
        credits="3",
        level=Bilingual("第2级", "Level 2"),
        framework=Bilingual("上海市终身教育资历框架", "Shanghai Lifelong Education Qualifications Framework"),
        issued=date(2026, 1, 10),
        ledger_seq=1234,
        credential_id="urn:uuid:00000000-0000-4000-8000-000000000001",
        verify_url="https://bank.example.cn/v/urn:uuid:00000000-0000-4000-8000-000000000001",
    )
    return render_certificate(page, b"{}")


def transcript(name: str) -> bytes:
    # The transcript also prints the name in the page margin, which takes its fonts from @page.
    page = TranscriptPage(
        learner_name=name,
        bank=BANK,
        rows=[],
        credits_by_level=[],
        total_credits="0",
        qualifications=[],
        issued=date(2026, 2, 3),
        ledger_seq=5678,
        credential_id="urn:uuid:00000000-0000-4000-8000-000000000002",
        verify_url="https://bank.example.cn/v/urn:uuid:00000000-0000-4000-8000-000000000002",
    )
    return render_transcript(page, b"{}")


# —— reading which font draws what ——


@cache
def file_characters(path: str) -> frozenset[int]:
    """Every code point a font file's cmap holds (all faces of a collection)."""
    if path.endswith((".ttc", ".otc")):
        collection = TTCollection(path, lazy=True)
        try:
            return frozenset(code for font in collection.fonts for code in (font.getBestCmap() or {}))
        finally:
            collection.close()
    with TTFont(path, lazy=True) as font:
        return frozenset(font.getBestCmap() or {})


def system_characters(font: TTFont) -> frozenset[int]:
    """The cmap of the system font an embedded subset was cut from, if fontconfig has a font of that name."""
    postscript = str(font["name"].getDebugName(6) or "")
    found = subprocess.run(
        ["fc-list", f":postscriptname={postscript}", "file"], capture_output=True, text=True, check=True
    ).stdout.split(":")[0]
    return file_characters(found) if postscript and found else frozenset()


def _cmap_pairs(data: bytes, section: str) -> list[tuple[int, str]]:
    pairs = []
    for block in re.findall(rf"begin{section}(.*?)end{section}", data.decode("latin-1"), re.DOTALL):
        found = re.findall(r"<([0-9a-fA-F]+)>\s*(<[0-9a-fA-F]*>|\d+)", block)
        pairs += [(int(code, 16), target) for code, target in found]
    return pairs


@dataclass(frozen=True)
class Drawn:
    """One glyph on a page: the text it stands for, the embedded font, and what is wrong with it (None: nothing)."""

    text: str
    font: str
    problem: str | None


class _Embedded:
    def __init__(self, font: Any) -> None:
        self.name = str(font["/BaseFont"]).partition("+")[2] or str(font["/BaseFont"])
        descendant = font["/DescendantFonts"][0].get_object()
        descriptor = descendant["/FontDescriptor"].get_object()
        program = descriptor.get("/FontFile2") or descriptor.get("/FontFile3")
        assert program is not None, f"{self.name} is not embedded"
        self.font = TTFont(io.BytesIO(program.get_object().get_data()))
        self.order = self.font.getGlyphOrder()
        self.glyphs = self.font.getGlyphSet()
        self.cmap = set(self.font.getBestCmap() or {})
        self._system: frozenset[int] | None = None
        self.text = {
            code: bytes.fromhex(target[1:-1]).decode("utf-16-be")
            for code, target in _cmap_pairs(font["/ToUnicode"].get_object().get_data(), "bfchar")
        }
        # WeasyPrint writes Identity-H unless some text had no glyph; then a CMap sends those codes to CID 0.
        self.cids: dict[int, str] | None = None
        if font["/Encoding"] != "/Identity-H":
            self.cids = dict(_cmap_pairs(font["/Encoding"].get_object().get_data(), "cidchar"))
        assert str(descendant.get("/CIDToGIDMap", "/Identity")) == "/Identity"

    def draw(self, code: int) -> Drawn:
        text = self.text.get(code, "")
        gid = code if self.cids is None else int(self.cids.get(code, 0))
        if gid == 0 or gid >= len(self.order):
            return Drawn(text, self.name, "drawn with .notdef")
        # The font must have the character, not merely some glyph. Shaped forms (Arabic joining forms, ligatures)
        # are not in the cmap themselves, and a subset keeps the characters' entries only for glyphs it drew: for
        # them it is the cmap of the system font the subset was cut from.
        missing = [char for char in text if not char.isspace() and ord(char) not in self.cmap]
        if missing:
            if self._system is None:
                self._system = system_characters(self.font)
            missing = [char for char in missing if ord(char) not in self._system]
        if missing:
            return Drawn(text, self.name, f"not in the font's cmap: {''.join(missing)!r}")
        pen = ControlBoundsPen(self.glyphs)
        self.glyphs[self.order[gid]].draw(pen)
        if pen.bounds is None and not text.isspace():
            return Drawn(text, self.name, "empty glyph")
        return Drawn(text, self.name, None)


def drawn_glyphs(pdf: bytes) -> list[Drawn]:
    """Every glyph the pages draw, in content order, with the font that draws it."""
    reader = PdfReader(io.BytesIO(pdf))
    out: list[Drawn] = []
    loaded: dict[int, _Embedded] = {}
    pending: list[tuple[Any, Any]] = [(page.get_contents(), page["/Resources"]) for page in reader.pages]
    while pending:
        contents, resources = pending.pop(0)
        resources = resources.get_object() if resources is not None else {}
        font_resources = resources.get("/Font") or {}
        # Page margins and other boxes may be drawn in form XObjects with fonts of their own.
        for xobject in (resources.get("/XObject") or {}).values():
            xobject = xobject.get_object()
            if xobject.get("/Subtype") == "/Form":
                pending.append((xobject, xobject.get("/Resources")))
        current = None
        for operands, operator in ContentStream(contents, reader).operations:
            if operator == b"Tf":
                reference = font_resources.raw_get(operands[0])
                if reference.idnum not in loaded:
                    loaded[reference.idnum] = _Embedded(reference.get_object())
                current = loaded[reference.idnum]
            elif operator in (b"Tj", b"TJ"):
                assert current is not None
                for item in operands[0] if operator == b"TJ" else [operands[0]]:
                    if not isinstance(item, bytes | str):
                        continue
                    raw = item.original_bytes if isinstance(item, str) else bytes(item)
                    out += [current.draw(int.from_bytes(raw[i : i + 2], "big")) for i in range(0, len(raw), 2)]
    return out


def fonts_drawing(drawn: list[Drawn], name: str) -> dict[str, set[str]]:
    """character of `name` → the fonts that draw it somewhere (a name also appears in the margins and titles)."""
    found: dict[str, set[str]] = {char: set() for char in name if not char.isspace()}
    for glyph in drawn:
        for char in glyph.text:
            if char in found:
                found[char].add(glyph.font)
    return found


@cache
def rendered(kind: str, label: str) -> tuple[list[Drawn], list[str]]:
    fonts.prepare(fonts.font_dir())
    pdf = (certificate if kind == "certificate" else transcript)(NAMES[label])
    embedded = [
        str(font.get_object()["/BaseFont"])
        for page in PdfReader(io.BytesIO(pdf)).pages
        for font in (page["/Resources"].get("/Font") or {}).values()
    ]
    return drawn_glyphs(pdf), embedded


# —— the checks ——


@pytest.mark.parametrize("kind", ["certificate", "transcript"])
@pytest.mark.parametrize("label", list(NAMES))
def test_every_character_of_the_name_is_drawn_by_a_font_that_has_it(kind: str, label: str) -> None:
    drawn, _ = rendered(kind, label)
    name = NAMES[label]
    problems = [glyph for glyph in drawn if glyph.problem and any(char in name for char in glyph.text)]
    assert problems == []
    never_drawn = [char for char, used in fonts_drawing(drawn, name).items() if not used]
    assert never_drawn == []


@pytest.mark.parametrize("label", ONE_FONT)
def test_a_latin_or_cyrillic_name_is_set_in_one_font(label: str) -> None:
    drawn, _ = rendered("certificate", label)
    name = NAMES[label]
    # The printed name is the glyphs drawn in the name's largest size: here, the run of its characters in order.
    used = {font for char, found in fonts_drawing(drawn, name).items() for font in found}
    assert len({font.removesuffix("-Bold") for font in used}) == 1, used


def test_no_glyph_on_the_pages_is_a_box() -> None:
    for label in NAMES:
        for kind in ("certificate", "transcript"):
            drawn, _ = rendered(kind, label)
            assert [glyph for glyph in drawn if glyph.problem] == []


def test_the_rare_ideograph_fonts_are_embedded_only_when_a_name_needs_them() -> None:
    _, common = rendered("certificate", "polish")
    _, rare = rendered("certificate", "rare han")
    big = ("HanaMin", "BabelStone")
    assert not any(family in font for font in common for family in big)
    assert any("HanaMinB" in font for font in rare)
    assert any("BabelStone" in font for font in rare)
