"""Probes against the doors into the credential ecosystem, as an outsider would try them: the wallet exchange (replay,
another challenge or domain, keys of other curves, contexts of the presentation's own or on the network, bodies at
the edge of the limit, two wallets racing to be delivered, the page a browser gets), baked badges (PNG chunks and
SVG markup built to be read two ways, to cost a lot, or to reach outside the file; a valid credential in another
badge's picture), the tlog-tiles paths and encodings, conditional GETs of the DID document and status lists, a
status entry past the end of its list, and the console's receipt download for another institution's staff.

Each probe asserts the exact answer. The holes these probes found were fixed, and the probes stay as their guard:
a presentation whose own inline @context drops the JSON's challenge from the signed graph passed for any exchange;
a lone surrogate in a presentation was a 500; /ledger/tile//0/000 was redirected, and a percent-encoded tile path
was decoded into a second address of the same tile; an SVG whose openbadges prefix named another namespace was read
as holding no credential where a reader by prefix would find one; a credential recorded with a status index past the
end of its lists was "valid" online.
"""

from __future__ import annotations

import copy
import gzip
import hashlib
import http.server
import io
import json
import re
import threading
import time
import zlib
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any, ClassVar

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from flask.testing import FlaskClient
from sqlalchemy import func, select

from certificates import badges, did_auth
from certificates.contexts import VC_V2
from certificates.multibase import encode_z, public_multikey
from certificates.proofs import canonical
from creditbank.errors import NotFound
from creditbank.models import LedgerEntry, WalletExchange
from creditbank.runtime import Bank
from creditbank.services import credentials
from creditbank.services.credentials import exchanges
from creditbank.services.transparency import checkpoints
from tests.api.test_ledger_endpoints import assert_problem
from tests.attack.test_public_pages_probes import Statements
from tests.console.staff_helpers import staff_member
from tests.credentials.issued_world import Issued, checks
from tests.credentials.issued_world import issued as issued  # the module's bank with one certificate issued
from tests.credentials.resign import LIST_SIZE, fresh_slot, record, sign_with, status_entry, variant
from tests.helpers import append

PROBLEMS = "https://creditbank.example/problems/"
SEC = "https://w3id.org/security#"


# -- helpers ------------------------------------------------------------------------------------------------------


def _problem(response: Any, status: int, kind: str) -> dict[str, Any]:
    assert response.status_code == status, response.get_data(as_text=True)[:600]
    assert response.mimetype == "application/problem+json"
    body: dict[str, Any] = response.get_json()
    assert body["type"] == PROBLEMS + kind, body
    assert body["detail"]
    return body


def _domain(issued: Issued) -> str:
    return exchanges.domain(issued.world.bank)


def _exchange(issued: Issued, learner: str | None = None, credential_id: str | None = None) -> str:
    """A fresh exchange's path, opened as the documents page opens one."""
    bank = issued.world.bank
    opened = exchanges.open_exchange(bank, learner or issued.world.learner, credential_id or issued.credential_id)
    return opened.exchange_url.removeprefix(bank.public_url)


def _post(client: FlaskClient, path: str, body: Any) -> Any:
    return client.post(path, data=json.dumps(body), content_type="application/json")


def _challenge(client: FlaskClient, path: str) -> str:
    answer = _post(client, path, {})
    assert answer.status_code == 200, answer.get_data(as_text=True)
    return str(answer.get_json()["verifiablePresentationRequest"]["challenge"])


def _row(bank: Bank, path: str) -> WalletExchange:
    with bank.db.reading() as session:
        row = session.get(WalletExchange, exchanges._digest(path.rsplit("/", 1)[1]))
        assert row is not None
        session.expunge(row)
        return row


def _undelivered(bank: Bank, path: str) -> WalletExchange:
    row = _row(bank, path)
    assert row.state != "done"
    assert row.holder_did is None
    return row


def _ledger_size(bank: Bank) -> int:
    with bank.db.reading() as session:
        return int(session.scalar(select(func.count()).select_from(LedgerEntry)) or 0)


def _did_key(key: Ed25519PrivateKey) -> tuple[str, str]:
    raw = key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    multikey = public_multikey(raw)
    return f"did:key:{multikey}", f"did:key:{multikey}#{multikey}"


def present(
    challenge: str,
    domain: str,
    *,
    key: Ed25519PrivateKey | None = None,
    context: list[Any] | None = None,
    method: str | None = None,
    change: Callable[[dict[str, Any], dict[str, Any]], None] | None = None,
) -> dict[str, Any]:
    """A DID authentication signed as Ed25519Signature2020 signs it (SHA-256 of the canonical proof options, then of
    the canonical presentation), with ``change`` applied to the presentation and its proof before signing."""
    key = key or Ed25519PrivateKey.generate()
    did, own_method = _did_key(key)
    presentation: dict[str, Any] = {
        "@context": context or [VC_V2, did_auth.ED25519_2020],
        "type": ["VerifiablePresentation"],
        "holder": did,
    }
    proof: dict[str, Any] = {
        "type": "Ed25519Signature2020",
        "created": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "verificationMethod": method or own_method,
        "proofPurpose": "authentication",
        "challenge": challenge,
        "domain": domain,
    }
    if change is not None:
        change(presentation, proof)
    options = {**proof, "@context": presentation["@context"]}
    data = (
        hashlib.sha256(canonical(options, did_auth.load).encode()).digest()
        + hashlib.sha256(canonical(presentation, did_auth.load).encode()).digest()
    )
    return {**presentation, "proof": {**proof, "proofValue": encode_z(key.sign(data))}}


# -- wallet exchanges ---------------------------------------------------------------------------------------------


def test_the_probes_own_wallet_is_a_real_one(issued: Issued) -> None:
    # Every refusal below is of a presentation this signer makes; first, its honest one is delivered.
    client, bank = issued.world.client, issued.world.bank
    path = _exchange(issued)
    key = Ed25519PrivateKey.generate()
    answer = _post(
        client, path, {"verifiablePresentation": present(_challenge(client, path), _domain(issued), key=key)}
    )
    assert answer.status_code == 200, answer.get_data(as_text=True)
    (delivered,) = answer.get_json()["verifiablePresentation"]["verifiableCredential"]
    assert delivered == issued.bundle["credential"]
    assert _row(bank, path).holder_did == _did_key(key)[0]


