"""Words of the admin's erasure page."""

from __future__ import annotations

WORDS: dict[str, dict[str, str]] = {
    "era_nav": {"zh": "删除个人信息", "en": "Erasure"},
    "era_title": {"zh": "删除学习者的个人信息", "en": "Erase a learner's personal data"},
    "era_intro": {
        "zh": "删除后，学习者的姓名、出生日期、证件号码和电子邮箱及其密钥将被永久销毁，账户关闭；"
        "学习记录以化名保留在账本中，无法再与此人关联。此操作无法撤销。",
        "en": "Erasure destroys the learner's names, birth date, ID number and e-mail and their key for good, and "
        "closes the account; the records stay in the ledger under the pseudonym and can no longer be linked to the "
        "person. This cannot be undone.",
    },
    "era_learner": {"zh": "学习者编号（lrn_ 开头）", "en": "Learner id (starts with lrn_)"},
    "era_again": {"zh": "再次输入学习者编号以确认", "en": "Type the learner id again to confirm"},
    "era_submit": {"zh": "永久删除个人信息", "en": "Erase for good"},
    "era_done": {
        "zh": "已删除 {learner} 的个人信息，账本条目序号 {seq}。",
        "en": "The personal data of {learner} is erased; ledger entry {seq}.",
    },
    "era_err_id": {
        "zh": "这不是学习者编号：应为 lrn_ 加 20 个字母或数字。",
        "en": "That is not a learner id: lrn_ followed by 20 letters and digits.",
    },
    "era_err_again": {"zh": "两次输入的学习者编号不一致。", "en": "The two learner ids differ."},
    "era_err_unknown": {"zh": "没有这个学习者。", "en": "There is no such learner."},
    "era_err_already": {"zh": "此学习者的个人信息已经删除。", "en": "This learner's personal data was already erased."},
}
