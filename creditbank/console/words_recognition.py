"""Words of the recognition pages: the reviewer's queue and decisions, the admin's desk, the registrar's
applications."""

from __future__ import annotations

_PAGES: dict[str, dict[str, str]] = {
    "rec_nav": {"zh": "学习成果认定", "en": "Recognition"},
    "rec_title": {"zh": "学习成果认定申请", "en": "Applications for recognition"},
    "rec_queue_intro": {
        "zh": "学习者或机构提交证明材料，申请认定其学习成果。逐项认定或不予认定，并说明理由；"
        "学习者可申诉一次，由另一位审核人员作出最终决定。",
        "en": "A learner or an institution hands in evidence and asks for the learning to be recognized. Recognize "
        "or refuse each item, with a reason; the learner may appeal once, and another reviewer then decides finally.",
    },
    "rec_q_mine": {"zh": "分配给您的申请", "en": "Assigned to you"},
    "rec_q_appeals": {"zh": "申诉", "en": "Appeals"},
    "rec_q_unassigned": {"zh": "尚未分配审核人员", "en": "Waiting for a reviewer"},
    "rec_q_reviewing": {"zh": "审核中", "en": "Under review"},
    "rec_q_decided": {"zh": "已决定（按申请时间由新到旧）", "en": "Decided (newest applications first)"},
    "rec_section_empty": {"zh": "没有。", "en": "None."},
    "rec_col_application": {"zh": "申请", "en": "Application"},
    "rec_col_learner": {"zh": "学习者", "en": "Learner"},
    "rec_col_framework": {"zh": "资历框架", "en": "Framework"},
    "rec_col_applied": {"zh": "申请时间 (UTC)", "en": "Applied (UTC)"},
    "rec_col_items": {"zh": "项数", "en": "Items"},
    "rec_col_state": {"zh": "状态", "en": "State"},
    "rec_col_reviewer": {"zh": "审核人员", "en": "Reviewer"},
    "rec_col_due": {"zh": "截止日期", "en": "Due"},
    "rec_col_decision": {"zh": "决定", "en": "Decision"},
    "rec_col_item": {"zh": "项", "en": "Item"},
    "rec_overdue": {"zh": "已逾期", "en": "overdue"},
    "rec_unassigned": {"zh": "未分配", "en": "not assigned"},
    "rec_automatic": {"zh": "自动认定", "en": "automatic"},
    "rec_you": {"zh": "您", "en": "you"},
    "rec_another_reviewer": {"zh": "另一位审核人员", "en": "another reviewer"},
    "rec_state_submitted": {"zh": "已提交，待分配", "en": "Handed in, waiting for a reviewer"},
    "rec_state_under_review": {"zh": "审核中", "en": "Under review"},
    "rec_state_decided": {"zh": "已决定（可申诉）", "en": "Decided (may be appealed)"},
    "rec_state_appealed": {"zh": "申诉中", "en": "Appealed"},
    "rec_state_final": {"zh": "申诉已决定（最终）", "en": "Appeal decided (final)"},
    "rec_state_withdrawn": {"zh": "已撤回", "en": "Withdrawn"},
    "rec_state_revoked": {"zh": "决定已撤销", "en": "Decision revoked"},
    "rec_kind_credential": {"zh": "数字凭证（JSON）", "en": "Credential (JSON)"},
    "rec_kind_pdf": {"zh": "PDF 证书（内含凭证）", "en": "PDF certificate (with its credential)"},
    "rec_kind_document": {"zh": "扫描文件", "en": "Scanned document"},
    "rec_verdict_valid": {"zh": "有效：各项核验均通过", "en": "Valid: every check passed"},
    "rec_verdict_authentic_unchecked": {
        "zh": "真实，但未能完全核验（例如状态无法查询）",
        "en": "Authentic, not fully checked (the status, say, could not be read)",
    },
    "rec_verdict_none": {
        "zh": "无法自动核验：扫描文件须由您判断",
        "en": "Cannot be verified by the bank: a scanned document is yours to judge",
    },
    "rec_trust_own": {"zh": "本银行签发", "en": "Issued by this bank"},
    "rec_trust_listed": {"zh": "在本银行的可信签发方名单上", "en": "On this bank's trust list"},
    "rec_trust_not_listed": {
        "zh": "现已不在可信签发方名单上（申请时在名单上）",
        "en": "No longer on the trust list (it was when the application was made)",
    },
    "rec_summary": {
        "zh": "认定 {recognized} 项（{credits} 学分），不予认定 {refused} 项",
        "en": "{recognized} recognized ({credits} credits), {refused} refused",
    },
    "rec_reasons": {"zh": "理由", "en": "Reasons"},
    "rec_item_n": {"zh": "第 {n} 项", "en": "Item {n}"},
    "rec_recognized_credits": {"zh": "认定 {credits} 学分", "en": "recognized, {credits} credits"},
    "rec_recognized": {"zh": "予以认定", "en": "Recognized"},
    "rec_refused": {"zh": "不予认定", "en": "Refused"},
    "rec_detail_title": {"zh": "认定申请 {id}", "en": "Application {id}"},
    "rec_back_queue": {"zh": "← 返回申请列表", "en": "← Back to the applications"},
    "rec_application": {"zh": "申请", "en": "Application"},
    "rec_qualification": {"zh": "申请用于资格", "en": "Toward the qualification"},
    "rec_applicant": {"zh": "申请人", "en": "Handed in by"},
    "rec_applicant_learner": {"zh": "学习者本人或本银行", "en": "The learner, or the bank's desk"},
    "rec_appeal_until": {"zh": "可申诉至", "en": "Appeal possible until"},
    "rec_items": {"zh": "申请认定的学习", "en": "The learning to recognize"},
    "rec_description": {"zh": "说明", "en": "Description"},
    "rec_description_gone": {
        "zh": "（学习者的个人信息已删除，说明随之删除）",
        "en": "(removed with the learner's personal data)",
    },
    "rec_verdict": {"zh": "核验结果", "en": "Verification"},
    "rec_issuer": {"zh": "签发方", "en": "Issuer"},
    "rec_completed": {"zh": "完成日期", "en": "Completed"},
    "rec_stated_credits": {"zh": "凭证所载学分", "en": "Credits the credential states"},
    "rec_suggestion": {"zh": "名单映射建议", "en": "The mapping suggests"},
    "rec_suggestion_text": {
        "zh": "{credits} 学分 · 级别 {level} · 类别 {category} · 成果 {outcome}",
        "en": "{credits} credits · level {level} · category {category} · outcome {outcome}",
    },
    "rec_no_suggestion": {"zh": "无建议，请自行判断", "en": "No suggestion: yours to judge"},
    "rec_evidence": {"zh": "证明材料", "en": "Evidence"},
    "rec_download": {"zh": "下载文件 {n}", "en": "Download file {n}"},
    "rec_evidence_files": {"zh": "证明材料文件", "en": "Evidence files"},
    "rec_evidence_intro": {
        "zh": "文件由申请人上传，只作下载，不在控制台中打开。请在不联网的查看器中打开，切勿运行其中的内容。",
        "en": "The files were uploaded by the applicant and are only downloaded, never opened in the console. Open "
        "them in a viewer you trust; do not follow links or run anything in them.",
    },
    "rec_decisions": {"zh": "决定", "en": "Decisions"},
    "rec_first_decision": {"zh": "原决定", "en": "First decision"},
    "rec_final_decision": {"zh": "申诉决定（最终）", "en": "Appeal decision (final)"},
    "rec_appealed_at": {
        "zh": "学习者已对原决定提出申诉（账本序号 {seq}）。",
        "en": "The first decision was appealed (ledger seq {seq}).",
    },
    "rec_basis_review": {"zh": "经审核决定", "en": "Decided on review"},
    "rec_basis_trust_list": {
        "zh": "依可信签发方名单的映射自动认定",
        "en": "Recognized at once by the trust list's mapping",
    },
    "rec_rules": {"zh": "规则集 {rules}", "en": "rule set {rules}"},
    "rec_outcome": {"zh": "名录成果", "en": "Catalogue outcome"},
    "rec_reason": {"zh": "理由", "en": "Reason"},
    "rec_lines": {"zh": "计入学分账户", "en": "In the learner's credit account"},
    "rec_line_state": {"zh": "状态", "en": "Standing"},
    "rec_line_reverses": {"zh": "冲销 #{seq}", "en": "reverses #{seq}"},
    "rec_line_reversed": {"zh": "已被 #{seq} 冲销", "en": "reversed by #{seq}"},
    "rec_line_stands": {"zh": "有效", "en": "stands"},
    "rec_decide": {"zh": "作出决定", "en": "Decide"},
    "rec_decide_final": {"zh": "对申诉作出最终决定", "en": "Decide the appeal (final)"},
    "rec_decide_intro": {
        "zh": "每一项都须认定或不予认定，并写明理由。可以只认定部分项目。理由写入账本，请勿写入学习者的姓名、"
        "证件号码等个人信息。",
        "en": "Recognize or refuse every item, each with a reason; recognizing some and refusing others is normal. "
        "Reasons go into the ledger: never the learner's name, ID number or other personal data.",
    },
    "rec_choice": {"zh": "决定", "en": "Decision"},
    "rec_choose_recognize": {"zh": "予以认定", "en": "Recognize"},
    "rec_choose_refuse": {"zh": "不予认定", "en": "Refuse"},
    "rec_credits_field": {"zh": "认定学分", "en": "Credits to recognize"},
    "rec_credits_hint": {
        "zh": "认定时必填：大于 0，最多两位小数，按本框架的学分计。",
        "en": "Needed to recognize: more than 0, at most two decimals, in this framework's credits.",
    },
    "rec_as_suggested": {
        "zh": "按建议（名录成果、名单映射或规则集）",
        "en": "As suggested (the outcome, the mapping or the rule set)",
    },
    "rec_no_outcome": {"zh": "不对应名录成果", "en": "No catalogue outcome"},
    "rec_outcome_facts": {"zh": "级别 {level}，{credits} 学分", "en": "level {level}, {credits} credits"},
    "rec_reason_hint": {"zh": "必填，最多 1000 字。", "en": "Required; at most 1,000 characters."},
    "rec_decide_button": {"zh": "写入决定", "en": "Record the decision"},
    "rec_hint_not_reviewer": {"zh": "只有审核人员可以作出决定。", "en": "Only a reviewer decides applications."},
    "rec_hint_closed": {
        "zh": "此申请目前没有待作的决定。",
        "en": "There is nothing to decide on this application now.",
    },
    "rec_admin": {"zh": "管理", "en": "Administration"},
    "rec_assign_login": {"zh": "分配给审核人员（登录名）", "en": "Assign to the reviewer (login)"},
    "rec_assign_hint": {
        "zh": "与申请机构有关联的审核人员不能审核；申诉须由作出原决定之外的审核人员审核。",
        "en": "A reviewer affiliated with the applying institution cannot take it; an appeal goes to another "
        "reviewer than the one who decided.",
    },
    "rec_assign": {"zh": "分配", "en": "Assign"},
    "rec_revoke_reason": {"zh": "撤销决定的理由", "en": "Reason for revoking the decision"},
    "rec_revoke_hint": {
        "zh": "撤销后，此决定计入的学分全部冲销。须再次输入密码和验证码。理由写入账本，请勿写入个人信息。",
        "en": "Revoking reverses every credit the decision gave. Password and code are asked for again. The reason "
        "goes into the ledger: no personal data.",
    },
    "rec_revoke": {"zh": "撤销决定", "en": "Revoke the decision"},
    "rec_admin_nothing": {"zh": "此申请已结束，无可操作。", "en": "This application is closed; nothing to do."},
    "rec_decided": {"zh": "决定已写入账本。", "en": "The decision is written to the ledger."},
    "rec_assigned": {"zh": "已分配，已写入账本。", "en": "Assigned and written to the ledger."},
    "rec_revoked": {"zh": "决定已撤销，学分已冲销。", "en": "The decision is revoked and its credits reversed."},
    "rec_applied": {"zh": "申请已提交。", "en": "The application is handed in."},
    # The institution's side.
    "rec_institution_intro": {
        "zh": "本机构代学习者提交的认定申请及其状态。",
        "en": "The applications your institution handed in for its learners, and where each one stands.",
    },
    "rec_institution_list": {"zh": "本机构的申请", "en": "Your institution's applications"},
    "rec_none_yet": {"zh": "还没有申请。", "en": "No applications yet."},
    "rec_apply_link": {"zh": "代学习者申请认定", "en": "Apply for a learner"},
    "rec_apply_title": {"zh": "代学习者申请学习成果认定", "en": "Apply for recognition for a learner"},
    "rec_back_list": {"zh": "← 返回本机构的申请", "en": "← Back to your institution's applications"},
    "rec_apply_intro": {
        "zh": "学习者须已在本机构注册。本银行先核验凭证；来自可信签发方且有映射的凭证立即认定，其余交由审核人员审核。",
        "en": "The learner must be enrolled with your institution. The bank verifies credentials first; one from a "
        "trusted issuer with a mapping is recognized at once, the rest go to a bank reviewer.",
    },
    "rec_learner_field": {"zh": "学习者编号", "en": "Learner id"},
    "rec_learner_hint": {"zh": "以 lrn_ 开头，见学习者页面。", "en": "Starts with lrn_; see the learner's page."},
    "rec_qualification_field": {"zh": "用于资格（可选）", "en": "Toward a qualification (optional)"},
    "rec_no_qualification": {"zh": "不指定", "en": "None in particular"},
    "rec_files_intro": {
        "zh": "最多 {count} 个文件，每个最大 {limit} MB，合计最大 {total} MB。",
        "en": "Up to {count} files, each at most {limit} MB, {total} MB together.",
    },
    "rec_file_n": {"zh": "文件 {n}", "en": "File {n}"},
    "rec_file": {"zh": "文件", "en": "File"},
    "rec_file_hint": {
        "zh": "数字凭证（JSON）、PDF 证书，或扫描文件（PDF、PNG、JPEG）。文件类型按内容判断。",
        "en": "A credential (JSON), a PDF certificate, or a scanned document (PDF, PNG, JPEG). The kind is told from "
        "the bytes.",
    },
    "rec_description_hint": {
        "zh": "扫描文件必填：写明它证明的学习（课程、学时、考核），最多 2000 字。",
        "en": "Needed for a scanned document: the learning it shows (course, hours, assessment); at most 2,000 "
        "characters.",
    },
    "rec_apply_button": {"zh": "提交申请", "en": "Hand in the application"},
}

