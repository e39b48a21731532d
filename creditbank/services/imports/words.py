"""What the import service tells a registrar about a row, in Chinese and English.

The reader (``creditbank.spreadsheets``) names what is wrong with a cell as such (not a date, too long); these are the
problems only the bank can see: rules that tie a row's values together, rows that disagree with each other, and rows
that disagree with what the bank already holds. ``describe`` looks here first, then in the reader's words, so a
preview speaks with one voice. Parameters are row numbers, limits and allowed values, never a cell's content: the
texts are stored with the import, and a cell may hold an ID number.
"""

from __future__ import annotations

from collections.abc import Mapping

from creditbank import spreadsheets

LANGUAGES = ("zh", "en")

WORDS: dict[str, dict[str, str]] = {
    "value_missing": {
        "zh": "此列需要填写。",
        "en": "This column needs a value.",
    },
    "name_missing": {
        "zh": "请填写中文姓名或拉丁字母姓名（或两者都填）。",
        "en": "Give the learner's name in Chinese, in Latin letters, or both.",
    },
    "birth_date_out_of_range": {
        "zh": "出生日期须在 {earliest} 至 {latest} 之间。",
        "en": "The birth date must be between {earliest} and {latest}.",
    },
    "national_id_invalid": {
        "zh": "证件号码应为 4 至 32 个字母或数字。",
        "en": "An ID number has 4 to 32 letters and digits.",
    },
    "national_id_check_failed": {
        "zh": "这不是有效的 18 位居民身份证号码（校验位不符），请对照证件核对。",
        "en": "This is not a valid 18-character resident identity number (its check character is wrong); "
        "compare it with the identity document.",
    },
    "identity_conflict": {
        "zh": "这些信息与银行已有的一位学习者不一致。请对照学习者的身份证件核对姓名、出生日期和证件号码，"
        "或请银行登记姓名变更。",
        "en": "These details conflict with a learner the bank already holds. Check the name, birth date and ID "
        "number against the learner's identity document, or ask the bank to record a change of name.",
    },
    "learner_details_differ": {
        "zh": "同一证件号码在第 {first_row} 行的姓名、出生日期或电子邮箱与此行不同。",
        "en": "Row {first_row} has the same ID number with a different name, birth date or e-mail.",
    },
    "learner_ambiguous": {
        "zh": "此行的学习者与文件中其他行不一致：相同的姓名和出生日期对应了银行中的不同学习者。请填写证件号码以区分。",
        "en": "This row's learner is ambiguous: rows with the same name and birth date belong to different learners "
        "in the bank. Add the ID number to tell them apart.",
    },
    "learner_erased": {
        "zh": "此记录编号属于一位个人资料已被删除的学习者，不能再为其记录成果。",
        "en": "This record ID belongs to a learner whose personal data was erased; nothing more can be recorded "
        "for them.",
    },
    "record_id_clash": {
        "zh": "此记录编号已用于另一项内容不同的成果（或另一位学习者）。相同内容可以重复上传；"
        "若要更改已记录的成果，请提交更正。",
        "en": "This record ID is already used for an achievement with other values (or another learner). The same "
        "values may be uploaded again; to change a recorded achievement, submit a correction.",
    },
    "duplicate_record_id_in_file": {
        "zh": "此记录编号已在第 {first_row} 行出现过；每项成果需要自己的记录编号。",
        "en": "This record ID already appears in row {first_row}; each achievement needs a record ID of its own.",
    },
    "title_missing": {
        "zh": "请填写成果的中文名称或英文名称（或两者都填）。",
        "en": "Give the achievement's title in Chinese, in English, or both.",
    },
    "date_out_of_range": {
        "zh": "日期须在 {earliest} 至 {latest} 之间。",
        "en": "The date must be between {earliest} and {latest}.",
    },
    "completed_before_started": {
        "zh": "完成日期早于开始日期。",
        "en": "The completion date comes before the start date.",
    },
    "scale_inverted": {
        "zh": "满分须高于最低分。",
        "en": "The maximum score must be higher than the minimum score.",
    },
    "score_outside_scale": {
        "zh": "分数超出了 {min} 至 {max} 的分数范围。",
        "en": "The score lies outside its scale of {min} to {max}.",
    },
    "pass_mark_outside_scale": {
        "zh": "及格分超出了 {min} 至 {max} 的分数范围。",
        "en": "The pass mark lies outside its scale of {min} to {max}.",
    },
    "result_type_missing": {
        "zh": "填写了成绩，但没有填写成绩类型（分数、等级或通过与否）。",
        "en": "A result is given without its result type (score, grade or pass/fail).",
    },
    "result_value_required": {
        "zh": "成绩类型为“{type}”时此列需要填写。",
        "en": "This column is needed for a result of type {type}.",
    },
    "result_value_not_used": {
        "zh": "成绩类型为“{type}”时不使用此列，请留空。",
        "en": "A result of type {type} does not use this column; leave it empty.",
    },
    "wrong_value_type": {
        "zh": "此单元格的值类型不对。",
        "en": "This cell holds the wrong kind of value.",
    },
    "invalid_value": {
        "zh": "此值无效：{detail}",
        "en": "This value is not valid: {detail}",
    },
    # File-level problems and notices (row 0).
    "validation_failed": {
        "zh": "由于银行系统出错，文件未能检查完毕；没有写入任何内容。请稍后重新上传，或联系银行。",
        "en": "The file could not be checked because of an error at the bank; nothing was written. Upload it again "
        "later, or contact the bank.",
    },
    "import_expired": {
        "zh": "此导入一天内未完成，上传的文件已删除。请重新上传。",
        "en": "This import was not finished within a day and its file was deleted. Upload the file again.",
    },
    "import_discarded": {
        "zh": "一位学习者的个人资料已被删除，可能含有其资料的未完成导入文件也已删除。请重新上传。",
        "en": "A learner's personal data was erased, so unfinished uploads that may hold it were deleted. Upload "
        "the file again.",
    },
    "changed_since_preview": {
        "zh": "预览之后银行中的数据有变化，确认时重新检查发现了问题；没有写入任何内容。",
        "en": "The bank's data changed after the preview, and checking again at confirmation found problems; "
        "nothing was written.",
    },
}


class _Keep(dict[str, object]):
    """Leaves a placeholder the parameters do not fill as it is, rather than failing on it."""

    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def describe(code: str, params: Mapping[str, object], language: str) -> str:
    """The sentence for a problem code in ``language`` (zh or en; anything else reads English)."""
    texts = WORDS.get(code)
    if texts is None:
        return spreadsheets.describe(code, dict(params), language)
    language = language if language in LANGUAGES else "en"
    shown = _Keep()
    for key, value in params.items():
        shown[key] = ", ".join(map(str, value)) if isinstance(value, list | tuple) else value
    # A parameter may come in each language ("type_zh", "type_en"): the reader's convention, kept here.
    for key, value in params.items():
        base, _, suffix = key.rpartition("_")
        if base and suffix == language:
            shown[base] = value
    return texts[language].format_map(shown)
