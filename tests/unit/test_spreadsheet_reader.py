"""Reading import spreadsheets: good files give typed rows numbered as Excel numbers them, every bad file is refused
with its reason (never a traceback), and a hostile file is refused from its sizes before it is unpacked."""

from __future__ import annotations

import io
import random
import re
import zipfile
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from openpyxl import Workbook
from openpyxl.utils.datetime import CALENDAR_MAC_1904

from creditbank.spreadsheets import MAX_BYTES, MAX_ROWS, WORDS, UnreadableFile, describe, describe_problem, read
from creditbank.spreadsheets.reader import MAX_PROBLEMS, Problem
from tests.unit.spreadsheet_files import (
    HEADERS,
    MAIN,
    RELS,
    ROW,
    csv_bytes,
    declare_size,
    hand_xlsx,
    header,
    inline_row,
    saved,
    sheet_xml,
    workbook,
    xlsx_bytes,
)


def refusal(filename: str, data: bytes) -> UnreadableFile:
    with pytest.raises(UnreadableFile) as caught:
        read(filename, data)
    return caught.value


def codes(table) -> list[tuple[int, str, str]]:
    return [(problem.row, problem.field, problem.code) for problem in table.problems]


# --- good files ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030", "utf-16"])
def test_csv_in_every_encoding_excel_saves_round_trips_chinese_names(encoding: str) -> None:
    # 堃 is outside GB2312: GB18030 must be read as GB18030, not as its older subset.
    row = ("R-1", "课程", "智能手机应用", "王堃", "1958-03-21", "2026-01-10", "", "2")
    table = read("import.csv", csv_bytes([row], encoding=encoding))
    assert table.problems == ()
    assert [r.values["name_zh"] for r in table.rows] == ["王堃"]
    assert table.rows[0].values["title_zh"] == "智能手机应用"
    assert table.rows[0].values["kind"] == "course"


def test_undecodable_csv_is_refused_for_its_encoding() -> None:
    # Latin-1 é before a comma is neither UTF-8 nor a GB18030 sequence.
    data = "记录编号,类型\r\nJos\xe9,x\r\n".encode().replace(b"Jos\xc3\xa9", b"Jos\xe9")
    assert refusal("import.csv", data).code == "encoding"


def test_row_numbers_are_excels_with_blank_rows_between() -> None:
    good, bad = ROW, ("R-2", "课程", "x", "王", "1950-13-01", "2026-01-10", "", "2")
    data = csv_bytes([good, ("",) * 8, (), bad])
    table = read("import.csv", data)
    assert [row.number for row in table.rows] == [2, 5]
    assert codes(table) == [(5, "birth_date", "bad_date")]

    book = workbook([good])
    sheet = book.active
    sheet.append([])  # openpyxl leaves row 3 out of the file altogether
    sheet.cell(row=7, column=1, value="R-2")
    for column, value in enumerate(bad[1:], start=2):
        sheet.cell(row=7, column=column, value=value)
    table = read("import.xlsx", saved(book))
    assert [row.number for row in table.rows] == [2, 7]
    assert codes(table) == [(7, "birth_date", "bad_date")]
    assert table.problems[0].column == "出生日期 / Birth date"


def test_excel_date_cells_and_the_text_date_forms() -> None:
    rows = [
        ("R-1", "course", "a", "王", datetime(1958, 3, 21), datetime(2026, 1, 10, 0, 0), "", 2),
        ("R-2", "course", "a", "王", "1958/3/21", "2026年1月10日", "", 2),
        ("R-3", "course", "a", "王", "1958.3.21", "２０２６－０１－１０", "", 2),
        ("R-4", "course", "a", "王", date(1958, 3, 21), 46032, "", 2),  # a serial that lost its date format
    ]
    table = read("import.xlsx", xlsx_bytes(rows))
    assert table.problems == ()
    for row in table.rows:
        assert row.values["birth_date"] == date(1958, 3, 21)
        assert row.values["completed"] == date(2026, 1, 10)


def test_a_header_below_blank_rows_keeps_excels_row_numbers() -> None:
    book = Workbook()
    sheet = book.active
    sheet.title = "Import"
    sheet.cell(row=3, column=1, value=None)
    for column, text in enumerate(header(*HEADERS), start=1):
        sheet.cell(row=3, column=column, value=text)
    for column, value in enumerate(ROW, start=1):
        sheet.cell(row=4, column=column, value=value)
        sheet.cell(row=6, column=column, value=value)
    sheet.cell(row=6, column=5, value="1950-13-01")
    table = read("import.xlsx", saved(book))
    assert [row.number for row in table.rows] == [4, 6]
    assert codes(table) == [(6, "birth_date", "bad_date")]


