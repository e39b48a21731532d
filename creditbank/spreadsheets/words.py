"""What the reader says to a registrar, in Chinese and in English.

Every code an UnreadableFile, a Problem or a Notice carries has both texts here (a test holds the reader to that).
A text names its parameters in braces; a parameter given as ``name_zh`` and ``name_en`` fills ``{name}`` in the
language asked for, so a list of sheets or allowed values reads naturally in each. A part in square brackets is said
only when its parameters are given (``[a|b]``: b otherwise): the cell's own content is quoted back where it helps,
and a caller that must not keep it (an ID number, a birth date) drops the ``value`` and still gets a sentence.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from string import Formatter

from creditbank.spreadsheets.columns import BY_FIELD
from creditbank.spreadsheets.table import Problem

_EXAMPLE_DATE = "2026-01-10"

WORDS: dict[str, dict[str, str]] = {
    # --- the whole file -------------------------------------------------------------------------------------------
    "too_large": {
        "zh": "文件太大（{size_mb} MB），上限为 {max_mb} MB。请把表格拆成几个文件分别导入。",
        "en": "The file is too large ({size_mb} MB); the limit is {max_mb} MB. Split it into several files.",
    },
    "not_a_spreadsheet": {
        "zh": "这不是电子表格文件。请上传 Excel 工作簿（.xlsx）或 CSV 文件，最好从本页下载的模板开始填写。",
        "en": "This is not a spreadsheet. Upload an Excel workbook (.xlsx) or a CSV file, best filled in from "
        "the template on this page.",
    },
    "xls": {
        "zh": "这是旧版 Excel 文件（.xls）或设置了密码的工作簿，无法读取。请在 Excel 中“另存为” Excel 工作簿（.xlsx），"
        "不要设置密码。",
        "en": "This is an old Excel file (.xls) or a password-protected workbook, which cannot be read. In Excel, "
        "use Save As → Excel Workbook (.xlsx), without a password.",
    },
    "xlsb": {
        "zh": "这是 Excel 二进制工作簿（.xlsb）。请在 Excel 中“另存为” Excel 工作簿（.xlsx）。",
        "en": "This is an Excel binary workbook (.xlsb). In Excel, use Save As → Excel Workbook (.xlsx).",
    },
    "html": {
        "zh": "这是网页文件，只是扩展名像表格（有些系统导出的 .xls 就是这样）。请用 Excel 打开后“另存为” .xlsx。",
        "en": "This is a web page with a spreadsheet's name (some systems export .xls files this way). Open it in "
        "Excel and save it as .xlsx.",
    },
    "strict_ooxml": {
        "zh": "工作簿保存成了“Strict Open XML 电子表格”格式。请在 Excel 中“另存为” Excel 工作簿（.xlsx）。",
        "en": "The workbook was saved as a Strict Open XML Spreadsheet. In Excel, use Save As → Excel Workbook "
        "(.xlsx).",
    },
    "macros": {
        "zh": "含有宏的工作簿（.xlsm）不予接收。请在 Excel 中“另存为” Excel 工作簿（.xlsx）后再上传。",
        "en": "Workbooks with macros (.xlsm) are not accepted. In Excel, use Save As → Excel Workbook (.xlsx) and "
        "upload that.",
    },
    "encrypted": {
        "zh": "工作簿已加密。请取消密码后“另存为” .xlsx 再上传。",
        "en": "The workbook is encrypted. Remove the password, save it as .xlsx and upload it again.",
    },
    "damaged": {
        "zh": "文件已损坏或格式不正确，无法读取。请在 Excel 中打开并重新保存为 .xlsx 后再试。",
        "en": "The file is damaged or malformed and cannot be read. Open it in Excel, save it again as .xlsx and "
        "try once more.",
    },
    "bomb": {
        "zh": "文件解压后远大于任何导入所需（可能是“压缩炸弹”，或含有大量空行、空单元格），未予读取。"
        "请把数据复制到新的工作簿（只复制有数据的行）后重新上传。",
        "en": "Unpacked, this file is far larger than any import needs (a compression bomb, or a sheet with huge "
        "numbers of empty rows or cells), so it was not read. Copy the rows with data into a new workbook and "
        "upload that.",
    },
    "no_sheet": {
        "zh": "工作簿里没有可见的工作表。",
        "en": "The workbook has no visible worksheet.",
    },
    "encoding": {
        "zh": "无法识别 CSV 文件的文字编码（支持 UTF-8 和 GB18030/GBK）。请在 Excel 中另存为“CSV UTF-8（逗号分隔）”。",
        "en": "The CSV file's text encoding is not recognized (UTF-8 and GB18030/GBK are read). In Excel, use "
        "Save As → CSV UTF-8 (Comma delimited).",
    },
    "bad_csv": {
        "zh": "CSV 文件第 {row} 行格式有误（引号不成对或单元格过长）。",
        "en": "Row {row} of the CSV file is malformed (an unmatched quote or an overlong cell).",
    },
    "too_many_rows": {
        "zh": "数据超过 {max} 行。请把表格拆成每个不超过 {max} 行的文件分别导入。",
        "en": "There are more than {max} data rows. Split the sheet into files of at most {max} rows each.",
    },
    "too_tall": {
        "zh": "第 {row} 行还有内容，远在其余数据之下（最多读取前 {max} 行）。请删除数据下方的多余内容后再上传。",
        "en": "Row {row} has content, far below the rest of the data (only the first {max} rows are read). Delete "
        "what lies below your data and upload again.",
    },
    "too_many_columns": {
        "zh": "表格超过 {max} 列。请只保留模板中的列。",
        "en": "The sheet has more than {max} columns. Keep only the template's columns.",
    },
    "no_header": {
        "zh": "找不到表头：第一行有内容的行应当是模板的表头（如“记录编号 / Record ID”）。请从模板开始填写。",
        "en": "No header row found: the first row with content must be the template's header (such as "
        "“记录编号 / Record ID”). Start from the template.",
    },
    "missing_columns": {
        "zh": "缺少必需的列：{columns}。",
        "en": "Required columns are missing: {columns}.",
    },
    "duplicate_column": {
        "zh": "“{first}”和“{second}”是同一列，表头重复。请删除其中一列。",
        "en": "“{first}” and “{second}” are the same column. Delete one of them.",
    },
    "too_many_problems": {
        "zh": "发现的问题超过 {max} 个，这个文件看来没有按照模板填写。前几个问题是：{examples}",
        "en": "More than {max} problems were found; this file does not seem to follow the template. The first: "
        "{examples}",
    },
    "no_rows": {
        "zh": "表头下面没有数据行。",
        "en": "There are no data rows under the header.",
    },
    # --- one cell ---------------------------------------------------------------------------------------------------
    "missing_required": {
        "zh": "必填，不能为空。",
        "en": "is required and empty.",
    },
    "bad_date": {
        "zh": "无法识别的日期[“{value}”]，请写成 " + _EXAMPLE_DATE + "。",
        "en": "[“{value}” ]is not a date; write it like " + _EXAMPLE_DATE + ".",
    },
    "date_with_time": {
        "zh": "[“{value}”]带有时间，请只填写日期，如 " + _EXAMPLE_DATE + "。",
        "en": "[“{value}” ]has a time of day; enter the date alone, like " + _EXAMPLE_DATE + ".",
    },
    "not_a_number": {
        "zh": "[“{value}”]不是数字，请只填写数字，如 2 或 1.5。",
        "en": "[“{value}” ]is not a number; enter digits only, like 2 or 1.5.",
    },
    "ambiguous_number": {
        "zh": "[“{value}”]含有逗号，无法确定含义。小数请用小数点（1.5），不要用千位分隔符。",
        "en": "[“{value}” ]has a comma, which could mean a decimal point or a thousands separator; write decimals "
        "with a point (1.5) and no thousands separators.",
    },
    "number_out_of_range": {
        "zh": "[“{value}”]超出范围，应在 {min} 到 {max} 之间。",
        "en": "[“{value}” ]is out of range; it must be between {min} and {max}.",
    },
    "too_long": {
        "zh": "内容太长（{length} 个字符），最多 {max} 个字符。",
        "en": "is too long ({length} characters); at most {max} are allowed.",
    },
    "line_break": {
        "zh": "含有换行，请写在一行之内。",
        "en": "contains a line break; keep it on one line.",
    },
    "control_character": {
        "zh": "含有不可见的控制字符（{char}），请重新输入这个单元格。",
        "en": "contains an invisible control character ({char}); type the cell again.",
    },
    "not_text": {
        "zh": "[“{value}”]不是文字，请填写文字。",
        "en": "[“{value}” ]is not text; enter text.",
    },
    "date_in_text_column": {
        "zh": "[“{value}”]被 Excel 自动改成了日期。请把这一列设为“文本”格式，再重新输入。",
        "en": "Excel turned [“{value}”|the value] into a date. Format this column as Text and type the value again.",
    },
    "id_number_as_number": {
        "zh": "证件号码被存成了数字，Excel 只保留 15 位有效数字，末尾几位可能已经丢失。请把这一列设为“文本”格式，"
        "再重新输入号码。",
        "en": "The ID number is stored as a number, and Excel keeps only 15 significant digits, so its last digits "
        "may be lost. Format this column as Text and type the numbers again.",
    },
    "digits_lost": {
        "zh": "[“{value}”]是超过 15 位的数字，Excel 可能已经改变了末尾几位。请把这一列设为“文本”格式，再重新输入。",
        "en": "[“{value}” ]is a number of more than 15 digits, whose last digits Excel may have changed. Format this "
        "column as Text and type the value again.",
    },
    "unknown_choice": {
        "zh": "[“{value}”]不是可选的值。可以填写：{choices}。",
        "en": "[“{value}” ]is not one of the choices: {choices}.",
    },
    "bad_bool": {
        "zh": "[“{value}”]无法识别，请填写“是”或“否”。",
        "en": "[“{value}” ]is not understood; enter yes or no.",
    },
    "bad_country": {
        "zh": "[“{value}”]不是国家代码，请填写两个字母的代码，如 CN、HK、US。",
        "en": "[“{value}” ]is not a country code; enter two letters, like CN, HK or US.",
    },
    "bad_language": {
        "zh": "[“{value}”]不是语言代码，请填写如 zh-CN、en 这样的代码。",
        "en": "[“{value}” ]is not a language code; enter a code like zh-CN or en.",
    },
    "bad_email": {
        "zh": "[“{value}”]不是电子邮箱地址。",
        "en": "[“{value}” ]is not an e-mail address.",
    },
    "bad_text": {
        "zh": "[“{value}”]格式不正确。",
        "en": "[“{value}” ]is not in the expected form.",
    },
    "too_many_items": {
        "zh": "列出了 {count} 项，最多 {max} 项。",
        "en": "lists {count} items; at most {max} are allowed.",
    },
    "item_too_long": {
        "zh": "第 {item} 项太长（{length} 个字符），每项最多 {max} 个字符。",
        "en": "item {item} is too long ({length} characters); each may have at most {max}.",
    },
    "formula_without_value": {
        "zh": "是公式，但文件里没有保存计算结果。请在 Excel 中打开并保存一次，或把公式换成数值。",
        "en": "is a formula saved without its result. Open and save the file in Excel, or replace the formula "
        "with its value.",
    },
    "error_value": {
        "zh": "是错误值[“{value}”]，请改正后再导入。",
        "en": "holds the error[ “{value}”]; correct it and import again.",
    },
    "merged_data_cells": {
        "zh": "单元格 {range} 是合并的，合并区域中只有第一格有内容。请取消合并，并在每一行填上数据。",
        "en": "Cells {range} are merged, so only the first of them holds a value. Unmerge them and fill in every row.",
    },
    # --- notices ----------------------------------------------------------------------------------------------------
    "other_sheets_ignored": {
        "zh": "只读取了第一个可见的工作表“{sheet}”；其他工作表没有读取：{sheets}。",
        "en": "Only the first visible sheet, “{sheet}”, was read; these were not: {sheets}.",
    },
    "formula_cached_value": {
        "zh": "有 {count} 个单元格是公式，已按 Excel 保存的计算结果读取（公式本身不会执行）。",
        "en": "{count} cells hold formulas; the values Excel saved with them were read (formulas are never run).",
    },
    "merged_cells": {
        "zh": "表头中的单元格 {range} 是合并的，已按单独的单元格读取。",
        "en": "Header cells {range} are merged; they were read as separate cells.",
    },
    "unknown_columns": {
        "zh": "这些列不属于模板，没有读取：{columns}。",
        "en": "These columns are not in the template and were not read: {columns}.",
    },
    "values_without_header": {
        "zh": "第 {columns} 列有内容但没有表头，没有读取。",
        "en": "Column(s) {columns} have values but no header and were not read.",
    },
}

_ROW_PREFIX = {"zh": "第 {row} 行“{column}”：", "en": "Row {row}, “{column}”: "}
_ROW_ONLY = {"zh": "第 {row} 行：", "en": "Row {row}: "}


_OPTIONAL = re.compile(r"\[([^\[\]|]*)(?:\|([^\[\]]*))?\]")
_PLACEHOLDER = re.compile(r"\{(\w+)\}")


def _optional_parts(text: str, given: Mapping[str, object]) -> str:
    def choose(match: re.Match[str]) -> str:
        wanted = _PLACEHOLDER.findall(match.group(1))
        return match.group(1) if all(name in given for name in wanted) else (match.group(2) or "")

    return _OPTIONAL.sub(choose, text)


class _Params(dict[str, str]):
    def __missing__(self, key: str) -> str:
        # A text asking for a parameter its caller did not give shows the name rather than failing the page.
        return "{" + key + "}"


def _text(value: object) -> str:
    if isinstance(value, Decimal):
        return format(value.normalize(), "f") if value == value.to_integral_value() else format(value, "f")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def describe(code: str, params: Mapping[str, object], language: str) -> str:
    """The text for ``code`` in ``language`` ("zh" or "en"; anything else reads English)."""
    language = language if language in ("zh", "en") else "en"
    texts = WORDS.get(code)
    if texts is None:
        return code
    values = _Params()
    for name, value in params.items():
        values[name] = _text(value)
    for name, value in params.items():
        base, _, suffix = name.rpartition("_")
        if suffix == language and base:
            values[base] = _text(value)
    return Formatter().vformat(_optional_parts(texts[language], values), (), values)


def describe_problem(problem: Problem, language: str) -> str:
    """A problem as one sentence placed by row and column: 第 5 行“出生日期”：… / Row 5, “Birth date”: …"""
    language = language if language in ("zh", "en") else "en"
    known = BY_FIELD.get(problem.field)
    label = known.label(language) if known is not None else problem.column
    message = describe(problem.code, problem.params, language)
    if not problem.row:
        return message
    if not label:
        return _ROW_ONLY[language].format(row=problem.row) + message
    if language == "en" and message[:1].islower():
        # "Row 5, “Birth date” is required and empty." rather than a colon before a verb.
        return f"Row {problem.row}, “{label}” {message}"
    return _ROW_PREFIX[language].format(row=problem.row, column=label) + message
