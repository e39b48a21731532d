"""The portal's words in Chinese and English, and the visitor's language choice (a cookie, default Chinese)."""

from __future__ import annotations

from flask import g, request

from creditbank.portal.recognition_words import RECOGNITION_WORDS
from creditbank.portal.verify_words import VERIFY_WORDS

LANGUAGES = ("zh", "en")
COOKIE = "lang"

MESSAGES: dict[str, dict[str, str]] = {
    "bank": {"zh": "终身学习学分银行", "en": "Lifelong Learning Credit Bank"},
    "switch_to": {"zh": "English", "en": "中文"},
    "skip": {"zh": "跳到正文", "en": "Skip to content"},
    "nav_record": {"zh": "我的学习记录", "en": "My record"},
    "nav_credits": {"zh": "我的学分", "en": "My credits"},
    "nav_documents": {"zh": "证书与成绩单", "en": "Documents"},
    "nav_password": {"zh": "修改密码", "en": "Change password"},
    "nav_verify": {"zh": "验证证书", "en": "Verify a certificate"},
    "logout": {"zh": "退出登录", "en": "Log out"},
    "login": {"zh": "登录", "en": "Log in"},
    "login_title": {"zh": "学习者登录", "en": "Learner login"},
    "login_id": {"zh": "电子邮箱或登录名", "en": "E-mail or login name"},
    "login_hint": {
        "zh": "激活账户时填写的电子邮箱或选择的登录名（不是证书上的学习者编号）。",
        "en": "The e-mail or login name you chose when activating (not the learner id on your certificates).",
    },
    "password": {"zh": "密码", "en": "Password"},
    "password_again": {"zh": "再次输入密码", "en": "Password again"},
    "password_hint": {"zh": "至少 10 个字符", "en": "At least 10 characters"},
    "current_password": {"zh": "当前密码", "en": "Current password"},
    "new_password": {"zh": "新密码", "en": "New password"},
    "save": {"zh": "保存", "en": "Save"},
    "password_changed": {"zh": "密码已修改。", "en": "Your password has been changed."},
    "activate_title": {"zh": "激活账户", "en": "Activate your account"},
    "activate_intro": {
        "zh": "请输入学校或机构给您的激活码和您的出生日期，设置密码，"
        "并选择登录名或填写电子邮箱（至少一项），以后用它登录。",
        "en": "Enter the activation code your institution gave you and your birth date, choose a password, and choose "
        "a login name or give an e-mail (at least one): you will log in with it.",
    },
    "activation_code": {"zh": "激活码", "en": "Activation code"},
    "email_optional": {"zh": "电子邮箱（可选，用于登录）", "en": "E-mail (optional, for logging in)"},
    "birth_date": {"zh": "出生日期", "en": "Birth date"},
    "birth_date_hint": {"zh": "格式：1958-03-04", "en": "Written like 1958-03-04"},
    "login_name_optional": {"zh": "登录名（可选）", "en": "Login name (optional)"},
    "login_name_hint": {
        "zh": "3 至 64 个英文字母、数字或 . _ -，不区分大小写",
        "en": "3 to 64 letters, digits or . _ -; capitals do not matter",
    },
    "activate": {"zh": "激活", "en": "Activate"},
    "no_account": {"zh": "还没有账户？", "en": "No account yet?"},
    "activated": {"zh": "账户已激活，请登录。", "en": "Your account is active. Please log in."},
    "logged_out": {"zh": "您已退出登录。", "en": "You have logged out."},
    "record_title": {"zh": "我的学习记录", "en": "My lifelong learning record"},
    "record_pages": {"zh": "记录分页", "en": "Pages of the record"},
    "page_newer": {"zh": "← 较新的记录", "en": "← Newer"},
    "page_older": {"zh": "较早的记录 →", "en": "Older →"},
    "page_of": {"zh": "第 {page} 页，共 {pages} 页", "en": "Page {page} of {pages}"},
    "record_empty": {"zh": "还没有学习记录。", "en": "Nothing has been recorded yet."},
    "institution": {"zh": "机构", "en": "Institution"},
    "completed": {"zh": "完成日期", "en": "Completed"},
    "credits": {"zh": "学分", "en": "Credits"},
    "native_credits": {"zh": "原学分／学时", "en": "Credits / hours as recorded"},
    "level": {"zh": "级别", "en": "Level"},
    "category": {"zh": "类别", "en": "Category"},
    "status": {"zh": "状态", "en": "Status"},
    "status_recorded": {"zh": "已记录", "en": "Recorded"},
    "status_corrected": {"zh": "已更正", "en": "Corrected"},
    "status_revoked": {"zh": "已撤销", "en": "Revoked"},
    "history": {"zh": "变更记录", "en": "History"},
    "ledger_at": {"zh": "记录于账本第 {seq} 条", "en": "Recorded in the ledger at #{seq}"},
    "hours": {"zh": "学时", "en": "hours"},
    "credits_title": {"zh": "我的学分", "en": "My credits"},
    "credits_empty": {"zh": "还没有换算的学分。", "en": "No credits have been converted yet."},
    "framework": {"zh": "资历框架", "en": "Framework"},
    "balance": {"zh": "可用学分", "en": "Available"},
    "earned": {"zh": "累计获得", "en": "Earned"},
    "used": {"zh": "已用于资历", "en": "Used for qualifications"},
    "chart_caption": {"zh": "各级别可用学分", "en": "Available credits by level"},
    "progress_title": {"zh": "获取资历的进度", "en": "Progress toward qualifications"},
    "requirement": {"zh": "要求", "en": "Requirement"},
    "needed": {"zh": "需要", "en": "Needed"},
    "counted": {"zh": "已满足", "en": "Counted"},
    "missing": {"zh": "还差", "en": "Missing"},
    "met": {"zh": "已达到", "en": "Met"},
    "not_met": {"zh": "未达到", "en": "Not yet"},
    "awarded": {"zh": "已获得", "en": "Awarded"},
    "documents_title": {"zh": "证书与成绩单", "en": "Certificates and transcripts"},
    "documents_intro": {
        "zh": "每份文件都有签名并记录在账本中，任何人都可以验证。",
        "en": "Every document is signed and recorded in the ledger; anyone can verify it.",
    },
    "make_transcript": {"zh": "生成成绩单", "en": "Create a transcript"},
    "make_certificate": {"zh": "生成证书", "en": "Create a certificate"},
    "download_pdf": {"zh": "下载 PDF", "en": "Download PDF"},
    "download_json": {"zh": "下载 JSON 凭证", "en": "Download JSON credential"},
    "issued_on": {"zh": "签发时间", "en": "Issued"},
    "kind_achievement": {"zh": "学习成果证书", "en": "Achievement certificate"},
    "kind_qualification": {"zh": "资历证书", "en": "Qualification certificate"},
    "kind_transcript": {"zh": "成绩单", "en": "Transcript"},
    "no_documents": {"zh": "还没有生成任何文件。", "en": "No documents yet."},
    "issued_ok": {"zh": "文件已生成。", "en": "The document has been created."},
    "valid": {"zh": "有效", "en": "Valid"},
    "revoked": {"zh": "已撤销", "en": "Revoked"},
    "suspended": {"zh": "已暂停", "en": "Suspended"},
    "error_title": {"zh": "出错了", "en": "Something went wrong"},
    "not_found": {"zh": "找不到该页面。", "en": "That page does not exist."},
    "csrf_failed": {
        "zh": "表单已过期，请刷新页面后重试。",
        "en": "This form has expired. Please reload the page and try again.",
    },
    "too_large": {"zh": "文件太大。", "en": "The file is too large."},
    "unavailable": {
        "zh": "服务暂时无法保存或读取数据，请稍后再试。您的记录没有丢失。",
        "en": "The service cannot store or read data just now. Please try again shortly; no record was lost.",
    },
    "back_home": {"zh": "返回首页", "en": "Back to the home page"},
    "wrong": {"zh": "登录名或密码不正确。", "en": "The login or password is wrong."},
    "throttled": {
        "zh": "失败次数过多，请 15 分钟后再试。",
        "en": "Too many failed attempts. Please wait 15 minutes and try again.",
    },
    "code_unknown": {
        "zh": "激活码或出生日期不正确。",
        "en": "The activation code or the birth date is not right.",
    },
    "code_used": {"zh": "该激活码已经使用过。", "en": "This activation code has already been used."},
    "code_expired": {
        "zh": "激活码已过期，请向您的机构索取新的激活码。",
        "en": "This activation code has expired. Ask your institution for a new one.",
    },
    "password_short": {"zh": "密码至少需要 10 个字符。", "en": "The password must have at least 10 characters."},
    "password_mismatch": {"zh": "两次输入的密码不一致。", "en": "The two passwords are different."},
    "current_wrong": {"zh": "当前密码不正确。", "en": "The current password is wrong."},
    "email_taken": {
        "zh": "该电子邮箱已被其他账户使用。",
        "en": "This e-mail address is already used by another account.",
    },
    "required": {"zh": "请填写此项。", "en": "Please fill this in."},
    "birth_date_invalid": {"zh": "出生日期格式应为 YYYY-MM-DD。", "en": "Write the birth date as YYYY-MM-DD."},
    "email_invalid": {"zh": "这不是有效的电子邮箱地址。", "en": "This is not an e-mail address."},
    "login_name_invalid": {
        "zh": "登录名须为 3 至 64 个英文字母、数字或 . _ -，且不能以 lrn_ 开头。",
        "en": "A login name has 3 to 64 letters, digits, dots, dashes or underscores and does not start with lrn_.",
    },
    "login_name_taken": {
        "zh": "该登录名已被使用，请换一个。",
        "en": "This login name is taken. Please choose another.",
    },
    "login_needed": {
        "zh": "请选择登录名或填写电子邮箱，以后用它登录。",
        "en": "Choose a login name or give an e-mail address: you will log in with it.",
    },
    "home_intro_1": {
        "zh": "您在大学、开放大学、老年大学、职业院校或网上的每一次学习，都记录在公开、签名、任何人都可审计的账本中。",
        "en": "Everything you learn — at a university, an open university, a senior college, a vocational school or "
        "online — is recorded in a public, signed ledger that anyone can audit.",
    },
    "home_intro_2": {
        "zh": "学分按公开的规则换算、累积，可兑换资历；证书和成绩单任何人都能自行验证。",
        "en": "Credits are converted by published rules, add up in your account toward qualifications, and your "
        "certificates can be checked by anyone.",
    },
    "for_learners": {"zh": "学习者", "en": "Learners"},
    "for_learners_text": {
        "zh": "登录查看学习记录、学分和证书",
        "en": "Log in to see your record, credits and certificates",
    },
    "for_institutions": {"zh": "院校与机构", "en": "Institutions"},
    "for_institutions_text": {"zh": "API 文档", "en": "API documentation"},
    "for_verifiers": {"zh": "用人单位与核验方", "en": "Employers and verifiers"},
    "for_verifiers_text": {"zh": "验证证书或成绩单", "en": "Verify a certificate or transcript"},
    "for_auditors": {"zh": "审计", "en": "Auditors"},
    "for_auditors_text": {"zh": "最新签名检查点与日志公钥", "en": "Latest signed checkpoint and the log's key"},
    "verify_title": {"zh": "验证证书", "en": "Verify a certificate"},
    "verify_intro": {
        "zh": "上传证书 PDF 或 JSON 凭证文件，或粘贴 JSON。无需账户。",
        "en": "Upload a certificate PDF or a JSON credential, or paste the JSON. No account needed.",
    },
    "verify_file": {"zh": "证书文件（PDF 或 JSON）", "en": "Certificate file (PDF or JSON)"},
    "verify_paste": {"zh": "或粘贴 JSON", "en": "Or paste the JSON"},
    "verify_name": {"zh": "持有人姓名（可选）", "en": "Holder's name (optional)"},
    "verify_birth": {
        "zh": "持有人出生日期（可选，写成 1952-10-03 或 1952年10月3日）",
        "en": "Holder's birth date (optional, written 1952-10-03 or 1952年10月3日)",
    },
    "verify_button": {"zh": "验证", "en": "Verify"},
    "verify_valid": {"zh": "✔ 有效", "en": "✔ Valid"},
    "verify_invalid": {"zh": "✘ 无效", "en": "✘ Not valid"},
    "verify_need_file": {"zh": "请选择文件或粘贴 JSON。", "en": "Choose a file or paste the JSON."},
    "verify_need_both": {"zh": "请同时填写姓名和出生日期。", "en": "Give both the name and the birth date."},
    "verify_bad_date": {
        "zh": "出生日期请写成 1952-10-03 或 1952年10月3日，并且须是真实存在的日期。",
        "en": "Write the birth date as 1952-10-03 or 1952年10月3日, and as a date that exists.",
    },
    "verify_limit": {
        "zh": "文件超出验证的限制（{limit}：最多 {maximum:g}），未经检查即被拒绝。",
        "en": "The file exceeds a verification limit ({limit}: at most {maximum:g}) and was refused before checking.",
    },
    "verify_budget": {
        "zh": "验证此文件超过了 {maximum:g} 秒的计算时间限制，已被停止：文件未通过验证。",
        "en": "Verifying this file took more than the {maximum:g} s computing budget and was stopped: not verified.",
    },
    "check": {"zh": "检查项目", "en": "Check"},
    "result": {"zh": "结果", "en": "Result"},
    "reason": {"zh": "说明", "en": "Details"},
    "result_pass": {"zh": "✔ 通过", "en": "✔ Passed"},
    "result_fail": {"zh": "✘ 未通过", "en": "✘ Failed"},
    "result_skip": {"zh": "– 未检查", "en": "– Not checked"},
    "check_pdf_signature": {"zh": "PDF 文件的银行签名", "en": "The bank's signature on the PDF file"},
    "check_format": {"zh": "格式", "en": "Format"},
    "check_signature": {"zh": "签名", "en": "Signature"},
    "check_key": {"zh": "签发密钥", "en": "Issuer key"},
    "check_ledger": {"zh": "账本记录", "en": "Ledger record"},
    "check_status": {"zh": "撤销与暂停", "en": "Revocation and suspension"},
    "check_validity": {"zh": "有效期", "en": "Validity dates"},
    "check_identity": {"zh": "持有人身份", "en": "Holder"},
    "invalid": {"zh": "无效", "en": "Not valid"},
    # Authentic but not shown valid: revocation and suspension (or another decisive check) could not be made.
    "verify_authentic_unchecked": {
        "zh": "⚠ 证书真实，但未能检查其撤销与暂停状态：不能据此认定有效",
        "en": "⚠ Authentic, but its revocation and suspension status was not checked: not shown to be valid",
    },
    "credential_title": {"zh": "证书", "en": "Credential"},
    "credential_missing": {"zh": "没有找到这份证书。", "en": "No such credential was issued here."},
    "issuer": {"zh": "签发方", "en": "Issuer"},
    "check_everything": {
        "zh": "如需核对全部内容，请在验证页面上传证书文件。",
        "en": "To check everything, upload the certificate file on the verify page.",
    },
    "nav_share": {"zh": "分享", "en": "Sharing"},
    "nav_data": {"zh": "我的数据", "en": "My data"},
    "share_title": {"zh": "分享我的学习记录", "en": "Share my record"},
    "share_intro": {
        "zh": "生成一个链接，对方无需账户即可查看（只读）。您可以随时撤回。",
        "en": "Create a link that lets someone read your record without an account. You can withdraw it at any time.",
    },
    "share_scope": {"zh": "分享范围", "en": "What to share"},
    "share_whole": {"zh": "全部学习记录", "en": "My whole record"},
    "share_chosen": {"zh": "只分享下面选中的成果", "en": "Only the achievements ticked below"},
    "share_days": {"zh": "有效期", "en": "Open for"},
    "days": {"zh": "{n} 天", "en": "{n} days"},
    "share_create": {"zh": "生成分享链接", "en": "Create the link"},
    "share_created": {"zh": "分享链接（只显示这一次，请复制保存）：", "en": "Your link (shown only now, copy it):"},
    "share_invalid": {"zh": "请选择有效期和要分享的成果。", "en": "Choose how long, and which achievements to share."},
    "share_links": {"zh": "我的分享链接", "en": "My links"},
    "share_none": {"zh": "还没有分享链接。", "en": "No links yet."},
    "share_opens": {"zh": "打开次数", "en": "Opened"},
    "share_expires": {"zh": "到期", "en": "Expires"},
    "share_revoke": {"zh": "撤回", "en": "Withdraw"},
    "share_revoked": {"zh": "链接已撤回。", "en": "The link has been withdrawn."},
    "state_active": {"zh": "有效", "en": "Open"},
    "state_expired": {"zh": "已过期", "en": "Expired"},
    "state_revoked": {"zh": "已撤回", "en": "Withdrawn"},
    "link_closed": {
        "zh": "该分享链接已过期或已被撤回。",
        "en": "This share link has expired or was withdrawn.",
    },
    "shared_title": {"zh": "{name} 的学习记录（只读）", "en": "Learning record of {name} (read-only)"},
    "shared_until": {"zh": "此链接有效至 {when}", "en": "This link is open until {when}"},
    "data_title": {"zh": "我的数据", "en": "My data"},
    "data_export": {
        "zh": "下载学分银行保存的关于我的全部数据（JSON）",
        "en": "Download everything the bank holds about me (JSON)",
    },
    "data_erase_title": {"zh": "删除我的个人信息", "en": "Erase my personal data"},
    "data_erase_explain": {
        "zh": "删除后，您的姓名、出生日期和证件号码将被永久销毁，账户将被关闭，已签发的证书将无法再与您本人对应。"
        "账本中的记录保留，但只包含匿名编号。此操作无法撤销。",
        "en": "Your name, birth date and ID number will be destroyed for good and your account closed; certificates "
        "already issued can no longer be tied to you. Ledger entries stay, holding only a pseudonymous id. This "
        "cannot be undone.",
    },
    "data_erase_confirm": {"zh": "请输入“删除”或 ERASE 以确认", "en": "Type ERASE (or 删除) to confirm"},
    "data_erase_button": {"zh": "永久删除我的个人信息", "en": "Erase my personal data for good"},
    "erase_confirm": {"zh": "请输入“删除”或 ERASE 以确认。", "en": "Type ERASE (or 删除) to confirm."},
    "erased_title": {"zh": "个人信息已删除", "en": "Your personal data has been erased"},
    "erased_body": {
        "zh": "删除已记录在账本中。您的账户已关闭。",
        "en": "The erasure is recorded in the ledger. Your account is closed.",
    },
    **VERIFY_WORDS,
    **RECOGNITION_WORDS,
}


def language() -> str:
    """The visitor's language: the one they chose, else their browser's preference, else Chinese. Worked out once
    per request, since every translated word asks (a record of 500 achievements asked 4,000 times)."""
    known = g.get("language")
    if known is not None:
        return str(known)
    chosen = request.cookies.get(COOKIE, "")
    found = chosen if chosen in LANGUAGES else request.accept_languages.best_match(["zh", "en"]) or "zh"
    g.language = found
    return found


def translate(key: str, **values: object) -> str:
    entry = MESSAGES.get(key)
    if entry is None:
        return key
    text = entry[language()]
    return text.format(**values) if values else text


def pick(value: object) -> str:
    """A {zh, en} value in the visitor's language, falling back to the other one."""
    if isinstance(value, dict):
        first = language()
        other = "en" if first == "zh" else "zh"
        return str(value.get(first) or value.get(other) or "")
    return "" if value is None else str(value)
