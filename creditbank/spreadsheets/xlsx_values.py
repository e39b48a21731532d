"""The values of the one sheet an import reads, by python-calamine, from a package holding that sheet alone.

calamine decodes values as Excel means them (shared and rich-text strings, numbers shown through a date or time
format as dates, times and durations, the 1904 system) in a fraction of the time openpyxl takes. But it finds the
parts of a workbook its own way: the workbook, shared strings and styles by fixed names, zip members by a
case-insensitive match, a sheet by its name through relationships it resolves without normalising the path. A
crafted file could make it read another sheet than the one ``xlsx_scan`` bounded, and it allocates every cell of
the range it reads. So it is never handed the upload: it gets a package built here, of the sheet exactly as the scan
read it (byte for byte, copied as it was read), the shared strings and styles the workbook names, and a workbook of
that one sheet with the upload's date system. Whatever its way of finding parts, these are all it can find.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable
from typing import TypeVar

import python_calamine

from creditbank.spreadsheets.errors import UnreadableFile
from creditbank.spreadsheets.xlsx_limits import Book

T = TypeVar("T")
EXCEL_CELL_CHARS = 32_767  # Excel holds no longer text in a cell; a file that does was not made to be a sheet
_SHEET = "xl/worksheets/sheet1.xml"
_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_RELS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PACKAGE_RELS = "http://schemas.openxmlformats.org/package/2006/relationships"


class Package:
    """The package calamine reads, written as the upload's parts are checked."""

    def __init__(self) -> None:
        self.out = io.BytesIO()
        # Stored, not deflated: it lives for one read, and copying is all the work it should cost.
        self.zip = zipfile.ZipFile(self.out, "w", zipfile.ZIP_STORED)

    def __enter__(self) -> Package:
        return self

    def __exit__(self, *_: object) -> None:
        self.zip.close()  # a no-op once finished; after a refusal, what was written is dropped with it

    def sheet(self, fill: Callable[[Callable[[bytes], object]], T]) -> T:
        """Write the sheet through ``fill``, which hands over the sheet's bytes chunk by chunk as it checks them."""
        with self.zip.open(_SHEET, "w") as target:
            return fill(target.write)

    def finish(self, archive: zipfile.ZipFile, book: Book) -> bytes:
        date_system = '<workbookPr date1904="1"/>' if book.epoch_1904 else ""
        # calamine tells an XLSX from the other zipped formats by the package's relationship to its workbook.
        self.zip.writestr(
            "_rels/.rels",
            f'<Relationships xmlns="{_PACKAGE_RELS}">'
            f'<Relationship Id="rId1" Type="{_RELS}/officeDocument" Target="xl/workbook.xml"/></Relationships>',
        )
        self.zip.writestr(
            "xl/workbook.xml",
            f'<workbook xmlns="{_MAIN}" xmlns:r="{_RELS}">{date_system}'
            '<sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>',
        )
        self.zip.writestr(
            "xl/_rels/workbook.xml.rels",
            f'<Relationships xmlns="{_PACKAGE_RELS}">'
            f'<Relationship Id="rId1" Type="{_RELS}/worksheet" Target="worksheets/sheet1.xml"/></Relationships>',
        )
        # xlsx_limits bounded both parts' sizes from the zip directory.
        if book.shared_strings is not None:
            self.zip.writestr("xl/sharedStrings.xml", archive.read(book.shared_strings))
        if book.styles is not None:
            self.zip.writestr("xl/styles.xml", archive.read(book.styles))
        self.zip.close()
        return self.out.getvalue()


def known_errors_only(sheet: bytes, spans: list[tuple[int, int]]) -> bytes:
    """The sheet with each error calamine does not know (at ``spans``, from the <v> tag to </v>) written as #N/A.
    The cell stays an error cell, reported with its own text from the scan; only calamine's copy is changed."""
    pieces, done = [], 0
    for start, end in spans:
        text_at = sheet.find(b">", start, end) + 1
        if not text_at or not sheet[text_at:end].strip().startswith(b"#"):
            continue  # not as plain as Excel writes it: left to calamine, which refuses it
        pieces += [sheet[done:text_at], b"#N/A"]
        done = end
    pieces.append(sheet[done:])
    return b"".join(pieces)


def rows(package: bytes, errors: dict[tuple[int, int], str], others: set[tuple[int, int]]) -> list[list[object]]:
    """The sheet's rows from row 1 and column A, so that row ``n`` is at index ``n - 1`` whatever rows are blank; an
    empty cell is "". Error cells hold their text (calamine gives them as empty), and the rows reach every cell of
    ``errors`` and ``others`` (formula cells, which may have saved no value and be outside calamine's range)."""
    try:
        with python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(package)) as workbook:
            values = workbook.get_sheet_by_index(0).to_python(skip_empty_area=False)
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException:
        # calamine's errors, and a panic of its Rust code, which pyo3 raises as a BaseException: a broken file.
        raise UnreadableFile("damaged") from None
    grid: list[list[object]] = values  # type: ignore[assignment]  # invariance: its cell union is an object each
    for row in grid:
        for index, value in enumerate(row):
            if type(value) is float:
                # calamine gives every number as a float; a whole one reads (and is quoted back) as an integer.
                if value.is_integer():
                    row[index] = int(value)
            elif type(value) is str and len(value) > EXCEL_CELL_CHARS:
                raise UnreadableFile("damaged")
    for row_number, column in errors.keys() | others:
        while len(grid) < row_number:
            grid.append([])
        cells = grid[row_number - 1]
        if len(cells) < column:
            cells.extend([""] * (column - len(cells)))
    for (row_number, column), text in errors.items():
        grid[row_number - 1][column - 1] = text
    return grid