def test_date_time_and_duration_cells_as_excel_formats_them() -> None:
    row = ("R-1", "course", "a", "王", date(1958, 3, 21), time(14, 30), "", 2.5)
    book = workbook([row, ("R-2", "course", "a", "王", "1958-03-21", timedelta(hours=30), "", 2)])
    table = read("import.xlsx", saved(book))
    assert table.rows[0].values["birth_date"] == date(1958, 3, 21)
    assert table.rows[0].values["credits"] == Decimal("2.5")
    assert codes(table) == [(2, "completed", "bad_date"), (3, "completed", "bad_date")]


def test_date_cells_of_a_1904_workbook() -> None:
    book = workbook([("R-1", "course", "a", "王", date(1958, 3, 21), datetime(2026, 1, 10), "", 2)])
    book.epoch = CALENDAR_MAC_1904
    table = read("import.xlsx", saved(book))
    assert table.problems == ()
    assert (table.rows[0].values["birth_date"], table.rows[0].values["completed"]) == (
        date(1958, 3, 21),
        date(2026, 1, 10),
    )


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("2026-13-01", "bad_date"),
        ("1/10/2026", "bad_date"),  # month or day first? not guessed
        ("10 January", "bad_date"),
        (datetime(2026, 1, 10, 14, 30), "date_with_time"),
        (5, "bad_date"),  # 1900-01-05 as a serial: no one completes a course then
        (46032.5, "bad_date"),
        (True, "bad_date"),
    ],
)
def test_what_is_not_a_date_is_a_problem_naming_it(value: object, code: str) -> None:
    row = ("R-1", "course", "a", "王", "1958-03-21", value, "", 2)
    table = read("import.xlsx", xlsx_bytes([row]))
    assert codes(table) == [(2, "completed", code)]
    assert "completed" not in table.rows[0].values


def test_an_id_number_stored_as_a_number_is_a_problem_with_the_fix() -> None:
    row = ("R-1", "course", "a", "王", "1958-03-21", "2026-01-10", 110105195803210024, 2)
    table = read("import.xlsx", xlsx_bytes([row]))
    assert codes(table) == [(2, "national_id", "id_number_as_number")]
    message = describe_problem(table.problems[0], "zh")
    assert message.startswith("第 2 行“证件号码”：")
    assert "文本" in message
    assert "Format this column as Text" in describe_problem(table.problems[0], "en")


def test_numbers_in_text_columns_become_their_text() -> None:
    row = (1001, "course", 2026.5, "王", "1958-03-21", "2026-01-10", "", 2)
    table = read("import.xlsx", xlsx_bytes([row]))
    assert table.problems == ()
    assert table.rows[0].values["record_id"] == "1001"
    assert table.rows[0].values["title_zh"] == "2026.5"


def test_an_id_number_gets_china_as_its_default_country() -> None:
    table = read("import.csv", csv_bytes([ROW]))
    assert table.rows[0].values["national_id"] == "110105195803210024"
    assert table.rows[0].values["national_id_country"] == "CN"


@pytest.mark.parametrize(
    ("credits", "expected", "code"),
    [
        ("2", Decimal(2), None),
        ("1.5", Decimal("1.5"), None),
        ("２", Decimal(2), None),
        ("1,5", None, "ambiguous_number"),
        ("1,000", None, "ambiguous_number"),
        ("abc", None, "not_a_number"),
        ("NaN", None, "not_a_number"),
        ("inf", None, "not_a_number"),
        ("1e3", None, "not_a_number"),
        ("-1", None, "number_out_of_range"),
        ("1001", None, "number_out_of_range"),
    ],
)
def test_numbers_are_plain_decimals(credits: str, expected: Decimal | None, code: str | None) -> None:
    row = ("R-1", "course", "a", "王", "1958-03-21", "2026-01-10", "", f'"{credits}"')
    table = read("import.csv", csv_bytes([row]))
    assert table.rows[0].values.get("credits") == expected
    assert codes(table) == ([] if code is None else [(2, "credits", code)])


