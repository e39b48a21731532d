"""The evidence check across two banks: bank A issues a learner's CLR transcript and is served over loopback HTTP;
bank B, which may trust A, verifies the file against A's DID document, status lists and log.

Both banks are real instances with their own folders and databases; A answers B's requests through a real HTTP
server. A switch in front of A's app can make its status lists unreachable, as a network fault would.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from werkzeug.serving import make_server

from certificates.verify import Identity
from creditbank.errors import InvalidInput, VerificationLimit
from creditbank.runtime import Bank, bank_of
from creditbank.services import credentials
from creditbank.services.credits import credit_rules
from creditbank.services.recognition import evidence, remote, trust_list
from creditbank.services.transparency import checkpoints
from ledger.note import Checkpoint, parse_checkpoint, sign_note
from tests.conftest import BACKENDS, configuration, database_url, running_app
from tests.credentials.resign import sign_with
from tests.integration.credit_world import FRAMEWORK, CreditWorld, build

HOLDER = Identity("李娟", date(1958, 3, 4))
SOMEONE_ELSE = Identity("王伟", date(1980, 1, 1))
COURSES = 5


@dataclass
class Switch:
    """What A's server refuses to serve (path prefixes), as if that part of A were down."""

    down: set[str] = field(default_factory=set)
    forged: set[str] = field(default_factory=set)  # path prefixes whose JSON answers are altered on the way
    served: dict[str, bytes] = field(default_factory=dict)  # paths answered with these bytes instead


@dataclass
class Pair:
    a: Bank
    b: Bank
    world: CreditWorld
    switch: Switch
    transcript: dict[str, Any]  # A's {credential, receipt} bundle
    spare: str  # a second transcript's id, for the revocation test
    own_achievement: str
    own_credential: str

    @property
    def data(self) -> bytes:
        return json.dumps(self.transcript).encode()

    def trust_a(self, **options: Any) -> trust_list.Change:
        return trust_list.add_issuer(self.b, self.a.did, "Bank A", **options)

    def a_document(self) -> dict[str, Any]:
        answer = self.world.client.get("/.well-known/did.json")
        document: dict[str, Any] = answer.get_json()
        return document

    def untrust_a(self) -> None:
        if trust_list.find(self.b, self.a.did) is not None:
            trust_list.remove_issuer(self.b, self.a.did, "test")


