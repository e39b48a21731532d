"""The learner's recognition pages through Flask's test client, on both databases: apply with a scanned document and
find it listed with its state in words, the decision with each item's reason, the one appeal, withdrawal; another
learner's application is not found, a form without its CSRF token does nothing, and every refusal is the form again
with the reason beside the field."""

from __future__ import annotations

import base64
import copy
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import EnvironBuilder

from creditbank import ledger_store
from creditbank.runtime import Bank, bank_of
from creditbank.services import credentials
from creditbank.services.credits import credit_rules
from creditbank.services.learner_access import accounts
from creditbank.services.recognition import applications, decisions
from creditbank.services.recognition.applications import Applicant
from creditbank.services.recognition.decisions import Recognize, Refuse
from creditbank.services.recognition.evidence_files import EvidenceFile
from tests.conftest import BACKENDS, configuration, database_url, running_app
from tests.integration.credit_world import FRAMEWORK, CreditWorld, build, rules
from tests.integration.test_recognition import PNG, reviewer
from tests.portal.test_portal_pages import csrf, login

PASSWORD = "li juan long password"


@dataclass
class Portal:
    app: Flask
    world: CreditWorld
    other: str  # a second learner, with an account of their own

    @property
    def bank(self) -> Bank:
        return self.world.bank


def _account(bank: Bank, learner: str, born: str, login_name: str) -> None:
    accounts.activate(bank, accounts.new_code(bank, learner), born, PASSWORD, login_name=login_name)


@pytest.fixture(scope="module", params=BACKENDS)
def portal(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Portal]:
    folder = tmp_path_factory.mktemp("recognition-pages")
    with running_app(configuration(database_url(request.param, request, folder), folder)) as app:
        bank = bank_of(app)
        world = build(app.test_client(), bank)
        reviewer(bank, "alice")
        reviewer(bank, "bob")
        _account(bank, world.learner, "1958-03-04", "li.juan")
        person = {"name": {"zh": "赵六"}, "birth_date": "1960-06-06"}
        other = world.client.post("/api/v1/learners", json=person, headers=world.headers()).get_json()["id"]
        _account(bank, other, "1960-06-06", "zhao.liu")
        yield Portal(app, world, other)


def _client(portal: Portal, who: str = "li.juan") -> FlaskClient:
    client = portal.app.test_client()
    assert login(client, who, PASSWORD).status_code == 302
    return client


def _size(bank: Bank) -> int:
    with bank.db.reading() as session:
        return ledger_store.tree_size(session)


def _post_form(client: FlaskClient, files: list[tuple[bytes, str, str]], **fields: str) -> Any:
    token = csrf(client.get("/me/recognition/new").get_data(as_text=True))
    data: dict[str, Any] = {
        "csrf_token": token,
        "evidence": [(io.BytesIO(content), name) for content, name, _ in files],
        "description": [text for _, _, text in files],
        **fields,
    }
    return _send(client, data)


def _send(client: FlaskClient, data: dict[str, Any]) -> Any:
    """POST the form, encoded here so that the temporary file a large body is spooled to is closed afterwards (the
    test client leaves it to the garbage collector, which warns)."""
    builder = EnvironBuilder(path="/me/recognition/new", method="POST", data=data, content_type="multipart/form-data")
    environ = builder.get_environ()
    try:
        return client.open(environ)
    finally:
        environ["wsgi.input"].close()
        builder.close()


def _scan(text: str) -> tuple[bytes, str, str]:
    # The text goes into the bytes too, so each scan is learning not handed in before.
    return PNG + text.encode(), "scan.png", text


def _apply(client: FlaskClient, text: str) -> str:
    answer = _post_form(client, [_scan(text)])
    assert answer.status_code == 302, answer.get_data(as_text=True)
    found = re.search(r"/me/recognition/(rap-[0-9a-z]{20})$", answer.headers["Location"])
    assert found, answer.headers["Location"]
    return found.group(1)


