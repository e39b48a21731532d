"""An object that names a key twice is refused wherever JSON comes from outside, never read as its last value.

Each case is a document a last-one-wins reader would accept as something else: a learner swapped for another,
a credential's subject or id replaced after its proof was checked over the first value.
"""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from certificates.pdf_read import embedded_file
from ledger import strict_json
from tests.api.records_fixtures import World, assert_problem, headers, item
from tests.credentials.issued_world import Issued, issued

__all__ = ["issued"]


def _with_duplicate(document: dict[str, Any], key: str, value: Any, *, spelled: str | None = None) -> bytes:
    """The document's JSON with ``key`` written a second time, first; ``spelled`` is the key as raw JSON text."""
    text = json.dumps(document, ensure_ascii=False)
    assert text.startswith("{")
    name = spelled if spelled is not None else json.dumps(key)[1:-1]
    return ('{"' + name + '": ' + json.dumps(value) + ", " + text[1:]).encode()


def _nested(document: dict[str, Any], field: str, key: str, value: Any) -> bytes:
    """The document with ``key`` written twice inside the object at top-level ``field``."""
    inner = _with_duplicate(document[field], key, value).decode()
    rest = {k: v for k, v in document.items() if k != field}
    return (json.dumps(rest)[:-1] + f', "{field}": ' + inner + "}").encode()


# --- the reader itself -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "path", "key"),
    [
        pytest.param('{"a": 1, "a": 1}', "a", "a", id="same-value"),
        pytest.param('{"a": 1, "\\u0061": 2}', "a", "a", id="escaped-spelling"),
        pytest.param('{"x": [{"ok": 1}, {"b": 1, "b": 2}]}', "x.1.b", "b", id="nested-in-list"),
        pytest.param('{"a": {"b": {"c": 1, "c": 2}}}', "a.b.c", "c", id="deeply-nested"),
        pytest.param('[{"\\u00e9": 1, "é": 2}]', "0.é", "é", id="non-ascii-escaped"),
    ],
)
def test_the_reader_names_the_repeated_key(text: str, path: str, key: str) -> None:
    with pytest.raises(strict_json.DuplicateKeyError) as caught:
        strict_json.loads(text.encode())
    assert caught.value.dotted == path
    assert caught.value.key == key


def test_distinct_keys_and_other_json_read_as_usual() -> None:
    assert strict_json.loads(b'{"a": 1, "A": 2, "b": {"a": [1, {"a": null}]}}') == {
        "a": 1,
        "A": 2,
        "b": {"a": [1, {"a": None}]},
    }
    for bad in (b'{"a": ', b"\xff", b"[" * 100_000, b"1" * 5000):
        with pytest.raises(strict_json.JSONInputError):
            strict_json.loads(bad)


def test_a_json_framework_or_rule_file_naming_a_key_twice_is_refused() -> None:
    from creditbank.credits.documents import DocumentError, parse_bytes

    with pytest.raises(DocumentError) as caught:
        parse_bytes(b'{"id": "eqf", "levels": [{"number": 1, "number": 2}]}', "f.json", json_format=True)
    assert "levels.0.number: the key 'number' appears more than once" in str(caught.value.faults)


# --- API request bodies ------------------------------------------------------------------------------------------


def _bodies(world: World) -> list[Any]:
    record = item(world.learner, "DUP-1")
    return [
        pytest.param(
            "/api/v1/achievements", _with_duplicate(record, "learner", "lrn_" + "z" * 20), "learner", id="top"
        ),
        pytest.param(
            "/api/v1/achievements",
            _with_duplicate(record, "credits", 400, spelled="\\u0063redits"),
            "credits",
            id="escaped",
        ),
        pytest.param("/api/v1/achievements", _nested(record, "result", "score", 100), "result.score", id="nested"),
        pytest.param(
            "/api/v1/achievements/batch",
            _with_duplicate({"items": [item(world.learner, "DUP-2")]}, "items", []),
            "items",
            id="batch",
        ),
        pytest.param(
            "/api/v1/learners",
            _with_duplicate({"name": {"latin": "Ada"}, "birth_date": "1985-03-03"}, "birth_date", "1999-01-01"),
            "birth_date",
            id="learner",
        ),
        pytest.param(
            "/api/v1/conversions/preview",
            b'{"achievement": {"kind": "course", "kind": "mooc", "credits": 1}}',
            "achievement.kind",
            id="preview",
        ),
    ]


def test_duplicate_keys_in_api_bodies_are_refused(world: World) -> None:
    for param in _bodies(world):
        path, raw, field = param.values
        before = world.size()
        response = world.client.post(path, data=raw, headers=headers(world.a, **{"Content-Type": "application/json"}))
        body = assert_problem(response, 400, "bad-request", field)
        assert "more than once" in body["detail"], body
        assert world.size() == before, param.id


