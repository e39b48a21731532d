"""Words of the bank staff's reset letter page."""

from __future__ import annotations

WORDS: dict[str, dict[str, str]] = {
    "rst_nav": {"zh": "重设密码通知", "en": "Reset letters"},
    "rst_home": {
        "zh": "学习者忘记密码时，打印一份带新代码的通知",
        "en": "a learner who forgot their password: a new code on paper",
    },
    "rst_title": {"zh": "打印重设密码通知", "en": "Print a password reset letter"},
    "rst_intro": {
        "zh": "学习者忘记了已有学习账户的密码时，可为其打印重设密码通知。请先当面核实对方身份。"
        "通知上有一个新的一次性重设代码，有效期 {days} 天；以前打印的代码随即作废。"
        "学习者凭代码和出生日期在重设页面设置新密码，其所有登录随之退出。",
        "en": "For a learner who has forgotten the password of the account they already have. Check who they are in "
        "person first. The letter carries a new one-time reset code, valid for {days} days; codes printed before stop "
        "working. The learner gives the code and their birth date on the reset page, sets a new password, and is "
        "signed out everywhere.",
    },
    "rst_no_account_note": {
        "zh": "还没有账户的学习者不能用重设代码，请其向首次登记他的机构领取激活通知。",
        "en": "A learner who has no account yet cannot use a reset code: the institution that first enrolled them "
        "gives the activation letter.",
    },
    "rst_learner": {
        "zh": "学习者编号（lrn_ 开头，印在学习者的证书上）",
        "en": "Learner id (starts with lrn_, printed on the learner's certificates)",
    },
    "rst_submit": {"zh": "打印重设密码通知（PDF）", "en": "Print the reset letter (PDF)"},
    "rst_err_id": {
        "zh": "这不是学习者编号：应为 lrn_ 加 20 个字母或数字。",
        "en": "That is not a learner id: lrn_ followed by 20 letters and digits.",
    },
    "rst_err_unknown": {
        "zh": "没有这个学习者，或其个人信息已经删除。",
        "en": "There is no such learner, or their personal data was erased.",
    },
    "rst_err_no_account": {
        "zh": "此学习者还没有账户，没有打印重设代码。请其向首次登记他的机构领取激活通知。",
        "en": "This learner has no account yet, so no reset code was made. The institution that first enrolled them "
        "gives the activation letter.",
    },
}
