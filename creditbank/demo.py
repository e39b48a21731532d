"""Demo data for a first look, all fictitious: a university, an open university with branches and a
learning point, a senior college with a learning point, a vocational college and a MOOC platform;
learners with Chinese and latin names; and their achievements, a few corrected and one revoked; the shipped
frameworks, example catalogue and rule set, so every achievement converts, and one learner with an award.

Everything goes through the same services the API calls, so the demo is also a smoke test.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from creditbank import files
from creditbank.errors import Forbidden, Unauthenticated
from creditbank.runtime import Bank
from creditbank.services import credentials
from creditbank.services.credits import awards, credit_rules
from creditbank.services.learner_access import accounts
from creditbank.services.records import achievements, api_keys, institutions, learners
from creditbank.services.records.achievements import Submission
from creditbank.services.records.api_keys import SCOPES, Principal
from creditbank.services.records.institutions import InstitutionInput
from creditbank.services.staff import accounts as staff_accounts

DEMO_INSTITUTIONS = (
    InstitutionInput(
        "demo-university", "university", "Demo University of Science and Technology", "示范科技大学", None, "credit", 16
    ),
    InstitutionInput(
        "demo-open-university",
        "open_university",
        "Demo National Open University",
        "示范国家开放大学",
        None,
        "credit",
        18,
    ),
    InstitutionInput(
        "demo-open-university-east",
        "open_university",
        "Demo Open University, East Branch",
        "示范开放大学东部分部",
        "demo-open-university",
        "credit",
        18,
    ),
    InstitutionInput(
        "demo-learning-point-riverside",
        "community",
        "Riverside Community Learning Point",
        "滨江社区学习点",
        "demo-open-university-east",
        "course hour",
        1,
    ),
    InstitutionInput(
        "demo-senior-college", "senior_college", "Demo Senior College", "示范老年大学", None, "class hour", 1
    ),
    InstitutionInput(
        "demo-senior-college-garden",
        "senior_college",
        "Demo Senior College, Garden Street Learning Point",
        "示范老年大学花园街学习点",
        "demo-senior-college",
        "class hour",
        1,
    ),
    InstitutionInput(
        "demo-vocational", "vocational", "Demo Vocational and Technical College", "示范职业技术学院", None, "credit", 16
    ),
    InstitutionInput("demo-mooc", "mooc_platform", "Demo MOOC Platform", "示范慕课平台", None, "study hour", 1),
)

# Written by the seeding alone (0600, in the instance folder), so a bank that was never a demo has no such file.
KEY_FILE = "demo-api-key.txt"

# (Chinese, latin) — latin is None where a character's romanization is not settled, and the reverse
# for learners from abroad. Rare characters outside GB 2312 on purpose: 𠈌 (CJK Ext. B), 㵘 (Ext. A), 堃, 喆, 龑.
_NAMES: tuple[tuple[str | None, str | None], ...] = (
    ("张喆", "Zhang Zhe"),
    ("王堃", "Wang Kun"),
    ("刘龑", "Liu Yan"),
    ("李𠈌", None),
    ("陈㵘", None),
    ("赵丽华", "Zhao Lihua"),
    ("黄建国", "Huang Jianguo"),
    ("周秀英", "Zhou Xiuying"),
    ("吴志强", "Wu Zhiqiang"),
    ("孙玉兰", "Sun Yulan"),
    ("马晓东", "Ma Xiaodong"),
    ("林美玲", "Lin Meiling"),
    ("郭德明", "Guo Deming"),
    ("何静", "He Jing"),
    ("高振华", "Gao Zhenhua"),
    (None, "Maria Rossi"),
    (None, "Nguyễn Thị Lan"),
    (None, "Kofi Mensah"),
)

# What each demo institution records: (kind, title zh, title en, code, credits or hours).
COURSES = {
    "demo-university": (
        ("course", "高等数学", "Advanced Mathematics", "MATH101", 4),
        ("course", "程序设计基础", "Foundations of Programming", "CS101", 3),
        ("course", "大学英语", "College English", "ENG110", 2),
        ("degree", "计算机科学与技术学士", "Bachelor of Computer Science and Technology", "BSC-CS", 160),
    ),
    "demo-open-university-east": (
        ("module", "数字素养与技能", "Digital Literacy and Skills", "DL100", 2),
        ("module", "人工智能导论", "Introduction to Artificial Intelligence", "AI101", 3),
        ("course", "会计学原理", "Principles of Accounting", "ACC101", 4),
    ),
    "demo-learning-point-riverside": (
        ("non_formal", "智能手机应用", "Using a Smartphone", "SP-01", 12),
        ("non_formal", "社区防诈骗知识", "Recognizing Fraud in Daily Life", "FR-02", 6),
    ),
    "demo-senior-college-garden": (
        ("non_formal", "书法（楷书）", "Calligraphy (regular script)", "CAL-1", 32),
        ("non_formal", "太极拳", "Tai Chi", "TC-1", 24),
        ("non_formal", "合唱", "Choral Singing", "CH-1", 30),
    ),
    "demo-vocational": (
        ("certificate", "电工职业技能等级证书（中级）", "Electrician Skills Certificate (Intermediate)", "EL-M", 6),
        ("course", "工业机器人操作", "Industrial Robot Operation", "IR201", 3),
    ),
    "demo-mooc": (
        ("micro_credential", "数据分析入门", "Getting Started with Data Analysis", "MOOC-DA1", 20),
        ("micro_credential", "Python 编程", "Programming in Python", "MOOC-PY1", 30),
    ),
}


def _resident_id(rng: random.Random, born: date) -> str:
    head = f"{rng.choice(('110105', '310104', '440305', '510107'))}{born:%Y%m%d}{rng.randrange(1000):03d}"
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    return head + "10X98765432"[sum(int(d) * w for d, w in zip(head, weights, strict=True)) % 11]


def _people(rng: random.Random, count: int) -> Iterator[learners.LearnerInput]:
    for index in range(count):
        zh, latin = _NAMES[index % len(_NAMES)]
        if index >= len(_NAMES) and zh:
            zh = zh + "一二三四五六七八九"[index % 9]
            latin = None
        born = date(1950, 1, 1) + timedelta(days=rng.randrange(365 * 55))
        foreign = zh is None
        yield learners.LearnerInput(
            birth_date=born,
            name_zh=zh,
            name_latin=latin,
            national_id_country="IT" if foreign else "CN",
            national_id=f"P{rng.randrange(10**8):08d}" if foreign else _resident_id(rng, born),
            email=f"learner{index + 1}@example.org" if rng.random() < 0.5 else None,
        )


def _result(rng: random.Random, kind: str) -> dict[str, Any]:
    if kind == "non_formal":
        return {"type": "pass_fail", "passed": True}
    if kind in {"certificate", "degree"}:
        return {"type": "grade", "grade": rng.choice(("合格", "良好", "优秀"))}
    return {"type": "score", "score": rng.randrange(60, 100), "max": 100, "pass_mark": 60}


def sample_achievement(rng: random.Random, institution: str, learner_id: str, number: int) -> Submission:
    """A made-up achievement from one of ``COURSES``' institutions, as the demo and the scale benchmark submit."""
    kind, zh, en, code, amount = rng.choice(COURSES[institution])
    started = date(2024, 9, 1) + timedelta(days=rng.randrange(300))
    completed = started + timedelta(days=rng.randrange(30, 150))
    data: dict[str, Any] = {
        "kind": kind,
        "title": {"zh": zh, "en": en},
        "code": code,
        "started": started.isoformat(),
        "completed": completed.isoformat(),
        "mode": rng.choice(("online", "in_person", "blended")),
        "language": "zh-CN",
        "result": _result(rng, kind),
    }
    if institution in {"demo-learning-point-riverside", "demo-senior-college-garden", "demo-mooc"}:
        data["hours"] = amount
    else:
        data["credits"] = amount
        data["hours"] = amount * 16
    if kind in {"module", "micro_credential"}:
        data["outcomes"] = [f"能够运用{zh}的基本方法解决实际问题"]
    return Submission(learner_id, f"{code}-{number:05d}", data)


