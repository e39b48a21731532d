"""The public verify pages' words: what the credential says, the holder comparison, and what each check means.

Kept apart from the portal's catalogue (which merges them in) because there is one explanation per check and
result, and the Chinese ones must read as plain Chinese: a visitor who reads no English learns from them what was
checked, not the engine's English details.
"""

from __future__ import annotations


def _both(zh: str, en: str) -> dict[str, str]:
    return {"zh": zh, "en": en}


SUMMARY: dict[str, dict[str, str]] = {
    "summary_title": _both("证书上写的内容", "What the credential says"),
    "summary_intro": _both("请与您手中的纸质证书逐项核对。", "Compare each line with the paper copy you hold."),
    "summary_document": _both("证书名称", "Title"),
    "summary_issuer": _both("签发方", "Issued by"),
    "summary_achievement": _both("学习成果", "Achievement"),
    "summary_qualification": _both("资历", "Qualification"),
    "summary_institution": _both("颁发机构", "Awarding institution"),
    "summary_code": _both("课程代码", "Course code"),
    "summary_credits": _both("学分", "Credits"),
    "summary_level": _both("级别", "Level"),
    "summary_framework": _both("资历框架", "Qualifications framework"),
    "summary_completed": _both("完成日期", "Completed on"),
    "summary_valid_from": _both("生效日期", "Valid from"),
    "summary_valid_until": _both("有效期至", "Valid until"),
    "summary_no_expiry": _both("长期有效", "Does not expire"),
    "summary_credential_id": _both("证书编号", "Credential id"),
    "summary_ledger_seq": _both("账本记录", "Ledger entry"),
    "summary_ledger_entry": _both("第 {seq} 条（{time}）", "#{seq} ({time})"),
    "summary_ledger_unproved": _both("未能证实", "Not proved"),
    "summary_transcript": _both("成绩单所含的学习成果", "Achievements in this transcript"),
    "identity_title": _both("持有人核对", "Holder check"),
    "identity_matches": _both(
        "✔ 姓名和出生日期与证书持有人一致。", "✔ The name and birth date match the credential's holder."
    ),
    "identity_does_not_match": _both(
        "✘ 与您输入的不一致：您填写的姓名或出生日期与这份证书的持有人不符。"
        "这并不说明证书本身有问题，证书是否有效请看上方的结论。",
        "✘ Does not match what you entered: the name or birth date you gave is not that of this credential's "
        "holder. This says nothing against the credential itself; its verdict is above.",
    ),
    "identity_not_checked": _both(
        "未核对持有人：如需核对，请同时填写姓名和出生日期。",
        "The holder was not checked: give both the name and the birth date to compare them.",
    ),
    "explain_details": _both("技术说明", "Technical details"),
}

# What each check means for each result, one sentence a visitor can act on.
EXPLANATIONS: dict[str, dict[str, str]] = {
    "explain_pdf_signature_pass": _both(
        "整个 PDF 文件带有学分银行的电子签名，签名之后文件没有任何改动。",
        "The whole PDF file carries the bank's electronic signature, and nothing in it was changed after signing.",
    ),
    "explain_pdf_signature_fail": _both(
        "PDF 文件没有学分银行的有效签名，或者签名之后被改动过。",
        "The PDF file has no valid signature by the bank, or it was changed after it was signed.",
    ),
    "explain_pdf_signature_skip": _both("没有检查 PDF 文件的签名。", "The PDF file's signature was not checked."),
    "explain_format_pass": _both(
        "文件是格式正确的学习成果证书或成绩单。", "The file is a well-formed achievement certificate or transcript."
    ),
    "explain_format_fail": _both(
        "文件不是可以识别的证书，或者内容不完整、格式有误。",
        "The file is not a certificate that can be read, or it is incomplete or malformed.",
    ),
    "explain_format_skip": _both("没有检查文件格式。", "The file's format was not checked."),
    "explain_signature_pass": _both(
        "证书上的数字签名属于学分银行，证书内容自签发以来没有被改动。",
        "The digital signature on the credential is the bank's, and nothing in it has changed since it was issued.",
    ),
    "explain_signature_fail": _both(
        "数字签名不成立：这份证书不是学分银行签发的，或者签发后内容被改动过。",
        "The digital signature does not hold: the bank did not issue this credential, or it was changed afterwards.",
    ),
    "explain_signature_skip": _both("没有检查数字签名。", "The digital signature was not checked."),
    "explain_key_pass": _both(
        "签名所用的密钥在签发时是学分银行正在使用的签发密钥。",
        "The key that signed it was the bank's signing key in use when the credential was issued.",
    ),
    "explain_key_fail": _both(
        "签名所用的密钥在签发时不是学分银行有效的签发密钥（已停用、已泄露或尚未启用）。",
        "The key that signed it was not the bank's valid signing key at issuance (retired, compromised or not yet "
        "in use).",
    ),
    "explain_key_skip": _both("没有检查签发密钥。", "The signing key was not checked."),
    "explain_ledger_pass": _both(
        "这份证书的签发记录在学分银行公开的账本中，并由账本签名的检查点证实。",
        "The issuing of this credential is recorded in the bank's public ledger, proved by a signed checkpoint.",
    ),
    "explain_ledger_fail": _both(
        "无法证实这份证书记录在学分银行公开的账本中，或者文件内容与账本记录不符。",
        "The credential could not be shown to be recorded in the bank's public ledger, or the file differs from "
        "the record.",
    ),
    "explain_ledger_skip": _both("没有检查账本记录。", "The ledger record was not checked."),
    "explain_status_pass": _both(
        "证书没有被撤销，也没有被暂停。", "The credential has been neither revoked nor suspended."
    ),
    "explain_status_fail": _both(
        "证书已被撤销或暂停，或者证书上的状态信息与签发时的记录不符。",
        "The credential has been revoked or suspended, or its status details differ from those recorded at issuance.",
    ),
    "explain_status_skip": _both(
        "未能查询证书是否已被撤销或暂停，请向学分银行在线核实。",
        "Whether the credential was revoked or suspended could not be checked: check it online with the bank.",
    ),
    "explain_validity_pass": _both("今天在证书的有效期之内。", "Today is within the credential's period of validity."),
    "explain_validity_fail": _both(
        "证书已过期或尚未生效，或者证书上的日期写法有误。",
        "The credential has expired or is not yet valid, or its dates are not written correctly.",
    ),
    "explain_validity_skip": _both("没有检查有效期。", "The validity dates were not checked."),
    "explain_identity_pass": _both(
        "姓名和出生日期与证书持有人一致。", "The name and birth date match the credential's holder."
    ),
    "explain_identity_fail": _both("与您输入的不一致。", "Does not match what you entered."),
    "explain_identity_skip": _both(
        "没有填写姓名和出生日期，未核对持有人。", "No name and birth date were given, so the holder was not checked."
    ),
}

VERIFY_WORDS: dict[str, dict[str, str]] = {**SUMMARY, **EXPLANATIONS}
