"""The blank import spreadsheets a registrar starts from: every column with its bilingual header, and one example
row of a senior-college course, in CSV and in XLSX."""

from __future__ import annotations

import csv
import io
from datetime import date
from decimal import Decimal

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from creditbank.spreadsheets.columns import COLUMNS, TEXT_FORMAT_FIELDS, Column

SHEET_TITLE = "导入 Import"
DATE_FORMAT = "yyyy-mm-dd"
TEXT_FORMAT = "@"
# Rows the XLSX template's drop-down lists reach: the import's limit, below the header.
_LIST_ROWS = 10_001

# A learner of a senior college (老年大学) and the course she completed; the ID number is made up, with a valid
# check digit so that nothing in the row looks wrong.
EXAMPLE: dict[str, object] = {
    "name_zh": "李秀英",
    "name_latin": "Li Xiuying",
    "birth_date": date(1958, 3, 21),
    "national_id_country": "CN",
    "national_id": "110105195803210024",
    "email": "li.xiuying@example.com",
    "record_id": "2026-SC-0001",
    "kind": "课程",
    "title_zh": "智能手机应用",
    "title_en": "Using a Smartphone",
    "code": "SC-101",
    "level": "初级",
    "credits": Decimal(2),
    "hours": Decimal(32),
    "started": date(2025, 9, 8),
    "completed": date(2026, 1, 10),
    "mode": "线下",
    "result_type": "通过与否",
    "result_passed": "是",
    "language": "zh-CN",
    "outcomes": "会用手机拍照并分享；会用微信视频通话；能识别常见的电信诈骗",
}


def _csv_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def template_csv() -> bytes:
    """UTF-8 with a byte order mark, which is what makes Excel open the Chinese headers as Chinese."""
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([column.header for column in COLUMNS])
    writer.writerow([_csv_text(EXAMPLE.get(column.field)) for column in COLUMNS])
    return out.getvalue().encode("utf-8-sig")


def _drop_down(column: Column) -> DataValidation | None:
    if column.kind == "choice" and column.labels:
        options = [label.zh for label in column.labels]
    elif column.kind == "bool":
        options = ["是", "否"]
    else:
        return None
    # A suggestion, not a rule: the English values and labels are accepted too, so Excel must not refuse them.
    return DataValidation(type="list", formula1='"' + ",".join(options) + '"', allow_blank=True, showErrorMessage=False)


def template_xlsx() -> bytes:
    """One sheet: a frozen header row, the example row with real date cells, text format where Excel would mangle."""
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = SHEET_TITLE
    header_font = Font(bold=True)
    header_fill = PatternFill("solid", fgColor="DDEBF7")
    header_alignment = Alignment(wrap_text=True, vertical="center")
    for index, column in enumerate(COLUMNS, start=1):
        letter = get_column_letter(index)
        head = sheet.cell(row=1, column=index, value=column.header)
        head.font, head.fill, head.alignment = header_font, header_fill, header_alignment
        value = EXAMPLE.get(column.field)
        if isinstance(value, Decimal):
            value = int(value) if value == value.to_integral_value() else float(value)
        cell = sheet.cell(row=2, column=index, value=value)
        dimension = sheet.column_dimensions[letter]
        dimension.width = column.width
        # Set on the column too, so rows the registrar adds below the example keep the format.
        if column.field in TEXT_FORMAT_FIELDS:
            cell.number_format = dimension.number_format = TEXT_FORMAT
        elif column.kind == "date":
            cell.number_format = dimension.number_format = DATE_FORMAT
        validation = _drop_down(column)
        if validation is not None:
            validation.add(f"{letter}2:{letter}{_LIST_ROWS}")
            sheet.add_data_validation(validation)
    sheet.row_dimensions[1].height = 32
    sheet.freeze_panes = "A2"
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