def test_choices_booleans_and_lists_in_either_language() -> None:
    fields = ("record_id", "kind", "title_en", "name_latin", "birth_date", "completed", "mode", "result_type")
    fields += ("result_passed", "outcomes")
    rows = [
        ("R-1", "课程", "a", "Li", "1958-03-21", "2026-01-10", "线下", "通过与否", "是", "拍照；视频通话;防诈骗"),
        ("R-2", "Micro-credential", "a", "Li", "1958-03-21", "2026-01-10", "In person", "pass/fail", "no", "；;"),
        ("R-3", "MICRO_CREDENTIAL", "a", "Li", "1958-03-21", "2026-01-10", "online", "score", "TRUE", ""),
        ("R-4", "讲座", "a", "Li", "1958-03-21", "2026-01-10", "by post", "score", "maybe", ""),
    ]
    table = read("import.csv", csv_bytes(rows, fields=fields))
    first, second, third, _ = (row.values for row in table.rows)
    assert (first["kind"], first["mode"], first["result_type"], first["result_passed"]) == (
        "course",
        "in_person",
        "pass_fail",
        True,
    )
    assert first["outcomes"] == ("拍照", "视频通话", "防诈骗")
    assert "outcomes" not in second
    assert (second["kind"], second["mode"], second["result_type"], second["result_passed"]) == (
        "micro_credential",
        "in_person",
        "pass_fail",
        False,
    )
    assert (third["kind"], third["result_passed"]) == ("micro_credential", True)
    assert codes(table) == [
        (5, "kind", "unknown_choice"),
        (5, "mode", "unknown_choice"),
        (5, "result_passed", "bad_bool"),
    ]
    assert "课程、模块" in describe_problem(table.problems[0], "zh")
    assert "Course, Module" in describe_problem(table.problems[0], "en")


def test_text_is_stripped_and_control_characters_refused() -> None:
    # Excel writes a character XML cannot hold as _xHHHH_; a line break (Alt+Enter) as itself.
    first = ("  R-1 ", "course", "a_x0007_b", "王", "1958-03-21", "2026-01-10")
    second = ("R-2", "course", "第一行\n第二行", "王", "1958-03-21", "2026-01-10")
    table = read("import.xlsx", hand_xlsx(sheet_xml(inline_row(2, first) + inline_row(3, second))))
    assert table.rows[0].values["record_id"] == "R-1"
    assert codes(table) == [(2, "title_zh", "control_character"), (3, "title_zh", "line_break")]
    assert "U+0007" in describe_problem(table.problems[0], "en")


def test_too_long_text_and_required_cells() -> None:
    row = ("R" * 129, "", "a", "王", "", "2026-01-10", "", "2")
    table = read("import.csv", csv_bytes([row]))
    assert codes(table) == [
        (2, "record_id", "too_long"),
        (2, "kind", "missing_required"),
        (2, "birth_date", "missing_required"),
    ]
    assert (
        describe_problem(table.problems[0], "en")
        == "Row 2, “Record ID” is too long (129 characters); at most 128 are allowed."
    )


def test_shared_strings_as_excel_saves_them() -> None:
    # Excel keeps text once in the shared string table; rich text comes in runs, and a phonetic guide is not shown.
    strings = (
        f'<sst xmlns="{MAIN}">'
        "<si><t>R-1</t></si><si><t>course</t></si>"
        '<si><r><t>智能</t></r><r><rPr><b/></rPr><t>手机应用</t></r><rPh sb="0" eb="2"><t>zhineng</t></rPh></si>'
        "<si><t>李秀英</t></si><si><t>1958-03-21</t></si><si><t>2026-01-10</t></si>"
        "</sst>"
    )
    cells = "".join(f'<c r="{letter}2" t="s"><v>{index}</v></c>' for index, letter in enumerate("ABCDEF"))
    sheet = sheet_xml(f'<row r="2">{cells}<c r="H2"><v>2.5</v></c></row>')
    table = read("import.xlsx", hand_xlsx(sheet, extra={"xl/sharedStrings.xml": strings.encode()}))
    assert table.problems == ()
    values = table.rows[0].values
    assert (values["record_id"], values["title_zh"], values["name_zh"]) == ("R-1", "智能手机应用", "李秀英")
    assert values["completed"] == date(2026, 1, 10)
    assert values["credits"] == Decimal("2.5")


def test_a_serial_in_a_1904_workbook_counts_from_1904() -> None:
    workbook_xml = (
        f'<workbook xmlns="{MAIN}" xmlns:r="{RELS}"><workbookPr date1904="1"/>'
        '<sheets><sheet name="Import" sheetId="1" r:id="rId1"/></sheets></workbook>'
    )
    cells = inline_row(2, ROW[:5])[: -len("</row>")] + '<c r="F2"><v>44570</v></c></row>'
    table = read("import.xlsx", hand_xlsx(sheet_xml(cells), extra={"xl/workbook.xml": workbook_xml.encode()}))
    assert table.problems == ()
    assert table.rows[0].values["completed"] == date(2026, 1, 10)