def test_a_learner_applies_with_a_scan_and_sees_it_listed_in_words(portal: Portal) -> None:
    client = _client(portal)
    form = client.get("/me/recognition/new").get_data(as_text=True)
    assert 'enctype="multipart/form-data"' in form
    assert "测试框架" in form  # the one framework with rules: named, no choice to make
    assert '<select id="framework"' not in form
    size = _size(portal.bank)
    application = _apply(client, "老年大学书法班，40 学时，结业考核合格")
    assert _size(portal.bank) > size
    detail = client.get(f"/me/recognition/{application}")
    page = detail.get_data(as_text=True)
    assert detail.status_code == 200
    assert "申请已提交。" in page
    assert "正在审核" in page
    assert "under_review" not in page
    assert "老年大学书法班，40 学时，结业考核合格" in page
    assert re.search(r"预计在 \d{4}-\d{2}-\d{2} 前审核完毕", page)
    assert "撤回这份申请" in page
    listing = client.get("/me/recognition").get_data(as_text=True)
    assert "老年大学书法班" in listing
    assert "正在审核" in listing
    assert f"/me/recognition/{application}" in listing
    assert 'href="/me/recognition/new"' in listing
    assert 'href="/me/recognition"' in client.get("/me").get_data(as_text=True)  # the nav link
    for path in ("/me/recognition", "/me/recognition/new", f"/me/recognition/{application}"):
        assert "rec_" not in client.get(path).get_data(as_text=True), path  # every word has its text
    client.set_cookie("lang", "en")
    english = client.get("/me/recognition").get_data(as_text=True)
    assert "Being reviewed" in english
    assert "Apply for recognition" in english
    for path in ("/me/recognition", "/me/recognition/new", f"/me/recognition/{application}"):
        assert "rec_" not in client.get(path).get_data(as_text=True), path


def test_the_decision_shows_each_reason_and_is_appealed_once(portal: Portal) -> None:
    client = _client(portal)
    application = _apply(client, "Community choir, two years")
    view = applications.get(portal.bank, application)
    decisions.decide(
        portal.bank,
        application,
        decisions.reviewer_by_id(portal.bank, view["reviewer"]),
        [],
        [Refuse(1, "No assessment of learning outcomes is shown")],
    )
    page = client.get(f"/me/recognition/{application}").get_data(as_text=True)
    assert "已作出决定" in page
    assert "✘ 不予认定" in page
    assert "No assessment of learning outcomes is shown" in page
    assert re.search(r"可以在 \d{4}-\d{2}-\d{2}（含当天）之前申诉一次", page)
    assert 'name="reason"' in page
    assert "撤回这份申请" not in page  # decided: nothing left to withdraw
    naming = client.post(
        f"/me/recognition/{application}",
        data={"action": "appeal", "reason": "李娟 sang in graded exams", "csrf_token": csrf(page)},
    )
    assert naming.status_code == 400
    refused = naming.get_data(as_text=True)
    assert "理由中不能出现您的姓名" in refused
    assert "李娟 sang in graded exams" in refused  # the form keeps what was typed
    blank = client.post(
        f"/me/recognition/{application}", data={"action": "appeal", "reason": " ", "csrf_token": csrf(page)}
    )
    assert blank.status_code == 400
    assert "请写下您申诉的理由。" in blank.get_data(as_text=True)
    appealed = client.post(
        f"/me/recognition/{application}",
        data={"action": "appeal", "reason": "The choir sang in graded exams", "csrf_token": csrf(page)},
    )
    assert appealed.status_code == 302
    page = client.get(f"/me/recognition/{application}").get_data(as_text=True)
    assert "申诉已提交。" in page
    assert "申诉正在审核" in page
    assert "The choir sang in graded exams" in page  # the learner's own reason
    assert 'name="reason"' not in page
    assert "撤回我的申诉" in page
    withdrawn = client.post(f"/me/recognition/{application}", data={"action": "withdraw", "csrf_token": csrf(page)})
    assert withdrawn.status_code == 302
    page = client.get(f"/me/recognition/{application}").get_data(as_text=True)
    assert "申诉已撤回，原决定继续有效。" in page
    assert "您撤回了申诉" in page
    assert "已作出决定" in page
    assert 'name="reason"' not in page  # the one appeal is spent
    again = client.post(
        f"/me/recognition/{application}", data={"action": "appeal", "reason": "Again", "csrf_token": csrf(page)}
    )
    assert again.status_code == 409
    assert "这个决定已经不能再申诉了。" in again.get_data(as_text=True)