DEMO_EMAIL = "chen.xiuying@example.org"
DEMO_PASSWORD = "demo-learner-2026"  # noqa: S105 - the published demo login, printed by `creditbank serve`
LOGIN_FILE = "demo-learner-login.txt"


def demo_api_key(bank: Bank) -> str | None:
    """The demo API key the seeding wrote, while it still opens demo-university's API (None otherwise).

    `serve` prints it on every start: a key printed once, on the first start, is easily lost. A key that was revoked,
    or a file that names another institution's key, is not printed.
    """
    path = Path(bank.instance_path) / KEY_FILE
    try:
        files.tighten(path)
        token = path.read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError):
        return None
    try:
        principal = api_keys.authenticate(bank, f"Bearer {token}")
    except (Unauthenticated, Forbidden):
        return None
    return token if principal.institution_id == DEMO_INSTITUTIONS[0].id else None


def demo_login(bank: Bank) -> tuple[str, str, str] | None:
    """The demo learner's id, e-mail and password, if this bank was seeded with them."""
    path = Path(bank.instance_path) / LOGIN_FILE
    if not path.exists():
        return None
    learner, email, password = path.read_text(encoding="utf-8").split()
    return learner, email, password


# Console accounts the demo makes, one per kind of desk; each is set up from a link `serve` prints.
DEMO_STAFF = (
    ("demo.registrar", "registrar", "demo-senior-college"),
    ("demo.viewer", "viewer", "demo-senior-college"),
    ("demo.reviewer", "reviewer", None),
    ("demo.admin", "admin", None),
)


