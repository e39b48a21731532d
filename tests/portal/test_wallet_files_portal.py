"""What the learner takes from /me/documents into the wider world: the bare credential a wallet opens, its receipt
as a file of its own, the joined file on request, and LinkedIn's add-to-profile link; and the card a shared /v/<id>
link shows (Open Graph), which names the certificate and never its holder."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from flask.testing import FlaskClient

from creditbank import demo
from creditbank.runtime import Bank, bank_of
from creditbank.services import credentials
from tests.conftest import BACKENDS, configuration, database_url, running_app
from tests.portal.test_portal_pages import login


@pytest.fixture(scope="module", params=BACKENDS)
def seeded(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Any, Bank]]:
    folder = tmp_path_factory.mktemp("wallet-files")
    config = configuration(database_url(request.param, request, folder), folder)
    config["CREDITBANK_PUBLIC_URL"] = "https://bank.example"
    with running_app(config) as app:
        bank = bank_of(app)
        demo.seed(bank, 3)
        yield app, bank


@pytest.fixture
def signed_in(seeded: tuple[Any, Bank]) -> tuple[FlaskClient, Bank, str]:
    app, bank = seeded
    client = app.test_client()
    found = demo.demo_login(bank)
    assert found is not None
    assert login(client, found[1], found[2]).status_code == 302
    return client, bank, found[0]


def _qualification(bank: Bank, learner: str) -> dict[str, Any]:
    (found,) = [item for item in credentials.list_for_learner(bank, learner) if item["kind"] == "qualification"]
    return found


def test_the_json_download_is_the_bare_credential_and_the_receipt_is_its_own_file(signed_in) -> None:
    client, bank, learner = signed_in
    credential_id = _qualification(bank, learner)["id"]
    bare = client.get(f"/me/documents/{credential_id}.json")
    assert bare.status_code == 200
    assert bare.mimetype == "application/vc+ld+json"
    assert bare.get_json() == credentials.document(bank, None, credential_id)
    assert ".json" in bare.headers["Content-Disposition"]

    receipt = client.get(f"/me/documents/{credential_id}/receipt.json")
    assert receipt.status_code == 200
    assert receipt.get_json() == credentials.receipt(bank, credential_id)
    assert "receipt.json" in receipt.headers["Content-Disposition"]
    joined = client.get(f"/me/documents/{credential_id}.json?receipt=true").get_json()
    assert joined == {"credential": bare.get_json(), "receipt": receipt.get_json()}

    # The bare credential verifies online: the bank finds its receipt itself.
    report = client.post("/api/v1/verify", data=bare.data, content_type="application/json").get_json()
    assert report["valid"] is True, [check for check in report["checks"] if check["result"] != "pass"]
    listing = client.get("/me/documents")
    assert listing.status_code == 200, listing.get_data(as_text=True)[-600:]
    assert f'href="/me/documents/{credential_id}/receipt.json"' in listing.get_data(as_text=True)


def test_someone_else_s_files_are_not_served(signed_in, seeded) -> None:
    client, bank, learner = signed_in
    (other, *_) = [found for found in _learners(bank) if found != learner]
    theirs = credentials.issue(bank, None, credentials.Request(other, "transcript", None, "zh-en"))["id"]
    assert client.get(f"/me/documents/{theirs}/receipt.json").status_code == 404
    assert client.get(f"/me/documents/{theirs}.json").status_code == 404
    app, _ = seeded
    assert app.test_client().get(f"/me/documents/{theirs}/receipt.json").status_code == 302  # to the login page


def _learners(bank: Bank) -> list[str]:
    from sqlalchemy import select

    from creditbank.models import Learner

    with bank.db.reading() as session:
        return sorted(session.scalars(select(Learner.id)))


def test_the_add_to_profile_link_names_the_certificate_and_nothing_of_its_holder(signed_in) -> None:
    client, bank, learner = signed_in
    credential_id = _qualification(bank, learner)["id"]
    page = html.unescape(client.get("/me/documents").get_data(as_text=True))
    links = re.findall(r'href="(https://www\.linkedin\.com/profile/add\?[^"]+)"', page)
    assert len(links) == 1
    link = urlsplit(links[0])
    query = {key: values[0] for key, values in parse_qs(link.query).items()}
    summary = credentials.public_summary(bank, credential_id)
    assert query["startTask"] == "CERTIFICATION_NAME"
    assert query["name"] == summary["name"]
    assert query["organizationName"]
    assert query["certUrl"] == f"https://bank.example/v/{credential_id}"
    assert query["certId"] == credential_id
    assert 2026 <= int(query["issueYear"]) <= 2100
    assert 1 <= int(query["issueMonth"]) <= 12
    names = credentials.holder_names(bank, learner)
    assert names
    for name in names:
        assert name not in links[0]
        assert name not in html.unescape(links[0])
    assert learner not in links[0]


def test_a_shared_certificate_page_shows_a_card_without_the_holder(signed_in, seeded) -> None:
    _, bank, learner = signed_in
    credential_id = _qualification(bank, learner)["id"]
    app, _ = seeded
    page = html.unescape(app.test_client().get(f"/v/{credential_id}").get_data(as_text=True))
    tags = dict(re.findall(r'<meta property="(og:[a-z_]+)" content="([^"]*)">', page))
    summary = credentials.public_summary(bank, credential_id)
    assert tags["og:title"] == summary["name"]
    assert tags["og:url"] == f"https://bank.example/v/{credential_id}"
    assert tags["og:type"] == "website"
    assert tags["og:description"]
    for name in credentials.holder_names(bank, learner):
        assert name not in page
    assert learner not in page
