"""The learner's consent page: grant an institution a scope for a period, see it, withdraw it; each act is a
ledger entry, and the institution's reads follow."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest

from creditbank import demo, ledger_store
from creditbank.models import LedgerEntry
from creditbank.runtime import Bank, bank_of
from creditbank.services.records import api_keys, consent
from tests.conftest import BACKENDS, configuration, database_url, running_app
from tests.portal.test_portal_pages import csrf, login
from tests.portal.test_sharing_and_my_data import _fresh_learner, login_of


@pytest.fixture(scope="module", params=BACKENDS)
def seeded(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Any, Bank]]:
    folder = tmp_path_factory.mktemp("consent")
    with running_app(configuration(database_url(request.param, request, folder), folder)) as app:
        bank = bank_of(app)
        demo.seed(bank, 1)
        yield app, bank


def _kinds(bank: Bank, after: int) -> list[str]:
    with bank.db.reading() as session:
        return [entry.kind for entry in session.query(LedgerEntry).filter(LedgerEntry.seq >= after)]


def test_a_learner_grants_and_withdraws_consent_in_the_portal(seeded: tuple[Any, Bank]) -> None:
    app, bank = seeded
    learner, password = _fresh_learner(bank)
    client = app.test_client()
    assert login(client, login_of(learner), password).status_code == 302
    page = client.get("/me/consent").get_data(as_text=True)
    assert "谁可以查看我的数据" in page
    assert "您还没有授权任何机构" in page
    other = next(value for value in re.findall(r'<option value="([^"]+)"', page) if value != "demo-university")
    with bank.db.reading() as session:
        start = ledger_store.tree_size(session)
    granted = client.post(
        "/me/consent", data={"institution": other, "scope": "credits", "days": "90", "csrf_token": csrf(page)}
    )
    assert granted.status_code == 302
    listing = client.get("/me/consent").get_data(as_text=True)
    assert "已授权" in listing
    assert "有效" in listing
    assert _kinds(bank, start) == ["consent.granted"]
    # The institution now reads the whole credit account, though it never enrolled the learner.
    token = api_keys.issue(bank, other).token
    answer = app.test_client().get(f"/api/v1/learners/{learner}/credits", headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 200
    seq = re.search(r'name="withdraw" value="(\d+)"', listing)
    assert seq
    client.post("/me/consent", data={"withdraw": seq.group(1), "csrf_token": csrf(listing)})
    assert "已撤回" in client.get("/me/consent").get_data(as_text=True)
    assert _kinds(bank, start) == ["consent.granted", "consent.withdrawn"]
    answer = app.test_client().get(f"/api/v1/learners/{learner}/credits", headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 404


@pytest.mark.parametrize(
    "form",
    [
        {"institution": "nowhere", "scope": "credits", "days": "30"},
        {"institution": "demo-university", "scope": "everything", "days": "30"},
        {"institution": "demo-university", "scope": "profile", "days": "7"},
        {"institution": "demo-university", "scope": "profile", "days": "３０"},
        {"institution": "demo-university", "scope": "profile"},
    ],
)
def test_a_bad_consent_form_is_a_page_not_an_entry(seeded: tuple[Any, Bank], form: dict[str, str]) -> None:
    app, bank = seeded
    learner, password = _fresh_learner(bank)
    client = app.test_client()
    login(client, login_of(learner), password)
    page = client.get("/me/consent").get_data(as_text=True)
    with bank.db.reading() as session:
        before = ledger_store.tree_size(session)
    answer = client.post("/me/consent", data={**form, "csrf_token": csrf(page)})
    assert answer.status_code == 400
    assert "请选择机构、范围和有效期" in answer.get_data(as_text=True)
    with bank.db.reading() as session:
        assert ledger_store.tree_size(session) == before
    assert consent.for_learner(bank, learner) == []


def test_withdrawing_someone_else_s_grant_is_not_found(seeded: tuple[Any, Bank]) -> None:
    app, bank = seeded
    owner, _ = _fresh_learner(bank)
    grant = consent.grant(bank, owner, "demo-university", "records", 30)
    intruder, password = _fresh_learner(bank)
    client = app.test_client()
    login(client, login_of(intruder), password)
    page = client.get("/me/consent").get_data(as_text=True)
    answer = client.post("/me/consent", data={"withdraw": str(grant), "csrf_token": csrf(page)})
    assert answer.status_code == 404
    assert [row["state"] for row in consent.for_learner(bank, owner)] == ["active"]
    for bad in ("1_0", "+1", "x", "0" + str(grant), "１"):
        assert client.post("/me/consent", data={"withdraw": bad, "csrf_token": csrf(page)}).status_code == 400
