"""Credential endpoints: answers the fuzzer found undocumented or failing, each pinned by one plain request."""

from __future__ import annotations

from typing import Any

from creditbank.services import learners
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


def test_the_pdf_reprints_as_issued_until_the_holder_is_erased_then_is_a_documented_conflict(world: World) -> None:
    achievement, credential = issue(world)
    revoked = world.client.post(
        f"/api/v1/achievements/{achievement}/revocation", json={"reason": "in error"}, headers=headers(world.a)
    )
    assert revoked.status_code == 201
    # The PDF shows what was issued (kept at issuance); whether it still stands is the status list's answer.
    reprint = world.client.get(f"/api/v1/credentials/{credential}/pdf", headers=headers(world.a))
    assert reprint.status_code == 200
    assert reprint.data.startswith(b"%PDF")
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
    assert listed.mimetype == "application/json"
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