def _serve(switch: Switch) -> tuple[Any, Callable[[Flask], None]]:
    target: dict[str, Flask] = {}

    def dispatch(environ: dict[str, Any], start_response: Any) -> Any:
        path = environ.get("PATH_INFO", "")
        if any(path.startswith(prefix) for prefix in switch.down):
            start_response("503 Service Unavailable", [("Content-Type", "text/plain")])
            return [b"down"]
        if path in switch.served:
            start_response("200 OK", [("Content-Type", "text/plain")])
            return [switch.served[path]]
        if any(path.startswith(prefix) for prefix in switch.forged):
            answer = target["app"].test_client().get(path)
            document = answer.get_json()
            document["validFrom"] = "2020-01-01T00:00:00Z"
            body = json.dumps(document).encode()
            start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
            return [body]
        return target["app"](environ, start_response)

    server = make_server("127.0.0.1", 0, dispatch, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, lambda app: target.__setitem__("app", app)


@pytest.fixture(scope="module", params=BACKENDS)
def pair(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pair]:
    switch = Switch()
    server, attach = _serve(switch)
    folder_a = tmp_path_factory.mktemp("bank-a")
    folder_b = tmp_path_factory.mktemp("bank-b")
    config_a = configuration(database_url(request.param, request, folder_a), folder_a)
    config_a["CREDITBANK_SERVER_NAME"] = "bank-a.test"
    config_a["CREDITBANK_PUBLIC_URL"] = f"http://127.0.0.1:{server.server_port}"
    config_b = configuration(database_url(request.param, request, folder_b), folder_b)
    config_b["CREDITBANK_SERVER_NAME"] = "bank-b.test"
    try:
        with running_app(config_a) as app_a, running_app(config_b) as app_b:
            attach(app_a)
            a, b = bank_of(app_a), bank_of(app_b)
            world = build(app_a.test_client(), a)
            own = world.record("uni-a", "DL-101", title={"zh": "数字素养基础", "en": "Digital basics"}, credits=2)
            issued = credentials.issue(a, None, credentials.Request(world.learner, "achievement", own["id"]))
            for index in range(COURSES - 1):
                world.record("uni-b", f"T-{index}", title={"en": f"Course {index}"}, credits=2)
            made = credentials.issue(a, None, credentials.Request(world.learner, "transcript"))
            spare = credentials.issue(a, None, credentials.Request(world.learner, "transcript"))
            credit_rules.publish_framework(b, FRAMEWORK, source="test")
            yield Pair(
                a, b, world, switch, credentials.bundle(a, None, made["id"]), spare["id"], own["id"], issued["id"]
            )
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(autouse=True)
def fresh(pair: Pair) -> Iterator[None]:
    remote.forget()
    pair.switch.down.clear()
    pair.switch.forged.clear()
    pair.switch.served.clear()
    yield
    pair.untrust_a()


def refused(pair: Pair, data: bytes, *, identities: tuple[Identity, ...] = (HOLDER,), **options: Any) -> str:
    with pytest.raises(InvalidInput) as caught:
        evidence.check(pair.b, data, identities, "test-fw", **options)
    assert caught.value.errors == {"evidence": caught.value.detail}
    return caught.value.detail


def test_a_trusted_banks_transcript_gives_one_item_per_wrapped_credential_with_its_mapping(pair: Pair) -> None:
    inner = pair.transcript["credential"]["credentialSubject"]["verifiableCredential"]
    first = inner[0]["credentialSubject"]["achievement"]["id"]
    mappings = [
        {"achievement": "*", "framework": "test-fw", "credits_ratio": 1.5, "level": 3, "category": "general"},
        {"achievement": first, "framework": "test-fw", "credits": 5, "level": 4, "category": "professional"},
    ]
    change = pair.trust_a(mappings=mappings)
    # A's log moves on after the receipt, so B is shown a proof that today's log extends the receipt's checkpoint.
    pair.world.record("uni-a", "LATER-1")
    checkpoints.sign(pair.a)
    found = evidence.check(pair.b, pair.data, [SOMEONE_ELSE, HOLDER], "test-fw")
    assert found.verdict == "valid"
    assert found.kind == "credential"
    assert found.own is False
    assert found.issuer == pair.a.did
    assert len(found.items) == len(inner) == COURSES
    checks = {row["check"]: row["result"] for row in found.report["checks"]}
    assert checks["log_consistency"] == "pass"
    consistency = next(row for row in found.report["checks"] if row["check"] == "log_consistency")
    assert "extends the receipt's checkpoint" in consistency["reason"]
    assert checks["status"] == "pass"
    assert checks["identity"] == "pass"
    assert found.report["identity"] == "matches"
    assert found.report["remote"]["did_document"].endswith("/.well-known/did.json")
    by_ref = {item.achievement_ref: item for item in found.items}
    exact = by_ref[first]
    assert exact.mapping == {
        "framework": "test-fw",
        "outcome": None,
        "credits": "5",
        "level": 4,
        "category": "professional",
        "rule": f"{pair.a.did}@{change.seq}",
    }
    course = next(item for item in found.items if item.title == {"en": "Course 0"})
    assert course.credits is not None
    assert course.mapping is not None
    assert course.mapping["credits"] == format(float(course.credits) * 1.5, "g")
    assert course.mapping["level"] == 3
    assert course.issuer_name == "Bank A"
    assert course.completed == "2026-01-10"
    assert all(item.key.startswith("ext:") and len(item.key) == 68 for item in found.items)
    assert len({item.key for item in found.items}) == COURSES
    # Another framework: the items are the same, no mapping applies.
    other = evidence.check(pair.b, pair.data, [HOLDER], "eqf")
    assert [item.mapping for item in other.items] == [None] * COURSES


def test_the_other_banks_pdf_transcript_verifies_with_its_pdf_root_and_embedded_receipt(pair: Pair) -> None:
    pair.trust_a()
    pdf = credentials.pdf(pair.a, None, pair.transcript["credential"]["id"])
    found = evidence.check(pair.b, pdf, [HOLDER], "test-fw")
    assert (found.kind, found.verdict, found.own) == ("pdf", "valid", False)
    checks = {row["check"]: row["result"] for row in found.report["checks"]}
    assert checks["pdf_signature"] == "pass"
    assert checks["log_consistency"] == "pass"
    assert len(found.items) == COURSES


def test_an_issuer_not_on_the_trust_list_is_refused(pair: Pair) -> None:
    assert f"not on this bank's trust list: {pair.a.did}" in refused(pair, pair.data)


def test_an_issuer_taken_off_the_trust_list_is_refused(pair: Pair) -> None:
    pair.trust_a()
    trust_list.remove_issuer(pair.b, pair.a.did, "agreement ended")
    assert "not on this bank's trust list" in refused(pair, pair.data)


def test_a_trust_entry_out_of_force_is_refused_today_and_for_credentials_recorded_before_it(pair: Pair) -> None:
    pair.trust_a(valid_from="2020-01-01", valid_until="2020-12-31")
    assert "not in force today" in refused(pair, pair.data)
    tomorrow = datetime.now(UTC).date() + timedelta(days=1)
    pair.trust_a(valid_from=tomorrow.isoformat())
    later = datetime.now(UTC) + timedelta(days=2)
    assert "was not in force when the credential was recorded" in refused(pair, pair.data, now=later)


def test_one_byte_changed_in_a_wrapped_credential_is_refused_naming_the_check(pair: Pair) -> None:
    pair.trust_a()
    text = pair.data.decode()
    tampered = text.replace('"name": "Course 1"', '"name": "Course 7"', 1)
    assert tampered != text
    # The transcript's own signature covers what it wraps, so that is the first check to fail.
    assert "signature check failed" in refused(pair, tampered.encode())


def test_a_transcript_wrapping_another_issuers_credential_is_refused_naming_it(pair: Pair) -> None:
    # Signed again by A, so only the wrapped credential's own issuer is wrong.
    pair.trust_a()
    bundle = json.loads(pair.data)
    outer = bundle["credential"]
    outer["credentialSubject"]["verifiableCredential"][1]["issuer"]["id"] = "did:web:evil.example"
    bundle["credential"] = sign_with(pair.a, outer)
    reason = refused(pair, json.dumps(bundle).encode())
    assert "signature check failed: wrapped credential 2" in reason
    assert "did:web:evil.example" in reason


def test_someone_elses_transcript_is_refused_without_saying_whose(pair: Pair) -> None:
    pair.trust_a()
    reason = refused(pair, pair.data, identities=(SOMEONE_ELSE,))
    assert "not the applicant's" in reason
    assert "李娟" not in reason
    assert "not the applicant's" in refused(pair, pair.data, identities=())


def test_a_transcript_revoked_at_the_issuing_bank_is_refused(pair: Pair) -> None:
    pair.trust_a()
    bundle = credentials.bundle(pair.a, None, pair.spare)
    data = json.dumps(bundle).encode()
    assert evidence.check(pair.b, data, [HOLDER], "test-fw").verdict == "valid"
    credentials.change_status(pair.a, pair.spare, "revoke", "issued in error")
    remote.forget()
    assert "revoked" in refused(pair, data)


def test_status_lists_that_cannot_be_fetched_leave_the_credential_authentic_but_unchecked(pair: Pair) -> None:
    pair.trust_a()
    pair.switch.down.add("/status/")
    found = evidence.check(pair.b, pair.data, [HOLDER], "test-fw")
    assert found.verdict == "authentic_unchecked"
    assert found.report["verdict"] == "authentic_unchecked"
    assert any("503" in reason for reason in found.report["remote"]["status_lists"].values())


def test_a_status_list_not_signed_by_the_issuer_is_not_relied_on(pair: Pair) -> None:
    pair.trust_a()
    pair.switch.forged.add("/status/")
    found = evidence.check(pair.b, pair.data, [HOLDER], "test-fw")
    assert found.verdict == "authentic_unchecked"
    assert any("not signed by the issuer" in reason for reason in found.report["remote"]["status_lists"].values())


def test_a_log_that_cannot_be_reached_leaves_the_credential_unchecked(pair: Pair) -> None:
    pair.trust_a()
    pair.switch.down.add("/ledger/")
    found = evidence.check(pair.b, pair.data, [HOLDER], "test-fw")
    assert found.verdict == "authentic_unchecked"
    consistency = next(row for row in found.report["checks"] if row["check"] == "log_consistency")
    assert consistency["result"] == "skip"


def test_an_issuer_that_forked_its_log_is_refused(pair: Pair) -> None:
    # A's own log key signs another tree of the size the receipt was proved at: one history for this learner,
    # another for everyone else.
    pair.trust_a()
    held = parse_checkpoint(pair.transcript["receipt"]["checkpoint"].split("\n\n")[0] + "\n")
    other = Checkpoint(held.origin, held.size, bytes(32))
    pair.switch.served["/ledger/checkpoint"] = str(sign_note(other.text(), [pair.a.log_signer()])).encode()
    reason = refused(pair, pair.data)
    assert "log_consistency check failed" in reason
    assert "forked" in reason


def test_an_issuer_whose_log_shrank_is_refused(pair: Pair) -> None:
    pair.trust_a()
    held = parse_checkpoint(pair.transcript["receipt"]["checkpoint"].split("\n\n")[0] + "\n")
    smaller = Checkpoint(held.origin, held.size - 1, bytes(32))
    pair.switch.served["/ledger/checkpoint"] = str(sign_note(smaller.text(), [pair.a.log_signer()])).encode()
    assert "shrunk" in refused(pair, pair.data)


def test_an_issuer_whose_did_document_is_unreachable_is_refused(pair: Pair) -> None:
    pair.trust_a()
    pair.switch.down.add("/.well-known/")
    assert "DID document could not be fetched" in refused(pair, pair.data)


def test_a_did_document_for_another_did_or_not_json_is_refused(pair: Pair) -> None:
    pair.trust_a()
    document = pair.a_document()
    document["id"] = "did:web:evil.example"
    pair.switch.served["/.well-known/did.json"] = json.dumps(document).encode()
    assert "is not the DID document of" in refused(pair, pair.data)
    remote.forget()
    pair.switch.served["/.well-known/did.json"] = b'{"id": "x", "id": "y"}'
    assert "DID document cannot be used" in refused(pair, pair.data)
    for shape in ({"verificationMethod": 5}, {"assertionMethod": [{}]}, {"service": 7}, {"verificationMethod": [1]}):
        remote.forget()
        pair.switch.served["/.well-known/did.json"] = json.dumps({**pair.a_document(), **shape}).encode()
        reason = refused(pair, pair.data)
        assert "cannot be used" in reason or "did not verify" in reason, shape
    remote.forget()
    pair.switch.served["/.well-known/did.json"] = b"x" * (remote.DID_DOCUMENT_BYTES + 1)
    assert "larger than" in refused(pair, pair.data)


def test_the_same_credential_twice_in_a_transcript_is_refused(pair: Pair) -> None:
    # Not signable by A as it stands, so the engine refuses it first; either way it never yields two items.
    pair.trust_a()
    doubled = json.loads(pair.data)
    inner = doubled["credential"]["credentialSubject"]["verifiableCredential"]
    inner.append(inner[0])
    assert "did not verify" in refused(pair, json.dumps(doubled).encode())


def test_a_transcript_wrapping_thousands_of_credentials_is_refused_before_it_is_verified(pair: Pair) -> None:
    pair.trust_a()
    big = json.loads(pair.data)
    inner = big["credential"]["credentialSubject"]["verifiableCredential"]
    big["credential"]["credentialSubject"]["verifiableCredential"] = inner * 60
    with pytest.raises(VerificationLimit):
        evidence.check(pair.b, json.dumps(big).encode(), [HOLDER], "test-fw")


@pytest.mark.parametrize("issuer", ["did:web:bank\u0000.example", "did:web:" + "a" * 5000, "DID:WEB:X"])
def test_an_issuer_no_trust_list_could_hold_is_refused_as_untrusted(pair: Pair, issuer: str) -> None:
    changed = json.loads(pair.data)
    changed["credential"]["issuer"]["id"] = issuer
    assert "not on this bank's trust list" in refused(pair, json.dumps(changed).encode())


def test_a_file_that_is_no_credential_is_refused(pair: Pair) -> None:
    assert "not a credential or certificate" in refused(pair, b"hello")
    assert "not a credential or certificate" in refused(pair, b'{"a": 1}')


def test_this_banks_own_pdf_certificate_is_its_own_with_the_source_achievement_as_key(pair: Pair) -> None:
    pdf = credentials.pdf(pair.a, None, pair.own_credential)
    found = evidence.check(pair.a, pdf, [HOLDER], "test-fw")
    assert found.own is True
    assert found.kind == "pdf"
    assert found.verdict == "valid"
    assert [item.key for item in found.items] == [f"ach:{pair.own_achievement}"]
    item = found.items[0]
    assert item.title == {"zh": "数字素养基础", "en": "Digital basics"}
    assert item.mapping is None
    assert item.issuer == pair.a.did


def test_this_banks_own_transcript_names_each_source_achievement(pair: Pair) -> None:
    found = evidence.check(pair.a, pair.data, [HOLDER], "test-fw")
    assert found.own is True
    assert all(item.key.startswith("ach:ach_") for item in found.items)
    assert len(found.items) == COURSES


def test_a_did_differing_from_the_credentials_by_case_or_encoding_cannot_be_listed(pair: Pair) -> None:
    lowered = pair.a.did.replace("%3A", "%3a")
    with pytest.raises(InvalidInput):
        trust_list.add_issuer(pair.b, lowered, "Bank A")
    decoded = pair.a.did.replace("%3A", ":")
    # A port written as a path segment is another DID (another document URL); trusting it does not trust A.
    trust_list.add_issuer(pair.b, decoded, "Bank A, misspelt")
    try:
        assert "not on this bank's trust list" in refused(pair, pair.data)
    finally:
        trust_list.remove_issuer(pair.b, decoded, "test")


def test_nothing_is_appended_by_a_check(pair: Pair, tmp_path: Path) -> None:
    from creditbank import ledger_store

    pair.trust_a()
    with pair.b.db.reading() as session:
        before = ledger_store.tree_size(session)
    evidence.check(pair.b, pair.data, [HOLDER], "test-fw")
    refused(pair, pair.data, identities=(SOMEONE_ELSE,))
    with pair.b.db.reading() as session:
        assert ledger_store.tree_size(session) == before
