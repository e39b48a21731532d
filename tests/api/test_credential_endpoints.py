"""Credential endpoints: answers the fuzzer found undocumented or failing, each pinned by one plain request."""

from __future__ import annotations

import hashlib
import io
import json
import subprocess
from typing import Any

import rfc8785
from pypdf import PdfReader

from creditbank.services.records import learners
from tests.api.records_fixtures import World, assert_problem, headers, item

SUPERSCRIPTS = str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹")


def issue(world: World, record_id: str = "CERT-1") -> tuple[str, str]:
    """Record an achievement and issue its credential; return both ids."""
    recorded = world.client.post("/api/v1/achievements", json=item(world.learner, record_id), headers=headers(world.a))
    assert recorded.status_code == 201, recorded.get_data(as_text=True)
    achievement = recorded.get_json()["id"]
    issued = world.client.post(
        f"/api/v1/learners/{world.learner}/credentials",
        json={"kind": "achievement", "achievement": achievement},
        headers=headers(world.a),
    )
    assert issued.status_code == 201, issued.get_data(as_text=True)
    return achievement, issued.get_json()["id"]


def documented(world: World, path: str, status: int) -> bool:
    spec = world.client.get("/api/v1/openapi.json").get_json()
    return str(status) in spec["paths"][path]["get"]["responses"]


def shown_text(pdf: bytes) -> str:
    """What the PDF shows, read by poppler (not by the bank's own PDF reader)."""
    return subprocess.run(
        ["pdftotext", "-layout", "-", "-"], input=pdf, capture_output=True, check=True
    ).stdout.decode()


def fingerprint(pdf: bytes) -> str:
    """The `visible_text_hash` formula of README and certificates/verify.py, computed here from pypdf's text:
    SHA-256 over the page text's whitespace-separated tokens, sorted and joined by newlines."""
    text = "\n".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(pdf)).pages)
    return "sha256:" + hashlib.sha256("\n".join(sorted(text.split())).encode()).hexdigest()


def attached_credential(pdf: bytes) -> Any:
    (data,) = PdfReader(io.BytesIO(pdf)).attachments["credential.json"]
    return json.loads(data)


def test_the_pdf_reprints_as_issued_until_the_holder_is_erased_then_is_a_documented_conflict(world: World) -> None:
    recorded = world.client.post("/api/v1/achievements", json=item(world.learner, "CERT-1"), headers=headers(world.a))
    assert recorded.status_code == 201, recorded.get_data(as_text=True)
    achievement = recorded.get_json()["id"]
    issued = world.client.post(
        f"/api/v1/learners/{world.learner}/credentials",
        json={"kind": "achievement", "achievement": achievement},
        headers=headers(world.a),
    )
    assert issued.status_code == 201, issued.get_data(as_text=True)
    credential, seq, signed = (issued.get_json()[name] for name in ("id", "seq", "credential"))
    entry = world.client.get(f"/ledger/entries/{seq}", headers=headers(world.a)).get_json()
    assert entry["entry"]["kind"] == "credential.issued"
    # The recorded hash is SHA-256 of the signed credential's JCS bytes, as README and receipts.py document it.
    assert entry["body"]["credential_hash"] == "sha256:" + hashlib.sha256(rfc8785.dumps(signed)).hexdigest()
    first = world.client.get(f"/api/v1/credentials/{credential}/pdf", headers=headers(world.a))
    assert first.status_code == 200
    assert fingerprint(first.data) == entry["body"]["visible_text_hash"]
    revoked = world.client.post(
        f"/api/v1/achievements/{achievement}/revocation", json={"reason": "in error"}, headers=headers(world.a)
    )
    assert revoked.status_code == 201
    # The PDF shows what was issued (kept at issuance); whether it still stands is the status list's answer.
    reprint = world.client.get(f"/api/v1/credentials/{credential}/pdf", headers=headers(world.a))
    assert reprint.status_code == 200
    assert reprint.mimetype == "application/pdf"
    assert shown_text(reprint.data) == shown_text(first.data)
    assert fingerprint(reprint.data) == entry["body"]["visible_text_hash"]
    assert attached_credential(reprint.data) == signed
    learners.erase(world.bank, world.learner)
    # No name is left to print on it.
    assert_problem(world.client.get(f"/api/v1/credentials/{credential}/pdf", headers=headers(world.a)), 409, "conflict")
    assert documented(world, "/api/v1/credentials/{credential_id}/pdf", 409)
    # The signed credential itself is still served.
    assert world.client.get(f"/api/v1/credentials/{credential}", headers=headers(world.a)).status_code == 200


def test_a_status_list_named_with_other_digits_is_not_found(world: World) -> None:
    _, credential = issue(world)
    signed = world.client.get(f"/api/v1/credentials/{credential}", headers=headers(world.a)).get_json()
    name = signed["credentialStatus"]["statusListCredential"].rsplit("/", 1)[1]
    listed = world.client.get(f"/status/{name}")
    assert listed.status_code == 200
    assert listed.mimetype == "application/vc+ld+json"  # a signed credential, served as one
    # int() cannot read superscript digits, though str.isdigit() accepts them.
    assert_problem(world.client.get(f"/status/{name.translate(SUPERSCRIPTS)}"), 404, "not-found")


def test_a_status_index_written_with_other_digits_is_a_malformed_entry(world: World) -> None:
    _, credential = issue(world)
    signed: dict[str, Any] = world.client.get(f"/api/v1/credentials/{credential}", headers=headers(world.a)).get_json()
    signed["credentialStatus"]["statusListIndex"] = signed["credentialStatus"]["statusListIndex"].translate(
        SUPERSCRIPTS
    )
    answer = world.client.post("/api/v1/verify", json=signed)
    assert answer.status_code == 200, answer.get_data(as_text=True)
    report = answer.get_json()
    assert report["valid"] is False
    (status,) = [check for check in report["checks"] if check["check"] == "status"]
    assert status["result"] == "fail"
    assert "malformed" in status["reason"]
