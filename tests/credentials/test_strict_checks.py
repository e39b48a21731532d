"""Checks that must fail what is wrong even when the signature and the ledger record hold: impossible dates, status
entries that are not the slot recorded at issuance, offline reports that checked no status, wrapped credentials
of a transcript, and the OB 3.0 type alias. Each wrong credential is signed with the bank's key and recorded."""

from __future__ import annotations

import copy
import io
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import jsonschema
import pytest
from flask import render_template

from certificates import shape
from certificates.verify import Trust, did_document_trust, verify_bytes, verify_document
from creditbank.services import credentials
from creditbank.services.credentials import credential_keys
from tests.credentials.issued_world import Issued, checks
from tests.credentials.resign import (
    fresh_slot,
    record,
    recorded_variant,
    sign_with,
    status_entry,
    variant,
)
from tests.vectors import load_json


def _offline(issued: Issued) -> Trust:
    return did_document_trust(credential_keys.did_document(issued.world.bank))


def _api(issued: Issued, bundle: dict[str, Any]) -> dict[str, Any]:
    return issued.post_verify(json.dumps(bundle).encode(), "application/json")


def _failed(report: dict[str, Any], check: str) -> str:
    assert report["valid"] is False, report
    assert report["verdict"] == "invalid", report
    found = {item["check"]: item for item in report["checks"]}
    assert found[check]["result"] == "fail", report
    return str(found[check]["reason"])


# --- dates ---------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "2020-13-01T00:00:00Z",
        "2020-02-30T00:00:00Z",
        "2021-02-29T00:00:00Z",
        "2030-01-01T24:00:00Z",
        "2016-12-31T23:59:60Z",
        "2030-01-01T00:00:00",
        "2030-01-01t00:00:00z",
        "2030-01-01T00:00:00+15:00",
        "2030-01-01T00:00:00+01:60",
        "2030-01-01",
        "２０３０-01-01T00:00:00Z",
    ],
)
def test_the_date_parser_refuses_what_is_no_real_instant(text: str) -> None:
    assert shape.parse_datetime(text) is None


def test_the_date_parser_reads_real_instants_with_their_zone() -> None:
    assert shape.parse_datetime("2024-02-29T23:59:59Z") == datetime(2024, 2, 29, 23, 59, 59, tzinfo=UTC)
    assert shape.parse_datetime("2030-01-01T08:00:00+08:00") == datetime(2030, 1, 1, tzinfo=UTC)
    assert shape.parse_datetime("2030-01-01T00:00:00.1234567-14:00") == datetime(
        2030, 1, 1, 14, 0, 0, 123456, tzinfo=UTC
    )


@pytest.mark.parametrize("until", ["2020-13-01T00:00:00Z", "2020-02-30T00:00:00Z", "2099-02-29T00:00:00Z"])
def test_an_impossible_expiry_is_invalid_not_never_expiring(issued: Issued, until: str) -> None:
    bundle = recorded_variant(issued, validUntil=until)
    report = _api(issued, bundle)
    assert "validUntil" in _failed(report, "format")
    # The engine's own date check refuses it too, whatever the shape check lets through.
    engine = verify_document(bundle["credential"], credentials.trust(issued.world.bank), receipt=bundle["receipt"])
    assert not engine.valid


@pytest.mark.parametrize("start", ["2020-02-30T00:00:00Z", "2021-02-29T00:00:00Z", "2020-01-01T00:00:00"])
def test_an_impossible_start_is_invalid(issued: Issued, start: str) -> None:
    assert "validFrom" in _failed(_api(issued, recorded_variant(issued, validFrom=start)), "format")


def test_a_proof_created_on_an_impossible_date_fails_the_key_check(issued: Issued) -> None:
    bundle = recorded_variant(issued, created="2026-02-30T00:00:00Z")
    assert "creation time" in _failed(_api(issued, bundle), "key")


