"""The words of the learner's recognition pages, in Chinese and English (merged into the portal's catalogue)."""

from __future__ import annotations

RECOGNITION_WORDS: dict[str, dict[str, str]] = {
    "nav_recognition": {"zh": "学习成果认定", "en": "Recognition"},
    "rec_title": {"zh": "认定我在别处的学习", "en": "Recognition of learning done elsewhere"},
    "rec_intro": {
        "zh": "在别的地方学过的课程、考过的证书，可以申请认定为学分。您上传证明文件，学分银行核验后，"
        "由审核人逐项决定是否认定，并写明理由。",
        "en": "Courses you took and certificates you earned elsewhere can count as credits. You hand in the evidence; "
        "the bank checks it, and a reviewer decides on each piece of learning and gives the reason.",
    },
    "rec_apply": {"zh": "申请认定", "en": "Apply for recognition"},
    "rec_none": {"zh": "您还没有提交过认定申请。", "en": "You have not applied for recognition yet."},
    "rec_list": {"zh": "我的申请", "en": "My applications"},
    "rec_items": {"zh": "申请认定的学习和结果", "en": "The learning and what was decided"},
    "rec_details": {"zh": "查看详情", "en": "See the details"},
    "rec_application": {"zh": "认定申请", "en": "Application for recognition"},
    "rec_applied_on": {"zh": "提交日期：{date}", "en": "Handed in: {date}"},
    "rec_state": {"zh": "进展：", "en": "Where it stands:"},
    "rec_state_submitted": {"zh": "已提交，等待安排审核人", "en": "Handed in, waiting for a reviewer"},
    "rec_state_under_review": {"zh": "正在审核", "en": "Being reviewed"},
    "rec_state_decided": {"zh": "已作出决定", "en": "Decided"},
    "rec_state_appealed": {"zh": "申诉正在审核", "en": "Your appeal is being reviewed"},
    "rec_state_final": {"zh": "最终决定（申诉后）", "en": "Final decision (after your appeal)"},
    "rec_state_withdrawn": {"zh": "已撤回", "en": "Withdrawn"},
    "rec_state_revoked": {"zh": "决定已被撤销", "en": "The decision was revoked"},
    "rec_due": {"zh": "预计在 {date} 前审核完毕", "en": "The review is due by {date}"},
    "rec_appeal_until": {
        "zh": "如果您不同意，可以在 {date}（含当天）之前申诉一次",
        "en": "If you disagree, you may appeal once, until {date} (inclusive)",
    },
    "rec_framework_in": {"zh": "计入：{name}", "en": "Counts in: {name}"},
    "rec_by_institution": {"zh": "由 {name} 代您提交", "en": "Handed in for you by {name}"},
    "rec_aiming_at": {"zh": "目标资历：{name}", "en": "Aiming at: {name}"},
    "rec_kind_document": {"zh": "扫描的证明文件", "en": "Scanned document"},
    "rec_kind_credential": {"zh": "电子凭证", "en": "Digital credential"},
    "rec_kind_pdf": {"zh": "PDF 证书", "en": "PDF certificate"},
    "rec_issuer": {"zh": "签发方：{name}", "en": "Issued by {name}"},
    "rec_recognized": {"zh": "✔ 认定 {credits} 学分", "en": "✔ Recognized: {credits} credits"},
    "rec_refused": {"zh": "✘ 不予认定", "en": "✘ Not recognized"},
    "rec_waiting": {"zh": "尚未决定", "en": "Not decided yet"},
    "rec_reason": {"zh": "理由：{reason}", "en": "Reason: {reason}"},
    "rec_level": {"zh": "第 {level} 级", "en": "level {level}"},
    "rec_automatic": {
        "zh": "这是学分银行信任名单上的签发方签发的有效凭证，已按名单中的对应规则自动认定。",
        "en": "A valid credential from an issuer on this bank's trust list, recognized by the list's mapping.",
    },
    "rec_appeal_over": {"zh": "申诉期已于 {date} 结束。", "en": "The time to appeal ended on {date}."},
    "rec_first_decision": {"zh": "申诉之前的决定", "en": "The decision before your appeal"},
    "rec_your_appeal": {"zh": "您已于账本第 {seq} 条提出申诉。", "en": "You appealed (ledger entry #{seq})."},
    "rec_ledger": {
        "zh": "申请、核验、决定和申诉都记入账本；账本中只有您的匿名编号，文件本身加密保存，不公开。",
        "en": "The application, the checks, the decisions and any appeal are ledger entries holding only your "
        "pseudonymous id; the files themselves are kept sealed, never published.",
    },
    # The form.
    "rec_new_title": {"zh": "申请学分认定", "en": "Apply for recognition"},
    "rec_new_intro": {
        "zh": "请上传证明您学习的文件：学分银行或其他机构签发的电子凭证（JSON）或 PDF 证书，"
        "或者纸质证书、成绩单的扫描件或照片（PDF、PNG 或 JPEG）。扫描件请写明它证明了什么学习。",
        "en": "Hand in what shows your learning: a digital credential (JSON) or PDF certificate from this bank or "
        "another issuer, or a scan or photo of a paper certificate or transcript (PDF, PNG or JPEG). For a scan, "
        "say what learning it shows.",
    },
    "rec_framework": {"zh": "计入哪个资历框架", "en": "The framework it should count in"},
    "rec_qualification": {"zh": "目标资历（可选）", "en": "The qualification you are aiming at (optional)"},
    "rec_qualification_none": {"zh": "不指定", "en": "None in particular"},
    "rec_files": {"zh": "证明文件", "en": "Evidence"},
    "rec_file": {"zh": "文件 {n}", "en": "File {n}"},
    "rec_file_hint": {
        "zh": "一次最多 {count} 个文件，每个最多 {size} MB。第一个必填，其余可以空着。",
        "en": "Up to {count} files at a time, each at most {size} MB. The first is needed; leave the others empty.",
    },
    "rec_description": {"zh": "文件 {n} 证明了什么学习？", "en": "What learning does file {n} show?"},
    "rec_description_hint": {
        "zh": "扫描件必填：例如课程名称、学时、是否经过考核、完成时间。请不要写您的身份证号码。",
        "en": "Needed for a scan: the course, the hours, whether it was assessed, when you finished. Please do not "
        "write your ID number.",
    },
    "rec_submit": {"zh": "提交申请", "en": "Hand in the application"},
    "rec_submitted": {"zh": "申请已提交。", "en": "Your application has been handed in."},
    "rec_back": {"zh": "← 返回我的申请", "en": "← Back to my applications"},
    "rec_unavailable": {
        "zh": "目前没有可以计入的资历框架，暂时不能申请认定。",
        "en": "No framework takes recognized learning at the moment, so you cannot apply just now.",
    },
    "rec_form_problem": {
        "zh": "申请未能提交，请看下面的说明，并重新选择文件。",
        "en": "The application was not handed in: see below, and choose the files again.",
    },
    # Refusals, by what the service found.
    "rec_err_no_file": {"zh": "请至少选择一个文件。", "en": "Choose at least one file."},
    "rec_err_too_many": {"zh": "一次最多上传 {count} 个文件。", "en": "At most {count} files at a time."},
    "rec_err_too_large_all": {"zh": "这些文件加起来太大了。", "en": "These files are too large together."},
    "rec_err_too_large": {
        "zh": "这个文件太大了（最多 {size} MB）。",
        "en": "This file is too large (at most {size} MB).",
    },
    "rec_err_empty": {"zh": "这个文件是空的。", "en": "This file is empty."},
    "rec_err_type": {
        "zh": "这种文件不能作为证明：请上传 PDF、PNG、JPEG 或 JSON 凭证。",
        "en": "This kind of file cannot be evidence: hand in a PDF, PNG, JPEG or a JSON credential.",
    },
    "rec_err_description": {
        "zh": "请写明这份扫描件证明了什么学习。",
        "en": "Say what learning this scanned document shows.",
    },
    "rec_err_description_long": {
        "zh": "说明太长了，最多 {limit} 个字。",
        "en": "The description is too long: at most {limit} characters.",
    },
    "rec_err_characters": {"zh": "说明中有无法保存的字符。", "en": "The text holds characters that cannot be kept."},
    "rec_err_waiting": {
        "zh": "这项学习已经在另一份申请中，正在等待决定。",
        "en": "This learning is already in another application awaiting a decision.",
    },
    "rec_err_counted": {
        "zh": "这项学习已经计入您的学分，同一学习不会重复计算。",
        "en": "This learning already counts in your credits; the same learning never counts twice.",
    },
    "rec_err_duplicate": {
        "zh": "同一项学习在这份申请中出现了两次。",
        "en": "The same learning appears twice in this application.",
    },
    "rec_err_not_yours": {"zh": "这份凭证不是您本人的。", "en": "This credential is not yours."},
    "rec_err_no_learning": {
        "zh": "这些文件中没有可以认定的学习内容。",
        "en": "These files name no learning that could be recognized.",
    },
    "rec_err_not_verified": {"zh": "这份凭证未通过核验：{detail}", "en": "This credential did not verify: {detail}"},
    "rec_err_too_many_open": {
        "zh": "您已有 {open} 份申请正在等待决定，这是同时可以等待的最多份数。请等其中一份有了决定再申请。",
        "en": "{open} of your applications are awaiting a decision, the most that may wait at once. Please apply "
        "again when one of them is decided.",
    },
    "rec_err_framework": {"zh": "请选择资历框架。", "en": "Choose a framework."},
    "rec_err_qualification": {
        "zh": "所选资历不属于这个资历框架。",
        "en": "That qualification is not one of this framework's.",
    },
    # Appeal and withdrawal.
    "rec_appeal_title": {"zh": "申诉", "en": "Appeal"},
    "rec_appeal_intro": {
        "zh": "如果您认为决定有误，可以申诉一次。申诉由另一位审核人处理，其决定为最终决定。",
        "en": "If you think the decision is wrong, you may appeal once. Another reviewer decides, and that decision "
        "is final.",
    },
    "rec_appeal_reason": {"zh": "您为什么不同意这个决定？", "en": "Why do you disagree with the decision?"},
    "rec_appeal_hint": {
        "zh": "理由会长期保存，请不要写您的姓名、身份证号码或出生日期。",
        "en": "The reason is kept for good: please do not write your name, ID number or birth date.",
    },
    "rec_appeal_reason_given": {"zh": "您的申诉理由：{reason}", "en": "Your reason for appealing: {reason}"},
    "rec_appeal_button": {"zh": "提交申诉", "en": "Send the appeal"},
    "rec_appealed": {"zh": "申诉已提交。", "en": "Your appeal has been sent."},
    "rec_err_reason": {"zh": "请写下您申诉的理由。", "en": "Write why you appeal."},
    "rec_err_reason_long": {
        "zh": "理由太长了，最多 {limit} 个字。",
        "en": "The reason is too long: at most {limit} characters.",
    },
    "rec_err_names_you": {
        "zh": "理由中不能出现您的姓名、身份证号码、出生日期或电子邮箱，因为它会长期保存。",
        "en": "The reason must not hold your name, ID number, birth date or e-mail: it is kept for good.",
    },
    "rec_err_appeal_closed": {
        "zh": "这个决定已经不能再申诉了。",
        "en": "This decision can no longer be appealed.",
    },
    "rec_withdraw_title": {"zh": "撤回申请", "en": "Withdraw the application"},
    "rec_withdraw_intro": {
        "zh": "审核完成之前，您可以撤回申请。撤回后审核停止，以后可以重新申请。",
        "en": "Until the review ends you may withdraw. The review then stops; you can apply again later.",
    },
    "rec_withdraw_button": {"zh": "撤回这份申请", "en": "Withdraw this application"},
    "rec_withdraw_appeal_title": {"zh": "撤回申诉", "en": "Withdraw the appeal"},
    "rec_withdraw_appeal_intro": {
        "zh": "撤回申诉后，原来的决定继续有效，并且不能再次申诉。",
        "en": "If you withdraw the appeal, the first decision stands and you cannot appeal again.",
    },
    "rec_withdraw_appeal_button": {"zh": "撤回我的申诉", "en": "Withdraw my appeal"},
    "rec_appeal_withdrawn": {
        "zh": "申诉已撤回，原决定继续有效。",
        "en": "The appeal was withdrawn; the first decision stands.",
    },
    "rec_appeal_was_withdrawn": {
        "zh": "您撤回了申诉，上面的决定继续有效。",
        "en": "You withdrew your appeal; the decision above stands.",
    },
    "rec_withdrawn": {"zh": "申请已撤回。", "en": "The application has been withdrawn."},
    "rec_err_closed": {
        "zh": "这份申请已经不能撤回了（可能已经有了决定）。",
        "en": "This application can no longer be withdrawn (it may have been decided).",
    },
}
