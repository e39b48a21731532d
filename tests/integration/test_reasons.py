"""Reasons for corrections and revocations are kept in the ledger for ever, so they may not name the learner."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from creditbank.errors import InvalidInput
from creditbank.models import LedgerEntry
from creditbank.services.records import achievements, learners
from creditbank.services.records.achievements import Submission
from creditbank.services.records.api_keys import SCOPES, Principal
from tests.helpers import register

NUMBER = "11010519491231002X"
PRINCIPAL = Principal("test", "uni-a", frozenset(SCOPES))
ITEM = {"kind": "course", "title": {"zh": "智能手机应用"}, "completed": "2026-01-10", "credits": 2}


def entries(bank) -> int:
    with bank.db.reading() as session:
        return int(session.scalar(select(func.count()).select_from(LedgerEntry)) or 0)


@pytest.fixture
def achievement(bank) -> str:
    register(bank, "uni-a")
    person = learners.LearnerInput(
        birth_date=date(1949, 12, 31),
        name_zh="陈秀英",
        name_latin="Li Na",
        national_id_country="CN",
        national_id=NUMBER,
        email="chen.xy@example.org",
    )
    learner = learners.enroll(bank, PRINCIPAL, person).body["id"]
    recorded = achievements.record(bank, PRINCIPAL, [Submission(learner, "R-1", ITEM)], batch=False)
    return str(recorded.body["id"])


@pytest.mark.parametrize(
    "reason",
    [
        "陈秀英本人要求更正",
        "learner LI  NA asked for it",
        "ID 110105-19491231-002x on the form",
        "ID 1101 0519 4912 3100 2X",
        "write to CHEN.XY@example.org",
        "born 1949-12-31",
        "生于1949年12月31日",
    ],
)
def test_a_reason_naming_the_learner_is_refused_and_nothing_is_written(bank, achievement, reason):
    before = entries(bank)
    with pytest.raises(InvalidInput) as refused:
        achievements.correct(bank, PRINCIPAL, achievement, {"credits": 3}, reason)
    assert refused.value.errors == {"reason": "names the learner"}
    with pytest.raises(InvalidInput):
        achievements.revoke(bank, PRINCIPAL, achievement, reason)
    assert entries(bank) == before


def test_ordinary_reasons_pass_even_when_letters_of_a_name_occur_inside_words(bank, achievement):
    corrected = achievements.correct(bank, PRINCIPAL, achievement, {"credits": 3}, "discipline navigation: typo")
    assert corrected.created
    revoked = achievements.revoke(bank, PRINCIPAL, achievement, "课程记录重复，已在 R-2 中登记")
    assert revoked.created
