"""Words of signing in and of the console's frame: navigation, set-up, second factor, re-authentication."""

from __future__ import annotations

WORDS: dict[str, dict[str, str]] = {
    "console": {"zh": "学分银行工作台", "en": "Credit bank console"},
    "skip": {"zh": "跳到正文", "en": "Skip to content"},
    "switch_to": {"zh": "English", "en": "中文"},
    "signed_in_as": {"zh": "已登录：{login}（{role}）", "en": "Signed in as {login} ({role})"},
    "role_registrar": {"zh": "注册专员", "en": "registrar"},
    "role_viewer": {"zh": "查看人员", "en": "viewer"},
    "role_reviewer": {"zh": "审核人员", "en": "reviewer"},
    "role_admin": {"zh": "管理员", "en": "admin"},
    "the_bank": {"zh": "学分银行", "en": "the bank"},
    "logout": {"zh": "退出登录", "en": "Sign out"},
    "login_title": {"zh": "工作人员登录", "en": "Staff sign-in"},
    "login_intro": {
        "zh": "请输入登录名、密码，以及手机验证器应用中显示的 6 位验证码。",
        "en": "Enter your login, your password and the 6-digit code shown by the authenticator app on your phone.",
    },
    "login": {"zh": "登录名", "en": "Login"},
    "password": {"zh": "密码", "en": "Password"},
    "password_again": {"zh": "再次输入密码", "en": "Password again"},
    "password_hint": {"zh": "至少 10 个字符", "en": "At least 10 characters"},
    "code": {"zh": "验证码（6 位数字）", "en": "Code (6 digits)"},
    "code_hint": {
        "zh": "打开手机上的验证器应用，输入“学分银行”下显示的当前验证码。",
        "en": "Open the authenticator app on your phone and type the code it shows for the credit bank now.",
    },
    "sign_in": {"zh": "登录", "en": "Sign in"},
    "required": {"zh": "请填写所有栏目。", "en": "Please fill in every field."},
    "wrong": {
        "zh": "登录名、密码或验证码不正确。",
        "en": "The login, password or code is wrong.",
    },
    "throttled": {
        "zh": "失败次数过多，请 15 分钟后再试。",
        "en": "Too many failed attempts. Wait 15 minutes and try again.",
    },
    "setup_title": {"zh": "设置工作人员账户", "en": "Set up your staff account"},
    "setup_intro": {
        "zh": "账户“{login}”（{role}，{where}）。请按以下三步完成设置，此链接只能使用一次。",
        "en": "Account “{login}” ({role}, {where}). Finish setting it up in three steps; this link works once.",
    },
    "setup_step_app": {
        "zh": "在手机上安装验证器应用（任何支持 TOTP 的应用均可），然后扫描下面的二维码。",
        "en": "Install an authenticator app on your phone (any app that supports TOTP) and scan the QR code below.",
    },
    "setup_secret": {
        "zh": "无法扫描时，可在应用中手动输入此密钥：",
        "en": "If you cannot scan it, type this key into the app instead:",
    },
    "setup_step_password": {"zh": "设置密码。", "en": "Choose a password."},
    "setup_step_code": {
        "zh": "输入应用显示的 6 位验证码，证明手机已保存密钥。",
        "en": "Type the 6-digit code the app shows, to prove your phone holds the key.",
    },
    "setup_finish": {"zh": "完成设置", "en": "Finish set-up"},
    "setup_unknown": {
        "zh": "此设置链接无效（可能已经使用过）。请向管理员索取新的链接。",
        "en": "This set-up link is not valid (it may have been used already). Ask an admin for a new one.",
    },
    "setup_expired": {
        "zh": "此设置链接已过期。请向管理员索取新的链接。",
        "en": "This set-up link has expired. Ask an admin for a new one.",
    },
    "code_wrong": {
        "zh": "验证码不正确。请等应用显示下一个验证码后再试。",
        "en": "The code is wrong. Wait for the app to show the next code and try again.",
    },
    "password_short": {"zh": "密码至少需要 10 个字符。", "en": "The password needs at least 10 characters."},
    "password_mismatch": {"zh": "两次输入的密码不一致。", "en": "The two passwords differ."},
    "setup_done": {"zh": "账户已设置完成，您已登录。", "en": "Your account is set up and you are signed in."},
    "logged_out": {"zh": "您已退出登录。", "en": "You have signed out."},
    "reauth_title": {"zh": "请再次确认身份", "en": "Confirm it is you"},
    "reauth_intro": {
        "zh": "此操作无法撤销。请再次输入密码和新的验证码。",
        "en": "This act cannot be undone. Enter your password and a new code again.",
    },
    "reauth_done": {"zh": "身份已确认，请再次执行操作。", "en": "Confirmed. Now repeat the act."},
    "confirm": {"zh": "确认", "en": "Confirm"},
    "forbidden": {"zh": "您的角色无权进行此操作。", "en": "Your role may not do this."},
    "home_title": {"zh": "工作台", "en": "Console"},
    "home_intro_institution": {"zh": "{institution} 的工作台。", "en": "Console of {institution}."},
    "home_intro_bank": {"zh": "学分银行工作人员的工作台。", "en": "Console of the credit bank's staff."},
    "nav_home": {"zh": "首页", "en": "Home"},
    "nav_activity": {"zh": "操作记录", "en": "Activity"},
    "activity_title": {"zh": "操作记录", "en": "Activity"},
    "activity_intro": {
        "zh": "账本中以{who}名义写入的条目，最新的在前。工作人员以化名显示，账本中不含个人信息。",
        "en": "Ledger entries written as {who}, newest first. Staff appear by pseudonym; "
        "the ledger holds no personal data.",
    },
    "activity_none": {"zh": "还没有记录。", "en": "Nothing yet."},
    "col_seq": {"zh": "序号", "en": "Seq"},
    "col_time": {"zh": "时间 (UTC)", "en": "Time (UTC)"},
    "col_kind": {"zh": "类型", "en": "Kind"},
    "col_actor": {"zh": "写入者", "en": "Written by"},
    "you": {"zh": "（您）", "en": " (you)"},
    "older": {"zh": "更早的记录", "en": "Older entries"},
    "error_title": {"zh": "出错了", "en": "Something went wrong"},
}