def test_the_final_decision_after_an_appeal_is_shown_with_the_first(portal: Portal) -> None:
    client = _client(portal)
    application = _apply(client, "Evening Python course, appealed")
    view = applications.get(portal.bank, application)
    first = decisions.reviewer_by_id(portal.bank, view["reviewer"])
    decisions.decide(portal.bank, application, first, [Recognize(1, Decimal(1), "Hours shown")], [])
    page = client.get(f"/me/recognition/{application}").get_data(as_text=True)
    assert "✔ 认定 1 学分" in page
    appeal = {"action": "appeal", "reason": "The course had graded projects", "csrf_token": csrf(page)}
    assert client.post(f"/me/recognition/{application}", data=appeal).status_code == 302
    view = applications.get(portal.bank, application)
    decisions.decide(
        portal.bank,
        application,
        decisions.reviewer_by_id(portal.bank, view["reviewer"]),
        [Recognize(1, Decimal("1.5"), "Graded projects shown")],
        [],
    )
    final = client.get(f"/me/recognition/{application}").get_data(as_text=True)
    assert "最终决定（申诉后）" in final
    # The rule set's default level and category.
    assert re.search(r"✔ 认定 1.5 学分</strong> · <bdi>第3级</bdi> · <bdi>通识</bdi>", final)
    assert "Graded projects shown" in final
    assert "申诉之前的决定" in final
    assert 'name="reason"' not in final
    assert "✔ 认定 1.5 学分" in client.get("/me/recognition").get_data(as_text=True)


def test_after_the_appeal_period_there_is_no_appeal_form(portal: Portal) -> None:
    client = _client(portal)
    application = _apply(client, "Bridge club, decided long ago")
    view = applications.get(portal.bank, application)
    long_ago = datetime.now(UTC) - timedelta(days=400)
    decisions.decide(
        portal.bank, application, decisions.reviewer_by_id(portal.bank, view["reviewer"]), [],
        [Refuse(1, "A game, not assessed learning")], now=long_ago,
    )  # fmt: skip
    page = client.get(f"/me/recognition/{application}").get_data(as_text=True)
    assert re.search(r"申诉期已于 \d{4}-\d{2}-\d{2} 结束。", page)
    assert 'name="reason"' not in page
    late = client.post(
        f"/me/recognition/{application}", data={"action": "appeal", "reason": "Late", "csrf_token": csrf(page)}
    )
    assert late.status_code == 409
    assert "这个决定已经不能再申诉了。" in late.get_data(as_text=True)


def test_an_open_application_is_withdrawn(portal: Portal) -> None:
    client = _client(portal)
    application = _apply(client, "Photography club, to withdraw")
    page = client.get(f"/me/recognition/{application}").get_data(as_text=True)
    done = client.post(f"/me/recognition/{application}", data={"action": "withdraw", "csrf_token": csrf(page)})
    assert done.status_code == 302
    page = client.get(f"/me/recognition/{application}").get_data(as_text=True)
    assert "申请已撤回。" in page
    assert "已撤回" in page
    assert "撤回这份申请" not in page
    twice = client.post(f"/me/recognition/{application}", data={"action": "withdraw", "csrf_token": csrf(page)})
    assert twice.status_code == 409
    assert "这份申请已经不能撤回了" in twice.get_data(as_text=True)
    assert client.post(f"/me/recognition/{application}", data={"csrf_token": csrf(page)}).status_code == 400


def test_another_learner_s_application_is_not_found(portal: Portal) -> None:
    owner = _client(portal)
    application = _apply(owner, "Tai chi, not for others")
    intruder = _client(portal, "zhao.liu")
    page = intruder.get("/me/recognition").get_data(as_text=True)
    assert application not in page
    assert intruder.get(f"/me/recognition/{application}").status_code == 404
    token = csrf(page)
    for action in ({"action": "withdraw"}, {"action": "appeal", "reason": "mine now"}):
        answer = intruder.post(f"/me/recognition/{application}", data={**action, "csrf_token": token})
        assert answer.status_code == 404
    assert applications.get(portal.bank, application)["state"] == "under_review"
    for bad in ("rap-00000000000000000000", "RAP-" + application[4:], "x" * 24):
        assert owner.get(f"/me/recognition/{bad}").status_code == 404
    visitor = portal.app.test_client()
    assert visitor.get("/me/recognition").status_code == 302
    assert visitor.get(f"/me/recognition/{application}").status_code == 302


