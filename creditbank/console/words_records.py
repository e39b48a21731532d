"""Words of the registrar's pages: learners, records, documents, imports."""

from __future__ import annotations

_NAV = {
    "nav_learners": {"zh": "查找学习者", "en": "Find a learner"},
    "nav_imports": {"zh": "导入表格", "en": "Imports"},
    "reg_home_first": {"zh": "从这里开始", "en": "Start here"},
    "reg_home_import": {"zh": "导入一个电子表格（Excel 或 CSV）", "en": "Import a spreadsheet (Excel or CSV)"},
    "reg_home_find": {"zh": "查找学习者", "en": "Find a learner"},
    "reg_home_imports_seen": {"zh": "查看导入记录", "en": "See the imports"},
    "reg_home_registrar_intro": {
        "zh": "您可以导入本学期的学习成果、查找并更正或撤销记录、签发证书和成绩单，"
        "以及为本机构首次登记的学习者重新发放激活码。",
        "en": "You can import a term's achievements, find and correct or revoke records, issue certificates and "
        "transcripts, and give a new activation code to learners your institution enrolled first.",
    },
    "reg_home_viewer_intro": {
        "zh": "您可以查看本机构的学习者、记录和导入，但不能更改它们。",
        "en": "You can read your institution's learners, records and imports, but not change them.",
    },
}

_FIND = {
    "reg_find_title": {"zh": "查找学习者", "en": "Find a learner"},
    "reg_find_intro": {
        "zh": "只会找到在本机构登记的学习者，并只显示本机构提交的个人信息。",
        "en": "Only learners enrolled with your institution are found, with the personal details your "
        "institution submitted.",
    },
    "reg_find_label": {"zh": "记录编号、证件号码或姓名", "en": "Record ID, ID number or name"},
    "reg_find_hint": {
        "zh": "记录编号和证件号码须完全一致（其他国家或地区的证件请写成“HK:A1234567”）；姓名可以只写一部分。",
        "en": "A record ID or ID number must match exactly (for another country's document write "
        "“HK:A1234567”); part of a name is enough.",
    },
    "reg_find_button": {"zh": "查找", "en": "Search"},
    "reg_query_long": {"zh": "查找内容最多 {limit} 个字符。", "en": "A search is at most {limit} characters."},
    "reg_results": {"zh": "查找结果", "en": "Results"},
    "reg_none_found": {"zh": "本机构的学习者中没有与“{q}”相符的。", "en": "None of your learners matches “{q}”."},
    "reg_capped": {
        "zh": "按姓名查找只查看了本机构最早登记的 {opened} 位学习者，最多列出 {shown} 位；"
        "结果可能不完整，请改用记录编号或证件号码。",
        "en": "A name search looks at your first {opened} enrolled learners and lists at most {shown}; the "
        "results may be incomplete, so search by record ID or ID number instead.",
    },
    "reg_name_zh": {"zh": "中文姓名", "en": "Chinese name"},
    "reg_name_latin": {"zh": "拉丁字母姓名", "en": "Latin name"},
    "reg_birth_date": {"zh": "出生日期", "en": "Birth date"},
    "reg_matched": {"zh": "匹配方式", "en": "Matched by"},
    "reg_matched_learner_id": {"zh": "学习者编号", "en": "Learner ID"},
    "reg_matched_record_id": {"zh": "记录编号", "en": "Record ID"},
    "reg_matched_national_id": {"zh": "证件号码", "en": "ID number"},
    "reg_matched_name": {"zh": "姓名", "en": "Name"},
    "reg_learner_id": {"zh": "学习者编号", "en": "Learner ID"},
    "reg_erased_short": {"zh": "个人信息已删除", "en": "personal data erased"},
}

