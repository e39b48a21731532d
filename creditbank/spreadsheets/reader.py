"""Reading an uploaded spreadsheet (XLSX or CSV) into rows of typed values and the problems found in its cells.

The kind of file is decided by its bytes, never by its name (a name can only refuse: ``.xlsm`` is a macro workbook
whatever it holds). Work is bounded before it is done: the upload's size first; for an XLSX its zip directory
(``xlsx_limits``: member sizes, compression ratios, macros) before any part is inflated, then the sheet in one pass
that decodes no value but stops at the first sign of a sheet larger than an import (``xlsx_scan``), and only then
its values, by python-calamine (``xlsx_values``), which is fast and reads dates as Excel formats them but allocates
every cell of the range it reads, so must never see an unbounded one; for a CSV the number of records and fields.
Row numbers are Excel's: the header is the first row holding anything, and blank rows are skipped but
still counted, so a problem reported for row 12 is in the row Excel labels 12. Only the first visible sheet is read;
the others are named in a notice.

A header cell names a column by its full bilingual header, its Chinese or its English part (see ``columns.fold``).
A header naming a column already named is refused for the whole file: which of the two columns holds the registrar's
data cannot be known. A merge covering data rows is a problem at its first row (the merged cells below it would read
as blank); a merge within the header row is only a notice.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field

from openpyxl.utils import get_column_letter

from creditbank.spreadsheets import xlsx_limits, xlsx_scan, xlsx_values
from creditbank.spreadsheets.cells import Bad, Value, convert, is_blank, shown
from creditbank.spreadsheets.columns import BY_FIELD, COLUMNS, ONE_OF, field_of_header
from creditbank.spreadsheets.errors import UnreadableFile
from creditbank.spreadsheets.table import Notice, ParsedRow, Problem, Table
from creditbank.spreadsheets.words import describe_problem

__all__ = [
    "MAX_BYTES",
    "MAX_COLUMNS",
    "MAX_ROWS",
    "Notice",
    "ParsedRow",
    "Problem",
    "Table",
    "UnreadableFile",
    "read",
]

MAX_ROWS = 10_000
MAX_BYTES = 20 * 1024 * 1024
MAX_COLUMNS = 100
# How far down a sheet anything is read: the data rows allowed, their header, and as many blank rows again. A value
# further down (a stray entry at row 1,048,576) refuses the file rather than making every row above it be read.
MAX_SCAN_ROWS = 2 * MAX_ROWS + 1
HEADER_WITHIN = 10  # the header row must be among the first rows
# A file with more problems than this does not follow the template; it is refused with its first problems as
# examples. Below it every problem is reported: a problem left out would let its row pass for clean without the
# refused cell.
MAX_PROBLEMS = 10_000
_EXAMPLES = 5
# Fields in a CSV, separators counted: an upload of nothing but commas must not become a list of millions.
MAX_CSV_FIELDS = MAX_SCAN_ROWS * MAX_COLUMNS

_OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_OTHER_FORMATS = (b"%PDF", b"\x89PNG", b"\xff\xd8\xff", b"GIF8", b"Rar!", b"7z\xbc\xaf", b"\x1f\x8b", b"BM")
_HTML = re.compile(rb"\A\s*(?:<!doctype\s+html|<html|<table|<\?xml)", re.IGNORECASE)
_MACRO_NAMES = (".xlsm", ".xltm", ".xlam")


@dataclass
class _Grid:
    """A sheet as the reader walks it: (Excel row number, cell values) and what the source knows besides."""

    rows: Iterable[tuple[int, Sequence[object]]]
    notices: list[Notice] = field(default_factory=list)
    formulas: dict[tuple[int, int], bool] = field(default_factory=dict)
    errors: set[tuple[int, int]] = field(default_factory=set)
    merges: list[tuple[int, int, int, int]] = field(default_factory=list)
    epoch_1904: bool = False


def read(filename: str, data: bytes) -> Table:
    """Read an upload; raises UnreadableFile when the file as a whole cannot be taken."""
    if len(data) > MAX_BYTES:
        raise UnreadableFile("too_large", size_mb=-(-len(data) // (1024 * 1024)), max_mb=MAX_BYTES // (1024 * 1024))
    if filename.lower().endswith(_MACRO_NAMES):
        raise UnreadableFile("macros")
    if not data.strip():
        raise UnreadableFile("not_a_spreadsheet")
    if data.startswith(b"PK"):
        grid = _xlsx(filename, data)
    elif data.startswith(_OLE2):
        # An .xls of Excel 97-2003, or a password-protected workbook: both are OLE2 containers.
        raise UnreadableFile("xls")
    elif data.startswith(_OTHER_FORMATS):
        raise UnreadableFile("not_a_spreadsheet")
    elif _HTML.match(data[:1024]):
        raise UnreadableFile("html")
    else:
        grid = _csv(data)
    return _table(grid)


# --- XLSX ----------------------------------------------------------------------------------------------------------


def _xlsx(filename: str, data: bytes) -> _Grid:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, ValueError, OSError, EOFError):
        raise UnreadableFile("not_a_spreadsheet") from None
    with archive:
        xlsx_limits.check_directory(archive, filename)
        xlsx_limits.check_content_types(archive)
        book = xlsx_limits.book(archive)
        present = set(archive.namelist())
        chosen = next((s for s in book.sheets if s.state == "visible" and s.part in present), None)
        if chosen is None or chosen.part is None:
            raise UnreadableFile("no_sheet")
        scan, packed = _checked_sheet(archive, book, chosen.part)
    cells = xlsx_values.rows(packed, scan.errors, set(scan.formulas))
    # Whether each formula saved the value it computed (openpyxl, for one, never does): a text formula's empty
    # result is a value, any other formula's empty cell is none.
    formulas = {where: text or not is_blank(cells[where[0] - 1][where[1] - 1]) for where, text in scan.formulas.items()}
    grid = _Grid(
        rows=enumerate(cells, start=1),
        formulas=formulas,
        errors=set(scan.errors),
        merges=scan.merges,
        epoch_1904=book.epoch_1904,
    )
    others = [s for s in book.sheets if s is not chosen]
    if others:
        grid.notices.append(
            Notice(
                "other_sheets_ignored",
                {
                    "sheet": chosen.name,
                    "sheets_zh": "、".join(
                        f"“{s.name}”" + ("（隐藏）" if s.state != "visible" else "") for s in others
                    ),
                    "sheets_en": ", ".join(
                        f"“{s.name}”" + (" (hidden)" if s.state != "visible" else "") for s in others
                    ),
                },
            )
        )
    return grid


def _checked_sheet(archive: zipfile.ZipFile, book: xlsx_limits.Book, part: str) -> tuple[xlsx_scan.Scan, bytes]:
    """The sheet's bounds and the package calamine is to read it from, holding the very bytes bounded."""
    with xlsx_values.Package() as package:
        scan = package.sheet(
            lambda copy: xlsx_scan.scan(archive, part, max_row=MAX_SCAN_ROWS, max_column=MAX_COLUMNS, copy=copy)
        )
        packed = package.finish(archive, book)
    if scan.unknown_errors:
        sheet = xlsx_values.known_errors_only(archive.read(part), scan.unknown_errors)
        with xlsx_values.Package() as package:
            package.sheet(lambda copy: copy(sheet))
            packed = package.finish(archive, book)
    return scan, packed