def test_a_proof_created_in_the_future_fails_beyond_the_skew_only(issued: Issued) -> None:
    ahead = datetime.now(UTC) + timedelta(hours=1)
    far = recorded_variant(issued, created=ahead.strftime("%Y-%m-%dT%H:%M:%SZ"))
    assert "in the future" in _failed(_api(issued, far), "key")
    near = datetime.now(UTC) + timedelta(minutes=2)
    close = recorded_variant(issued, created=near.strftime("%Y-%m-%dT%H:%M:%SZ"))
    assert _api(issued, close)["verdict"] == "valid"


# --- status --------------------------------------------------------------------------------------------------------


def _with_entry(issued: Issued, entry: dict[str, Any] | None, slot: tuple[int, int]) -> dict[str, Any]:
    """A credential recorded with ``slot`` whose status entry is ``entry`` (None: removed)."""
    document = variant(issued.bundle["credential"], credentialStatus=entry)
    return record(issued, sign_with(issued.world.bank, document), slot=slot)


def test_an_entry_naming_another_index_than_recorded_fails(issued: Issued) -> None:
    number, index = fresh_slot()
    bundle = _with_entry(issued, status_entry(issued, number, (index + 1) % 131072), (number, index))
    assert "recorded at issuance" in _failed(_api(issued, bundle), "status")
    offline = verify_bytes(json.dumps(bundle).encode(), _offline(issued))
    assert offline.verdict == "invalid"
    assert checks(offline.to_json())["status"] == "fail"


def test_an_entry_naming_another_or_a_missing_list_fails(issued: Issued) -> None:
    number, index = fresh_slot()
    for other in (2, 99):
        bundle = _with_entry(issued, status_entry(issued, other, index), (number, index))
        assert "recorded at issuance" in _failed(_api(issued, bundle), "status")
        assert verify_bytes(json.dumps(bundle).encode(), _offline(issued)).verdict == "invalid"
        number, index = fresh_slot()


def test_an_entry_on_a_foreign_host_fails(issued: Issued) -> None:
    number, index = fresh_slot()
    entry = status_entry(issued, number, index)
    entry["statusListCredential"] = f"https://status.example.org/status/{number}-revocation"
    entry["id"] = entry["statusListCredential"] + f"#{index}"
    bundle = _with_entry(issued, entry, (number, index))
    assert "recorded at issuance" in _failed(_api(issued, bundle), "status")
    assert verify_bytes(json.dumps(bundle).encode(), _offline(issued)).verdict == "invalid"


def test_an_entry_naming_the_suspension_list_fails(issued: Issued) -> None:
    number, index = fresh_slot()
    bundle = _with_entry(issued, status_entry(issued, number, index, "suspension"), (number, index))
    assert "purpose" in _failed(_api(issued, bundle), "status")
    assert verify_bytes(json.dumps(bundle).encode(), _offline(issued)).verdict == "invalid"


def test_a_status_purpose_other_than_its_lists_fails(issued: Issued) -> None:
    number, index = fresh_slot()
    entry = status_entry(issued, number, index)
    entry["statusPurpose"] = "suspension"  # on the revocation list's URL
    bundle = _with_entry(issued, entry, (number, index))
    assert "purpose" in _failed(_api(issued, bundle), "status")


def test_a_removed_status_entry_fails_and_the_ledger_still_revokes(issued: Issued) -> None:
    slot = fresh_slot()
    bundle = _with_entry(issued, None, slot)
    assert "credentialStatus" not in bundle["credential"]
    assert "removed" in _failed(_api(issued, bundle), "status")
    assert verify_bytes(json.dumps(bundle).encode(), _offline(issued)).verdict == "invalid"
    credentials.change_status(issued.world.bank, bundle["credential"]["id"], "revoke", "issued in error")
    assert "revoked" in _failed(_api(issued, bundle), "status")