def test_a_shared_string_that_is_not_there_is_a_damaged_file() -> None:
    sheet = sheet_xml('<row r="2"><c r="A2" t="s"><v>7</v></c></row>')
    strings = f'<sst xmlns="{MAIN}"><si><t>R-1</t></si></sst>'.encode()
    assert refusal("import.xlsx", hand_xlsx(sheet, extra={"xl/sharedStrings.xml": strings})).code == "damaged"


def test_a_value_beyond_the_hundredth_column_refuses_the_file() -> None:
    sheet = sheet_xml(inline_row(2, ROW)[: -len("</row>")] + '<c r="CW2"><v>1</v></c></row>')
    assert refusal("import.xlsx", hand_xlsx(sheet)).code == "too_many_columns"


@pytest.mark.parametrize(
    "cell",
    [
        '<c r="XFD2" t="inlineStr"><is><t></t></is></c>',  # empty, but a value to calamine, which sizes by it
        '<c r="XFD2" t="str"><v></v></c>',
        '<c r="XFD2"><f>""</f></c>',
        '<x:c xmlns:x="urn:elsewhere" r="XFD2"><x:v>1</x:v></x:c>',  # calamine knows cells by name alone
    ],
)
def test_any_value_far_right_refuses_the_file_even_an_empty_one(cell: str) -> None:
    sheet = sheet_xml(inline_row(2, ROW)[: -len("</row>")] + cell + "</row>")
    assert refusal("import.xlsx", hand_xlsx(sheet)).code == "too_many_columns"


def test_blank_formatted_cells_far_out_are_no_values() -> None:
    far = '<row r="30000"><c r="XFD30000" s="1"/></row><row r="1048576"><c r="A1048576" s="1"></c></row>'
    table = read("import.xlsx", hand_xlsx(sheet_xml(inline_row(2, ROW) + far)))
    assert [row.number for row in table.rows] == [2]


def test_more_cell_elements_than_an_import_holds_are_refused() -> None:
    blank = "".join(f'<row r="{n}">' + '<c s="1"/>' * 60 + "</row>" for n in range(3, 10_004))
    refused = refusal("import.xlsx", hand_xlsx(sheet_xml(inline_row(2, ROW) + blank), compression=zipfile.ZIP_STORED))
    assert (refused.code, refused.params["reason"]) == ("bomb", "cells")


@pytest.mark.parametrize(
    "rows",
    [
        '<row r="2"><row r="3"><c><v>1</v></c></row></row>',  # calamine counts rows by their ends
        '<row r="2"><c r="A2"><v>1</v></c></row><c><v>1</v></c>',
        '<row r="2"><c r="A2"><v>1</v><x/></c></row>',
    ],
    ids=["nested rows", "cell outside a row", "unknown cell content"],
)
def test_cells_not_where_they_belong_are_a_damaged_file(rows: str) -> None:
    assert refusal("import.xlsx", hand_xlsx(sheet_xml(rows))).code == "damaged"


def test_only_the_sheet_part_that_was_bounded_is_read() -> None:
    # calamine matches zip members without regard to case; a second member differing only in case, holding a
    # value at the last row, must not be what it reads.
    bomb = sheet_xml('<row r="1048576"><c r="XFD1048576"><v>1</v></c></row>')
    data = hand_xlsx(extra={"XL/WORKSHEETS/SHEET1.XML": bomb.encode()})
    table = read("import.xlsx", data)
    assert [row.values["record_id"] for row in table.rows] == ["R-1"]


def test_numbers_calamine_cannot_read_are_a_damaged_file() -> None:
    sheet = sheet_xml('<row r="2"><c r="A2" t="n"><v>abc</v></c></row>')
    assert refusal("import.xlsx", hand_xlsx(sheet)).code == "damaged"


# --- headers -------------------------------------------------------------------------------------------------------