def test_a_presentation_is_good_for_its_own_exchange_only(issued: Issued) -> None:
    client, bank = issued.world.client, issued.world.bank
    first, second = _exchange(issued), _exchange(issued)
    signed = present(_challenge(client, first), _domain(issued))
    _challenge(client, second)
    before = _ledger_size(bank)
    body = _problem(_post(client, second, {"verifiablePresentation": signed}), 422, "presentation-refused")
    assert "challenge" in body["detail"]
    _undelivered(bank, second)
    # Delivered where it was asked for, then refused there too: replay is a closed exchange.
    assert _post(client, first, {"verifiablePresentation": signed}).status_code == 200
    _problem(_post(client, first, {"verifiablePresentation": signed}), 409, "exchange-closed")
    _problem(_post(client, second, {"verifiablePresentation": signed}), 422, "presentation-refused")
    assert _ledger_size(bank) == before


@pytest.mark.parametrize("domain", ["elsewhere.example", "localhost", "localhost:5001", "LOCALHOST:5000", ""])
def test_a_presentation_for_another_domain_is_refused(issued: Issued, domain: str) -> None:
    client, bank = issued.world.client, issued.world.bank
    path = _exchange(issued)
    signed = present(_challenge(client, path), domain)
    body = _problem(_post(client, path, {"verifiablePresentation": signed}), 422, "presentation-refused")
    assert "domain" in body["detail"]
    _undelivered(bank, path)


def _own_terms(alias: str) -> dict[str, Any]:
    """A context that gives every term of the proof its published meaning, except that ``challenge`` is read as
    ``alias`` (nothing in the graph) and ``answer`` carries the challenge instead."""
    return {
        "Ed25519Signature2020": SEC + "Ed25519Signature2020",
        "challenge": alias,
        "answer": SEC + "challenge",
        "created": {"@id": "http://purl.org/dc/terms/created", "@type": "http://www.w3.org/2001/XMLSchema#dateTime"},
        "domain": SEC + "domain",
        "verificationMethod": {"@id": SEC + "verificationMethod", "@type": "@id"},
        "proofPurpose": {"@id": SEC + "proofPurpose", "@type": "@vocab"},
        "authentication": SEC + "authenticationMethod",
    }


@pytest.mark.parametrize("alias", ["@index", "_:unsaid"])
def test_a_context_of_the_presentation_s_own_cannot_move_the_challenge_out_of_what_was_signed(
    issued: Issued, alias: str
) -> None:
    # A presentation a wallet signed for one exchange, re-dressed for another: its graph, and so its signature, is
    # unchanged, while its JSON names the other exchange's challenge. Before inline contexts were refused, this
    # was delivered.
    client, bank = issued.world.client, issued.world.bank
    victim, target = _exchange(issued), _exchange(issued)
    signed = present(_challenge(client, victim), _domain(issued))
    forged = copy.deepcopy(signed)
    forged["@context"] = [VC_V2, _own_terms(alias)]
    forged["proof"]["answer"] = signed["proof"]["challenge"]
    forged["proof"]["challenge"] = _challenge(client, target)
    # The graph is the one the wallet signed: only the context rule stands between this and a delivery.
    assert canonical({k: v for k, v in forged.items() if k != "proof"}, did_auth.load) == canonical(
        {k: v for k, v in signed.items() if k != "proof"}, did_auth.load
    )
    body = _problem(_post(client, target, {"verifiablePresentation": forged}), 422, "presentation-refused")
    assert "inline @context" in body["detail"]
    _undelivered(bank, target)
    with pytest.raises(did_auth.Refused, match="inline @context"):
        did_auth.verify(forged, challenge=forged["proof"]["challenge"], domain=_domain(issued))


def test_a_context_inside_the_proof_or_below_is_refused(issued: Issued) -> None:
    client, bank = issued.world.client, issued.world.bank
    path = _exchange(issued)
    challenge = _challenge(client, path)
    signed = present(challenge, _domain(issued))
    inside = copy.deepcopy(signed)
    inside["proof"]["@context"] = {"challenge": "@index"}
    nested = {**copy.deepcopy(signed), "id": "urn:uuid:0b6f3d0e-7a52-4f36-9d0c-6b1f8f1d2c3a"}
    nested["verifier"] = {"@context": [VC_V2], "id": "urn:x"}
    for document in (inside, nested):
        body = _problem(_post(client, path, {"verifiablePresentation": document}), 422, "presentation-refused")
        assert "inline @context" in body["detail"]
    _undelivered(bank, path)


class _Recorder(http.server.BaseHTTPRequestHandler):
    asked: ClassVar[list[str]] = []

    def do_GET(self) -> None:
        type(self).asked.append(self.path)
        body = json.dumps({"@context": {"challenge": "@index"}}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/ld+json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *_: Any) -> None:
        pass


@pytest.fixture
def context_server() -> Iterator[str]:
    """A server on this machine that would answer any context asked of it, and records who asked."""
    _Recorder.asked = []
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Recorder)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def test_contexts_and_keys_are_never_fetched(issued: Issued, context_server: str) -> None:
    client, bank = issued.world.client, issued.world.bank
    path = _exchange(issued)
    challenge = _challenge(client, path)
    signed = present(challenge, _domain(issued))
    remote = {**signed, "@context": [*signed["@context"], f"{context_server}/context.jsonld"]}
    first_remote = {**signed, "@context": [VC_V2, f"{context_server}/context.jsonld"]}
    local_file = {**signed, "@context": [VC_V2, "file:///etc/passwd"]}
    for document in (remote, first_remote, local_file):
        body = _problem(_post(client, path, {"verifiablePresentation": document}), 422, "presentation-refused")
        assert "pinned local contexts" in body["detail"]
        assert "root:" not in body["detail"]
    _undelivered(bank, path)
    # A did:web key would need its DID document from that server: it is named, never resolved.
    host = context_server.removeprefix("http://").replace(":", "%3A")
    fresh = _exchange(issued)
    web = present(_challenge(client, fresh), _domain(issued), method=f"did:web:{host}#key-1")
    body = _problem(_post(client, fresh, {"verifiablePresentation": web}), 422, "presentation-refused")
    assert "not a did:key" in body["detail"]
    _undelivered(bank, fresh)
    assert _Recorder.asked == []


