"""A worksheet's bounds, found in one pass of expat before python-calamine reads its values (``xlsx_values``).

python-calamine allocates a cell for every position between a sheet's first and last values: a 5 KiB file with one
value at row 1,048,576 takes it seconds and hundreds of MiB, and one far right as well makes it abort the process.
So nothing reaches it before this pass has read the same bytes and refused, at the first sign, a sheet larger than
an import: a value (any ``<v>``, ``<f>`` or ``<is>`` in a cell, even an empty one, which calamine may keep) below
``max_row`` or right of ``max_column``, more row or cell elements than Excel can write, rows or cells out of order,
nested or outside their parents. No value is decoded here. The pass notes only what a value-only reading hides:
which cells hold formulas (and whether of text type, whose empty result is a value), which hold errors and their
text (calamine gives an error cell as empty), and the merges.

Elements are matched by their local name whatever their prefix or namespace, as calamine matches them: a cell that
calamine would read cannot escape this pass by being written in another namespace.
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, NoReturn
from xml.parsers import expat

from creditbank.spreadsheets.errors import UnreadableFile

EXCEL_ROWS = 1_048_576
EXCEL_COLUMNS = 16_384
MAX_CELL_ELEMENTS = 600_000  # blank formatted cells included: 10,001 rows of 60 columns
MAX_MERGES = 1_000
_CHUNK = 64 * 1024
_LETTERS = re.compile(r"[A-Z]{1,3}")
# The errors calamine reads; newer Excel writes others (#SPILL!, #CALC!, #FIELD! ...), which make it refuse the sheet.
KNOWN_ERRORS = frozenset(("#DIV/0!", "#N/A", "#NAME?", "#NULL!", "#NUM!", "#REF!", "#VALUE!"))
_RANGE = re.compile(r"([A-Z]{1,3})([0-9]{1,7})(?::([A-Z]{1,3})([0-9]{1,7}))?")


@dataclass
class Scan:
    # (row, column) of each formula cell → whether it is of text type ("str"), whose empty saved value is a value
    formulas: dict[tuple[int, int], bool] = field(default_factory=dict)
    errors: dict[tuple[int, int], str] = field(default_factory=dict)  # cells holding #N/A, #DIV/0! ... → the text
    merges: list[tuple[int, int, int, int]] = field(default_factory=list)  # first row, first col, last row, last col
    # Where in the part's bytes (from its <v> tag to its </v>) each error lies that calamine does not know
    unknown_errors: list[tuple[int, int]] = field(default_factory=list)


def column_number(letters: str) -> int:
    number = 0
    for letter in letters:
        number = number * 26 + ord(letter) - 64
    return number


# Column letters seen so far → column number; a sheet uses a few dozen, looked up once per cell.
_COLUMN_NUMBERS: dict[str, int] = {}


def _column_of(letters: str) -> int:
    if not _LETTERS.fullmatch(letters):
        raise UnreadableFile("damaged")
    number = column_number(letters)
    if number <= EXCEL_COLUMNS:
        _COLUMN_NUMBERS[letters] = number
    return number


def _local(name: str) -> str:
    # As calamine (quick-xml's local name): whatever follows the first colon.
    return name.partition(":")[2]


class _Sheet:
    def __init__(self, part: str, max_row: int, max_column: int) -> None:
        self.part, self.max_row, self.max_column = part, max_row, max_column
        self.found = Scan()
        self.parser: Any = None
        self.row = self.column = self.row_count = self.cell_count = 0
        self.row_text = ""
        self.in_data = self.data_seen = self.in_row = self.in_cell = self.in_merges = False
        self.depth = 0  # elements open inside the current cell
        self.kind = ""
        self.far = False  # the current cell is below or right of what is read: a value in it refuses the file
        self.error_text: list[str] | None = None
        self.error_at = 0

    def start(self, name: str, attrs: dict[str, str]) -> None:
        if self.in_cell:
            self.depth += 1
            # Most cells hold one plain <v> well within the bounds: nothing to note, no call made.
            if self.depth == 1 and (name != "v" or self.far or self.kind == "e"):
                self._content(_local(name) if ":" in name else name)
            return
        if ":" in name:
            name = _local(name)
        if self.in_data:
            if name == "c":
                self._start_cell(attrs)
            elif name == "row":
                self._start_row(attrs)
        elif name == "sheetData":
            if self.data_seen:
                # calamine reads the first one only; the cells of a second would be checked here but not read.
                raise UnreadableFile("damaged")
            self.in_data = self.data_seen = True
        elif name == "mergeCell" and self.in_merges:
            self._merge(attrs.get("ref", ""))
        elif name == "mergeCells":
            self.in_merges = True

    def end(self, name: str) -> None:
        if self.in_cell:
            if not self.depth:
                self.in_cell = False
                return
            self.depth -= 1
            if not self.depth and self.error_text is not None:
                written = "".join(self.error_text)
                if text := written.strip():  # an error cell with no text is blank, to calamine as well
                    self.found.errors[(self.row, self.column)] = text
                if written not in KNOWN_ERRORS:  # calamine takes the text as it is, spaces and all
                    self.found.unknown_errors.append((self.error_at, self.parser.CurrentByteIndex))
                self.error_text = None
                self.parser.CharacterDataHandler = None
            return
        if ":" in name:
            name = _local(name)
        if name == "row":
            self.in_row = False
        elif name == "sheetData":
            self.in_data = False
        elif name == "mergeCells":
            self.in_merges = False

    def _start_row(self, attrs: dict[str, str]) -> None:
        if self.in_row:
            # calamine counts rows by their ends: inside a nested row its cells are not where they seem.
            raise UnreadableFile("damaged")
        self.row_count += 1
        if self.row_count > EXCEL_ROWS:
            raise UnreadableFile("bomb", part=self.part, size_mb=0, reason="rows")
        number = attrs.get("r")
        row = self.row + 1 if number is None else _number(number)
        if row <= self.row or row > EXCEL_ROWS:
            raise UnreadableFile("damaged")
        self.row, self.column = row, 0
        self.row_text = str(row)
        self.in_row = True

    def _start_cell(self, attrs: dict[str, str]) -> None:
        if not self.in_row:
            raise UnreadableFile("damaged")
        row_far = self.row > self.max_row
        # Below the rows read only values count (checked in _content): a registrar who formatted 60,000 rows before
        # typing in a few has blank cells far down, which calamine skips.
        self.cell_count += not row_far
        if self.cell_count > MAX_CELL_ELEMENTS:
            raise UnreadableFile("bomb", part=self.part, size_mb=0, reason="cells")
        ref = attrs.get("r")
        if ref is None:
            column = self.column + 1
        else:
            letters = ref.rstrip("0123456789")
            column = _COLUMN_NUMBERS.get(letters) or _column_of(letters)
            if ref[len(letters) :] != self.row_text:
                raise UnreadableFile("damaged")
        if column <= self.column or column > EXCEL_COLUMNS:
            raise UnreadableFile("damaged")
        self.column = column
        self.in_cell = True
        self.depth = 0
        self.kind = attrs.get("t", "n")
        self.far = row_far or column > self.max_column

    def _content(self, name: str) -> None:
        if name not in ("v", "f", "is"):
            raise UnreadableFile("damaged")  # calamine refuses any other child of a cell as well
        if self.far:
            if self.row > self.max_row:
                raise UnreadableFile("too_tall", row=self.row, max=self.max_row)
            raise UnreadableFile("too_many_columns", max=self.max_column)
        if name == "f":
            self.found.formulas[(self.row, self.column)] = self.kind == "str"
        elif name == "v" and self.kind == "e":
            self.error_text = []
            self.error_at = self.parser.CurrentByteIndex
            self.parser.CharacterDataHandler = self.error_text.append

    def _merge(self, ref: str) -> None:
        if len(self.found.merges) >= MAX_MERGES:
            raise UnreadableFile("bomb", part=self.part, size_mb=0, reason="merges")
        match = _RANGE.fullmatch(ref)
        if match is not None:
            first_col, first_row, last_col, last_row = match.groups()
            self.found.merges.append(
                (
                    int(first_row),
                    column_number(first_col),
                    int(last_row or first_row),
                    column_number(last_col or first_col),
                )
            )


def _number(text: str) -> int:
    if not text.isascii() or not text.isdigit() or len(text) > 9:
        raise UnreadableFile("damaged")
    return int(text)


def _refuse_dtd(*_: object) -> NoReturn:
    raise UnreadableFile("damaged")


def scan(
    archive: zipfile.ZipFile,
    part: str,
    *,
    max_row: int,
    max_column: int,
    copy: Callable[[bytes], object] | None = None,
) -> Scan:
    """Read the worksheet ``part``; a value below ``max_row`` or right of ``max_column`` refuses the file. Each chunk
    read is also handed to ``copy``, so the bytes checked are the bytes passed on. DTDs and entities are refused, as
    defusedxml refuses them, and any failure of the XML or of the inflater is a damaged file."""
    sheet = _Sheet(part, max_row, max_column)
    # Without namespace processing: names come as written, prefix and all, which is what calamine matches.
    parser = expat.ParserCreate()
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    parser.StartDoctypeDeclHandler = _refuse_dtd
    parser.EntityDeclHandler = _refuse_dtd
    parser.ExternalEntityRefHandler = _refuse_dtd
    parser.buffer_text = True
    parser.StartElementHandler = sheet.start
    parser.EndElementHandler = sheet.end
    sheet.parser = parser
    try:
        with archive.open(part) as source:
            while chunk := source.read(_CHUNK):
                parser.Parse(chunk, False)
                if copy is not None:
                    copy(chunk)
            parser.Parse(b"", True)
    except UnreadableFile:
        raise
    except Exception:  # expat, inflate and CRC failures of untrusted bytes all mean the file is broken
        raise UnreadableFile("damaged") from None
    return sheet.found
