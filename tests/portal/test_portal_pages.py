"""The learner portal through Flask's test client: activation, login, the learner's pages, documents, language,
CSRF, and refusals as friendly pages. (The same pages in a real browser are in tests/web.)"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from typing import Any

import pytest
from flask.testing import FlaskClient

from creditbank import demo
from creditbank.languages import i18n
from creditbank.runtime import Bank, bank_of
from creditbank.services.learner_access import accounts
from creditbank.services.records import learners
from creditbank.services.records.api_keys import SCOPES, Principal
from tests.conftest import BACKENDS, configuration, database_url, running_app


@pytest.fixture(scope="module", params=BACKENDS)
def seeded(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Any, Bank]]:
    folder = tmp_path_factory.mktemp("portal")
    with running_app(configuration(database_url(request.param, request, folder), folder)) as app:
        bank = bank_of(app)
        demo.seed(bank, 3)
        yield app, bank


def csrf(page: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert found, page[:500]
    return found.group(1)


def login(client: FlaskClient, who: str, password: str) -> Any:
    token = csrf(client.get("/login").get_data(as_text=True))
    return client.post("/login", data={"login": who, "password": password, "csrf_token": token})


@pytest.fixture
def signed_in(seeded: tuple[Any, Bank]) -> FlaskClient:
    app, bank = seeded
    client = app.test_client()
    found = demo.demo_login(bank)
    assert found is not None
    response = login(client, found[1], found[2])
    assert response.status_code == 302, response.get_data(as_text=True)
    return client


def test_the_demo_learner_sees_her_record_credits_and_certificate(signed_in: FlaskClient) -> None:
    record = signed_in.get("/me").get_data(as_text=True)
    assert "数字素养与技能" in record
    assert re.search(r"记录于账本第 \d+ 条", record)
    credits_page = signed_in.get("/me/credits").get_data(as_text=True)
    assert "<svg" in credits_page
    assert "已获得" in credits_page
    documents = signed_in.get("/me/documents").get_data(as_text=True)
    assert "资历证书" in documents
    pdf_link = re.search(r'href="(/me/documents/[^"]+\.pdf)"', documents)
    assert pdf_link
    pdf = signed_in.get(pdf_link.group(1))
    assert pdf.mimetype == "application/pdf"
    assert pdf.data.startswith(b"%PDF")
    credential = signed_in.get(pdf_link.group(1).replace(".pdf", ".json")).get_json()
    assert credential["type"][0] == "VerifiableCredential"
    assert "proof" in credential
    bundle = signed_in.get(pdf_link.group(1).replace(".pdf", ".json") + "?receipt=true").get_json()
    assert set(bundle) == {"credential", "receipt"}


def test_a_transcript_is_issued_from_the_documents_page(signed_in: FlaskClient) -> None:
    page = signed_in.get("/me/documents").get_data(as_text=True)
    before = page.count("下载 PDF")
    answer = signed_in.post("/me/documents", data={"kind": "transcript", "csrf_token": csrf(page)})
    assert answer.status_code == 302
    after = signed_in.get("/me/documents").get_data(as_text=True)
    assert after.count("下载 PDF") == before + 1
    assert "成绩单" in after


def test_english_is_remembered_across_pages(signed_in: FlaskClient) -> None:
    switched = signed_in.get("/lang/en?next=/me/credits")
    assert switched.status_code == 302
    assert switched.headers["Location"].endswith("/me/credits")
    page = signed_in.get("/me").get_data(as_text=True)
    assert "My lifelong learning record" in page
    assert 'lang="en"' in page
    assert signed_in.get("/lang/en?next=https://evil.example/").headers["Location"] == "/"
    signed_in.get("/lang/zh")


def test_another_learners_document_is_not_found(seeded: tuple[Any, Bank], signed_in: FlaskClient) -> None:
    from sqlalchemy import select

    from creditbank.models import Achievement
    from creditbank.services import credentials

    _, bank = seeded
    found = demo.demo_login(bank)
    assert found is not None
    with bank.db.reading() as session:
        other = session.scalars(
            select(Achievement.learner_id).where(Achievement.learner_id != found[0], Achievement.status != "revoked")
        ).first()
    assert other is not None
    theirs = credentials.issue(bank, None, credentials.Request(other, "transcript"))["id"]
    for suffix in (".pdf", ".json"):
        response = signed_in.get(f"/me/documents/{theirs}{suffix}")
        assert response.status_code == 404
        assert "找不到该页面" in response.get_data(as_text=True)
    # The owner of that transcript is not this learner, and no page shows it to her.
    assert theirs not in signed_in.get("/me/documents").get_data(as_text=True)


def test_wrong_password_and_missing_csrf_are_friendly_refusals(seeded: tuple[Any, Bank]) -> None:
    app, bank = seeded
    client = app.test_client()
    found = demo.demo_login(bank)
    assert found is not None
    wrong = login(client, found[1], "not her password")
    assert wrong.status_code == 401
    assert "登录名或密码不正确" in wrong.get_data(as_text=True)
    stranger = login(client, "nobody@example.org", "whatever-password")
    assert stranger.get_data(as_text=True).count("登录名或密码不正确") == 1
    # The learner id printed on her certificates is not a login, even with the right password.
    by_id = login(client, found[0], found[2])
    assert by_id.status_code == 401
    forged = client.post("/login", data={"login": found[1], "password": found[2]})
    assert forged.status_code == 400
    assert "表单已过期" in forged.get_data(as_text=True)
    assert "Traceback" not in forged.get_data(as_text=True)
    assert client.get("/me").status_code == 302


def activation_form(page: str, code: str, **fields: str) -> dict[str, str]:
    password = fields.pop("password", "a long password")
    return {"code": code, "password": password, "password_again": password, "csrf_token": csrf(page), **fields}


def test_activation_through_the_page(seeded: tuple[Any, Bank]) -> None:
    app, bank = seeded
    client = app.test_client()
    staff = Principal("test", "demo-university", frozenset(SCOPES))
    import datetime

    person = learners.LearnerInput(birth_date=datetime.date(1955, 2, 2), name_zh="孙七")
    enrolled = learners.enroll(bank, staff, person).body
    code = enrolled["activation_code"]
    page = client.get("/activate").get_data(as_text=True)
    assert 'name="birth_date"' in page
    assert 'name="login_name"' in page
    short = client.post(
        "/activate", data=activation_form(page, code, password="short", birth_date="1955-02-02", login_name="sun.qi")
    )
    assert short.status_code == 400
    assert "密码至少需要 10 个字符" in short.get_data(as_text=True)
    like_an_id = client.post(
        "/activate", data=activation_form(page, code, birth_date="1955-02-02", login_name="lrn_sunqi")
    )
    assert like_an_id.status_code == 400
    assert "不能以 lrn_ 开头" in like_an_id.get_data(as_text=True)
    wrong_birthday = client.post(
        "/activate", data=activation_form(page, code, birth_date="1955-02-03", login_name="sun.qi")
    )
    assert wrong_birthday.status_code == 400
    unknown = client.post(
        "/activate", data=activation_form(page, "AAAA-BBBB-CCCC", birth_date="1955-02-02", login_name="sun.qi")
    )
    # The wrong birth date and an unknown code get the same words.
    assert "激活码或出生日期不正确" in wrong_birthday.get_data(as_text=True)
    assert "激活码或出生日期不正确" in unknown.get_data(as_text=True)
    done = client.post("/activate", data=activation_form(page, code, birth_date="1955-02-02", login_name="Sun.Qi"))
    assert done.status_code == 302, done.get_data(as_text=True)
    again = client.post("/activate", data=activation_form(page, code, birth_date="1955-02-02", login_name="sun.qi"))
    assert "该激活码已经使用过" in again.get_data(as_text=True)
    assert login(client, enrolled["id"], "a long password").status_code == 401
    assert login(client, "SUN.QI", "a long password").status_code == 302


def test_repeated_failures_throttle_the_login_with_a_page_not_a_trace(seeded: tuple[Any, Bank]) -> None:
    app, bank = seeded
    staff = Principal("test", "demo-university", frozenset(SCOPES))
    import datetime

    enrolled = learners.enroll(
        bank, staff, learners.LearnerInput(birth_date=datetime.date(1948, 8, 8), name_zh="郑十")
    ).body
    accounts.activate(bank, enrolled["activation_code"], "1948-08-08", "zheng shi password", login_name="zheng10")
    client = app.test_client()
    for _ in range(accounts.MAX_FAILURES):
        assert login(client, "zheng10", "a wrong guess").status_code == 401
    locked = login(client, "zheng10", "zheng shi password")
    assert locked.status_code == 429
    assert "失败次数过多" in locked.get_data(as_text=True)


def test_verify_page_refuses_odd_uploads_in_words(seeded: tuple[Any, Bank]) -> None:
    import io

    app, _ = seeded
    client = app.test_client()
    client.set_cookie("lang", "en")
    picture = client.post(
        "/verify", data={"file": (io.BytesIO(b"\x89PNG\r\n\x1a\n" + bytes(200)), "photo.png")},
        content_type="multipart/form-data",
    )  # fmt: skip
    text = picture.get_data(as_text=True)
    assert picture.status_code == 200
    assert "✘ Not valid" in text
    assert "expected a PDF certificate or a JSON credential" in text
    # A raw body of the declared type: the test client would spool a multipart one to a file it never closes.
    huge = client.post("/verify", data=bytes(21 * 1024 * 1024), content_type="multipart/form-data; boundary=x")
    assert huge.status_code == 413
    assert html.escape(i18n.text("too_large", "en")) in huge.get_data(as_text=True)
    assert "Traceback" not in huge.get_data(as_text=True)


def test_the_record_links_each_achievement_to_a_proof_that_verifies(signed_in: FlaskClient) -> None:
    import base64

    from ledger.merkle import verify_inclusion

    record = signed_in.get("/me").get_data(as_text=True)
    explained = re.search(r'href="(/about/entries/\d+)"', record)
    assert explained, record[:2000]
    # The record links to a page that says it in words; the proof is one click further from there.
    page = signed_in.get(explained.group(1)).get_data(as_text=True)
    link = re.search(r'href="(/ledger/proofs/inclusion\?seq=(\d+)&amp;size=(\d+))"', page)
    assert link, page[:2000]
    seq, size = int(link.group(2)), int(link.group(3))
    proof = signed_in.get(link.group(1).replace("&amp;", "&")).get_json()
    entry = signed_in.get(f"/ledger/entries/{seq}").get_json()
    origin, signed_size, root = signed_in.get("/ledger/checkpoint").get_data(as_text=True).splitlines()[:3]
    assert origin
    assert int(signed_size) == size
    leaf = base64.b64decode(entry["leaf_hash"])
    steps = [base64.b64decode(step) for step in proof["proof"]]
    assert verify_inclusion(leaf, seq, size, steps, base64.b64decode(root))
