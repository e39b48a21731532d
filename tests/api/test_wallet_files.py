"""Files wallets and verifiers understand, through the API: the bare signed credential with its media type, the
receipt as a file of its own, the DID document and status lists with their media types and conditional GETs, and
documents in Chinese with any of the five other languages."""

from __future__ import annotations

from typing import Any

import pytest

from certificates.pdf_read import visible_text
from creditbank.languages import words
from tests.credentials.issued_world import Issued
from tests.credentials.issued_world import issued as issued


def test_the_credential_is_served_bare_with_its_media_type_and_the_receipt_apart(issued: Issued) -> None:
    client, headers = issued.world.client, issued.world.headers("uni-a")
    bare = client.get(f"/api/v1/credentials/{issued.credential_id}", headers=headers)
    assert bare.status_code == 200
    assert bare.mimetype == "application/vc+ld+json"
    credential = bare.get_json()
    assert credential == issued.bundle["credential"]
    assert "proof" in credential
    assert "receipt" not in credential

    joined = client.get(f"/api/v1/credentials/{issued.credential_id}?receipt=true", headers=headers)
    assert joined.mimetype == "application/json"
    assert joined.get_json() == issued.bundle

    receipt = client.get(f"/api/v1/credentials/{issued.credential_id}/receipt", headers=headers)
    assert receipt.status_code == 200
    assert receipt.get_json() == issued.bundle["receipt"]
    # Another institution's key sees neither.
    assert client.get(
        f"/api/v1/credentials/{issued.credential_id}/receipt", headers=issued.world.headers("uni-b")
    ).status_code in (403, 404)
    assert client.get(f"/api/v1/credentials/{issued.credential_id}/receipt").status_code == 401


@pytest.mark.parametrize("path", ["/.well-known/did.json", "status"])
def test_public_documents_have_their_media_type_an_etag_and_answer_304(issued: Issued, path: str) -> None:
    client = issued.world.client
    if path == "status":
        path = "/status/" + issued.bundle["credential"]["credentialStatus"]["statusListCredential"].rsplit("/", 1)[1]
    first = client.get(path)
    assert first.status_code == 200
    expected = "application/did+ld+json" if path.endswith("did.json") else "application/vc+ld+json"
    assert first.mimetype == expected
    assert first.get_json()["id"]
    tag = first.headers["ETag"]
    assert tag.startswith('"')
    assert tag.endswith('"')
    assert "public" in first.headers["Cache-Control"]
    assert "max-age=" in first.headers["Cache-Control"]

    again = client.get(path, headers={"If-None-Match": tag})
    assert again.status_code == 304
    assert again.data == b""
    assert again.headers["ETag"] == tag
    stale = client.get(path, headers={"If-None-Match": '"not-this-one"'})
    assert stale.status_code == 200
    assert stale.data == first.data


@pytest.mark.parametrize("second", ["fr", "ru", "es", "ar"])
def test_a_document_in_chinese_and_another_un_language_is_issued_through_the_api(issued: Issued, second: str) -> None:
    world = issued.world
    made = world.client.post(
        f"/api/v1/learners/{world.learner}/credentials",
        json={"kind": "transcript", "language_order": f"zh-{second}"},
        headers=world.headers("uni-a"),
    )
    assert made.status_code == 201, made.get_data(as_text=True)
    pdf = world.client.get(f"/api/v1/credentials/{made.get_json()['id']}/pdf", headers=world.headers("uni-a"))
    assert pdf.status_code == 200
    text = " ".join(visible_text(pdf.data).split())
    label = " ".join(words.text("documents_transcript", second).split())
    # Arabic is shaped for the page; its words come back from the PDF as letters of the Arabic script.
    if second == "ar":
        assert any("\u0600" <= char <= "\u06ff" or "\ufe70" <= char <= "\ufeff" for char in text)
    else:
        assert label in text, (label, text[:400])
    assert words.text("documents_transcript", "zh") in text


def _problem(response: Any) -> dict[str, Any]:
    assert response.mimetype == "application/problem+json"
    body: dict[str, Any] = response.get_json()
    return body


def test_a_language_order_that_is_no_pair_is_refused_with_its_field(issued: Issued) -> None:
    world = issued.world
    for order in ("zh-de", "fr-en", "zh-zh", "", "zh-en-fr"):
        refused = world.client.post(
            f"/api/v1/learners/{world.learner}/credentials",
            json={"kind": "transcript", "language_order": order},
            headers=world.headers("uni-a"),
        )
        assert refused.status_code == 422, order
        assert "language_order" in _problem(refused)["errors"], order
    bad = world.client.get(f"/api/v1/credentials/{issued.credential_id}/pdf?lang=xx", headers=world.headers("uni-a"))
    assert bad.status_code == 422
    assert "lang" in _problem(bad)["errors"]