def _p256_multikey() -> str:
    point = (
        ec.generate_private_key(ec.SECP256R1())
        .public_key()
        .public_bytes(serialization.Encoding.X962, serialization.PublicFormat.CompressedPoint)
    )
    return encode_z(b"\x80\x24" + point)  # multicodec p256-pub (0x1200): a did:key "zDn…"


def _x25519_multikey() -> str:
    return encode_z(b"\xec\x01" + bytes(32))  # x25519-pub: a key agreement key, never a signing one


@pytest.mark.parametrize(
    ("multikey", "reason"),
    [
        (_p256_multikey(), "not an Ed25519 public key"),
        (_x25519_multikey(), "not an Ed25519 public key"),
        (encode_z(b"\xe7\x01" + b"\x02" * 33), "not an Ed25519 public key"),  # secp256k1
        (encode_z(b"\xed\x01" + bytes(31)), "not an Ed25519 public key"),  # one byte short
        (encode_z(b"\xed\x01" + bytes(33)), "not an Ed25519 public key"),  # one byte long
        ("z6Mk0OIl" + "1" * 40, "not an Ed25519 public key"),  # 0, O, I and l are no base58 letters
        ("u7QE" + "A" * 43, "not an Ed25519 public key"),  # base64url multibase
        ("", "not an Ed25519 public key"),
        ("z" + "2" * 2000, "longer than 2048"),
    ],
    ids=["p-256", "x25519", "secp256k1", "short", "long", "not base58", "base64url", "empty", "very long"],
)
def test_a_did_key_of_another_curve_or_spelling_is_refused(issued: Issued, multikey: str, reason: str) -> None:
    client, bank = issued.world.client, issued.world.bank
    path = _exchange(issued)
    challenge = _challenge(client, path)
    did = f"did:key:{multikey}"
    signed = present(challenge, _domain(issued), method=f"{did}#{multikey}", change=lambda p, _: p.update(holder=did))
    body = _problem(_post(client, path, {"verifiablePresentation": signed}), 422, "presentation-refused")
    assert reason in body["detail"], body
    _undelivered(bank, path)


def test_a_verification_method_naming_another_key_than_its_did_is_refused(issued: Issued) -> None:
    client, bank = issued.world.client, issued.world.bank
    path = _exchange(issued)
    mine, other = _did_key(Ed25519PrivateKey.generate())[0], _did_key(Ed25519PrivateKey.generate())[0]
    method = f"{mine}#{other.removeprefix('did:key:')}"
    signed = present(_challenge(client, path), _domain(issued), method=method)
    body = _problem(_post(client, path, {"verifiablePresentation": signed}), 422, "presentation-refused")
    assert "did:key" in body["detail"]
    # Signed by one did:key, claiming another as holder.
    honest = present(_challenge(client, path), _domain(issued), change=lambda p, _: p.update(holder=other))
    body = _problem(_post(client, path, {"verifiablePresentation": honest}), 422, "presentation-refused")
    assert "holder" in body["detail"]
    _undelivered(bank, path)


@pytest.mark.parametrize("where", ["challenge", "domain", "verificationMethod", "proofValue", "created", "id"])
def test_a_lone_surrogate_anywhere_in_a_presentation_is_refused_not_a_500(issued: Issued, where: str) -> None:
    # JSON may spell half of a UTF-16 pair ("\ud800"); it has no UTF-8 form to compare or canonicalize, and was a 500.
    client, bank = issued.world.client, issued.world.bank
    path = _exchange(issued)
    signed = present(_challenge(client, path), _domain(issued))
    if where == "id":
        signed["id"] = "urn:x:\ud800"
    else:
        signed["proof"][where] = "\ud800"
    body = _problem(_post(client, path, {"verifiablePresentation": signed}), 422, "presentation-refused")
    assert "surrogate" in body["detail"]
    key = _problem(_post(client, path, {"verifiablePresentation": {"\udfff": 1}}), 422, "presentation-refused")
    assert "surrogate" in key["detail"]
    assert _undelivered(bank, path).rounds == 3


def _sized(total: int) -> bytes:
    """A presentation message of exactly ``total`` bytes (one long value pads it)."""
    empty = json.dumps({"verifiablePresentation": {"@context": [VC_V2], "pad": ""}})
    data = json.dumps({"verifiablePresentation": {"@context": [VC_V2], "pad": "y" * (total - len(empty))}}).encode()
    assert len(data) == total
    return data


def test_a_body_at_the_limit_is_read_and_one_byte_past_it_is_not(issued: Issued) -> None:
    client, bank = issued.world.client, issued.world.bank
    path = _exchange(issued)
    limit = 64 * 1024
    at = client.post(path, data=_sized(limit), content_type="application/json")
    # Read, then refused for what it is (a value no DID authentication holds), and that round counts.
    assert "longer than" in _problem(at, 422, "presentation-refused")["detail"]
    assert _row(bank, path).rounds == 1
    past = client.post(path, data=_sized(limit + 1), content_type="application/json")
    _problem(past, 413, "payload-too-large")
    # Refused before it is read, or a round is spent.
    assert _row(bank, path).rounds == 1


def _chunked(client: FlaskClient, path: str, data: bytes) -> Any:
    """A body sent without Content-Length, as a chunked request reaches the application under gunicorn."""
    return client.post(
        path,
        input_stream=io.BytesIO(data),
        content_type="application/json",
        headers={"Transfer-Encoding": "chunked"},
        environ_overrides={"wsgi.input_terminated": True},
    )


def test_a_chunked_body_is_bounded_like_one_with_a_length(issued: Issued) -> None:
    client, bank = issued.world.client, issued.world.bank
    path = _exchange(issued)
    _problem(_chunked(client, path, _sized(64 * 1024 + 1)), 413, "payload-too-large")
    _problem(_chunked(client, path, b"{" * (8 * 1024 * 1024)), 413, "payload-too-large")
    assert _row(bank, path).rounds == 0
    asked = _chunked(client, path, b"{}")
    assert asked.status_code == 200
    challenge = asked.get_json()["verifiablePresentationRequest"]["challenge"]
    signed = json.dumps({"verifiablePresentation": present(challenge, _domain(issued))}).encode()
    assert _chunked(client, path, signed).status_code == 200
    assert _row(bank, path).state == "done"


