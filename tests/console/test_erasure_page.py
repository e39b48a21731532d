"""The admin's erasure page: the learner id typed twice, a fresh confirmation, written as the admin."""

from __future__ import annotations

from datetime import date

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from creditbank.models import Learner, LearnerPersonalData
from creditbank.runtime import Bank
from creditbank.services.records import learners
from creditbank.services.records.api_keys import SCOPES, Principal
from tests.console.staff_helpers import SignedIn, staff_member
from tests.console.test_admin_pages import entries, not_confirmed_lately, size
from tests.helpers import register


@pytest.fixture
def learner(bank: Bank) -> str:
    register(bank, "sen-a", type="senior_college")
    principal = Principal("test", "sen-a", frozenset(SCOPES))
    data = learners.LearnerInput(birth_date=date(1950, 3, 1), name_zh="陈秀英")
    return str(learners.enroll(bank, principal, data).body["id"])


@pytest.fixture
def admin(bank: Bank, client: FlaskClient) -> SignedIn:
    client.set_cookie("lang", "en")
    return staff_member(bank, client, "adm.one", "admin")


def test_erasure_writes_learner_erased_as_the_admin(bank, admin, learner):
    answer = admin.post("/staff/admin/erasure", {"learner": learner, "again": learner})
    assert answer.status_code == 200
    assert f"The personal data of {learner} is erased" in answer.get_data(as_text=True)
    assert entries(bank, "learner.erased") == [(f"bank:admin/staff:{admin.staff_id}", {"learner": learner})]
    with bank.db.reading() as session:
        assert session.get(LearnerPersonalData, learner) is None
        assert session.scalar(select(Learner.status).where(Learner.id == learner)) == "erased"
    again = admin.post("/staff/admin/erasure", {"learner": learner, "again": learner})
    assert again.status_code == 409


@pytest.mark.parametrize(
    ("typed", "again", "status", "message"),
    [
        ("lrn_nothing", "lrn_nothing", 400, "That is not a learner id"),
        ("{learner}", "", 400, "The two learner ids differ."),
        ("{learner}", "{learner}x", 400, "The two learner ids differ."),
        ("lrn_00000000000000000000", "lrn_00000000000000000000", 404, "There is no such learner."),
    ],
)
def test_erasure_refuses_what_is_not_twice_the_same_known_learner(bank, admin, learner, typed, again, status, message):
    before = size(bank)
    answer = admin.post(
        "/staff/admin/erasure", {"learner": typed.format(learner=learner), "again": again.format(learner=learner)}
    )
    assert answer.status_code == status
    assert message in answer.get_data(as_text=True)
    assert size(bank) == before


def test_erasure_needs_a_fresh_confirmation(bank, admin, learner):
    not_confirmed_lately(bank)
    before = size(bank)
    answer = admin.post("/staff/admin/erasure", {"learner": learner, "again": learner})
    assert answer.status_code == 302
    assert answer.headers["Location"].startswith("/staff/reauth")
    assert size(bank) == before
    admin.confirm()
    assert admin.post("/staff/admin/erasure", {"learner": learner, "again": learner}).status_code == 200
    assert len(entries(bank, "learner.erased")) == 1


def test_only_an_admin_reaches_erasure(bank, client, learner):
    registrar = staff_member(bank, client, "reg.one", "registrar", "sen-a")
    assert client.get("/staff/admin/erasure").status_code == 403
    assert (
        registrar.post("/staff/admin/erasure", {"learner": learner, "again": learner}, from_page="/staff/").status_code
        == 403
    )
    assert entries(bank, "learner.erased") == []
