"""Issuing a credential, and the verification engine's verdicts through the API."""

from __future__ import annotations

import copy
import io
import json
from typing import Any

from pypdf import PdfReader, PdfWriter

from certificates import receipts
from certificates.pdf_read import embedded_credential, embedded_file, visible_text
from tests.credentials.issued_world import Issued, checks
from tests.vectors import load_json


def test_an_issued_credential_is_an_open_badge_with_an_array_proof(issued: Issued) -> None:
    credential = issued.bundle["credential"]
    assert credential["type"] == ["VerifiableCredential", "OpenBadgeCredential"]
    assert credential["issuer"]["id"] == "did:web:localhost%3A5000"
    assert isinstance(credential["proof"], list)
    assert credential["proof"][0]["cryptosuite"] == "eddsa-rdfc-2022"
    subject = credential["credentialSubject"]
    assert subject["identifier"][0]["type"] == "IdentityObject"
    assert "李娟" not in json.dumps(credential, ensure_ascii=False)
    assert subject["achievement"]["creator"]["id"].endswith("/institutions/uni-a")
    assert credential["credentialStatus"]["type"] == "BitstringStatusListEntry"


def test_the_issued_credential_validates_against_the_ob3_json_schema(issued: Issued) -> None:
    import jsonschema

    schema = load_json("ob3-schema/ob_achievementcredential.json")
    jsonschema.Draft201909Validator(schema).validate(issued.bundle["credential"])


def test_the_ledger_records_the_credentials_hash(issued: Issued) -> None:
    body = receipts.issued_body(issued.bundle["receipt"])
    assert body["credential_hash"] == receipts.credential_hash(issued.bundle["credential"])
    assert body["credential_id"] == issued.credential_id


def test_the_bundle_verifies_with_every_check_passing(issued: Issued) -> None:
    report = issued.post_verify(json.dumps(issued.bundle).encode(), "application/json")
    assert report["valid"] is True, report
    assert checks(report) == {
        "format": "pass",
        "signature": "pass",
        "key": "pass",
        "ledger": "pass",
        "status": "pass",
        "validity": "pass",
        "identity": "skip",
    }


def test_the_pdf_carries_the_credential_and_verifies(issued: Issued) -> None:
    assert json.loads(embedded_credential(issued.pdf)) == issued.bundle["credential"]
    assert embedded_file(issued.pdf, "receipt.json") is not None
    text = visible_text(issued.pdf)
    assert "李娟" in text
    assert "Digital basics" in text
    report = issued.post_verify(issued.pdf, "application/pdf")
    assert report["valid"] is True, report
    assert report["source"] == "pdf"


def test_the_identity_binding_matches_only_the_right_person(issued: Issued) -> None:
    data = json.dumps(issued.bundle).encode()
    right = issued.post_verify(data, "application/json", name="李娟", birth_date="1958-03-04")
    assert checks(right)["identity"] == "pass"
    wrong = issued.post_verify(data, "application/json", name="李娟", birth_date="1958-03-05")
    assert checks(wrong)["identity"] == "fail"
    # The holder comparison is reported apart: the credential stays as authentic as it is.
    assert (right["identity"], wrong["identity"]) == ("matches", "does_not_match")
    assert wrong["verdict"] == right["verdict"]


def _tampered(issued: Issued, change: Any) -> dict[str, Any]:
    bundle = copy.deepcopy(issued.bundle)
    change(bundle["credential"])
    report: dict[str, Any] = issued.post_verify(json.dumps(bundle).encode(), "application/json")
    return report


def test_changed_credits_break_the_signature_and_the_ledger_record(issued: Issued) -> None:
    def more_credits(credential: dict[str, Any]) -> None:
        credential["credentialSubject"]["creditsEarned"] = 20

    report = _tampered(issued, more_credits)
    assert report["valid"] is False
    assert checks(report)["signature"] == "fail"
    assert checks(report)["ledger"] == "fail"


def test_a_credential_claiming_another_issuer_is_refused(issued: Issued) -> None:
    def other(credential: dict[str, Any]) -> None:
        credential["issuer"]["id"] = "did:web:elsewhere.example"

    report = _tampered(issued, other)
    assert report["valid"] is False
    assert "not by the trusted issuer" in {c["check"]: c["reason"] for c in report["checks"]}["signature"]


def test_a_pdf_whose_visible_text_was_edited_is_not_valid(issued: Issued) -> None:
    # Drop one text-showing block from the page; the attached credential and receipt stay intact.
    reader = PdfReader(io.BytesIO(issued.pdf))
    writer = PdfWriter(clone_from=reader)
    page = writer.pages[0]
    contents = page.get_contents()
    assert contents is not None
    data = contents.get_data()
    start = data.index(b"BT")
    end = data.index(b"ET", start) + 2
    contents.set_data(data[:start] + data[end:])
    page.replace_contents(contents)
    out = io.BytesIO()
    writer.write(out)
    edited = out.getvalue()
    assert embedded_credential(edited) == embedded_credential(issued.pdf)
    assert visible_text(edited) != visible_text(issued.pdf)
    report = issued.post_verify(edited, "application/pdf")
    assert report["valid"] is False
    assert checks(report)["ledger"] == "fail"