@pytest.mark.parametrize(
    ("build", "reason"),
    [
        (lambda p: p.update(extra=[{"a": 1}] * 20), "more than 12 objects"),
        (lambda p: p.update(extra={"a": {"b": {"c": {"d": {}}}}}), "deeper than 5"),
        (lambda p: p.update(extra=[[[[["x"]]]]]), "deeper than 5"),
        (lambda p: p.update(id="urn:" + "x" * 3000), "longer than 2048"),
        (lambda p: p.update(verifiableCredential=[{}]), "carries credentials"),
        (lambda p: p["proof"].update(type=["Ed25519Signature2020"]), "not an Ed25519Signature2020"),
        (lambda p: p.update(proof=[p["proof"], p["proof"]]), "exactly one proof"),
        (lambda p: p["proof"].update(proofPurpose="assertionMethod"), "purpose"),
        (lambda p: p["proof"].update(created="2026-01-01T00:00:00+00:00"), "UTC"),
        (lambda p: p["proof"].update(created="9999-12-31T23:59:59Z"), "future"),
        (lambda p: p["proof"].update(expires="2000-01-01T00:00:00Z"), "expired"),
        (lambda p: p["proof"].update(proofValue="z" + "1" * 200), "base58btc Ed25519"),
        (lambda p: p.update({"@context": "https://www.w3.org/ns/credentials/v2"}), "Verifiable Credentials context"),
        (lambda p: p.update({"@context": [did_auth.ED25519_2020, VC_V2]}), "Verifiable Credentials context"),
    ],
    ids=[
        "many objects",
        "deep objects",
        "deep lists",
        "long value",
        "credentials",
        "proof type list",
        "two proofs",
        "purpose",
        "created not Z",
        "created far ahead",
        "expired",
        "bad signature length",
        "context not a list",
        "context order",
    ],
)
def test_a_presentation_no_wallet_sends_is_refused_before_canonicalization(
    issued: Issued, build: Callable[[dict[str, Any]], None], reason: str
) -> None:
    client, bank = issued.world.client, issued.world.bank
    path = _exchange(issued)
    document = present(_challenge(client, path), _domain(issued))
    build(document)
    started = time.perf_counter()
    body = _problem(_post(client, path, {"verifiablePresentation": document}), 422, "presentation-refused")
    assert time.perf_counter() - started < 2
    assert reason in body["detail"], body
    _undelivered(bank, path)


