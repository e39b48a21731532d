"""Spreadsheets built in the tests: real ones through openpyxl and CSV, hostile ones by writing the XLSX parts by
hand, so nothing binary is committed and a bomb is a few KiB of compressed zeros."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterable, Sequence

from openpyxl import Workbook

from creditbank.spreadsheets.columns import BY_FIELD

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
RELS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
HEADERS = ("record_id", "kind", "title_zh", "name_zh", "birth_date", "completed", "national_id", "credits")
ROW = ("R-1", "课程", "智能手机应用", "李秀英", "1958-03-21", "2026-01-10", "110105195803210024", "2")


def header(*fields: str) -> list[str]:
    return [BY_FIELD[name].header for name in fields]


def csv_bytes(rows: Iterable[Sequence[object]], *, encoding: str = "utf-8", fields: Sequence[str] = HEADERS) -> bytes:
    lines = [",".join(header(*fields))]
    lines += [",".join("" if value is None else str(value) for value in row) for row in rows]
    return ("\r\n".join(lines) + "\r\n").encode(encoding)


def workbook(rows: Iterable[Sequence[object]], *, fields: Sequence[str] = HEADERS) -> Workbook:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "Import"
    sheet.append(header(*fields))
    for row in rows:
        sheet.append(list(row))
    return book


def saved(book: Workbook) -> bytes:
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def xlsx_bytes(rows: Iterable[Sequence[object]], *, fields: Sequence[str] = HEADERS) -> bytes:
    return saved(workbook(rows, fields=fields))


def _content_types(extra: str = "") -> str:
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/xl/workbook.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
        '<Override PartName="/xl/worksheets/sheet1.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
        f"{extra}</Types>"
    )


def inline_row(number: int, values: Sequence[str]) -> str:
    cells = "".join(
        f'<c r="{chr(65 + index)}{number}" t="inlineStr"><is><t>{value}</t></is></c>'
        for index, value in enumerate(values)
        if value
    )
    return f'<row r="{number}">{cells}</row>'


def sheet_xml(rows: str, *, after: str = "") -> str:
    first = inline_row(1, header(*HEADERS))
    return (
        f'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="{MAIN}">'
        f"<sheetData>{first}{rows}</sheetData>{after}</worksheet>"
    )


def hand_xlsx(
    sheet: str | None = None,
    *,
    extra: dict[str, bytes] | None = None,
    content_types: str = "",
    compression: int = zipfile.ZIP_DEFLATED,
) -> bytes:
    """An XLSX written part by part: the minimum Excel and openpyxl need, the sheet as given."""
    parts = {
        "[Content_Types].xml": _content_types(content_types).encode(),
        "_rels/.rels": (
            b'<?xml version="1.0" encoding="UTF-8"?>'
            b'<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            b'<Relationship Id="rId1" Target="xl/workbook.xml" '
            b'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument"/>'
            b"</Relationships>"
        ),
        "xl/workbook.xml": (
            f'<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="{MAIN}" xmlns:r="{RELS}">'
            '<sheets><sheet name="Import" sheetId="1" r:id="rId1"/></sheets></workbook>'
        ).encode(),
        "xl/_rels/workbook.xml.rels": (
            '<?xml version="1.0" encoding="UTF-8"?>'
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            f'<Relationship Id="rId1" Target="worksheets/sheet1.xml" Type="{RELS}/worksheet"/>'
            f'<Relationship Id="rId2" Target="sharedStrings.xml" Type="{RELS}/sharedStrings"/>'
            "</Relationships>"
        ).encode(),
        "xl/worksheets/sheet1.xml": (sheet if sheet is not None else sheet_xml(inline_row(2, ROW))).encode(),
    }
    parts.update(extra or {})
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression) as archive:
        for name, data in parts.items():
            archive.writestr(name, data)
    return out.getvalue()


def declare_size(data: bytes, member: str, size: int) -> bytes:
    """The zip with ``member``'s uncompressed size in the central directory changed to ``size``: what a bomb
    declares, without inflating anything to make it."""
    name = member.encode()
    at = data.find(b"PK\x01\x02")
    while at != -1:
        length = int.from_bytes(data[at + 28 : at + 30], "little")
        if data[at + 46 : at + 46 + length] == name:
            patched = bytearray(data)
            patched[at + 24 : at + 28] = size.to_bytes(4, "little")
            return bytes(patched)
        at = data.find(b"PK\x01\x02", at + 1)
    raise AssertionError(f"{member} is not in the zip")