# --- CSV -----------------------------------------------------------------------------------------------------------


def _decode(data: bytes) -> str:
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        # Excel's "Unicode text" export: UTF-16 with its byte order mark.
        encodings: tuple[str, ...] = ("utf-16",)
    elif b"\x00" in data:
        raise UnreadableFile("not_a_spreadsheet")
    else:
        # UTF-8 first (with or without the BOM Excel writes): it rarely decodes text that is not UTF-8, while GB18030
        # decodes nearly anything, so it is only tried second.
        encodings = ("utf-8-sig", "gb18030")
    for encoding in encodings:
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        if "\x00" in text:
            raise UnreadableFile("not_a_spreadsheet")
        return text
    raise UnreadableFile("encoding")


def _delimiter(text: str) -> str:
    first = text[: text.find("\n")] if "\n" in text else text
    counts = {sep: first.count(sep) for sep in (",", "\t", ";")}
    best = max(counts, key=lambda sep: counts[sep])
    return best if counts[best] else ","


def _csv(data: bytes) -> _Grid:
    text = _decode(data)
    delimiter = _delimiter(text)
    if text.count(delimiter) > MAX_CSV_FIELDS:
        raise UnreadableFile("bomb", part="", size_mb=0, reason="cells")
    return _Grid(rows=_csv_rows(text, delimiter))


def _csv_rows(text: str, delimiter: str) -> Iterator[tuple[int, Sequence[object]]]:
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    number = 0
    try:
        for number, record in enumerate(reader, start=1):
            if number > xlsx_scan.EXCEL_ROWS:
                raise UnreadableFile("bomb", part="", size_mb=0, reason="rows")
            if any(cell.strip() for cell in record):
                if number > MAX_SCAN_ROWS:
                    raise UnreadableFile("too_tall", row=number, max=MAX_SCAN_ROWS)
                if len(record) > MAX_COLUMNS and any(cell.strip() for cell in record[MAX_COLUMNS:]):
                    raise UnreadableFile("too_many_columns", max=MAX_COLUMNS)
            yield number, record[:MAX_COLUMNS]
    except csv.Error:
        raise UnreadableFile("bad_csv", row=number + 1) from None


# --- both ----------------------------------------------------------------------------------------------------------


def _header(rows: Iterator[tuple[int, Sequence[object]]]) -> tuple[int, Sequence[object]]:
    for number, cells in rows:
        if any(not is_blank(cell) for cell in cells):
            if number > HEADER_WITHIN:
                break
            return number, cells
    raise UnreadableFile("no_header")


def _range(merge: tuple[int, int, int, int]) -> str:
    first_row, first_col, last_row, last_col = merge
    return f"{get_column_letter(first_col)}{first_row}:{get_column_letter(last_col)}{last_row}"


