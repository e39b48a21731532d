"""Whatever a verifier uploads, the answer is a report naming the failed check (or 413), never a 500."""

from __future__ import annotations

import copy
import json
import os
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from certificates import proofs
from certificates.pdf_read import visible_text
from certificates.pdf_render import CertificatePage, render_certificate
from certificates.verify import Trust, did_document_trust, verify_bytes
from creditbank.services import credentials
from creditbank.services.credentials import credential_keys
from tests.credentials.issued_world import Issued, checks


def failed(report: dict[str, Any]) -> str:
    assert report["valid"] is False, report
    bad = [item["check"] for item in report["checks"] if item["result"] == "fail"]
    assert bad, report
    return bad[0]


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (os.urandom(4096), "not a JSON document"),
        (b"", "empty"),
        (b"   \n", "empty"),
        (b"%PDF-1.7\n%garbage", "damaged"),
        (b'{"@context": 1}', "type"),
        (b"[1, 2, 3]", "JSON object"),
        (b"\xff\xfe\x00{", "not a JSON document"),
    ],
)
def test_garbage_is_reported_as_a_format_failure(issued: Issued, data: bytes, reason: str) -> None:
    report = issued.post_verify(data)
    assert failed(report) == "format"
    assert reason in report["checks"][0]["reason"]


