"""A PDF is only handed out while it shows what the ledger fingerprinted at issuance.

A bank upgraded to a new document layout, or a holder whose name was corrected, would otherwise download a freshly
rendered PDF that every verifier rejects as not what was issued. Such a download is refused: the portal says in the
learner's language to create the document again, the API answers 409, and the signed JSON still verifies.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import pytest
from flask.testing import FlaskClient

from creditbank import demo
from creditbank.errors import DocumentOutdated
from creditbank.languages.i18n import text as words
from creditbank.models import CredentialDocument
from creditbank.runtime import Bank, bank_of
from creditbank.services import credentials
from tests.conftest import BACKENDS, configuration, database_url, running_app
from tests.portal.test_portal_pages import csrf, login


@pytest.fixture(scope="module", params=BACKENDS)
def seeded(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Any, Bank]]:
    folder = tmp_path_factory.mktemp("outdated")
    with running_app(configuration(database_url(request.param, request, folder), folder)) as app:
        bank = bank_of(app)
        demo.seed(bank, 3)
        yield app, bank


def _signed_in(app: Any, bank: Bank) -> FlaskClient:
    client = app.test_client()
    found = demo.demo_login(bank)
    assert found is not None
    assert login(client, found[1], found[2]).status_code == 302
    return client


def _pdf_links(client: FlaskClient) -> set[str]:
    return set(re.findall(r'href="/me/documents/([^"/]+)\.pdf"', client.get("/me/documents").get_data(as_text=True)))


def _new_transcript(client: FlaskClient) -> str:
    before = _pdf_links(client)
    page = client.get("/me/documents").get_data(as_text=True)
    assert client.post("/me/documents", data={"kind": "transcript", "csrf_token": csrf(page)}).status_code == 302
    (made,) = _pdf_links(client) - before
    return made


def _lay_out_differently(bank: Bank, credential_id: str) -> None:
    """What an earlier version's layout amounts to for the renderer: the kept rows no longer give the words that
    were fingerprinted."""
    with bank.db.writing() as session:
        stored = session.get(CredentialDocument, credential_id)
        assert stored is not None
        assert stored.page_facts is not None
        kept = json.loads(stored.page_facts)
        assert kept["rows"], "a transcript of the demo learner has rows"
        kept["rows"][0]["title"] = {"zh": "另一种版式", "en": "Another layout"}
        stored.page_facts = json.dumps(kept, ensure_ascii=False)


def test_a_pdf_that_no_longer_shows_what_was_issued_is_refused(seeded: tuple[Any, Bank]) -> None:
    app, bank = seeded
    client = _signed_in(app, bank)
    credential_id = _new_transcript(client)
    first = client.get(f"/me/documents/{credential_id}.pdf")
    assert first.status_code == 200
    assert first.data.startswith(b"%PDF")

    _lay_out_differently(bank, credential_id)
    with pytest.raises(DocumentOutdated):
        credentials.pdf(bank, None, credential_id)

    refused = client.get(f"/me/documents/{credential_id}.pdf")
    assert refused.status_code == 302
    assert refused.headers["Location"].endswith("/me/documents")
    page = client.get("/me/documents").get_data(as_text=True)
    assert words("document_outdated", "zh") in page

    client.set_cookie("lang", "ar")
    client.get(f"/me/documents/{credential_id}.pdf")
    assert words("document_outdated", "ar") in client.get("/me/documents").get_data(as_text=True)

    # The signed credential and its receipt are untouched and still verify.
    bundle = client.get(f"/me/documents/{credential_id}.json").get_json()
    report = client.post("/api/v1/verify", json=bundle).get_json()
    assert report["valid"] is True, [check for check in report["checks"] if check["result"] != "pass"]


def test_the_pdf_handed_out_is_the_one_the_ledger_fingerprinted(seeded: tuple[Any, Bank]) -> None:
    app, bank = seeded
    client = _signed_in(app, bank)
    credential_id = _new_transcript(client)
    downloaded = client.get(f"/me/documents/{credential_id}.pdf")
    assert downloaded.status_code == 200, downloaded.headers
    report = client.post("/api/v1/verify", data=downloaded.data, content_type="application/pdf").get_json()
    assert report["valid"] is True, [check for check in report["checks"] if check["result"] != "pass"]