_LEARNER = {
    "reg_learner_title": {"zh": "学习者", "en": "Learner"},
    "reg_back_to_find": {"zh": "返回查找", "en": "Back to the search"},
    "reg_profile": {"zh": "个人信息（本机构提交的）", "en": "Personal details (as your institution submitted them)"},
    "reg_national_id": {"zh": "证件号码", "en": "ID number"},
    "reg_email": {"zh": "电子邮箱", "en": "E-mail"},
    "reg_enrolled_seq": {"zh": "本机构登记的账本条目", "en": "Your enrollment's ledger entry"},
    "reg_erased": {
        "zh": "此学习者的个人信息已被删除；记录仍以化名保留。",
        "en": "This learner's personal data was erased; the records remain under a pseudonym.",
    },
    "reg_no_submission": {
        "zh": "本机构没有提交此学习者的个人信息。",
        "en": "Your institution holds no personal details of this learner.",
    },
    "reg_records": {"zh": "本机构的记录", "en": "Your institution's records"},
    "reg_no_records": {
        "zh": "本机构尚未为此学习者记录成果。",
        "en": "Your institution has recorded nothing for them yet.",
    },
    "reg_more_records": {
        "zh": "还有 {more} 条较早的记录未显示。",
        "en": "{more} older records are not shown.",
    },
    "reg_status_active": {"zh": "有效", "en": "Active"},
    "reg_status_revoked": {"zh": "已撤销", "en": "Revoked"},
    "reg_record_id": {"zh": "记录编号", "en": "Record ID"},
    "reg_kind": {"zh": "类型", "en": "Kind"},
    "reg_kind_course": {"zh": "课程", "en": "Course"},
    "reg_kind_module": {"zh": "模块", "en": "Module"},
    "reg_kind_micro_credential": {"zh": "微证书", "en": "Micro-credential"},
    "reg_kind_certificate": {"zh": "证书", "en": "Certificate"},
    "reg_kind_diploma": {"zh": "文凭", "en": "Diploma"},
    "reg_kind_degree": {"zh": "学位", "en": "Degree"},
    "reg_kind_non_formal": {"zh": "非正规学习", "en": "Non-formal learning"},
    "reg_kind_prior_learning": {"zh": "先前学习", "en": "Prior learning"},
    "reg_credits": {"zh": "学分", "en": "Credits"},
    "reg_hours": {"zh": "学时", "en": "Hours"},
    "reg_completed": {"zh": "完成日期", "en": "Completed"},
    "reg_started": {"zh": "开始日期", "en": "Started"},
    "reg_ledger_seq": {"zh": "账本条目", "en": "Ledger entry"},
    "reg_history": {"zh": "历史", "en": "History"},
    "reg_version": {"zh": "版本", "en": "Version"},
    "reg_change": {"zh": "变更", "en": "Change"},
    "reg_change_recorded": {"zh": "记录", "en": "Recorded"},
    "reg_change_corrected": {"zh": "更正", "en": "Corrected"},
    "reg_change_revoked": {"zh": "撤销", "en": "Revoked"},
    "reg_reason": {"zh": "原因", "en": "Reason"},
    "reg_correct": {"zh": "更正此记录", "en": "Correct this record"},
    "reg_issue_certificate": {"zh": "签发证书", "en": "Issue a certificate"},
    "reg_revoke_reason": {"zh": "撤销原因", "en": "Reason for revoking"},
    "reg_revoke_hint": {
        "zh": "撤销会写入账本且不能取消；提交前需要再次输入密码和验证码。原因请不要写姓名、证件号码等个人信息。",
        "en": "A revocation is written to the ledger and cannot be undone; you confirm with your password and "
        "code first. Do not write names, ID numbers or other personal details in the reason.",
    },
    "reg_revoke": {"zh": "撤销此记录", "en": "Revoke this record"},
    "reg_revoked": {"zh": "记录已撤销。", "en": "The record was revoked."},
    "reg_already_revoked": {"zh": "此记录已经撤销。", "en": "This record was already revoked."},
    "reg_reason_personal": {
        "zh": "原因中含有学习者的姓名、证件号码或电子邮箱。账本会永久保存原因，请不写个人信息地说明变更。",
        "en": "The reason holds the learner's name, ID number or e-mail. The ledger keeps the reason for good, "
        "so describe the change without personal details.",
    },
    "reg_reason_needed": {"zh": "请写明原因。", "en": "Give the reason."},
    "reg_documents": {"zh": "证书和成绩单", "en": "Certificates and transcripts"},
    "reg_issue_transcript": {
        "zh": "签发成绩单（本机构的全部有效记录）",
        "en": "Issue a transcript (all your active records)",
    },
    "reg_no_documents": {
        "zh": "本机构尚未为此学习者签发文件。",
        "en": "Your institution has issued no documents for them.",
    },
    "reg_doc_kind": {"zh": "文件", "en": "Document"},
    "reg_doc_kind_achievement": {"zh": "证书", "en": "Certificate"},
    "reg_doc_kind_qualification": {"zh": "资格证书", "en": "Qualification"},
    "reg_doc_kind_transcript": {"zh": "成绩单", "en": "Transcript"},
    "reg_doc_issued": {"zh": "签发时间", "en": "Issued"},
    "reg_doc_status": {"zh": "状态", "en": "Status"},
    "reg_doc_valid": {"zh": "有效", "en": "Valid"},
    "reg_doc_revoked": {"zh": "已撤销", "en": "Revoked"},
    "reg_doc_suspended": {"zh": "已暂停", "en": "Suspended"},
    "reg_doc_download": {"zh": "下载", "en": "Download"},
    "reg_doc_receipt": {"zh": "账本回执", "en": "Ledger receipt"},
    "reg_issued": {"zh": "文件已签发，可在下方下载。", "en": "The document was issued; download it below."},
    "reg_issue_what": {"zh": "请选择要签发的文件。", "en": "Choose what to issue."},
    "reg_issue_refused": {"zh": "无法签发：{why}", "en": "It cannot be issued: {why}"},
    "reg_render_limit": {
        "zh": "本机构在短时间内生成了很多份 PDF。请等 15 分钟后再试；JSON 文件仍可下载。",
        "en": "Your institution has had many PDFs made in a short time. Please wait 15 minutes and try again; the "
        "JSON files can still be downloaded.",
    },
    "reg_document_outdated": {
        "zh": "这份文件已无法按签发时的样子生成 PDF（例如姓名后来更正过），核验时会被拒绝。"
        "请在学习者页面重新签发；其 JSON 文件和以前下载的 PDF 仍然有效。",
        "en": "This document can no longer be produced as a PDF exactly as it was issued (for example, a name was "
        "corrected since), and verifiers would reject it. Issue a new one on the learner's page; its JSON file and "
        "PDFs downloaded before remain valid.",
    },
    "reg_activation": {"zh": "门户激活码", "en": "Portal activation code"},
    "reg_activation_intro": {
        "zh": "新的激活码让学习者开通（或重设）自己的门户账户；之前未用的激活码随即失效。"
        "提交前需要再次输入密码和验证码。",
        "en": "A new code lets the learner open (or reset) their portal account; any earlier unused code stops "
        "working. You confirm with your password and code first.",
    },
    "reg_activation_show": {"zh": "生成新激活码并显示", "en": "Make a new code and show it"},
    "reg_activation_letter": {
        "zh": "生成新激活码并打印激活信（PDF）",
        "en": "Make a new code and print a letter (PDF)",
    },
    "reg_activation_not_first": {
        "zh": "只有首次登记此学习者的机构可以发放激活码。学习者可以向该机构或学分银行申请。",
        "en": "Only the institution that first enrolled this learner can give an activation code. The learner "
        "can ask that institution or the bank.",
    },
    "reg_reissue_not_first": {
        "zh": "只有首次登记此学习者的机构可以发放激活码。",
        "en": "Only the institution that first enrolled this learner can give an activation code.",
    },
    "reg_reissue_erased": {
        "zh": "此学习者的个人信息已被删除，没有可开通的账户。",
        "en": "This learner's personal data was erased; there is no account to open.",
    },
    "reg_code_is": {"zh": "新的激活码：", "en": "The new activation code:"},
    "reg_code_what": {
        "zh": "请把激活码交给学习者本人。学习者在 {url} 输入激活码和出生日期，设置密码。激活码有效至 {expires}。",
        "en": "Hand the code to the learner in person. They enter it with their birth date at {url} and choose "
        "a password. It works until {expires}.",
    },
    "reg_code_resets": {
        "zh": "此学习者已有账户：使用这个激活码会重设其密码，并使其所有登录失效。",
        "en": "This learner already has an account: the code resets its password and signs them out everywhere.",
    },
    "reg_code_once": {
        "zh": "激活码只显示这一次，银行只保存其摘要。",
        "en": "The code is shown this once; the bank keeps only a digest of it.",
    },
}

