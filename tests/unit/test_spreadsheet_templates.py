"""The blank import templates: bilingual headers for every column, one example row that reads back clean, and the
formats that keep Excel from mangling what a registrar types."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime

from openpyxl import load_workbook

from creditbank.spreadsheets import COLUMNS, read, template_csv, template_xlsx
from creditbank.spreadsheets.columns import TEXT_FORMAT_FIELDS


def test_the_csv_template_reads_back_as_one_clean_row() -> None:
    data = template_csv()
    assert data.startswith(b"\xef\xbb\xbf")  # the BOM that makes Excel take the file for UTF-8
    header, example = csv.reader(io.StringIO(data.decode("utf-8-sig"), newline=""))
    assert header == [f"{column.zh} / {column.en}" for column in COLUMNS]
    assert "中文姓名 / Chinese name" in header
    table = read("template.csv", data)
    assert table.problems == ()
    assert table.notices == ()
    (row,) = table.rows
    assert row.number == 2
    assert row.values["title_zh"] == "智能手机应用"
    assert row.values["title_en"] == "Using a Smartphone"
    assert row.values["kind"] == "course"
    assert row.values["completed"] == date(2026, 1, 10)
    assert len(example) == len(COLUMNS)


def test_the_xlsx_template_reads_back_as_the_same_clean_row() -> None:
    table = read("template.xlsx", template_xlsx())
    assert table.problems == ()
    assert table.notices == ()
    assert [row.values for row in table.rows] == [row.values for row in read("template.csv", template_csv()).rows]
    assert set(table.headers) == {column.field for column in COLUMNS}


def test_the_xlsx_template_has_real_dates_text_columns_a_frozen_header_and_widths() -> None:
    book = load_workbook(io.BytesIO(template_xlsx()))
    (sheet,) = book.worksheets
    assert sheet.freeze_panes == "A2"
    letters = {column.field: sheet.cell(row=1, column=index).column_letter for index, column in enumerate(COLUMNS, 1)}
    for index, column in enumerate(COLUMNS, start=1):
        assert sheet.cell(row=1, column=index).value == column.header
        assert sheet.cell(row=1, column=index).font.bold
        assert sheet.column_dimensions[letters[column.field]].width == column.width
    for name in TEXT_FORMAT_FIELDS:
        assert sheet[f"{letters[name]}2"].number_format == "@"
        assert sheet.column_dimensions[letters[name]].number_format == "@"
        assert isinstance(sheet[f"{letters[name]}2"].value, str)
    completed = sheet[f"{letters['completed']}2"]
    assert completed.is_date
    assert completed.value == datetime(2026, 1, 10)
    assert sheet.max_row == 2