@pytest.mark.parametrize("wallets", [2, 3])
def test_wallets_racing_on_one_exchange_get_exactly_one_delivery(issued: Issued, wallets: int) -> None:
    # Each wallet's presentation verifies on its own (its own key, the right challenge): the verification runs
    # outside the lock, so all of them reach the write together, and the row lock lets one through.
    client, bank = issued.world.client, issued.world.bank
    app = client.application
    path = _exchange(issued)
    challenge = _challenge(client, path)
    keys = [Ed25519PrivateKey.generate() for _ in range(wallets)]
    bodies = [json.dumps({"verifiablePresentation": present(challenge, _domain(issued), key=k)}) for k in keys]
    before = _ledger_size(bank)
    start = threading.Barrier(wallets)
    answers: list[tuple[int, Any]] = [(0, None)] * wallets

    def wallet(number: int) -> None:
        own = app.test_client()
        start.wait(10)
        answer = own.post(path, data=bodies[number], content_type="application/json")
        answers[number] = (answer.status_code, answer.get_json())

    threads = [threading.Thread(target=wallet, args=(n,)) for n in range(wallets)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    statuses = sorted(status for status, _ in answers)
    assert statuses == [200] + [409] * (wallets - 1), answers
    (winner,) = [n for n, (status, _) in enumerate(answers) if status == 200]
    for status, body in answers:
        if status == 409:
            assert body["type"] == PROBLEMS + "exchange-closed"
    row = _row(bank, path)
    assert row.state == "done"
    assert row.holder_did == _did_key(keys[winner])[0]
    assert row.rounds == 2  # the request, and the one delivery; the losers found it closed
    assert _ledger_size(bank) == before


def _second_learner(issued: Issued) -> tuple[str, str]:
    """Another learner of uni-a with a certificate of their own: (learner, credential id)."""
    world = issued.world
    person = {"name": {"zh": "王芳"}, "birth_date": "1961-07-09", "national_id": {"number": "110105196107090027"}}
    enrolled = world.client.post("/api/v1/learners", json=person, headers=world.headers("uni-a"))
    assert enrolled.status_code in (200, 201), enrolled.get_data(as_text=True)
    learner = enrolled.get_json()["id"]
    item = {"learner": learner, "record_id": "WF-1", "kind": "course", "title": {"en": "Calligraphy"}}
    recorded = world.client.post(
        "/api/v1/achievements", json={**item, "completed": "2026-01-10", "credits": 1}, headers=world.headers("uni-a")
    )
    assert recorded.status_code in (200, 201), recorded.get_data(as_text=True)
    made = world.client.post(
        f"/api/v1/learners/{learner}/credentials",
        json={"kind": "achievement", "achievement": recorded.get_json()["id"]},
        headers=world.headers("uni-a"),
    )
    assert made.status_code in (200, 201), made.get_data(as_text=True)
    return learner, made.get_json()["id"]


def test_an_exchange_delivers_only_what_it_was_opened_for_whoever_asks(issued: Issued) -> None:
    # The address is the bearer secret of one learner's one credential: no session, field or query widens it.
    client, bank = issued.world.client, issued.world.bank
    other_learner, other_credential = _second_learner(issued)
    path = _exchange(issued, other_learner, other_credential)
    challenge = _challenge(client, path)
    signed = present(challenge, _domain(issued))
    named = {"verifiablePresentation": signed, "credentialId": issued.credential_id}
    _problem(_post(client, path, named), 422, "invalid-input")
    answer = client.post(
        path + f"?credential={issued.credential_id}&learner={issued.world.learner}",
        data=json.dumps({"verifiablePresentation": signed}),
        content_type="application/json",
    )
    assert answer.status_code == 200, answer.get_data(as_text=True)
    (delivered,) = answer.get_json()["verifiablePresentation"]["verifiableCredential"]
    assert delivered == credentials.document(bank, None, other_credential)
    assert delivered["id"] != issued.credential_id
    # The wallet's DID is kept for the learner the exchange belongs to, and for no one else.
    assert exchanges.holder_dids(bank, other_learner)[0] == signed["holder"]
    assert signed["holder"] not in exchanges.holder_dids(bank, issued.world.learner)
    # A learner cannot open an exchange for a credential that is not theirs.
    with pytest.raises(NotFound):
        exchanges.open_exchange(bank, issued.world.learner, other_credential)


def test_the_page_a_browser_gets_changes_nothing_and_names_no_one(issued: Issued) -> None:
    client, bank = issued.world.client, issued.world.bank
    path = _exchange(issued)
    _challenge(client, path)
    before = _row(bank, path)
    marker = "<script>alert('accept')</script>"
    for accept in (
        "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
        "text/html",
        f"text/html, {marker}",
        "text/*",
        "text/html;q=1, application/json;q=0.5, " + "x/y;q=0.1, " * 500,
    ):
        page = client.get(path + "?iuv=1", headers={"Accept": accept})
        assert page.status_code == 200
        assert page.mimetype == "text/html"
        assert page.headers["Cache-Control"] == "no-store"
        assert page.headers["Referrer-Policy"] == "no-referrer"
        assert "Accept" in page.headers["Vary"]
        text = page.get_data(as_text=True)
        assert marker not in text
        assert "alert(" not in text
        assert all(marker not in value for value in page.headers.values())
        for secret in (issued.credential_id, issued.world.learner, "李娟", "数字素养基础", "Digital basics", "lrn_"):
            assert secret not in text, secret
    after = _row(bank, path)
    assert (after.rounds, after.state, after.expires_at) == (before.rounds, before.state, before.expires_at)
    # What a wallet gets at the same address, by the same rules: ties and JSON-first lists are the wallet's.
    for accept in ("application/json", "*/*", "text/html;q=0.5, application/json;q=0.5", "text/html;q=abc", ""):
        answer = client.get(path + "?iuv=1", headers={"Accept": accept})
        assert answer.mimetype == "application/json", accept
        assert "Accept" in answer.headers["Vary"]
    # A closed exchange's page has the status its JSON has, and shows no link to use.
    signed = present(_row(bank, path).challenge, _domain(issued))
    assert _post(client, path, {"verifiablePresentation": signed}).status_code == 200
    closed = client.get(path + "?iuv=1", headers={"Accept": "text/html"})
    assert closed.status_code == 409
    assert "<svg" not in closed.get_data(as_text=True)
    assert client.get("/api/v1/exchanges/" + "B" * 43, headers={"Accept": "text/html"}).status_code == 404


# -- baked badges -------------------------------------------------------------------------------------------------


FACE = badges.Face(
    [badges.Line("东部开放大学", "zh-Hans")],
    [badges.Line("高级数据科学", "zh-Hans"), badges.Line("Advanced data science", "en")],
    [badges.Line("Level 7 · Credits: 60", "en")],
    "终身学习学分银行",
)


@pytest.fixture(scope="module")
def picture() -> bytes:
    """A badge picture drawn for another achievement than the world's credential."""
    return badges.render_png(FACE)


def _chunk(kind: bytes, data: bytes, crc: int | None = None) -> bytes:
    value = zlib.crc32(kind + data) if crc is None else crc
    return len(data).to_bytes(4, "big") + kind + data + value.to_bytes(4, "big")


def _before_iend(png: bytes, *extra: bytes) -> bytes:
    return png[:-12] + b"".join(extra) + png[-12:]


def _itxt(text: bytes, flag: int = 0) -> bytes:
    return badges.KEYWORD + b"\0" + bytes((flag, 0)) + b"\0\0" + text


def _credential_bytes(issued: Issued) -> bytes:
    return json.dumps(issued.bundle["credential"], ensure_ascii=False).encode()


def _altered(issued: Issued) -> bytes:
    changed = copy.deepcopy(issued.bundle["credential"])
    changed["credentialSubject"]["achievement"]["name"] = "高级数据科学 / Advanced data science"
    return json.dumps(changed, ensure_ascii=False).encode()


def _both_doors(issued: Issued, data: bytes, content_type: str = "image/png") -> dict[str, Any]:
    """The API's report, after the public page has answered the same upload with a page of its own."""
    page = issued.world.client.post(
        "/verify", data={"file": (io.BytesIO(data), "badge")}, content_type="multipart/form-data"
    )
    assert page.status_code == 200, page.status_code
    report = issued.post_verify(data, content_type)
    verdict = re.search(r'class="verdict (\w+)"', page.get_data(as_text=True))
    assert verdict is not None
    assert verdict.group(1) == report["verdict"]
    return dict(report)


def _format_failure(report: dict[str, Any]) -> str:
    assert report["verdict"] == "invalid", report
    (found,) = [item for item in report["checks"] if item["check"] == "format"]
    assert found["result"] == "fail"
    return str(found["reason"])


def test_a_valid_credential_in_another_badge_s_picture_is_judged_by_the_credential(
    issued: Issued, picture: bytes
) -> None:
    # The picture is not signed; the verifier says what the credential says, and only that, so the person comparing
    # sees "Digital basics" where the picture shows "Advanced data science".
    swapped = badges.bake_png(picture, _credential_bytes(issued).decode())
    report = _both_doors(issued, swapped)
    assert report["verdict"] == "valid"
    assert report["source"] == "png"
    shown = json.dumps(report["summary"], ensure_ascii=False)
    assert "Digital basics" in shown or "数字素养基础" in shown
    assert "Advanced data science" not in shown
    assert "高级数据科学" not in shown
    # The same credential with the picture's words written into it is no longer the one signed.
    assert checks(_both_doors(issued, badges.bake_png(picture, _altered(issued).decode())))["signature"] == "fail"


def test_png_chunks_built_to_be_read_two_ways_are_refused(issued: Issued, picture: bytes) -> None:
    good, altered = _credential_bytes(issued), _altered(issued)
    built = {
        "two credential chunks": (_before_iend(picture, _chunk(b"iTXt", _itxt(good)), _chunk(b"iTXt", _itxt(altered))),
                                  "more than one"),
        "compressed chunk": (_before_iend(picture, _chunk(b"iTXt", _itxt(zlib.compress(good), 1))), "compressed"),
        "a chunk after IEND": (badges.bake_png(picture, good.decode()) + _chunk(b"iTXt", _itxt(altered)),
                               "follow the end"),
        "CRC mismatch": (_before_iend(picture, _chunk(b"iTXt", _itxt(good), crc=0)), "CRC"),
        "length 2^31": (_before_iend(picture, (2**31).to_bytes(4, "big") + b"iTXt" + _itxt(good)), "declares"),
    }  # fmt: skip
    for name, (data, reason) in built.items():
        assert reason in _format_failure(_both_doors(issued, data)), name
    # Text chunks of the older kinds are not where a credential is baked: the image holds none.
    for kind, body in (
        (b"tEXt", badges.KEYWORD + b"\0" + good),
        (b"zTXt", badges.KEYWORD + b"\0\0" + zlib.compress(good)),
    ):
        assert "no credential" in _format_failure(_both_doors(issued, _before_iend(picture, _chunk(kind, body))))


def _png(width: int, height: int, pixels: bytes) -> bytes:
    header = width.to_bytes(4, "big") + height.to_bytes(4, "big") + bytes((8, 0, 0, 0, 0))
    return badges.PNG_SIGNATURE + _chunk(b"IHDR", header) + _chunk(b"IDAT", pixels) + _chunk(b"IEND", b"")


def test_what_a_png_would_inflate_to_is_never_inflated(issued: Issued) -> None:
    # 20,000 × 20,000 grey pixels declared, and an IDAT that inflates to 64 MiB: the reader walks chunks by their
    # lengths and never decodes the picture, so the verdict is the credential's, at once.
    bomb = zlib.compress(bytes(64 * 1024 * 1024), 9)
    assert len(bomb) < 128 * 1024
    huge = badges.bake_png(_png(20_000, 20_000, bomb), _credential_bytes(issued).decode())
    started = time.perf_counter()
    assert _both_doors(issued, huge)["verdict"] == "valid"
    assert time.perf_counter() - started < 10
    # The same bomb as the credential's own text, compressed: refused without inflating it.
    text_bomb = _before_iend(_png(1, 1, zlib.compress(b"\0\0")), _chunk(b"iTXt", _itxt(bomb, 1)))
    started = time.perf_counter()
    assert "compressed" in _format_failure(_both_doors(issued, text_bomb))
    assert time.perf_counter() - started < 10


SVG = '<svg xmlns="http://www.w3.org/2000/svg" xmlns:openbadges="https://purl.imsglobal.org/ob/v3p0">'


def _svg(inner: str, opening: str = SVG) -> bytes:
    return f"{opening}{inner}<circle r='3'/></svg>".encode()


def _element(credential: bytes, prefix: str = "openbadges") -> str:
    return f"<{prefix}:credential><![CDATA[{credential.decode()}]]></{prefix}:credential>"


def test_svg_markup_that_reaches_outside_the_file_or_multiplies_is_refused(issued: Issued) -> None:
    laughs = "".join(f'<!ENTITY l{n} "{f"&l{n - 1};" * 10}">' for n in range(1, 10))
    built = {
        "billion laughs": f'<!DOCTYPE svg [<!ENTITY l0 "lol">{laughs}]>{SVG}<openbadges:credential>&l9;'
        "</openbadges:credential></svg>",
        "XXE": f'<!DOCTYPE svg [<!ENTITY x SYSTEM "file:///etc/passwd">]>{SVG}<openbadges:credential>&x;'
        "</openbadges:credential></svg>",
        "external DTD": f'<!DOCTYPE svg SYSTEM "http://127.0.0.1:1/svg.dtd">{SVG}</svg>',
        "parameter entity": f'<!DOCTYPE svg [<!ENTITY % p SYSTEM "file:///etc/passwd"> %p;]>{SVG}</svg>',
    }
    for name, markup in built.items():
        started = time.perf_counter()
        report = _both_doors(issued, markup.encode(), "image/svg+xml")
        assert "DTD" in _format_failure(report), name
        assert "root:" not in json.dumps(report), name
        assert time.perf_counter() - started < 10, name


def test_svg_credentials_are_read_by_namespace_once_and_only_as_element_text(issued: Issued) -> None:
    good, altered = _credential_bytes(issued), _altered(issued)
    valid = {
        "CDATA": _svg(_element(good)),
        "escaped text": _svg(f"<openbadges:credential>{good.decode().replace('&', '&amp;').replace('<', '&lt;')}"
                             "</openbadges:credential>"),
        "another prefix, the same namespace": _svg(_element(good, "ob"), SVG.replace("openbadges=", "ob=")),
        "a default namespace": _svg(f'<credential xmlns="{badges.BADGES_NAMESPACE}"><![CDATA[{good.decode()}]]>'
                                    "</credential>"),
        # The script is never run: the upload is read, never shown back.
        "beside a script": _svg(_element(good) + "<script>alert(1)</script>"),
    }  # fmt: skip
    for name, data in valid.items():
        assert _both_doors(issued, data, "image/svg+xml")["verdict"] == "valid", name
    refused = {
        "two elements": (_svg(_element(good) + _element(altered)), "more than one"),
        "two elements, two prefixes": (
            _svg(_element(good) + _element(altered, "ob"), SVG[:-1] + f' xmlns:ob="{badges.BADGES_NAMESPACE}">'),
            "more than one",
        ),
        "the right prefix on the wrong namespace": (
            _svg(_element(altered) + _element(good, "ob"),
                 SVG.replace(badges.BADGES_NAMESPACE, "https://evil.example/ob")[:-1]
                 + f' xmlns:ob="{badges.BADGES_NAMESPACE}">'),
            "binds the openbadges prefix",
        ),
        "the prefix rebound below the root": (
            _svg(f'<g xmlns:openbadges="https://evil.example/ob">{_element(altered)}</g>' + _element(good, "ob"),
                 SVG[:-1] + f' xmlns:ob="{badges.BADGES_NAMESPACE}">'),
            "binds the openbadges prefix",
        ),
        "an element with markup inside": (
            _svg(f"<openbadges:credential><b>{good.decode()}</b></openbadges:credential>"), "other elements"
        ),
    }  # fmt: skip
    for name, (data, reason) in refused.items():
        assert reason in _format_failure(_both_doors(issued, data, "image/svg+xml")), name
    # A credential in an attribute is not where one is baked: the element's text is empty, so nothing verifies.
    attribute = _svg(f"<openbadges:credential data='{good.decode().replace(chr(39), '&apos;')}'/>")
    assert "not a JSON document" in _format_failure(_both_doors(issued, attribute, "image/svg+xml"))
    # A wrong namespace only, with no element in the right one: nothing is baked here.
    elsewhere = _svg(_element(good, "x"), SVG.replace("openbadges=", "x=").replace("ob/v3p0", "ob/v2p0"))
    assert "no credential" in _format_failure(_both_doors(issued, elsewhere, "image/svg+xml"))


def test_a_tampered_credential_in_any_image_is_never_valid(issued: Issued, picture: bytes) -> None:
    altered = _altered(issued)
    for data, kind in (
        (badges.bake_png(picture, altered.decode()), "image/png"),
        (_svg(_element(altered)), "image/svg+xml"),
    ):
        report = _both_doors(issued, data, kind)
        assert report["verdict"] == "invalid"
        assert checks(report)["signature"] == "fail"


def test_a_baked_credential_holding_a_lone_surrogate_is_invalid_not_a_500(issued: Issued, picture: bytes) -> None:
    changed = copy.deepcopy(issued.bundle["credential"])
    changed["name"] = "\ud800"
    text = json.dumps(changed)  # the surrogate as JSON spells it, \ud800
    for data, kind in ((badges.bake_png(picture, text), "image/png"), (_svg(_element(text.encode())), "image/svg+xml")):
        report = _both_doors(issued, data, kind)
        assert report["verdict"] == "invalid"
        assert checks(report)["signature"] == "fail"


# -- tlog-tiles ---------------------------------------------------------------------------------------------------


TILE_400 = (
    "tile/0/0000",  # leading zero
    "tile/00/000",
    "tile/0/01",
    "tile/0/x001",  # x on the last group
    "tile/0/x001/x234",
    "tile/0/000.p/0",
    "tile/0/000.p/256",
    "tile/0/000.p/",
    "tile/0/000.p/007",
    "tile/0/000.P/7",
    "tile/64/000",
    "tile/99999999999999999999/000",
    "tile/-1/000",
    "tile/0/١٢٣",
    "tile/0/１２３",
    "tile/0/%31%32%33",  # 123, percent-encoded
    "tile/0/x001%2F234",
    "tile/0/x001%2f234",
    "tile/0//001",
    "tile/0/001/",
    "tile/0/001.p/4/",
    "tile/0/" + "x999/" * 5000 + "999",
    "tile/0/000.p/" + "9" * 5000,
    "tile/entries/0",
    "tile/entries/x000/001",
    "tile/entries/000.p/256",
    "tile/entries/%30%30%30",
    "tile/entries//000",
    "tile/entries/000/",
    "tile/entries/1/000",
)


def _signed_tree(bank: Bank, size: int) -> None:
    append(bank, size)
    checkpoints.sign(bank)


def test_every_misspelled_tile_path_is_a_400_before_any_statement(client: FlaskClient, bank: Bank) -> None:
    _signed_tree(bank, 300)
    for path in TILE_400:
        with Statements(bank) as spent:
            answer = client.get(f"/ledger/{path}")
        problem = assert_problem(answer, 400)
        assert "path" in problem["detail"], path
        assert spent.count == 0, (path, spent.texts)


def test_doubled_slashes_are_no_tile_and_are_not_redirected_to_one(client: FlaskClient, bank: Bank) -> None:
    _signed_tree(bank, 300)
    for path in ("/ledger/tile//0/000", "/ledger//tile/0/000", "/ledger/tile//entries/000"):
        with Statements(bank) as spent:
            answer = client.get(path)
        assert answer.status_code in (400, 404), (path, answer.status_code)
        assert "Location" not in answer.headers
        assert answer.mimetype == "application/problem+json"
        assert spent.count == 0
    assert client.get("/ledger/tile/0/000").status_code == 200


def test_tiles_past_the_signed_tree_are_not_found_and_cost_a_read_or_none(client: FlaskClient, bank: Bank) -> None:
    _signed_tree(bank, 300)
    append(bank, 300)  # grown, not yet signed
    for path in ("tile/0/001", "tile/0/001.p/45", "tile/entries/002.p/1", "tile/1/000.p/2", "tile/2/000.p/1"):
        with Statements(bank) as spent:
            assert_problem(client.get(f"/ledger/{path}"), 404)
        assert spent.count <= 4, spent.texts
    # Past what any ledger can hold: refused without a statement.
    for path in ("tile/63/x018/x446/x744/x073/x709/x551/615", "tile/0/x999/x999/x999/x999/x999/999"):
        with Statements(bank) as spent:
            assert_problem(client.get(f"/ledger/{path}"), 404)
        assert spent.count == 0, (path, spent.texts)


def test_a_partial_tile_of_a_width_no_checkpoint_had_is_a_prefix_of_the_signed_tree(
    client: FlaskClient, bank: Bank
) -> None:
    # tlog-tiles obliges a log to serve the widths its checkpoints had (here 300 → .p/44) and forbids clients to ask
    # for others; serving one is harmless: its hashes are the first W nodes of a tree that is signed, the same bytes
    # the checkpoint's own partial and, later, the full tile begin with.
    _signed_tree(bank, 300)
    signed_partial = client.get("/ledger/tile/0/001.p/44")
    unsigned_width = client.get("/ledger/tile/0/001.p/10")
    assert signed_partial.status_code == unsigned_width.status_code == 200
    assert signed_partial.data[: 10 * 32] == unsigned_width.data
    bundle = client.get("/ledger/tile/entries/001.p/10")
    assert bundle.status_code == 200
    assert "immutable" not in unsigned_width.headers["Cache-Control"]
    # Never past the signed size, though: width 45 at size 300 names a leaf no checkpoint covers.
    assert_problem(client.get("/ledger/tile/0/001.p/45"), 404)
    _signed_tree(bank, 212)  # 512: the tile is full now
    full = client.get("/ledger/tile/0/001")
    assert full.status_code == 200
    assert full.data.startswith(signed_partial.data)
    assert client.get("/ledger/tile/0/001.p/44").data == signed_partial.data


@pytest.mark.parametrize(
    ("accepted", "gzipped"),
    [
        ("gzip;q=0", False),
        ("*;q=0", False),  # nothing is acceptable: RFC 9110 says answer without a content coding
        ("identity;q=0", False),  # gzip is not named, so it is not acceptable either: the same
        ("identity;q=0, *;q=0", False),
        ("br", False),
        ("", False),
        ("gzip;q=abc", False),
        ("x-gzip", False),
        ("gzip;q=0.001", True),
        ("GZIP", True),
        ("*", True),
        ("br;q=1, gzip;q=0.5", True),
        ("identity;q=0, gzip", True),
    ],
)
def test_entry_bundles_are_gzipped_exactly_when_the_client_accepts_gzip(
    client: FlaskClient, bank: Bank, accepted: str, gzipped: bool
) -> None:
    _signed_tree(bank, 300)
    plain = client.get("/ledger/tile/entries/000", headers={"Accept-Encoding": "identity"})
    assert "Content-Encoding" not in plain.headers
    answer = client.get("/ledger/tile/entries/000", headers={"Accept-Encoding": accepted})
    assert answer.status_code == 200
    assert "Accept-Encoding" in answer.headers["Vary"]
    if gzipped:
        assert answer.headers["Content-Encoding"] == "gzip"
        assert gzip.decompress(answer.data) == plain.data
    else:
        assert "Content-Encoding" not in answer.headers
        assert answer.data == plain.data
    # Hash tiles are never encoded, whatever is asked.
    hashes = client.get("/ledger/tile/0/000", headers={"Accept-Encoding": accepted})
    assert "Content-Encoding" not in hashes.headers
    assert len(hashes.data) == 256 * 32


# -- conditional GETs ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("url", ["/.well-known/did.json", "/status/1-revocation", "/status/1-suspension"])
def test_conditional_gets_follow_rfc_9110(issued: Issued, url: str) -> None:
    client = issued.world.client
    first = client.get(url)
    assert first.status_code == 200
    tag = first.headers["ETag"]
    assert tag.startswith('"')
    assert not tag.startswith("W/")
    unchanged = {"strong": tag, "weak": f"W/{tag}", "in a list": f'"other", W/"x", {tag}', "star": "*"}
    for name, value in unchanged.items():
        answer = client.get(url, headers={"If-None-Match": value})
        assert answer.status_code == 304, name
        assert answer.data == b""
        assert answer.headers["ETag"] == tag
        assert answer.headers["Cache-Control"] == first.headers["Cache-Control"]
    changed = {"another tag": '"other"', "garbage": "not a tag", "empty": "", "weak of another": 'W/"x"'}
    for name, value in changed.items():
        answer = client.get(url, headers={"If-None-Match": value})
        assert answer.status_code == 200, name
        assert answer.data == first.data
    # No Last-Modified is given, so If-Modified-Since (readable or not) cannot make a 304; and it is ignored
    # beside an If-None-Match.
    for value in ("garbage", "Tue, 32 Dec 2025 00:00:00 GMT", "Wed, 01 Jan 3000 00:00:00 GMT", "-1" * 2000):
        assert client.get(url, headers={"If-Modified-Since": value}).status_code == 200
    both = client.get(url, headers={"If-None-Match": '"other"', "If-Modified-Since": "Wed, 01 Jan 3000 00:00:00 GMT"})
    assert both.status_code == 200
    assert client.get(url, headers={"If-Match": '"other"'}).status_code == 412
    # A range is not served: the document is signed whole.
    ranged = client.get(url, headers={"Range": "bytes=0-10"})
    assert ranged.status_code == 200
    assert ranged.data == first.data


@pytest.mark.parametrize("index", [LIST_SIZE, LIST_SIZE + 1, 8 * LIST_SIZE])
def test_a_status_entry_past_the_end_of_its_list_is_never_valid(issued: Issued, index: int) -> None:
    # Signed by the bank's key and recorded with that very slot, so only the status check can catch it: the ledger
    # says "not revoked", but no list has that bit, and every other verifier stops at it. This was "valid".
    document = variant(issued.bundle["credential"], credentialStatus=status_entry(issued, 1, index))
    bundle = record(issued, sign_with(issued.world.bank, document), slot=(1, index))
    report = issued.post_verify(json.dumps(bundle).encode(), "application/json")
    assert report["verdict"] == "invalid", report
    (status,) = [item for item in report["checks"] if item["check"] == "status"]
    assert status["result"] == "fail"
    assert "past the end of its list" in status["reason"]
    # The lists are still served as signed, and hold every one of their slots.
    for purpose in ("revocation", "suspension"):
        assert issued.world.client.get(f"/status/1-{purpose}").status_code == 200


@pytest.mark.parametrize("index", [str(2**53), str(2**64), "1" + "0" * 400])
def test_a_status_index_no_ledger_can_record_is_another_index_than_recorded(issued: Issued, index: str) -> None:
    slot = fresh_slot()
    entry = {**status_entry(issued, *slot), "statusListIndex": index}
    document = variant(issued.bundle["credential"], credentialStatus=entry)
    bundle = record(issued, sign_with(issued.world.bank, document), slot=slot)
    report = issued.post_verify(json.dumps(bundle).encode(), "application/json")
    assert report["verdict"] == "invalid", report
    assert checks(report)["status"] == "fail"


# -- the console's receipt download ---------------------------------------------------------------------------------


def test_another_institution_s_staff_get_404_for_the_receipt_as_for_the_json_and_pdf(issued: Issued) -> None:
    world = issued.world
    app = world.client.application
    # uni-b enrolled the same person: still not the issuer of this credential.
    outsiders = [
        staff_member(world.bank, app.test_client(), "b-viewer", "viewer", "uni-b"),
        staff_member(world.bank, app.test_client(), "b-registrar", "registrar", "uni-b"),
    ]
    owner = staff_member(world.bank, app.test_client(), "a-viewer", "viewer", "uni-a")
    credential = issued.credential_id
    for member in outsiders:
        for kind in ("receipt", "json", "pdf"):
            answer = member.client.get(f"/staff/credentials/{credential}/{kind}")
            assert answer.status_code == 404, (member.login, kind)
            body = answer.get_data(as_text=True)
            assert '"entries"' not in body
            assert '"proof"' not in body
            assert "Content-Disposition" not in answer.headers
        missing = member.client.get("/staff/credentials/urn:uuid:00000000-0000-4000-8000-000000000000/receipt")
        assert missing.status_code == 404
    reviewer = staff_member(world.bank, app.test_client(), "bank-reviewer", "reviewer")
    assert reviewer.client.get(f"/staff/credentials/{credential}/receipt").status_code == 403
    mine = owner.client.get(f"/staff/credentials/{credential}/receipt")
    assert mine.status_code == 200
    receipt = mine.get_json()
    assert receipt["entries"]
    joined = {"credential": issued.bundle["credential"], "receipt": receipt}
    assert issued.post_verify(json.dumps(joined).encode(), "application/json")["verdict"] == "valid"