_CORRECT = {
    "reg_correct_title": {"zh": "更正记录", "en": "Correct a record"},
    "reg_back_to_learner": {"zh": "返回学习者页面", "en": "Back to the learner"},
    "reg_correct_intro": {
        "zh": "记录编号 {record_id}。更正会作为新的账本条目写入，原来的版本仍保留在历史中。留空的可选栏目会被删除。",
        "en": "Record ID {record_id}. A correction is written as a new ledger entry; the earlier version stays in "
        "the history. An optional field left empty is removed.",
    },
    "reg_title_zh": {"zh": "中文名称", "en": "Title in Chinese"},
    "reg_title_en": {"zh": "英文名称", "en": "Title in English"},
    "reg_code_field": {"zh": "课程代码", "en": "Course code"},
    "reg_level": {"zh": "本机构的级别", "en": "Your institution's level"},
    "reg_credits_hint": {"zh": "按本机构的学分单位。", "en": "In your institution's credit unit."},
    "reg_date_hint": {"zh": "格式：2026-01-10", "en": "Written 2026-01-10"},
    "reg_reason_hint": {
        "zh": "原因会保存在账本和记录的历史中，删除个人信息也无法清除：请不要写姓名、证件号码等个人信息。",
        "en": "The reason is kept in the ledger and the record's history, where erasing personal data cannot "
        "reach it: do not write names, ID numbers or other personal details.",
    },
    "reg_correct_button": {"zh": "保存更正", "en": "Save the correction"},
    "reg_corrected": {"zh": "更正已写入账本。", "en": "The correction was written to the ledger."},
    "reg_form_has_errors": {
        "zh": "表单中有需要修改的地方，见下方说明。",
        "en": "Some fields need changing; see below.",
    },
    "reg_revoked_cannot_correct": {
        "zh": "已撤销的记录不能再更正。",
        "en": "A revoked record can no longer be corrected.",
    },
    "reg_viewer_reads": {"zh": "您的角色只能查看记录。", "en": "Your role can only read records."},
    "reg_too_long": {"zh": "最多 {limit} 个字符。", "en": "At most {limit} characters."},
    "reg_control_char": {
        "zh": "含有不能使用的控制字符。",
        "en": "This holds a control character, which cannot be used.",
    },
    "reg_not_number": {"zh": "请填写数字，例如 3 或 2.5。", "en": "Write a number, such as 3 or 2.5."},
    "reg_number_range": {"zh": "须在 {bottom} 至 {top} 之间。", "en": "Must be between {bottom} and {top}."},
    "reg_mode": {"zh": "学习方式", "en": "Mode"},
    "reg_mode_none": {"zh": "（不填）", "en": "(none)"},
    "reg_mode_online": {"zh": "线上", "en": "Online"},
    "reg_mode_in_person": {"zh": "线下", "en": "In person"},
    "reg_mode_blended": {"zh": "混合", "en": "Blended"},
    "reg_result": {"zh": "成绩", "en": "Result"},
    "reg_result_hint": {
        "zh": "只保存所选成绩类型的栏目：分数制填分数和满分，等级制填等级，通过与否制填是否通过。",
        "en": "Only the fields of the chosen type are kept: a score needs the score and maximum, a grade the grade, "
        "pass/fail whether it was passed.",
    },
    "reg_result_type": {"zh": "成绩类型", "en": "Result type"},
    "reg_result_type_none": {"zh": "（无成绩）", "en": "(no result)"},
    "reg_result_type_score": {"zh": "分数", "en": "Score"},
    "reg_result_type_grade": {"zh": "等级", "en": "Grade"},
    "reg_result_type_pass_fail": {"zh": "通过与否", "en": "Pass/fail"},
    "reg_result_score": {"zh": "分数", "en": "Score"},
    "reg_result_max": {"zh": "满分", "en": "Maximum score"},
    "reg_result_min": {"zh": "最低分", "en": "Minimum score"},
    "reg_result_pass_mark": {"zh": "及格分", "en": "Pass mark"},
    "reg_result_grade": {"zh": "等级", "en": "Grade"},
    "reg_result_scale": {"zh": "等级制度（例如 A-F）", "en": "Grading scheme (e.g. A-F)"},
    "reg_result_passed": {"zh": "是否通过", "en": "Passed"},
    "reg_passed_unset": {"zh": "（不填）", "en": "(not given)"},
    "reg_passed_yes": {"zh": "是", "en": "Yes"},
    "reg_passed_no": {"zh": "否", "en": "No"},
    "reg_rule_result_max": {"zh": "满分须大于最低分。", "en": "The maximum must exceed the minimum."},
    "reg_rule_result_score": {"zh": "分数不在最低分与满分之间。", "en": "The score lies outside its scale."},
    "reg_rule_result_pass_mark": {"zh": "及格分不在最低分与满分之间。", "en": "The pass mark lies outside its scale."},
    "reg_not_date": {"zh": "请按 2026-01-10 的格式填写有效日期。", "en": "Write a real date as 2026-01-10."},
    "reg_choose": {"zh": "请从列表中选择。", "en": "Choose one from the list."},
    "reg_required": {"zh": "此项必填。", "en": "This is required."},
    "reg_title_needed": {"zh": "请至少填写中文或英文名称。", "en": "Give the title in Chinese, English or both."},
    "reg_rule_title": {"zh": "请至少填写中文或英文名称。", "en": "Give the title in Chinese, English or both."},
    "reg_rule_started": {
        "zh": "开始日期不在允许的范围内。",
        "en": "The start date is outside the allowed range.",
    },
    "reg_rule_completed": {
        "zh": "完成日期不在允许的范围内，或早于开始日期。",
        "en": "The completion date is outside the allowed range, or before the start date.",
    },
}

