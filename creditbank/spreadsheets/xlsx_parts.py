"""The workbook parts a sheet's cells refer to: the shared strings and which cell styles are dates.

Read with expat in one pass each, bounded by count as well as by size, with openpyxl's knowledge of the format
(its built-in number formats and its test of which formats show dates). openpyxl's own readers build an object per
string and per style, which is seconds of work for a hostile file of a few MiB.
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, NoReturn
from xml.parsers import expat

from openpyxl.styles.numbers import BUILTIN_FORMATS, is_date_format, is_timedelta_format

from creditbank.spreadsheets.errors import UnreadableFile

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main "
MAX_SHARED_STRINGS = 500_000  # a 10,000-row import with every cell different holds about 260,000
EXCEL_CELL_CHARS = 32_767  # the longest text Excel keeps in a cell
MAX_STYLES = 65_000  # Excel's own limit on cell formats
_CHUNK = 64 * 1024
_ESCAPE = re.compile(r"_x([0-9A-Fa-f]{4})_")


def unescape(text: str) -> str:
    """OOXML writes characters XML cannot hold as _xHHHH_ (a carriage return as _x000D_, "_" itself as _x005F_)."""
    if "_x" not in text:
        return text
    return _ESCAPE.sub(lambda match: chr(int(match.group(1), 16)), text)


def refuse_dtd(*_: object) -> NoReturn:
    raise UnreadableFile("damaged")


def parse_part(
    archive: zipfile.ZipFile,
    name: str,
    start: Callable[[str, dict[str, str]], None],
    end: Callable[[str], None] | None = None,
    text: Callable[[str], None] | None = None,
    prepare: Callable[[Any], None] | None = None,
) -> None:
    """Stream one zip member through expat with the given handlers; DTDs and entities are refused, as defusedxml
    refuses them, and any failure of the XML or of the inflater is a damaged file. ``prepare`` is handed the parser
    before the first byte, for a reader that changes its handlers midway."""
    parser = expat.ParserCreate(namespace_separator=" ")
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    parser.StartDoctypeDeclHandler = refuse_dtd
    parser.EntityDeclHandler = refuse_dtd
    parser.ExternalEntityRefHandler = refuse_dtd
    parser.buffer_text = True
    parser.StartElementHandler = start
    if end is not None:
        parser.EndElementHandler = end
    if text is not None:
        parser.CharacterDataHandler = text
    if prepare is not None:
        prepare(parser)
    try:
        with archive.open(name) as source:
            while chunk := source.read(_CHUNK):
                parser.Parse(chunk, False)
            parser.Parse(b"", True)
    except UnreadableFile:
        raise
    except Exception:  # expat, inflate and CRC failures of untrusted bytes all mean the file is broken
        raise UnreadableFile("damaged") from None


@dataclass
class _Strings:
    strings: list[str] = field(default_factory=list)
    parts: list[str] = field(default_factory=list)
    in_text: bool = False
    phonetic: int = 0
    length: int = 0

    def start(self, name: str, attrs: dict[str, str]) -> None:
        if name == MAIN + "t":
            self.in_text = not self.phonetic
        elif name == MAIN + "rPh":
            self.phonetic += 1
        elif name == MAIN + "si":
            if len(self.strings) >= MAX_SHARED_STRINGS:
                raise UnreadableFile("bomb", part="sharedStrings", size_mb=0, reason="strings")
            self.parts = []
            self.length = 0

    def end(self, name: str) -> None:
        if name == MAIN + "t":
            self.in_text = False
        elif name == MAIN + "rPh":
            self.phonetic -= 1
        elif name == MAIN + "si":
            self.strings.append(unescape("".join(self.parts)))

    def text(self, data: str) -> None:
        if self.in_text:
            self.parts.append(data)
            self.length += len(data)
            if self.length > EXCEL_CELL_CHARS:
                raise UnreadableFile("damaged")


def shared_strings(archive: zipfile.ZipFile, name: str | None) -> list[str]:
    """The shared string table (the text of each item; phonetic guides left out, as Excel shows them)."""
    if name is None:
        return []
    found = _Strings()
    parse_part(archive, name, found.start, found.end, found.text)
    return found.strings


@dataclass
class Styles:
    dates: frozenset[int] = frozenset()  # indexes of cell formats that show a date
    durations: frozenset[int] = frozenset()  # ... or a duration ([h]:mm)


@dataclass
class _StyleReader:
    formats: dict[int, str] = field(default_factory=dict)
    cell_formats: list[int] = field(default_factory=list)
    depth: int = 0  # inside <cellXfs>, whose <xf> are the cells' styles (cellStyleXfs also holds <xf>)

    def start(self, name: str, attrs: dict[str, str]) -> None:
        if name == MAIN + "numFmt":
            if len(self.formats) >= MAX_STYLES:
                raise UnreadableFile("bomb", part="styles", size_mb=0, reason="styles")
            self.formats[_integer(attrs.get("numFmtId", "0"))] = attrs.get("formatCode", "")
        elif name == MAIN + "cellXfs":
            self.depth += 1
        elif name == MAIN + "xf" and self.depth:
            if len(self.cell_formats) >= MAX_STYLES:
                raise UnreadableFile("bomb", part="styles", size_mb=0, reason="styles")
            self.cell_formats.append(_integer(attrs.get("numFmtId", "0")))

    def end(self, name: str) -> None:
        if name == MAIN + "cellXfs":
            self.depth -= 1


def _integer(text: str) -> int:
    if not text.isascii() or not text.isdigit() or len(text) > 9:
        raise UnreadableFile("damaged")
    return int(text)


def styles(archive: zipfile.ZipFile, name: str | None) -> Styles:
    if name is None:
        return Styles()
    found = _StyleReader()
    parse_part(archive, name, found.start, found.end)
    dates, durations = set(), set()
    for index, number_format in enumerate(found.cell_formats):
        code = found.formats.get(number_format) or BUILTIN_FORMATS.get(number_format, "General")
        if is_date_format(code):
            dates.add(index)
        if is_timedelta_format(code):
            durations.add(index)
    return Styles(frozenset(dates), frozenset(durations))