def test_a_duplicate_inside_one_batch_item_names_the_item(world: World) -> None:
    first, second = item(world.learner, "B-1"), item(world.learner, "B-2")
    text = json.dumps({"items": [first, second]})
    needle = '"record_id": "B-2"'
    raw = text.replace(needle, needle + ', "learner": "' + "lrn_" + "y" * 20 + '"').encode()
    before = world.size()
    response = world.client.post(
        "/api/v1/achievements/batch", data=raw, headers=headers(world.a, **{"Content-Type": "application/json"})
    )
    assert_problem(response, 400, "bad-request", "items.1.learner")
    assert world.size() == before


# --- credentials uploaded for verification -----------------------------------------------------------------------


def test_verify_api_refuses_a_credential_naming_a_key_twice(issued: Issued) -> None:
    client = issued.world.client
    credential = issued.bundle["credential"]
    cases = {
        "id": _with_duplicate(credential, "id", "urn:uuid:00000000-0000-0000-0000-000000000000"),
        "credentialSubject.type": _nested(credential, "credentialSubject", "type", ["AchievementSubject"]),
        "issuer": _with_duplicate(credential, "issuer", credential["issuer"], spelled="\\u0069ssuer"),
    }
    for field, raw in cases.items():
        for content_type in ("application/json", "application/octet-stream"):
            response = client.post("/api/v1/verify", data=raw, content_type=content_type)
            body = assert_problem(response, 400, "malformed-document", field)
            assert "more than once" in body["detail"]
        upload = client.post(
            "/api/v1/verify", data={"file": (io.BytesIO(raw), "c.json")}, content_type="multipart/form-data"
        )
        assert_problem(upload, 400, "malformed-document", field)
    # The same document without the repetition still verifies.
    assert issued.post_verify(json.dumps(credential).encode(), "application/json")["valid"] is True


def test_verify_api_refuses_a_pdf_whose_attachment_names_a_key_twice(issued: Issued) -> None:
    from datetime import UTC, datetime

    from certificates.pdf_render import Bilingual, CertificatePage, render_certificate

    receipt = embedded_file(issued.pdf, "receipt.json")
    assert receipt is not None
    forged = _with_duplicate(issued.bundle["credential"], "id", "urn:uuid:00000000-0000-0000-0000-000000000000")
    both = Bilingual("文", "Text")
    page = CertificatePage(
        title=both, learner_name="x", institution=both, bank=both, credits="1", level=both, framework=both,
        issued=datetime.now(UTC).date(), ledger_seq=1, credential_id=issued.credential_id,
        verify_url="http://localhost:5000/v/x",
    )  # fmt: skip
    for attachments, field in (
        ({"credential.json": forged, "receipt.json": receipt}, "id"),
        (
            {
                "credential.json": json.dumps(issued.bundle["credential"]).encode(),
                "receipt.json": _with_duplicate(json.loads(receipt), "checkpoint", "forged"),
            },
            "checkpoint",
        ),
    ):
        pdf = render_certificate(page, attachments)
        response = issued.world.client.post("/api/v1/verify", data=pdf, content_type="application/pdf")
        assert_problem(response, 400, "malformed-document", field)


def test_verify_page_reports_the_repeated_key(issued: Issued) -> None:
    raw = _with_duplicate(issued.bundle["credential"], "id", "urn:uuid:00000000-0000-0000-0000-000000000000")
    page = issued.world.client.post(
        "/verify", data={"json": raw.decode()}, content_type="multipart/form-data", headers={"Accept-Language": "en"}
    )
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "check-fail" in text
    # The English page shows each check's reason as the engine gave it.
    assert "appears more than once" in text


def test_verify_command_refuses_the_repeated_key(issued: Issued, tmp_path: Path) -> None:
    from creditbank.cli import main
    from creditbank.services.credentials import credential_keys

    credential = issued.bundle["credential"]
    (tmp_path / "did.json").write_text(json.dumps(credential_keys.did_document(issued.world.bank)))
    (tmp_path / "good.json").write_text(json.dumps(issued.bundle))
    (tmp_path / "dup.json").write_bytes(_nested(credential, "credentialSubject", "type", ["AchievementSubject"]))
    runner = CliRunner()
    did = str(tmp_path / "did.json")
    good = runner.invoke(main, ["verify", str(tmp_path / "good.json"), "--trust", did])
    # Authentic; offline without status lists it cannot be more than that (exit 3), and it is not refused.
    assert good.exit_code in (0, 3), good.output
    assert "more than once" not in good.output
    result = runner.invoke(main, ["verify", str(tmp_path / "dup.json"), "--trust", did])
    assert result.exit_code == 1, result.output
    assert "NOT VALID" in result.output
    assert "'type' appears more than once in credentialSubject" in result.output
    assert "Traceback" not in result.output
    # A trust file is read as strictly as the credential.
    document = json.loads((tmp_path / "did.json").read_text())
    (tmp_path / "dup-did.json").write_bytes(_with_duplicate(document, "id", "did:web:evil.example"))
    trusted = runner.invoke(main, ["verify", str(tmp_path / "good.json"), "--trust", str(tmp_path / "dup-did.json")])
    assert trusted.exit_code == 2, trusted.output
    assert "'id' appears more than once" in trusted.output
