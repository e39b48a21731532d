"""Wallet delivery over a VC-API exchange, in process: the documents page's button and QR page, the interaction URL,
the DID authentication request, and every refusal — an unknown, replayed, expired or foreign exchange, a wrong
challenge or domain, an unsigned or wrongly signed presentation, rounds past the limit, bodies that are no exchange
message. Each refusal is a problem document and delivers nothing: the exchange stays undelivered, no holder DID is
kept, the ledger does not grow.

The presentations are the wallet's own: signed by tests/interop/wallet_play.mjs with DCC's libraries."""

from __future__ import annotations

import html
import json
import re
import shutil
import subprocess
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select

from creditbank import demo
from creditbank.models import Learner, LedgerEntry, WalletExchange
from creditbank.runtime import Bank, bank_of
from creditbank.services import credentials
from creditbank.services.credentials import exchanges
from creditbank.services.records import learners
from tests.conftest import BACKENDS, configuration, database_url, running_app
from tests.portal.test_portal_pages import csrf, login

WALLET = Path(__file__).resolve().parents[1] / "interop" / "wallet_play.mjs"
PROBLEM = "https://creditbank.example/problems/"


@pytest.fixture(scope="module", params=BACKENDS)
def seeded(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Any, Bank]]:
    folder = tmp_path_factory.mktemp("wallet-exchanges")
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


def _credential(bank: Bank, learner: str) -> str:
    found = [item for item in credentials.list_for_learner(bank, learner) if item["kind"] == "qualification"]
    return str(found[0]["id"])


def _open(client: FlaskClient, credential_id: str) -> tuple[str, str]:
    """The wallet page's interaction URL and the exchange's path, opened as the learner does."""
    token = csrf(client.get("/me/documents").get_data(as_text=True))
    page = client.post(f"/me/documents/{credential_id}/wallet", data={"csrf_token": token})
    assert page.status_code == 200, page.get_data(as_text=True)[-500:]
    link = re.search(r'<a href="(https://bank\.example/api/v1/exchanges/[^"]+)"', page.get_data(as_text=True))
    assert link is not None
    interaction = html.unescape(link.group(1))
    return interaction, interaction.removeprefix("https://bank.example").removesuffix("?iuv=1")