def demo_staff_links(bank: Bank) -> list[tuple[str, str, str | None]]:
    """Each demo staff login, its role, and a fresh set-up token while it is not set up yet (None once it is).

    A new token on every start: the one printed last time may be lost, and an account not set up yet holds nothing.
    """
    listed = {view.login: view for view in staff_accounts.list_all(bank)}
    links: list[tuple[str, str, str | None]] = []
    for login, role, _institution in DEMO_STAFF:
        view = listed.get(login)
        if view is None or view.state == "disabled":
            continue
        token = staff_accounts.reset(bank, login).setup_token if view.state == "setup_pending" else None
        links.append((login, role, token))
    return links


def seed(bank: Bank, learner_count: int = 24, *, rng_seed: int = 2026) -> str | None:
    """Populate an empty bank; return the demo API key (None if the bank already holds data)."""
    if institutions.list_all(bank):
        return None
    rng = random.Random(rng_seed)  # noqa: S311 - demo content, not secrets
    for data in DEMO_INSTITUTIONS:
        institutions.register(bank, data)
    publish_credit_rules(bank)
    staff = {i.id: Principal("demo-seed", i.id, frozenset(SCOPES)) for i in DEMO_INSTITUTIONS}
    issuers = list(COURSES)
    submissions: dict[str, list[Submission]] = {name: [] for name in issuers}
    for number, person in enumerate(_people(rng, learner_count)):
        places = rng.sample(issuers, k=rng.choice((1, 2, 2, 3)))
        learner_id = ""
        for place in places:
            # Enrolling the same national ID again links the one learner to each institution.
            learner_id = learners.enroll(bank, staff[place], person).body["id"]
            for _ in range(rng.randrange(1, 4)):
                submissions[place].append(
                    sample_achievement(rng, place, learner_id, number * 10 + len(submissions[place]))
                )
    recorded: list[tuple[str, str]] = []
    for place, items in submissions.items():
        if items:
            outcome = achievements.record(bank, staff[place], items, batch=True)
            recorded.extend((place, item["id"]) for item in outcome.body["items"])
    _amend(bank, staff, recorded)
    _showcase(bank, staff)
    for login, role, institution in DEMO_STAFF:
        staff_accounts.add(bank, login, role, institution, created_by="bank:demo")
    issued = api_keys.issue(bank, "demo-university")
    files.write_private(Path(bank.instance_path) / KEY_FILE, (issued.token + "\n").encode(), replace=True)
    return issued.token


