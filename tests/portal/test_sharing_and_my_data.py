"""Share links (expiry, withdrawal, open counts, chosen achievements) and the learner's own data: export and erasure."""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import update

from creditbank import demo
from creditbank.models import ShareLink
from creditbank.runtime import Bank, bank_of
from creditbank.services.records import achievements, learners
from creditbank.services.records.achievements import Submission
from creditbank.services.records.api_keys import SCOPES, Principal
from tests.conftest import BACKENDS, configuration, database_url, running_app
from tests.portal.test_portal_pages import csrf, login


@pytest.fixture(scope="module", params=BACKENDS)
def seeded(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Any, Bank]]:
    folder = tmp_path_factory.mktemp("sharing")
    with running_app(configuration(database_url(request.param, request, folder), folder)) as app:
        bank = bank_of(app)
        demo.seed(bank, 2)
        yield app, bank


def _fresh_learner(bank: Bank) -> tuple[str, str]:
    """A learner with two achievements and an activated account: (learner id, password)."""
    staff = Principal("test", "demo-university", frozenset(SCOPES))
    person = learners.LearnerInput(birth_date=datetime.date(1950, 3, 3), name_zh="周八")
    enrolled = learners.enroll(bank, staff, person).body
    items = []
    for n in (1, 2):
        data = {"kind": "course", "title": {"zh": f"书法{n}", "en": f"Calligraphy {n}"}, "credits": 2}
        items.append(Submission(enrolled["id"], f"SH-{enrolled['id']}-{n}", {**data, "completed": "2025-05-01"}))
    achievements.record(bank, staff, items, batch=True)
    from creditbank.services.learner_access import accounts

    accounts.activate(
        bank, enrolled["activation_code"], "1950-03-03", "zhou ba password", login_name=login_of(enrolled["id"])
    )
    return enrolled["id"], "zhou ba password"


def login_of(learner: str) -> str:
    """The login name each fresh learner chose (the learner id itself is not a login)."""
    return "zhou-" + learner.removeprefix("lrn_").lower()


def test_a_share_link_shows_chosen_achievements_counts_opens_and_can_be_withdrawn(seeded: tuple[Any, Bank]) -> None:
    app, bank = seeded
    learner, password = _fresh_learner(bank)
    client = app.test_client()
    assert login(client, login_of(learner), password).status_code == 302
    page = client.get("/me/share").get_data(as_text=True)
    first = re.findall(r'name="achievement" value="([^"]+)"', page)[0]
    made = client.post(
        "/me/share", data={"scope": "chosen", "achievement": first, "days": "7", "csrf_token": csrf(page)}
    )
    link = re.search(r'id="share-url" value="([^"]+)"', made.get_data(as_text=True))
    assert link
    path = link.group(1).split("localhost", 1)[-1]
    visitor = app.test_client()
    shown = visitor.get(path).get_data(as_text=True)
    assert "周八" in shown
    assert shown.count('class="card"') == 1
    visitor.get(path)
    listing = client.get("/me/share").get_data(as_text=True)
    assert re.search(r"<td[^>]*>2</td>", listing)
    link_id = re.search(r'name="revoke" value="([^"]+)"', listing)
    assert link_id
    client.post("/me/share", data={"revoke": link_id.group(1), "csrf_token": csrf(listing)})
    closed = visitor.get(path)
    assert closed.status_code == 410
    assert "已过期或已被撤回" in closed.get_data(as_text=True)


def test_an_expired_link_is_refused(seeded: tuple[Any, Bank]) -> None:
    app, bank = seeded
    learner, password = _fresh_learner(bank)
    client = app.test_client()
    login(client, login_of(learner), password)
    page = client.get("/me/share").get_data(as_text=True)
    made = client.post("/me/share", data={"scope": "whole", "days": "1", "csrf_token": csrf(page)})
    path = "/s/" + re.search(r"/s/([A-Za-z0-9_-]+)", made.get_data(as_text=True)).group(1)  # type: ignore[union-attr]
    assert app.test_client().get(path).status_code == 200
    with bank.db.writing() as session:
        session.execute(
            update(ShareLink)
            .where(ShareLink.learner_id == learner)
            .values(expires_at=datetime.datetime.now(datetime.UTC) - datetime.timedelta(seconds=1))
        )
    assert app.test_client().get(path).status_code == 410
    assert app.test_client().get("/s/not-a-real-token").status_code == 410
    bad = client.post("/me/share", data={"scope": "whole", "days": "3", "csrf_token": csrf(page)})
    assert bad.status_code == 400
    assert "请选择有效期" in bad.get_data(as_text=True)


def test_export_holds_everything_and_erasure_needs_confirmation(seeded: tuple[Any, Bank]) -> None:
    app, bank = seeded
    learner, password = _fresh_learner(bank)
    client = app.test_client()
    login(client, login_of(learner), password)
    page = client.get("/me/data").get_data(as_text=True)
    for wrong in ("", "not the password"):
        refused = client.post("/me/data", data={"action": "export", "password": wrong, "csrf_token": csrf(page)})
        assert refused.status_code == 401
        assert "当前密码不正确" in refused.get_data(as_text=True)
        assert "周八" not in refused.get_data(as_text=True)
    exported = client.post("/me/data", data={"action": "export", "password": password, "csrf_token": csrf(page)})
    body = exported.get_json()
    assert body["personal_data"]["name"]["zh"] == "周八"
    assert len(body["achievements"]) == 2
    assert {"credits", "credentials", "share_links", "portal_account"} <= set(body)
    unconfirmed = client.post("/me/data", data={"action": "erase", "confirm": "yes", "csrf_token": csrf(page)})
    assert unconfirmed.status_code == 400
    assert "以确认" in unconfirmed.get_data(as_text=True)
    # A copied cookie is not enough: erasure asks for the password again.
    uncertain = {"action": "erase", "confirm": "删除", "password": "a copied cookie", "csrf_token": csrf(page)}
    assert client.post("/me/data", data=uncertain).status_code == 401
    assert client.get("/me").status_code == 200
    erased = client.post(
        "/me/data", data={"action": "erase", "confirm": "删除", "password": password, "csrf_token": csrf(page)}
    )
    assert erased.status_code == 200
    assert "个人信息已删除" in erased.get_data(as_text=True)
    assert client.get("/me").status_code == 302
    assert login(app.test_client(), login_of(learner), password).status_code == 401
    with bank.db.reading() as session:
        from creditbank.models import Learner

        row = session.get(Learner, learner)
        assert row is not None
        assert row.status == "erased"