def test_a_header_is_known_by_either_language_or_both() -> None:
    heads = [
        "记录编号",
        "Kind",
        "  中文名称 ／ TITLE (CHINESE) ",
        "chinese name",
        "出生日期",
        "完成日期",
        "Remarks 备注",
    ]
    data = (",".join(heads) + "\r\nR-1,course,a,王,1958-03-21,2026-01-10,x\r\n").encode()
    table = read("import.csv", data)
    assert table.problems == ()
    assert table.headers["title_zh"] == "中文名称 ／ TITLE (CHINESE)"
    assert table.rows[0].values["title_zh"] == "a"
    assert [notice.code for notice in table.notices] == ["unknown_columns"]
    assert "Remarks 备注" in describe(table.notices[0].code, table.notices[0].params, "en")


def test_a_column_named_twice_refuses_the_file() -> None:
    data = "记录编号,类型,Record ID\r\nR-1,course,R-2\r\n".encode()
    refused = refusal("import.csv", data)
    assert refused.code == "duplicate_column"
    assert "Record ID" in describe(refused.code, refused.params, "en")


def test_missing_required_columns_are_named() -> None:
    data = "记录编号,中文名称,中文姓名\r\nR-1,a,王\r\n".encode()
    refused = refusal("import.csv", data)
    assert refused.code == "missing_columns"
    message = describe(refused.code, refused.params, "zh")
    assert "类型 / Kind" in message
    assert "出生日期 / Birth date" in message
    assert "完成日期 / Completed" in message


@pytest.mark.parametrize("data", [b"a,b,c\r\n1,2,3\r\n", b"\r\n" * 11 + "记录编号\r\n".encode()])
def test_a_file_without_the_template_header_is_refused(data: bytes) -> None:
    assert refusal("import.csv", data).code == "no_header"


def test_a_header_without_rows_is_refused() -> None:
    assert refusal("import.csv", csv_bytes([])).code == "no_rows"


def test_values_under_no_header_are_a_notice() -> None:
    data = csv_bytes([(*ROW, "", "stray")])
    table = read("import.csv", data)
    assert [(n.code, n.params) for n in table.notices] == [("values_without_header", {"columns": "J"})]


# --- limits --------------------------------------------------------------------------------------------------------


def _rows(count: int) -> list[tuple[str, ...]]:
    return [(f"R-{n}", "course", "a", "王", "1958-03-21", "2026-01-10", "", "2") for n in range(count)]


def test_exactly_the_row_limit_is_read_and_one_more_is_refused() -> None:
    assert len(read("import.csv", csv_bytes(_rows(MAX_ROWS))).rows) == MAX_ROWS
    refused = refusal("import.csv", csv_bytes(_rows(MAX_ROWS + 1)))
    assert (refused.code, refused.params) == ("too_many_rows", {"max": MAX_ROWS})


def test_the_row_limit_holds_for_xlsx_too() -> None:
    refused = refusal("import.xlsx", xlsx_bytes(_rows(MAX_ROWS + 1)))
    assert refused.code == "too_many_rows"