class _Problems:
    def __init__(self) -> None:
        self.kept: list[Problem] = []

    def add(self, problem: Problem) -> None:
        if len(self.kept) == MAX_PROBLEMS:
            raise UnreadableFile("too_many_problems", max=MAX_PROBLEMS, **_examples(self.kept[:_EXAMPLES]))
        self.kept.append(problem)


def _examples(problems: list[Problem]) -> dict[str, str]:
    # Without the cells' content, which may be personal data kept with a refusal.
    bare = [
        Problem(p.row, p.column, p.field, p.code, {k: v for k, v in p.params.items() if k != "value"}) for p in problems
    ]
    return {
        "examples_zh": "；".join(describe_problem(problem, "zh") for problem in bare),
        "examples_en": " ".join(describe_problem(problem, "en") for problem in bare),
    }


def _table(grid: _Grid) -> Table:
    rows = iter(grid.rows)
    header_row, header_cells = _header(rows)

    known: list[tuple[int, str, str]] = []  # (index, field, header text)
    named: dict[str, str] = {}
    unknown: list[str] = []
    for index, cell in enumerate(header_cells):
        if is_blank(cell):
            continue
        text = str(cell).strip()
        name = field_of_header(text)
        if name is None:
            unknown.append(text)
            continue
        if name in named:
            raise UnreadableFile("duplicate_column", first=named[name], second=text)
        named[name] = text
        known.append((index, name, text))
    if not known:
        raise UnreadableFile("no_header")
    _check_columns(named)

    notices = list(grid.notices)
    problems = _Problems()
    by_index = {index: text for index, _, text in known}
    for merge in grid.merges:
        if merge[2] <= header_row:
            notices.append(Notice("merged_cells", {"range": _range(merge)}))
        else:
            row = max(merge[0], header_row + 1)
            problems.add(
                Problem(row, by_index.get(merge[1] - 1, ""), "", "merged_data_cells", {"range": _range(merge)})
            )

    headed = {index for index, cell in enumerate(header_cells) if not is_blank(cell)}
    unheaded: set[int] = set()
    parsed: list[ParsedRow] = []
    cached = 0
    reading = [(index, name, header, BY_FIELD[name]) for index, name, header in known]
    special = bool(grid.errors or grid.formulas)  # most files have neither: no lookup per cell then
    for number, cells in rows:
        if all(is_blank(cell) for cell in cells) and not any(
            grid.formulas.get((number, index + 1)) is False for index in range(len(cells))
        ):
            continue
        if len(parsed) == MAX_ROWS:
            raise UnreadableFile("too_many_rows", max=MAX_ROWS)
        unheaded.update(i for i, cell in enumerate(cells) if i not in headed and not is_blank(cell))
        values: dict[str, Value] = {}
        for index, name, header, column in reading:
            raw = cells[index] if index < len(cells) else None
            where = (number, index + 1)
            if special and where in grid.errors:
                problems.add(Problem(number, header, name, "error_value", {"value": shown(raw)}))
                continue
            if special and where in grid.formulas:
                if not grid.formulas[where]:
                    problems.add(Problem(number, header, name, "formula_without_value", {}))
                    continue
                if not is_blank(raw):
                    cached += 1
            if is_blank(raw):
                if column.required:
                    problems.add(Problem(number, header, name, "missing_required", {}))
                continue
            try:
                value = convert(column, raw, epoch_1904=grid.epoch_1904)
            except Bad as bad:
                problems.add(Problem(number, header, name, bad.code, bad.params))
                continue
            if value == ():  # a list of nothing but separators is as blank as an empty cell
                if column.required:
                    problems.add(Problem(number, header, name, "missing_required", {}))
                continue
            values[name] = value
        if "national_id" in values and "national_id_country" not in values:
            # As the API's NationalIdSchema: a number without a country is a Chinese one.
            values["national_id_country"] = "CN"
        parsed.append(ParsedRow(number, values))

    if not parsed:
        raise UnreadableFile("no_rows")
    if unknown:
        notices.append(Notice("unknown_columns", {"columns": "、".join(f"“{text}”" for text in unknown)}))
    if unheaded:
        letters = ", ".join(get_column_letter(index + 1) for index in sorted(unheaded))
        notices.append(Notice("values_without_header", {"columns": letters}))
    if cached:
        notices.append(Notice("formula_cached_value", {"count": cached}))
    return Table(
        rows=tuple(parsed),
        problems=tuple(problems.kept),
        notices=tuple(notices),
        headers={name: text for _, name, text in known},
    )


def _check_columns(named: dict[str, str]) -> None:
    missing = [BY_FIELD[c.field] for c in COLUMNS if c.required and c.field not in named]
    groups = [group for group in ONE_OF if not any(name in named for name in group)]
    if missing or groups:
        zh = [c.header for c in missing] + [" 或 ".join(BY_FIELD[name].header for name in group) for group in groups]
        en = [c.header for c in missing] + [" or ".join(BY_FIELD[name].header for name in group) for group in groups]
        raise UnreadableFile("missing_columns", columns_zh="；".join(zh), columns_en="; ".join(en))