_IMPORTS = {
    "imp_title": {"zh": "导入电子表格", "en": "Import a spreadsheet"},
    "imp_intro": {
        "zh": "一行写一项学习成果及其学习者。先检查整个文件并预览，确认后才写入账本；同一文件再次导入不会重复写入。",
        "en": "One row per achievement, with its learner. The whole file is checked and previewed first; nothing "
        "is written to the ledger until you confirm, and importing the same file again writes nothing twice.",
    },
    "imp_upload": {"zh": "上传文件", "en": "Upload a file"},
    "imp_step_template": {"zh": "下载模板：", "en": "Download a template:"},
    "imp_template_xlsx": {"zh": "Excel 模板（.xlsx）", "en": "Excel template (.xlsx)"},
    "imp_template_csv": {"zh": "CSV 模板（.csv）", "en": "CSV template (.csv)"},
    "imp_step_fill": {
        "zh": "每行填写一项成果，保留第一行的列标题；示例行可以覆盖。",
        "en": "Fill one achievement per row and keep the header row; overwrite the example row.",
    },
    "imp_step_upload": {"zh": "保存后在下面上传。", "en": "Save it and upload it below."},
    "imp_file": {"zh": "电子表格文件（.xlsx 或 .csv）", "en": "Spreadsheet file (.xlsx or .csv)"},
    "imp_file_hint": {
        "zh": "最大 {mb} MB，最多 {rows} 行。",
        "en": "At most {mb} MB and {rows} rows.",
    },
    "imp_upload_button": {"zh": "上传并检查", "en": "Upload and check"},
    "imp_viewer_note": {
        "zh": "您的角色可以查看导入，但不能上传。模板：",
        "en": "Your role can see imports but not upload. Templates:",
    },
    "imp_columns": {"zh": "表格的列", "en": "The spreadsheet's columns"},
    "imp_column_header": {"zh": "列标题", "en": "Column header"},
    "imp_column_required": {"zh": "必填", "en": "Required"},
    "imp_yes": {"zh": "是", "en": "yes"},
    "imp_recent": {"zh": "最近的导入", "en": "Recent imports"},
    "imp_none_yet": {"zh": "还没有导入。", "en": "No imports yet."},
    "imp_file_name": {"zh": "文件", "en": "File"},
    "imp_state": {"zh": "状态", "en": "State"},
    "imp_rows": {"zh": "行数", "en": "Rows"},
    "imp_uploaded": {"zh": "上传时间", "en": "Uploaded"},
    "imp_state_validating": {"zh": "检查中", "en": "Being checked"},
    "imp_state_invalid": {"zh": "有问题，未写入", "en": "Has problems, nothing written"},
    "imp_state_ready": {"zh": "待确认", "en": "Waiting for your confirmation"},
    "imp_state_writing": {"zh": "写入中", "en": "Being written"},
    "imp_state_written": {"zh": "已写入", "en": "Written"},
    "imp_state_unchanged": {"zh": "已导入过，未写入新内容", "en": "Already imported, nothing new written"},
    "imp_state_failed": {"zh": "无法读取", "en": "Could not be read"},
    "imp_state_expired": {"zh": "已过期", "en": "Expired"},
    "imp_state_discarded": {"zh": "已放弃", "en": "Discarded"},
    "imp_no_file": {"zh": "请选择要上传的文件。", "en": "Choose a file to upload."},
    "imp_empty": {"zh": "文件是空的。", "en": "The file is empty."},
    "imp_busy": {
        "zh": "本机构已有几个文件正在检查或写入。请等它们完成后再上传。",
        "en": "Several of your institution's files are still being checked or written. Wait until they finish, "
        "then upload again.",
    },
    "imp_too_large": {
        "zh": "文件超过 {limit} MB。请把它分成几个较小的文件。",
        "en": "The file is larger than {limit} MB. Split it into smaller files.",
    },
    "imp_page_title": {"zh": "导入：{file}", "en": "Import: {file}"},
    "imp_back": {"zh": "返回导入列表", "en": "Back to the imports"},
    "imp_validating": {"zh": "检查进度", "en": "Checking"},
    "imp_reading": {"zh": "正在读取文件……", "en": "Reading the file…"},
    "imp_rows_validated": {"zh": "已检查 {done} / {total} 行。", "en": "{done} of {total} rows checked."},
    "imp_writing": {"zh": "写入进度", "en": "Writing"},
    "imp_rows_written": {"zh": "已写入 {done} / {total} 项成果。", "en": "{done} of {total} achievements written."},
    "imp_writing_elsewhere": {
        "zh": "正在写入账本，完成后此页面会显示结果。",
        "en": "It is being written to the ledger; this page shows the result when it is done.",
    },
    "imp_reload_note": {
        "zh": "此页面每 2 秒自动刷新；可以离开，稍后再回来查看。",
        "en": "This page reloads itself every 2 seconds; you can leave and come back later.",
    },
    "imp_notices": {"zh": "提示", "en": "Notes"},
    "imp_problems": {"zh": "需要修改的地方", "en": "What needs fixing"},
    "imp_invalid_intro": {
        "zh": "发现 {count} 个问题，没有写入任何内容。请在表格中修改后重新上传整个文件。",
        "en": "{count} problems were found and nothing was written. Fix them in the spreadsheet and upload the "
        "whole file again.",
    },
    "imp_failed_intro": {
        "zh": "文件无法读取，没有写入任何内容。",
        "en": "The file could not be read and nothing was written.",
    },
    "imp_row": {"zh": "行", "en": "Row"},
    "imp_row_n": {"zh": "第 {row} 行", "en": "row {row}"},
    "imp_whole_file": {"zh": "整个文件", "en": "whole file"},
    "imp_column": {"zh": "列", "en": "Column"},
    "imp_problem": {"zh": "问题", "en": "Problem"},
    "imp_more_problems": {
        "zh": "另有 {more} 个问题未列出；修改上面的问题后重新上传即可看到。",
        "en": "{more} more problems are not listed; fix those above and upload again to see them.",
    },
    "imp_fix_and_upload": {"zh": "修改后：", "en": "When fixed:"},
    "imp_upload_again": {"zh": "重新上传", "en": "upload again"},
    "imp_preview": {"zh": "预览", "en": "Preview"},
    "imp_preview_intro": {
        "zh": "{rows} 行全部通过检查。确认后将写入：",
        "en": "All {rows} rows passed. Confirming writes:",
    },
    "imp_new_learners": {"zh": "新学习者", "en": "New learners"},
    "imp_linked_learners": {"zh": "与银行已有学习者关联", "en": "Linked to learners the bank holds"},
    "imp_known_learners": {"zh": "本机构已登记的学习者", "en": "Learners already enrolled here"},
    "imp_new_achievements": {"zh": "新成果", "en": "New achievements"},
    "imp_unchanged_achievements": {"zh": "已记录、不变的成果", "en": "Achievements already recorded, unchanged"},
    "imp_commit": {"zh": "写入账本", "en": "Write to the ledger"},
    "imp_commit_hint": {
        "zh": "整个文件一次写入，要么全部成功，要么什么都不写。",
        "en": "The whole file is written at once: all of it, or nothing.",
    },
    "imp_discard": {"zh": "放弃此导入", "en": "Discard this import"},
    "imp_cannot_commit": {
        "zh": "此导入现在不能确认：只有通过检查、等待确认的导入才能写入。",
        "en": "This import cannot be confirmed now: only a checked import waiting for confirmation can be written.",
    },
    "imp_nothing_new": {
        "zh": "文件中的所有行都已经导入过：确认不会向账本追加任何内容。",
        "en": "Every row of this file was already imported: confirming will append nothing to the ledger.",
    },
    "imp_unchanged": {
        "zh": "这个文件已经导入过：所有行都已在账本中，没有写入任何新内容。",
        "en": "This file was already imported: every row is already in the ledger, and nothing was appended.",
    },
    "imp_written": {"zh": "已写入账本", "en": "Written to the ledger"},
    "imp_written_intro": {"zh": "已写入 {rows} 项成果。", "en": "{rows} achievements were written."},
    "imp_letters": {"zh": "激活信", "en": "Activation letters"},
    "imp_letters_intro": {
        "zh": "{count} 位新学习者没有电子邮箱。请打印激活信并交给学习者本人，每人一页。",
        "en": "{count} new learners have no e-mail. Print their activation letters, one page each, and hand them "
        "over in person.",
    },
    "imp_letters_warning": {
        "zh": "每次打印都会生成新的激活码：之前打印的激活信上的激活码将失效。打印前需要再次输入密码和验证码。",
        "en": "Each printing makes new codes: the codes on any letters printed before stop working. You confirm "
        "with your password and code first.",
    },
    "imp_letters_button": {"zh": "打印激活信（PDF）", "en": "Print the activation letters (PDF)"},
    "imp_no_letters": {
        "zh": "没有需要激活信的学习者（可能已经开通账户）。",
        "en": "No learner of this import is waiting for a letter (they may have opened their accounts).",
    },
    "imp_gone_expired": {
        "zh": "此导入已过期，文件已删除。",
        "en": "This import expired and its file was deleted.",
    },
    "imp_gone_discarded": {"zh": "此导入已放弃，文件已删除。", "en": "This import was discarded and its file deleted."},
}

WORDS: dict[str, dict[str, str]] = {**_NAV, **_FIND, **_LEARNER, **_CORRECT, **_IMPORTS}
assert len(WORDS) == len(_NAV) + len(_FIND) + len(_LEARNER) + len(_CORRECT) + len(_IMPORTS), "a word defined twice"