def test_every_problem_is_reported_up_to_a_limit_that_refuses_the_file() -> None:
    bad = [(f"R-{n}", "course", "a", "王", "1958-03-21", "1/10/2026", "", "x") for n in range(MAX_PROBLEMS // 2)]
    table = read("import.csv", csv_bytes(bad))
    assert len(table.problems) == MAX_PROBLEMS
    assert table.problems[-1].row == MAX_PROBLEMS // 2 + 1
    refused = refusal("import.csv", csv_bytes([*bad, bad[0]]))
    assert refused.code == "too_many_problems"
    message = describe(refused.code, refused.params, "en")
    assert message.startswith("More than 10000 problems were found")
    assert "Row 2, “Completed” is not a date; write it like 2026-01-10. Row 2, “Credits” is not a number" in message
    assert "1/10/2026" not in message


def test_an_upload_over_the_byte_limit_is_refused_before_it_is_read() -> None:
    refused = refusal("import.csv", b"x" * (MAX_BYTES + 1))
    assert refused.code == "too_large"


def test_a_value_far_below_the_data_refuses_the_file() -> None:
    sheet = sheet_xml(inline_row(2, ROW) + '<row r="1048576"><c r="A1048576"><v>1</v></c></row>')
    refused = refusal("import.xlsx", hand_xlsx(sheet))
    assert (refused.code, refused.params["row"]) == ("too_tall", 1_048_576)
    assert refusal("import.csv", csv_bytes([ROW]) + b"\r\n" * 30_000 + b"x\r\n").code == "too_tall"


@pytest.mark.parametrize("compression", [zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED])
def test_two_hundred_thousand_empty_rows_cost_one_pass_and_no_more(compression: int) -> None:
    blank = "".join(f'<row r="{n}"/>' for n in range(3, 200_003))
    table = read("import.xlsx", hand_xlsx(sheet_xml(inline_row(2, ROW) + blank), compression=compression))
    assert [row.number for row in table.rows] == [2]
    assert table.problems == ()


def test_merges_after_rows_past_the_limit_are_still_read() -> None:
    blank = "".join(f'<row r="{n}"/>' for n in range(3, 30_000))
    merges = '<mergeCells count="1"><mergeCell ref="B2:B3"/></mergeCells>'
    table = read("import.xlsx", hand_xlsx(sheet_xml(inline_row(2, ROW) + blank, after=merges)))
    assert codes(table) == [(2, "", "merged_data_cells")]


def test_padding_that_shrinks_a_hundredfold_is_refused_from_the_zip_directory() -> None:
    blank = "<row/>" * 1_000_000
    refused = refusal("import.xlsx", hand_xlsx(sheet_xml(inline_row(2, ROW) + blank)))
    assert (refused.code, refused.params["part"]) == ("bomb", "xl/worksheets/sheet1.xml")


def test_a_huge_shared_strings_part_is_refused_from_its_declared_size() -> None:
    strings = f'<sst xmlns="{MAIN}"><si><t>a</t></si></sst>'.encode()
    data = hand_xlsx(extra={"xl/sharedStrings.xml": strings})
    refused = refusal("import.xlsx", declare_size(data, "xl/sharedStrings.xml", 600 * 1024 * 1024))
    assert (refused.code, refused.params["part"]) == ("bomb", "xl/sharedStrings.xml")


def test_a_highly_compressed_shared_strings_part_is_refused() -> None:
    padding = "<si><t></t></si>" * 200_000  # 3 MiB that deflate to a few KiB
    strings = f'<sst xmlns="{MAIN}">{padding}</sst>'.encode()
    refused = refusal("import.xlsx", hand_xlsx(extra={"xl/sharedStrings.xml": strings}))
    assert (refused.code, refused.params["part"]) == ("bomb", "xl/sharedStrings.xml")


def test_a_declared_size_that_lies_is_a_damaged_file() -> None:
    # Declared smaller than it inflates to: zipfile stops at the declared size and the CRC fails.
    data = declare_size(hand_xlsx(), "xl/worksheets/sheet1.xml", 100)
    assert refusal("import.xlsx", data).code == "damaged"


def test_text_longer_than_excel_holds_in_a_cell_is_refused() -> None:
    long_text = "字" * 40_000
    assert refusal("import.xlsx", hand_xlsx(sheet_xml(inline_row(2, (*ROW[:2], long_text))))).code == "damaged"
    # A shared string is only a cell's text once a cell refers to it.
    strings = f'<sst xmlns="{MAIN}"><si><t>{long_text}</t></si></sst>'.encode()
    sheet = sheet_xml(inline_row(2, ROW)[: -len("</row>")] + '<c r="I2" t="s"><v>0</v></c></row>')
    assert refusal("import.xlsx", hand_xlsx(sheet, extra={"xl/sharedStrings.xml": strings})).code == "damaged"
    table = read("import.xlsx", hand_xlsx(sheet_xml(inline_row(2, (*ROW[:2], "字" * 600, *ROW[3:])))))
    assert codes(table) == [(2, "title_zh", "too_long")]


def test_a_sheet_declaring_a_dtd_is_refused() -> None:
    sheet = (
        '<?xml version="1.0"?><!DOCTYPE w [<!ENTITY a "aaaa">]><worksheet xmlns="' + MAIN + '"><sheetData/></worksheet>'
    )
    assert refusal("import.xlsx", hand_xlsx(sheet)).code == "damaged"


# --- bad files -----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"   \r\n",
        random.Random(17).randbytes(4096),
        b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n",
        b"\x89PNG\r\n\x1a\n" + bytes(100),
    ],
    ids=["empty", "blank", "random", "pdf", "png"],
)
def test_what_is_no_spreadsheet_is_refused(data: bytes) -> None:
    assert refusal("import.xlsx", data).code == "not_a_spreadsheet"


def test_a_renamed_zip_is_no_workbook() -> None:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("notes.txt", "hello")
        archive.writestr("[Content_Types].xml", "<Types/>")
    assert refusal("import.xlsx", out.getvalue()).code == "not_a_spreadsheet"
    assert refusal("import.xlsx", b"PK\x03\x04 truncated").code == "not_a_spreadsheet"