def _amend(bank: Bank, staff: dict[str, Principal], recorded: list[tuple[str, str]]) -> None:
    """Two corrections and a revocation, so histories have something to show."""
    if len(recorded) < 3:
        return
    place, first = recorded[0]
    achievements.correct(bank, staff[place], first, {"mode": "blended"}, "the course ran partly online")
    place, second = recorded[1]
    achievements.correct(bank, staff[place], second, {"language": "en"}, "taught in English, entered as Chinese")
    place, third = recorded[-1]
    achievements.revoke(bank, staff[place], third, "recorded for the wrong learner")


def publish_credit_rules(bank: Bank) -> None:
    """The shipped frameworks, the example catalogue (approved) and the example rule set."""
    data = credit_rules.DATA
    for name in ("cn-example", "eqf", "hkqf"):
        credit_rules.publish_file(bank, "framework", data / "frameworks" / f"{name}.toml")
    for published in credit_rules.publish_file(bank, "catalogue", data / "catalogue" / "example.toml"):
        credit_rules.approve_outcome(bank, published.id, "demo-reviewer")
    credit_rules.publish_file(bank, "rules", data / "rules" / "cn-example-2026.toml")


def _showcase(bank: Bank, staff: dict[str, Principal]) -> None:
    """An older learner whose community, open-university and senior-college learning earns the example digital
    literacy certificate, so the account, the statement and an award all have something to show."""
    born = date(1952, 10, 3)
    person = learners.LearnerInput(
        birth_date=born,
        name_zh="陈秀英",
        name_latin="Chen Xiuying",
        national_id_country="CN",
        national_id=_resident_id(random.Random(1952), born),  # noqa: S311 - demo content
    )
    plan = (
        ("demo-learning-point-riverside", "non_formal", "智能手机应用", "Using a Smartphone", "SP-01", 12),
        ("demo-learning-point-riverside", "non_formal", "手机摄影与分享", "Phone Photography", "PH-03", 48),
        ("demo-open-university-east", "module", "数字素养与技能", "Digital Literacy and Skills", "DL100", 2),
        ("demo-senior-college-garden", "non_formal", "书法（楷书）", "Calligraphy (regular script)", "CAL-1", 32),
    )
    learner_id = ""
    for place, kind, zh, en, code, amount in plan:
        learner_id = learners.enroll(bank, staff[place], person).body["id"]
        data: dict[str, Any] = {
            "kind": kind,
            "title": {"zh": zh, "en": en},
            "code": code,
            "started": "2025-03-01",
            "completed": "2025-06-30",
            "result": {"type": "pass_fail", "passed": True},
            "language": "zh-CN",
        }
        data["credits" if place == "demo-open-university-east" else "hours"] = amount
        achievements.record(bank, staff[place], [Submission(learner_id, f"SHOW-{code}", data)], batch=False)
    award = awards.award(bank, None, learner_id, "cn-example-digital-literacy").body["id"]
    # An activated portal account, so a newcomer can log in and look around at once.
    accounts.activate(bank, accounts.new_code(bank, learner_id), born, DEMO_PASSWORD, DEMO_EMAIL)
    login = f"{learner_id}\n{DEMO_EMAIL}\n{DEMO_PASSWORD}\n"
    files.write_private(Path(bank.instance_path) / LOGIN_FILE, login.encode("utf-8"), replace=True)
    # Her certificate, signed and recorded, so the verify page and the PDF have a real document to show.
    credentials.issue(bank, None, credentials.Request(learner_id, "qualification", award))