def test_the_bank_decides_status_from_the_ledger_online(issued: Issued) -> None:
    world = issued.world
    made = credentials.issue(world.bank, None, credentials.Request(world.learner, "achievement", issued.achievement))
    bundle = credentials.bundle(world.bank, None, made["id"])
    assert _api(issued, bundle)["verdict"] == "valid"
    credentials.change_status(world.bank, made["id"], "suspend")
    assert "suspended" in _failed(_api(issued, bundle), "status")
    credentials.change_status(world.bank, made["id"], "reinstate")
    assert _api(issued, bundle)["verdict"] == "valid"
    credentials.change_status(world.bank, made["id"], "revoke")
    assert "revoked" in _failed(_api(issued, bundle), "status")


# --- the third verdict ---------------------------------------------------------------------------------------------


def test_offline_without_status_lists_is_authentic_unchecked_never_valid(issued: Issued) -> None:
    report = verify_bytes(json.dumps(issued.bundle).encode(), _offline(issued))
    body = report.to_json()
    assert checks(body)["status"] == "skip"
    assert body["verdict"] == "authentic_unchecked"
    assert body["valid"] is False
    assert not any(item["result"] == "fail" for item in body["checks"])


def test_an_offline_skip_of_identity_alone_is_still_valid_online(issued: Issued) -> None:
    body = _api(issued, issued.bundle)
    assert checks(body)["identity"] == "skip"
    assert body["verdict"] == "valid"
    assert body["valid"] is True


def test_the_verify_page_shows_the_third_verdict_in_both_languages(issued: Issued) -> None:
    report = verify_bytes(json.dumps(issued.bundle).encode(), _offline(issued)).to_json()
    application = issued.world.client.application
    for language, words in (("zh", "证书真实，但未能检查"), ("en", "Authentic, but its revocation and suspension")):
        with application.test_request_context("/verify", headers={"Accept-Language": language}):
            page = render_template("verify.html", report=report, error=None)
        assert words in page
        assert 'class="verdict authentic_unchecked"' in page
        assert "✔" not in page.split('id="verdict"')[1].split("</p>")[0]


def test_the_api_documents_the_verdict(issued: Issued) -> None:
    spec = issued.world.client.get("/api/v1/openapi.json").get_json()
    schema = json.dumps(spec["components"]["schemas"])
    assert "authentic_unchecked" in schema


# --- transcripts ---------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def transcript(issued: Issued) -> dict[str, Any]:
    world = issued.world
    world.record("uni-b", "CLR-1", title={"zh": "课程甲", "en": "Course A"}, credits=1)
    made = credentials.issue(world.bank, None, credentials.Request(world.learner, "transcript", None, "en-zh"))
    return credentials.bundle(world.bank, None, made["id"])


def _wrap(issued: Issued, transcript: dict[str, Any], change: Any) -> dict[str, Any]:
    """The transcript under a new id with its first wrapped credential changed by ``change`` (which returns the new
    wrapped credential), everything re-signed and recorded."""
    bank = issued.world.bank
    slot = fresh_slot()
    clr = variant(transcript["credential"], credentialStatus=status_entry(issued, *slot))
    inner = clr["credentialSubject"]["verifiableCredential"]
    inner[0] = change(copy.deepcopy(inner[0]))
    return record(issued, sign_with(bank, clr), slot=slot, kind="transcript")


def test_an_honest_rewrap_is_valid(issued: Issued, transcript: dict[str, Any]) -> None:
    assert _api(issued, transcript)["verdict"] == "valid"
    assert _api(issued, _wrap(issued, transcript, lambda inner: inner))["verdict"] == "valid"


def _resigned_inner(issued: Issued, **fields: Any) -> Any:
    def change(inner: dict[str, Any]) -> dict[str, Any]:
        inner.update(fields)
        return sign_with(issued.world.bank, inner)

    return change


@pytest.mark.parametrize(
    ("fields", "check", "words"),
    [
        ({"validUntil": "2020-01-01T00:00:00Z"}, "validity", "expired"),
        ({"validFrom": "2099-01-01T00:00:00Z"}, "validity", "not valid before"),
        ({"validUntil": "2020-02-30T00:00:00Z"}, "format", "validUntil"),
    ],
)
def test_a_wrapped_credential_out_of_its_dates_makes_the_transcript_invalid(
    issued: Issued, transcript: dict[str, Any], fields: dict[str, Any], check: str, words: str
) -> None:
    reason = _failed(_api(issued, _wrap(issued, transcript, _resigned_inner(issued, **fields))), check)
    assert words in reason
    if check != "format":
        assert reason.startswith("wrapped credential 1 (urn:uuid:")