def _sign(challenge: str, domain: str = "bank.example", *extra: str) -> dict[str, Any]:
    node = shutil.which("node")
    assert node is not None, "node is missing: run make setup"
    done = subprocess.run(
        [node, str(WALLET), "sign", challenge, domain, *extra], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr
    signed: dict[str, Any] = json.loads(done.stdout)
    return signed


def _ledger_size(bank: Bank) -> int:
    with bank.db.reading() as session:
        return int(session.scalar(select(func.count()).select_from(LedgerEntry)) or 0)


def _rows(bank: Bank, learner: str) -> list[WalletExchange]:
    with bank.db.reading() as session:
        return list(session.scalars(select(WalletExchange).where(WalletExchange.learner_id == learner)))


def _problem(response: Any, status: int, kind: str) -> dict[str, Any]:
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
    body: dict[str, Any] = response.get_json()
    assert body["type"] == PROBLEM + kind, body
    assert body["detail"]
    return body


def _post(client: FlaskClient, path: str, body: Any) -> Any:
    return client.post(path, data=json.dumps(body), content_type="application/json")


def test_the_wallet_gets_the_credential_as_issued_once(signed_in) -> None:
    client, bank, learner = signed_in
    credential_id = _credential(bank, learner)
    listing = client.get("/me/documents").get_data(as_text=True)
    assert f'action="/me/documents/{credential_id}/wallet"' in listing
    before = _ledger_size(bank)
    interaction, path = _open(client, credential_id)
    assert interaction.endswith("?iuv=1")
    assert len(interaction) <= exchanges.QR_BUDGET

    asked = client.get(path + "?iuv=1", headers={"Accept": "application/json"})
    assert asked.status_code == 200
    assert asked.headers["Cache-Control"] == "no-store"
    assert asked.get_json() == {"protocols": {"vcapi": "https://bank.example" + path}}

    request = _post(client, path, {}).get_json()["verifiablePresentationRequest"]
    assert request["query"][0]["type"] == "DIDAuthentication"
    assert request["domain"] == "bank.example"
    assert request["interact"]["service"][0]["serviceEndpoint"] == "https://bank.example" + path
    wallet = _sign(request["challenge"])
    delivered = _post(client, path, {"verifiablePresentation": wallet["presentation"]})
    assert delivered.status_code == 200, delivered.get_data(as_text=True)
    (credential,) = delivered.get_json()["verifiablePresentation"]["verifiableCredential"]
    # Exactly what was issued and fingerprinted: nothing re-signed, no holder DID written into it.
    assert credential == credentials.document(bank, None, credential_id)
    assert wallet["holder"] not in json.dumps(credential)
    assert _ledger_size(bank) == before
    (row,) = [row for row in _rows(bank, learner) if row.state == "done"]
    assert row.holder_did == wallet["holder"]
    assert exchanges.holder_dids(bank, learner)[0] == wallet["holder"]

    # Single use: the same presentation again, or the interaction URL, is refused.
    _problem(_post(client, path, {"verifiablePresentation": wallet["presentation"]}), 409, "exchange-closed")
    _problem(_post(client, path, {}), 409, "exchange-closed")
    _problem(client.get(path + "?iuv=1"), 409, "exchange-closed")


def test_a_presentation_in_the_vc_1_1_form_is_accepted(signed_in) -> None:
    client, bank, learner = signed_in
    _, path = _open(client, _credential(bank, learner))
    challenge = _post(client, path, {}).get_json()["verifiablePresentationRequest"]["challenge"]
    presentation = _sign(challenge, "bank.example", "--v1")["presentation"]
    assert presentation["@context"][0] == "https://www.w3.org/2018/credentials/v1"
    assert _post(client, path, {"verifiablePresentation": presentation}).status_code == 200


def _undelivered(bank: Bank, learner: str, path: str) -> WalletExchange:
    digest = exchanges._digest(path.rsplit("/", 1)[1])
    with bank.db.reading() as session:
        row = session.get(WalletExchange, digest)
        assert row is not None
        assert row.state != "done"
        assert row.holder_did is None
        return row


def test_wrong_challenge_domain_and_signatures_are_refused_and_deliver_nothing(signed_in) -> None:
    client, bank, learner = signed_in
    _, path = _open(client, _credential(bank, learner))
    challenge = _post(client, path, {}).get_json()["verifiablePresentationRequest"]["challenge"]
    before = _ledger_size(bank)
    other_challenge = _sign("not-" + challenge)["presentation"]
    body = _problem(_post(client, path, {"verifiablePresentation": other_challenge}), 422, "presentation-refused")
    assert "challenge" in body["detail"]
    other_domain = _sign(challenge, "elsewhere.example")["presentation"]
    body = _problem(_post(client, path, {"verifiablePresentation": other_domain}), 422, "presentation-refused")
    assert "domain" in body["detail"]
    good = _sign(challenge)["presentation"]
    # Another key's signature under this key's name.
    forged = {**good, "proof": {**good["proof"], "proofValue": _sign(challenge)["presentation"]["proof"]["proofValue"]}}
    body = _problem(_post(client, path, {"verifiablePresentation": forged}), 422, "presentation-refused")
    assert "signature" in body["detail"]
    assert _ledger_size(bank) == before
    assert _undelivered(bank, learner, path).rounds == 4

    # The rounds are used up: even the right presentation is refused now.
    body = _problem(_post(client, path, {"verifiablePresentation": good}), 409, "exchange-closed")
    assert "rounds" in body["detail"]
    assert _undelivered(bank, learner, path).rounds == 4


def test_unsigned_and_altered_presentations_are_refused(signed_in) -> None:
    client, bank, learner = signed_in
    _, path = _open(client, _credential(bank, learner))
    challenge = _post(client, path, {}).get_json()["verifiablePresentationRequest"]["challenge"]
    good = _sign(challenge)["presentation"]
    unsigned = {key: value for key, value in good.items() if key != "proof"}
    body = _problem(_post(client, path, {"verifiablePresentation": unsigned}), 422, "presentation-refused")
    assert "not signed" in body["detail"]
    # A word added after signing changes the signed graph.
    altered = {**good, "id": "urn:uuid:3c1f3a52-8b7e-4e0e-9d35-8f2a0d3e4b11"}
    body = _problem(_post(client, path, {"verifiablePresentation": altered}), 422, "presentation-refused")
    assert "signature" in body["detail"]
    # The right one still works within the rounds.
    assert _post(client, path, {"verifiablePresentation": good}).status_code == 200


def test_an_expired_exchange_is_refused(signed_in) -> None:
    client, bank, learner = signed_in
    _, path = _open(client, _credential(bank, learner))
    challenge = _post(client, path, {}).get_json()["verifiablePresentationRequest"]["challenge"]
    good = _sign(challenge)["presentation"]
    with bank.db.writing() as session:
        row = session.get(WalletExchange, exchanges._digest(path.rsplit("/", 1)[1]))
        assert row is not None
        row.expires_at = datetime.now(UTC) - timedelta(seconds=1)
    _problem(client.get(path), 410, "exchange-expired")
    _problem(_post(client, path, {"verifiablePresentation": good}), 410, "exchange-expired")
    assert _undelivered(bank, learner, path).rounds == 1


def test_unknown_exchanges_and_bodies_that_are_no_exchange_message(signed_in) -> None:
    client, bank, learner = signed_in
    _problem(client.get("/api/v1/exchanges/" + "A" * 43), 404, "not-found")
    _problem(_post(client, "/api/v1/exchanges/" + "A" * 43, {}), 404, "not-found")
    _, path = _open(client, _credential(bank, learner))
    _problem(_post(client, path, {"verifiablePresentation": {}, "more": 1}), 422, "invalid-input")
    _problem(_post(client, path, [1]), 422, "invalid-input")
    _problem(client.post(path, data="{}", content_type="text/plain"), 415, "unsupported-media-type")
    _problem(client.post(path, data="{", content_type="application/json"), 400, "bad-request")
    big = json.dumps({"verifiablePresentation": {"x": "y" * 70_000}})
    _problem(client.post(path, data=big, content_type="application/json"), 413, "payload-too-large")
    deep: dict[str, Any] = {"@context": ["https://www.w3.org/ns/credentials/v2"]}
    for _ in range(8):
        deep = {"nested": deep}
    body = _problem(_post(client, path, {"verifiablePresentation": deep}), 422, "presentation-refused")
    assert "deeper" in body["detail"]
    assert _undelivered(bank, learner, path).rounds == 3


def test_a_foreign_credential_cannot_be_put_in_an_exchange(signed_in, seeded) -> None:
    client, bank, learner = signed_in
    with bank.db.reading() as session:
        other = next(found for found in session.scalars(select(Learner.id).order_by(Learner.id)) if found != learner)
    theirs = credentials.issue(bank, None, credentials.Request(other, "transcript", None, "zh-en"))["id"]
    before = len(_rows(bank, other)), len(_rows(bank, learner))
    token = csrf(client.get("/me/documents").get_data(as_text=True))
    assert client.post(f"/me/documents/{theirs}/wallet", data={"csrf_token": token}).status_code == 404
    # Without the form's token, or signed out, nothing opens either.
    assert client.post(f"/me/documents/{_credential(bank, learner)}/wallet").status_code == 400
    app, _ = seeded
    assert app.test_client().post(f"/me/documents/{theirs}/wallet").status_code == 302  # to the login page
    assert (len(_rows(bank, other)), len(_rows(bank, learner))) == before


def test_a_credential_revoked_after_opening_is_not_delivered(signed_in) -> None:
    client, bank, learner = signed_in
    credential_id = credentials.issue(bank, None, credentials.Request(learner, "transcript", None, "zh-en"))["id"]
    _, path = _open(client, credential_id)
    challenge = _post(client, path, {}).get_json()["verifiablePresentationRequest"]["challenge"]
    credentials.change_status(bank, credential_id, "revoke", "issued in error")
    before = _ledger_size(bank)
    good = _sign(challenge)["presentation"]
    _problem(_post(client, path, {"verifiablePresentation": good}), 409, "conflict")
    assert _ledger_size(bank) == before
    _undelivered(bank, learner, path)
    token = csrf(client.get("/me/documents").get_data(as_text=True))
    assert client.post(f"/me/documents/{credential_id}/wallet", data={"csrf_token": token}).status_code == 409


def test_erasure_takes_the_learner_s_exchanges_and_wallet_dids(seeded) -> None:
    _, bank = seeded
    found = demo.demo_login(bank)
    assert found is not None
    with bank.db.reading() as session:
        # Neither the learner the other tests sign in as nor the one whose transcript they try to take.
        newest = session.scalars(select(Learner.id).order_by(Learner.id.desc()))
        learner = next(other for other in newest if other != found[0])
    credential_id = credentials.issue(bank, None, credentials.Request(learner, "transcript", None, "zh-en"))["id"]
    token = exchanges.open_exchange(bank, learner, credential_id).exchange_url.rsplit("/", 1)[1]
    challenge = exchanges.participate(bank, token, {})["verifiablePresentationRequest"]["challenge"]
    exchanges.participate(bank, token, {"verifiablePresentation": _sign(challenge)["presentation"]})
    assert exchanges.holder_dids(bank, learner)
    learners.erase(bank, learner)
    assert _rows(bank, learner) == []
    assert exchanges.holder_dids(bank, learner) == []