_ERRORS: dict[str, dict[str, str]] = {
    "rec_err_decision": {"zh": "请选择予以认定或不予认定。", "en": "Choose to recognize or to refuse this item."},
    "rec_err_credits_required": {"zh": "认定时请填写学分。", "en": "Give the credits to recognize."},
    "rec_err_credits_number": {
        "zh": "学分须为数字，例如 2 或 2.5。",
        "en": "Credits must be a number, such as 2 or 2.5.",
    },
    "rec_err_credits_range": {
        "zh": "学分须大于 0 且不超过上限。",
        "en": "Credits must be more than 0 and within the limit.",
    },
    "rec_err_credits_cents": {"zh": "学分最多两位小数。", "en": "Credits have at most two decimals."},
    "rec_err_level": {"zh": "请选择本框架的一个级别。", "en": "Choose one of this framework's levels."},
    "rec_err_category": {"zh": "请选择本框架的一个类别。", "en": "Choose one of this framework's categories."},
    "rec_err_outcome": {
        "zh": "这不是本框架已批准的名录成果。",
        "en": "That is not an approved catalogue outcome of this framework.",
    },
    "rec_err_reason_required": {"zh": "请写明理由。", "en": "Give the reason."},
    "rec_err_reason_long": {
        "zh": "理由太长（最多 1000 字）。",
        "en": "The reason is too long (at most 1,000 characters).",
    },
    "rec_err_reason_personal": {
        "zh": "理由中含有学习者的个人信息（姓名、证件号码、出生日期等），请删去。",
        "en": "The reason names the learner (a name, an ID number, a birth date …); leave that out.",
    },
    "rec_err_control": {
        "zh": "文字中含有无法保存的控制字符。",
        "en": "The text holds control characters that cannot be kept.",
    },
    "rec_err_already_counted": {
        "zh": "这项学习已计入学分账户，同一学习不会重复计入。",
        "en": "This learning is counted already; the same learning is never counted twice.",
    },
    "rec_err_affiliated": {
        "zh": "您与申请机构有关联，不能审核此申请；管理员会分配给另一位审核人员。",
        "en": "You are affiliated with the institution that applied, so you may not decide this; an admin assigns it "
        "to another reviewer.",
    },
    "rec_err_first_reviewer": {
        "zh": "原决定是您作出的，申诉须由另一位审核人员决定。",
        "en": "You made the first decision; another reviewer decides the appeal.",
    },
    "rec_err_not_assigned": {
        "zh": "此申请已分配给另一位审核人员；管理员可以重新分配。",
        "en": "This application is assigned to another reviewer; an admin can reassign it.",
    },
    "rec_err_not_open": {
        "zh": "此申请的状态已改变，无法进行此操作。请刷新页面。",
        "en": "The application's state has changed, so this cannot be done now. Reload the page.",
    },
    "rec_err_reviewer_required": {"zh": "请填写审核人员的登录名。", "en": "Give the reviewer's login."},
    "rec_err_reviewer_unknown": {
        "zh": "没有这个在职的员工账户。",
        "en": "There is no active staff account by that login.",
    },
    "rec_err_reviewer_role": {"zh": "此账户不是审核人员。", "en": "That account is not a reviewer."},
    "rec_err_learner": {
        "zh": "本机构没有注册这个学习者编号。",
        "en": "No learner with this id is enrolled with your institution.",
    },
    "rec_err_erased": {
        "zh": "此学习者的个人信息已删除，不能再申请。",
        "en": "This learner was erased; no application can be made.",
    },
    "rec_err_too_many": {
        "zh": "此学习者待决定的申请已达上限，请等待已有申请决定后再申请。",
        "en": "This learner has as many applications waiting as one may; wait for a decision first.",
    },
    "rec_err_framework": {
        "zh": "请选择一个有生效规则集的资历框架。",
        "en": "Choose a framework with a rule set in force.",
    },
    "rec_err_qualification": {"zh": "此框架中没有这个资格。", "en": "This framework has no such qualification."},
    "rec_err_evidence_required": {"zh": "请至少上传一个文件。", "en": "Choose at least one file."},
    "rec_err_evidence_many": {"zh": "文件太多。", "en": "Too many files."},
    "rec_err_evidence_large": {"zh": "文件合计太大。", "en": "The files are too large together."},
    "rec_err_already_applied": {
        "zh": "这项学习已在一份待决定的申请中。",
        "en": "This learning is in an application awaiting a decision already.",
    },
    "rec_err_duplicate": {"zh": "同一项学习在申请中出现了两次。", "en": "The same learning appears twice."},
    "rec_err_no_learning": {"zh": "证明材料中没有可认定的学习。", "en": "The evidence names no learning to recognize."},
    "rec_err_not_applicants": {
        "zh": "证明材料中的凭证不属于这位学习者。",
        "en": "A credential in the evidence does not belong to this learner.",
    },
    "rec_err_file_empty": {"zh": "文件是空的。", "en": "The file is empty."},
    "rec_err_file_large": {"zh": "文件太大。", "en": "The file is too large."},
    "rec_err_file_type": {
        "zh": "只接受数字凭证（JSON）、PDF 证书或扫描文件（PDF、PNG、JPEG）。",
        "en": "Only a credential (JSON), a PDF certificate or a scanned document (PDF, PNG, JPEG) is taken.",
    },
    "rec_err_description": {
        "zh": "扫描文件须说明它证明的学习。",
        "en": "Describe the learning the scanned document shows.",
    },
    "rec_err_description_long": {
        "zh": "说明太长（最多 2000 字）。",
        "en": "The description is too long (at most 2,000 characters).",
    },
}

WORDS: dict[str, dict[str, str]] = {**_PAGES, **_ERRORS}