def test_a_wrapped_credential_from_a_foreign_issuer_makes_the_transcript_invalid(
    issued: Issued, transcript: dict[str, Any]
) -> None:
    foreign = {"id": "did:web:other.example", "type": ["Profile"], "name": "Other"}
    reason = _failed(_api(issued, _wrap(issued, transcript, _resigned_inner(issued, issuer=foreign))), "signature")
    assert reason.startswith("wrapped credential 1")
    assert "did:web:other.example" in reason


def test_a_wrapped_credential_with_a_broken_signature_is_named(issued: Issued, transcript: dict[str, Any]) -> None:
    def tamper(inner: dict[str, Any]) -> dict[str, Any]:
        inner["credentialSubject"]["creditsEarned"] = 99
        return inner

    assert _failed(_api(issued, _wrap(issued, transcript, tamper)), "signature").startswith("wrapped credential 1")


def test_a_revoked_wrapped_credential_makes_the_transcript_invalid(issued: Issued, transcript: dict[str, Any]) -> None:
    world = issued.world
    made = credentials.issue(world.bank, None, credentials.Request(world.learner, "achievement", issued.achievement))
    credentials.change_status(world.bank, made["id"], "revoke", "wrapped after revocation")
    reason = _failed(_api(issued, _wrap(issued, transcript, lambda _inner: made["credential"])), "status")
    assert reason.startswith(f"wrapped credential 1 ({made['id']})")
    assert "revoked" in reason


def test_a_wrapped_credential_with_a_status_entry_of_no_recorded_credential_fails(
    issued: Issued, transcript: dict[str, Any]
) -> None:
    number, index = fresh_slot()

    def change(inner: dict[str, Any]) -> dict[str, Any]:
        inner["credentialStatus"] = status_entry(issued, number, index)
        return sign_with(issued.world.bank, inner)

    assert "records no such credential" in _failed(_api(issued, _wrap(issued, transcript, change)), "status")


# --- types ---------------------------------------------------------------------------------------------------------


def test_achievement_credential_is_accepted_as_the_ob3_alias(issued: Issued) -> None:
    bundle = recorded_variant(issued, type=["VerifiableCredential", "AchievementCredential"])
    report = _api(issued, bundle)
    assert report["verdict"] == "valid", report
    assert report["kind"] == "OpenBadgeCredential"
    other = recorded_variant(issued, type=["VerifiableCredential", "SomeOtherCredential"])
    assert _failed(_api(issued, other), "format")


def test_ob3_admits_one_status_entry_so_the_credential_names_only_its_revocation_list(issued: Issued) -> None:
    # Why third-party verifiers see revocation but not suspension: VC 2.0 allows an array of status entries, the
    # OB 3.0 JSON Schema (credentialStatus: one CredentialStatus object) does not.
    schema = jsonschema.Draft201909Validator(load_json("ob3-schema/ob_achievementcredential.json"))
    credential = issued.bundle["credential"]
    schema.validate(credential)
    assert credential["credentialStatus"]["statusPurpose"] == "revocation"
    both = copy.deepcopy(credential)
    both["credentialStatus"] = [
        credential["credentialStatus"],
        {**credential["credentialStatus"], "statusPurpose": "suspension"},
    ]
    assert not schema.is_valid(both)


def test_the_pdf_door_reports_the_verdict_too(issued: Issued) -> None:
    response = issued.world.client.post(
        "/api/v1/verify", data={"file": (io.BytesIO(issued.pdf), "c.pdf")}, content_type="multipart/form-data"
    )
    assert response.get_json()["verdict"] == "valid"
    assert verify_bytes(issued.pdf, _offline(issued)).verdict == "authentic_unchecked"