def test_a_truncated_pdf_is_reported_not_crashed_on(issued: Issued) -> None:
    report = issued.post_verify(issued.pdf[: len(issued.pdf) // 2], "application/pdf")
    assert failed(report) == "format"


def test_a_pdf_without_an_attached_credential(issued: Issued) -> None:
    world = issued.world
    page = credentials.public_summary(world.bank, issued.credential_id)
    plain = render_certificate(
        CertificatePage(
            title=_bi("标题", "Title"), learner_name="x", institution=_bi("机构", "Institution"),
            bank=_bi("银行", "Bank"), credits="1", level=_bi("1", "1"), framework=_bi("框架", "Framework"),
            issued=datetime.now(UTC).date(), ledger_seq=page["seq"], credential_id=issued.credential_id,
            verify_url="http://localhost:5000/v/x",
        ),
        {},
    )  # fmt: skip
    assert "Title" in visible_text(plain)
    report = issued.post_verify(plain, "application/pdf")
    assert failed(report) == "format"
    assert "no embedded credential" in report["checks"][0]["reason"]


def _bi(zh: str, en: str) -> Any:
    from certificates.pdf_render import Bilingual

    return Bilingual(zh, en)


def test_deeply_nested_json_is_refused_without_recursion(issued: Issued) -> None:
    data = b'{"a":' * 100_000 + b"1" + b"}" * 100_000
    response = issued.world.client.post("/api/v1/verify", data=data, content_type="application/json")
    # Refused by counting, before the parser builds (or recurses into) anything: tests/credentials/test_verify_limits.py
    assert response.status_code == 422
    assert "limit 'containers'" in response.get_json()["detail"]


def test_an_unknown_json_ld_context_is_an_error_not_a_fetch(issued: Issued) -> None:
    bundle = copy.deepcopy(issued.bundle)
    bundle["credential"]["@context"].append("https://evil.example/context.json")
    report = issued.post_verify(json.dumps(bundle).encode(), "application/json")
    assert failed(report) == "signature"
    assert "unknown JSON-LD context" in {c["check"]: c["reason"] for c in report["checks"]}["signature"]


def test_a_proof_from_an_unknown_key(issued: Issued) -> None:
    credential = {k: v for k, v in issued.bundle["credential"].items() if k != "proof"}
    forged = proofs.sign(
        credential, Ed25519PrivateKey.generate(), f"{credential['issuer']['id']}#key-forged", "2026-01-01T00:00:00Z"
    )
    report = issued.post_verify(json.dumps({"credential": forged, "receipt": issued.bundle["receipt"]}).encode())
    assert failed(report) == "signature"
    assert "not one of the trusted issuer's keys" in report["checks"][1]["reason"]


def test_a_bare_credential_is_checked_against_the_banks_own_ledger(issued: Issued) -> None:
    report = issued.post_verify(json.dumps(issued.bundle["credential"]).encode(), "application/json")
    assert report["valid"] is True, report


def test_an_upload_of_fifty_megabytes_is_refused_with_413(issued: Issued) -> None:
    response = issued.world.client.post(
        "/api/v1/verify", data=b"0" * (50 * 1024 * 1024), content_type="application/octet-stream"
    )
    assert response.status_code == 413
    assert response.mimetype == "application/problem+json"


def test_multipart_upload_and_the_verify_page(issued: Issued) -> None:
    import io

    client = issued.world.client
    response = client.post(
        "/api/v1/verify", data={"file": (io.BytesIO(issued.pdf), "c.pdf")}, content_type="multipart/form-data"
    )
    assert response.get_json()["valid"] is True
    page = client.post("/verify", data={"file": (io.BytesIO(issued.pdf), "c.pdf")}, content_type="multipart/form-data")
    assert page.status_code == 200
    assert "✔ 有效" in page.get_data(as_text=True)
    bad = client.post("/verify", data={"json": '{"not": "a credential"}'}, content_type="multipart/form-data")
    assert "✘ 无效" in bad.get_data(as_text=True)
    empty = client.post("/verify", data={}, content_type="multipart/form-data")
    assert empty.status_code == 400
    assert "请选择文件或粘贴 JSON" in empty.get_data(as_text=True)


def test_the_qr_page_shows_the_summary_and_no_personal_data(issued: Issued) -> None:
    page = issued.world.client.get(f"/v/{issued.credential_id}")
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "✔ 有效" in text
    assert "李娟" not in text
    assert issued.world.client.get("/v/urn:uuid:00000000-0000-0000-0000-000000000000").status_code == 404


def _trust(issued: Issued) -> Trust:
    return did_document_trust(credential_keys.did_document(issued.world.bank))


def test_an_expired_credential_is_not_valid(issued: Issued) -> None:
    later = datetime.now(UTC) + timedelta(days=1)
    data = json.dumps(issued.bundle).encode()
    # Offline without status lists: authentic, status not checked — nothing failed.
    assert verify_bytes(data, _trust(issued)).verdict == "authentic_unchecked"
    expired = copy.deepcopy(issued.bundle)
    expired["credential"]["validUntil"] = "2026-01-01T00:00:00Z"
    report = verify_bytes(json.dumps(expired).encode(), _trust(issued), now=later)
    assert not report.valid
    assert {c.check: c.outcome for c in report.checks}["validity"] == "fail"


def test_offline_status_is_reported_skipped_not_passed(issued: Issued) -> None:
    report = verify_bytes(json.dumps(issued.bundle).encode(), _trust(issued))
    assert {c.check: c.outcome for c in report.checks}["status"] == "skip"
    # A skipped status is never a pass: the report has the third verdict, and is not valid.
    assert not report.valid
    assert report.verdict == "authentic_unchecked"


def test_revoked_and_suspended_credentials_are_not_valid(issued: Issued) -> None:
    world = issued.world
    made = [
        credentials.issue(world.bank, None, credentials.Request(world.learner, "achievement", issued.achievement))
        for _ in range(2)
    ]
    suspended, revoked = (item["id"] for item in made)
    credentials.change_status(world.bank, suspended, "suspend", "checking a complaint")
    credentials.change_status(world.bank, revoked, "revoke", "issued in error")
    for credential_id, word, shown in ((suspended, "suspended", "已暂停"), (revoked, "revoked", "已撤销")):
        data = json.dumps(credentials.bundle(world.bank, None, credential_id)).encode()
        report = issued.post_verify(data, "application/json")
        assert failed(report) == "status"
        assert word in {c["check"]: c["reason"] for c in report["checks"]}["status"]
        assert shown in world.client.get(f"/v/{credential_id}").get_data(as_text=True)
    credentials.change_status(world.bank, suspended, "reinstate")
    data = json.dumps(credentials.bundle(world.bank, None, suspended)).encode()
    assert checks(issued.post_verify(data, "application/json"))["status"] == "pass"
