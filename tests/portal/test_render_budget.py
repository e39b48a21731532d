"""Rendering PDFs is the bank's most expensive work, so each learner and each institution has a budget per window:
past it, downloads and new documents are refused with 429 (a page in the learner's language, a problem document
with Retry-After for an API key) before any rendering, while another learner or institution is unaffected and the
JSON files, which cost nothing to make, are still served."""

from __future__ import annotations

import html
import re
from pathlib import Path

import pytest

from creditbank import demo
from creditbank.languages.i18n import text as words
from creditbank.runtime import bank_of
from creditbank.services.credentials import render_budget
from tests.conftest import configuration, database_url, running_app
from tests.credentials.issued_world import Issued
from tests.credentials.issued_world import issued as issued
from tests.portal.test_portal_pages import login

LIMIT = 3


@pytest.fixture
def small_budget(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(render_budget, "LIMITS", {"learner": LIMIT, "institution": LIMIT})


def test_an_institution_that_spent_its_budget_waits_and_another_does_not(issued: Issued, small_budget: None) -> None:
    world = issued.world
    path = f"/api/v1/credentials/{issued.credential_id}/pdf"
    answers = [world.client.get(path, headers=world.headers("uni-a")) for _ in range(LIMIT + 1)]
    statuses = [answer.status_code for answer in answers]
    # The module's bank issued its credential (a render) through this key before the budget was made small.
    served = statuses.count(200)
    assert 1 <= served <= LIMIT
    assert statuses == [200] * served + [429] * (len(statuses) - served)
    refused = answers[-1]
    assert refused.status_code == 429
    assert refused.mimetype == "application/problem+json"
    assert refused.get_json()["type"].endswith("too-many-renders")
    assert refused.headers["Retry-After"] == "900"
    # Issuing renders too, so it waits as well; the JSON costs nothing and is still served.
    made = world.client.post(
        f"/api/v1/learners/{world.learner}/credentials", json={"kind": "transcript"}, headers=world.headers("uni-a")
    )
    assert made.status_code == 429
    assert (
        world.client.get(f"/api/v1/credentials/{issued.credential_id}", headers=world.headers("uni-a")).status_code
        == 200
    )
    # Another institution's budget is its own.
    other = world.client.post(
        f"/api/v1/learners/{world.learner}/credentials", json={"kind": "transcript"}, headers=world.headers("uni-b")
    )
    assert other.status_code in (201, 409), other.get_data(as_text=True)


def test_a_learner_who_spent_the_budget_is_told_in_words(
    small_budget: None, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    with running_app(configuration(database_url("sqlite", request, tmp_path), tmp_path)) as app:
        bank = bank_of(app)
        demo.seed(bank, 2)
        found = demo.demo_login(bank)
        assert found is not None
        client = app.test_client()
        assert login(client, found[1], found[2]).status_code == 302
        page = client.get("/me/documents").get_data(as_text=True)
        (link, *_) = re.findall(r'href="(/me/documents/[^"/]+)\.pdf"', page)
        statuses = [client.get(f"{link}.pdf").status_code for _ in range(LIMIT + 1)]
        assert statuses == [200] * LIMIT + [429]
        client.set_cookie("lang", "fr")
        refused = client.get(f"{link}.pdf")
        assert refused.status_code == 429
        assert "<html" in refused.get_data(as_text=True)
        assert html.escape(words("wallet_render_limit", "fr")) in refused.get_data(as_text=True)
        # Making a new document renders too.
        page = client.get("/me/documents").get_data(as_text=True)
        token = re.search(r'name="csrf_token" value="([^"]+)"', page)
        assert token
        made = client.post("/me/documents", data={"kind": "transcript", "csrf_token": token.group(1)})
        assert made.status_code == 429
        assert client.get(f"{link}.json").status_code == 200