def test_a_form_without_its_csrf_token_does_nothing(portal: Portal) -> None:
    client = _client(portal)
    application = _apply(client, "Ceramics, CSRF check")
    size = _size(portal.bank)
    data = {"evidence": [(io.BytesIO(PNG + b"forged"), "scan.png")], "description": ["forged"]}
    forged = _send(client, data)
    assert forged.status_code == 400
    assert "表单已过期" in forged.get_data(as_text=True)
    for action in ({"action": "withdraw"}, {"action": "appeal", "reason": "forged"}):
        answer = client.post(f"/me/recognition/{application}", data={**action, "csrf_token": "wrong"})
        assert answer.status_code == 400
    assert _size(portal.bank) == size
    assert applications.get(portal.bank, application)["state"] == "under_review"


@pytest.mark.parametrize(
    ("files", "field", "message"),
    [
        ([], "evidence-error", "请至少选择一个文件。"),
        ([(b"GIF89a" + b"\x00" * 32, "photo.gif", "A photo")], "evidence-1-error", "这种文件不能作为证明"),
        ([(PNG + b"no words", "scan.png", "   ")], "description-1-error", "请写明这份扫描件证明了什么学习。"),
        ([_scan(f"Scan number {n}") for n in range(6)], "evidence-error", "一次最多上传 5 个文件。"),
        ([(b"", "empty.png", "nothing in it")], "evidence-1-error", "这个文件是空的。"),
        ([(b'{"hello": "world"}', "hello.json", "")], "evidence-1-error", "这份凭证未通过核验：the file is not a"),
    ],
)
def test_a_refusal_is_the_form_again_with_the_reason(
    portal: Portal, files: list[tuple[bytes, str, str]], field: str, message: str
) -> None:
    client = _client(portal)
    size = _size(portal.bank)
    answer = _post_form(client, files)
    assert answer.status_code == 400
    page = answer.get_data(as_text=True)
    assert re.search(rf'id="{field}">[^<]*{re.escape(message)}', page), page[page.find("<main") :]
    assert "申请未能提交" in page
    assert 'enctype="multipart/form-data"' in page
    assert _size(portal.bank) == size


def test_a_refused_later_row_is_marked_on_its_own_row_and_keeps_the_words(portal: Portal) -> None:
    client = _client(portal)
    answer = _post_form(client, [_scan("Woodwork, row one"), (PNG + b"two", "scan.png", "")])
    assert answer.status_code == 400
    page = answer.get_data(as_text=True)
    assert 'id="description-2-error"' in page
    assert 'id="description-1-error"' not in page
    assert "Woodwork, row one</textarea>" in page


def test_a_credential_downloaded_from_the_portal_is_evidence(portal: Portal) -> None:
    client = _client(portal)
    # Below the rule set's minimum result, so it converted to nothing and may still be recognized.
    achievement = portal.world.record(
        "uni-a", "PORTAL-OWN-1", credits=2, title={"zh": "摄影基础", "en": "Photography basics"},
        result={"type": "score", "score": 40, "max": 100},
    )  # fmt: skip
    issued = credentials.issue(
        portal.bank, None, credentials.Request(portal.world.learner, "achievement", achievement["id"])
    )
    bundle = client.get(f"/me/documents/{issued['id']}.json")
    assert bundle.status_code == 200
    answer = _post_form(client, [(bundle.data, "creditbank.json", "")])
    assert answer.status_code == 302, answer.get_data(as_text=True)
    page = client.get(answer.headers["Location"]).get_data(as_text=True)
    assert "摄影基础" in page
    assert "正在审核" in page