def test_an_old_xls_and_an_html_table_are_told_to_save_as_xlsx() -> None:
    ole2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504)
    refused = refusal("import.xls", ole2)
    assert refused.code == "xls"
    assert ".xlsx" in describe(refused.code, refused.params, "zh")
    assert refusal("import.xls", b"<html><table><tr><td>1</td></tr></table></html>").code == "html"


def test_macro_workbooks_are_refused_by_name_part_or_content_type() -> None:
    assert refusal("import.xlsm", xlsx_bytes([ROW])).code == "macros"
    assert refusal("import.xlsx", hand_xlsx(extra={"xl/vbaProject.bin": b"\x00" * 10})).code == "macros"
    macro_type = (
        '<Override PartName="/xl/vbaProject.bin" ContentType="application/vnd.ms-office.vbaProject"/>'
        '<Default Extension="bin" ContentType="application/vnd.ms-excel.sheet.macroEnabled.main+xml"/>'
    )
    assert refusal("import.xlsx", hand_xlsx(content_types=macro_type)).code == "macros"


def test_a_strict_open_xml_workbook_is_told_to_save_as_xlsx() -> None:
    strict = (
        '<workbook xmlns="http://purl.oclc.org/ooxml/spreadsheetml/main"><sheets><sheet name="Import"/></sheets>'
        "</workbook>"
    )
    assert refusal("import.xlsx", hand_xlsx(extra={"xl/workbook.xml": strict.encode()})).code == "strict_ooxml"


def test_a_binary_workbook_is_named() -> None:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/workbook.bin", b"\x00")
    assert refusal("import.xlsb", out.getvalue()).code == "xlsb"


# --- formulas, merges, sheets ----------------------------------------------------------------------------------------


def test_a_formula_is_read_as_the_value_excel_saved_and_never_run() -> None:
    cells = "".join(f'<c r="{chr(65 + i)}2" t="inlineStr"><is><t>{v}</t></is></c>' for i, v in enumerate(ROW[:-1]) if v)
    row = f'<row r="2">{cells}<c r="H2"><f>1+1</f><v>2</v></c></row>'
    table = read("import.xlsx", hand_xlsx(sheet_xml(row)))
    assert table.problems == ()
    assert table.rows[0].values["credits"] == Decimal(2)
    assert [(n.code, n.params) for n in table.notices] == [("formula_cached_value", {"count": 1})]


def test_a_formula_saved_without_its_value_is_a_problem() -> None:
    # openpyxl, like any tool that does not calculate, saves formulas without a value.
    table = read("import.xlsx", xlsx_bytes([(*ROW[:-1], "=1+1")]))
    assert codes(table) == [(2, "credits", "formula_without_value")]


def test_error_values_are_problems() -> None:
    row = '<row r="2">' + inline_row(2, ROW[:-1])[len('<row r="2">') : -len("</row>")]
    row += '<c r="H2" t="e"><f>1/0</f><v>#DIV/0!</v></c></row>'
    table = read("import.xlsx", hand_xlsx(sheet_xml(row)))
    assert codes(table) == [(2, "credits", "error_value")]
    assert "#DIV/0!" in describe_problem(table.problems[0], "en")


def test_errors_of_newer_excel_are_problems_too() -> None:
    row = '<row r="2">' + inline_row(2, ROW[:-2])[len('<row r="2">') : -len("</row>")]
    row += '<c r="G2" t="e"><v>#CALC!</v></c><c r="H2" t="e"><f>SEQUENCE(2)</f><v>#SPILL!</v></c>'
    row += '<c r="I2" t="e"><v> #N/A </v></c><c r="J2" t="e"><v></v></c></row>'
    table = read("import.xlsx", hand_xlsx(sheet_xml(row)))
    assert codes(table) == [(2, "national_id", "error_value"), (2, "credits", "error_value")]
    assert "#SPILL!" in describe_problem(table.problems[1], "en")


def test_an_error_at_the_edge_of_the_sheet_is_still_reported() -> None:
    # calamine gives an error cell as empty, so no range of its reaches a last column or row of errors.
    row = '<row r="2">' + inline_row(2, ROW[:-1])[len('<row r="2">') : -len("</row>")]
    row += '<c r="H2" t="e"><v>#N/A</v></c></row><row r="3"><c r="H3" t="e"><v>#REF!</v></c></row>'
    table = read("import.xlsx", hand_xlsx(sheet_xml(row)))
    errors = [(row, name) for row, name, code in codes(table) if code == "error_value"]
    assert errors == [(2, "credits"), (3, "credits")]
    assert "#REF!" in describe_problem(table.problems[-1], "en")


