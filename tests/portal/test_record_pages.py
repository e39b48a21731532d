"""`/me` in pages of RECORD_PAGE achievements, newest first, for a learner with more than fit on one page."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest
from flask.testing import FlaskClient

from creditbank import demo
from creditbank.runtime import bank_of
from creditbank.services.learner_access import portal
from creditbank.services.records import achievements, learners
from creditbank.services.records.achievements import Submission
from creditbank.services.records.api_keys import SCOPES, Principal
from tests.conftest import BACKENDS, configuration, database_url, running_app
from tests.helpers import register
from tests.portal.test_portal_pages import csrf, login

EXTRA = 2 * portal.RECORD_PAGE + 7


@pytest.fixture(scope="module", params=BACKENDS)
def signed_in(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[FlaskClient]:
    folder = tmp_path_factory.mktemp("record-pages")
    with running_app(configuration(database_url(request.param, request, folder), folder)) as app:
        bank = bank_of(app)
        demo.seed(bank, 2)
        found = demo.demo_login(bank)
        assert found is not None
        learner, email, password = found
        staff = Principal("test", "demo-senior-college-garden", frozenset(SCOPES))
        items = [
            Submission(
                learner,
                f"PAGE-{n:03d}",
                {"kind": "non_formal", "title": {"zh": f"课程 {n:03d}", "en": f"Course {n:03d}"}, "hours": 2},
            )
            for n in range(EXTRA)
        ]
        achievements.record(bank, staff, items, batch=True)
        client = app.test_client()
        assert login(client, email, password).status_code == 302
        yield client


def cards(page: str) -> list[str]:
    return re.findall(r'<section class="card" aria-labelledby="a-([^"]+)"', page)


def test_the_record_comes_in_pages_newest_first(signed_in: FlaskClient) -> None:
    total = EXTRA + 4  # the demo learner's own four achievements
    pages = [signed_in.get(f"/me?page={n}") for n in (1, 2, 3)]
    assert [answer.status_code for answer in pages] == [200, 200, 200]
    texts = [answer.get_data(as_text=True) for answer in pages]
    seen = [cards(text) for text in texts]
    assert [len(ids) for ids in seen] == [portal.RECORD_PAGE, portal.RECORD_PAGE, total - 2 * portal.RECORD_PAGE]
    assert len({card for ids in seen for card in ids}) == total
    assert f"课程 {EXTRA - 1:03d}" in texts[0]  # the newest first
    assert "智能手机应用" in texts[2]  # the oldest last
    assert 'rel="next"' in texts[0]
    assert 'rel="prev"' not in texts[0]
    assert 'rel="prev"' in texts[2]
    assert 'rel="next"' not in texts[2]
    assert "第 2 页，共 3 页" in texts[1]
    # The summary counts the whole record on every page, though a page reads only its own rows.
    for text in texts:
        assert f"您的学习记录里有 {total} 项成果。" in text
    assert cards(signed_in.get("/me").get_data(as_text=True)) == seen[0]


@pytest.mark.parametrize("asked", ["4", "0x2", "²", "-1", "9999999"])
def test_a_page_past_the_end_or_not_a_number(signed_in: FlaskClient, asked: Any) -> None:
    answer = signed_in.get("/me", query_string={"page": asked})
    if asked == "4" or asked == "9999999":
        assert answer.status_code == 404
    else:
        assert answer.status_code == 200
        assert len(cards(answer.get_data(as_text=True))) == portal.RECORD_PAGE


def test_a_share_period_in_other_digits_is_refused_not_a_crash(signed_in: FlaskClient) -> None:
    token = csrf(signed_in.get("/me/share").get_data(as_text=True))
    answer = signed_in.post("/me/share", data={"scope": "whole", "days": "²", "csrf_token": token})
    assert answer.status_code == 400
    assert "<html" in answer.get_data(as_text=True)


def test_a_learner_with_nothing_recorded_has_an_empty_record_and_summary(bank: Any) -> None:
    register(bank, "uni-a")
    person = learners.LearnerInput(
        birth_date=date(1950, 1, 2), name_zh="王新", name_latin="Wang Xin", national_id_country="CN", national_id=None
    )
    learner = learners.enroll(bank, Principal("test", "uni-a", frozenset(SCOPES)), person).body["id"]
    assert portal.record_summary(bank, learner) == {"achievements": 0, "frameworks": []}
    assert portal.record_page(bank, learner, 1) == ([], 1)
    assert portal.record_page(bank, learner, None) == ([], 1)