def test_too_many_open_applications_are_told_in_words(portal: Portal) -> None:
    for n in range(applications.MAX_OPEN):
        scan = EvidenceFile(PNG + f"zhao {n}".encode(), "scan.png", f"Evening class {n}")
        applications.apply(portal.bank, Applicant.learner(), portal.other, [scan])
    client = _client(portal, "zhao.liu")
    answer = _post_form(client, [_scan("One more evening class")])
    assert answer.status_code == 409
    assert re.search(r'id="form-error">您已有 10 份申请正在等待决定', answer.get_data(as_text=True))


def test_an_application_an_institution_handed_in_is_the_learner_s_to_see(portal: Portal) -> None:
    body = {"learner": portal.world.learner, "evidence": [{
        "content_base64": base64.b64encode(PNG + b"by uni-a").decode(), "description": "Handed in by the university",
    }]}  # fmt: skip
    answer = portal.world.client.post("/api/v1/recognition/applications", json=body, headers=portal.world.headers())
    assert answer.status_code == 201, answer.get_data(as_text=True)
    client = _client(portal)
    page = client.get(f"/me/recognition/{answer.get_json()['id']}").get_data(as_text=True)
    assert "由 <bdi>Institution uni-a</bdi> 代您提交" in page
    assert "Handed in by the university" in page


def test_the_same_learning_twice_is_told_in_words(portal: Portal) -> None:
    client = _client(portal)
    scan = _scan("Gardening, handed in twice")
    assert _post_form(client, [scan]).status_code == 302
    again = _post_form(client, [scan])
    assert again.status_code == 409
    assert "这项学习已经在另一份申请中，正在等待决定。" in again.get_data(as_text=True)


def test_an_upload_past_the_limit_is_refused_before_it_is_read(portal: Portal) -> None:
    client = _client(portal)
    huge = PNG + b"\x00" * (16 * 1024 * 1024 + 100 * 1024)
    answer = _post_form(client, [(huge, "huge.png", "too big")])
    assert answer.status_code == 413
    assert "这些文件加起来太大了。" in answer.get_data(as_text=True)
    # A scan past the site's general body limit, but within what an application takes, is taken.
    limit = portal.app.config["MAX_CONTENT_LENGTH"]
    large = _post_form(client, [(PNG + b"\x00" * limit + b"large", "large.png", "A large scan of a diploma")])
    assert large.status_code == 302, large.get_data(as_text=True)[:2000]


def test_a_choice_of_framework_when_two_take_recognition(client: FlaskClient, bank: Bank) -> None:
    world = build(client, bank)
    second = copy.deepcopy(FRAMEWORK)
    second.update(id="test-fw-2", name={"zh": "第二测试框架", "en": "Second test framework"})
    credit_rules.publish_framework(bank, second, source="test")
    credit_rules.publish_rules(bank, rules("t2-1", framework="test-fw-2", equivalences=[], awarding={}), source="test")
    _account(bank, world.learner, "1958-03-04", "li.juan")
    assert login(client, "li.juan", PASSWORD).status_code == 302
    form = client.get("/me/recognition/new").get_data(as_text=True)
    assert '<select id="framework"' in form
    assert "第二测试框架" in form
    unnamed = _post_form(client, [_scan("Framework not chosen")], framework="")
    assert unnamed.status_code == 400
    assert re.search(r'id="framework-error">请选择资历框架。', unnamed.get_data(as_text=True))
    wrong = _post_form(client, [_scan("Wrong qualification")], framework="test-fw-2", qualification="nope")
    assert re.search(r'id="qualification-error">', wrong.get_data(as_text=True))
    chosen = _post_form(client, [_scan("Counts in the second")], framework="test-fw-2", qualification="test-cert")
    assert chosen.status_code == 302
    applied = applications.list_applications(bank, learner_id=world.learner)
    assert [(view["framework"], view["qualification"]) for view in applied] == [("test-fw-2", "test-cert")]
    applications.apply(bank, Applicant.learner(), world.learner, [EvidenceFile(PNG + b"x", "x.png", "Direct")],
                       framework="test-fw")  # fmt: skip
    listing = client.get("/me/recognition").get_data(as_text=True)
    assert "计入：<bdi>第二测试框架</bdi>" in listing
    assert "计入：<bdi>测试框架</bdi>" in listing