def test_merged_cells_over_data_are_a_problem_in_the_header_a_notice() -> None:
    book = workbook([ROW, ("R-2", None, "b", "王", "1958-03-21", "2026-01-10", "", "2")])
    book.active.merge_cells("B2:B3")
    book.active.merge_cells("I1:J1")
    table = read("import.xlsx", saved(book))
    assert (2, "", "merged_data_cells") in codes(table)
    assert (3, "kind", "missing_required") in codes(table)
    assert ("merged_cells", {"range": "I1:J1"}) in [(n.code, n.params) for n in table.notices]
    merged = next(p for p in table.problems if p.code == "merged_data_cells")
    assert merged.column == "类型 / Kind"
    assert "B2:B3" in describe_problem(merged, "en")


def test_only_the_first_visible_sheet_is_read_and_the_others_named() -> None:
    book = Workbook()
    lists = book.active
    lists.title = "Lists"
    lists.append(["not", "data"])
    lists.sheet_state = "hidden"
    data = book.create_sheet("Import")
    data.append(header(*HEADERS))
    data.append(list(ROW))
    other = book.create_sheet("Old")
    other.append(header(*HEADERS))
    table = read("import.xlsx", saved(book))
    assert [row.values["record_id"] for row in table.rows] == ["R-1"]
    (notice,) = table.notices
    assert notice.code == "other_sheets_ignored"
    assert describe(notice.code, notice.params, "en") == (
        "Only the first visible sheet, “Import”, was read; these were not: “Lists” (hidden), “Old”."
    )
    assert "“Lists”（隐藏）、“Old”" in describe(notice.code, notice.params, "zh")


# --- words ---------------------------------------------------------------------------------------------------------

_SOURCES = Path(__file__).resolve().parents[2] / "creditbank" / "spreadsheets"
_CODE = re.compile(r'(?:UnreadableFile|Bad|Notice)\(\s*"([a-z_0-9]+)"|"(bad_[a-z]+)"')


def _codes_in_source() -> set[str]:
    found = {"missing_required", "error_value", "formula_without_value", "merged_data_cells"}
    for path in _SOURCES.glob("*.py"):
        for match in _CODE.finditer(path.read_text(encoding="utf-8")):
            found.add(match.group(1) or match.group(2))
    return found


def test_every_code_the_reader_can_give_has_both_languages() -> None:
    used = _codes_in_source()
    assert len(used) > 30
    assert sorted(used - set(WORDS)) == []
    for code, texts in WORDS.items():
        assert set(texts) == {"zh", "en"}, code
        names = {language: set(re.findall(r"\{(\w+)\}", text)) for language, text in texts.items()}
        assert names["zh"] == names["en"], code


def test_every_text_reads_as_a_sentence_without_the_cell_content() -> None:
    # The import service keeps no cell content of the learner's columns (an ID number, a birth date) in problems.
    for code, texts in WORDS.items():
        for language in texts:
            without = describe(code, {}, language)
            assert "[" not in without, (code, language)
            assert "“”" not in without, (code, language)
            if set(re.findall(r"\{(\w+)\}", texts[language])) <= {"value"}:
                assert "{" not in without, (code, language)
    problem = Problem(7, "出生日期 / Birth date", "birth_date", "bad_date", {})
    assert describe_problem(problem, "en") == "Row 7, “Birth date” is not a date; write it like 2026-01-10."
    assert describe_problem(problem, "zh") == "第 7 行“出生日期”：无法识别的日期，请写成 2026-01-10。"
    assert describe("date_in_text_column", {}, "en").startswith("Excel turned the value into a date.")


def test_describe_formats_params_and_falls_back_to_english() -> None:
    assert describe("too_many_rows", {"max": 10000}, "fr") == describe("too_many_rows", {"max": 10000}, "en")
    assert "10000" in describe("too_many_rows", {"max": 10000}, "zh")
    assert describe("no such code", {}, "en") == "no such code"
    problem = Problem(5, "出生日期 / Birth date", "birth_date", "bad_date", {"value": "2026-13-01"})
    assert describe_problem(problem, "zh") == "第 5 行“出生日期”：无法识别的日期“2026-13-01”，请写成 2026-01-10。"
    assert (
        describe_problem(problem, "en") == "Row 5, “Birth date”: “2026-13-01” is not a date; write it like 2026-01-10."
    )
