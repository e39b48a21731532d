"""Both verify doors read what they were sent the same way (creditbank/verify_input.py): the file from `file`, the
pasted `json` field or the raw body, the holder from `name` and `birth_date` (both or neither), and one size limit
that stops the reading at the limit, never after the whole upload. The API answers a problem document naming the
field; the page says the same in the visitor's language."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest
from werkzeug.test import TestResponse

from creditbank.languages.i18n import text as words
from creditbank.verify_input import LIMIT
from tests.credentials.issued_world import Issued

BOUNDARY = "limit"


class Endless(io.RawIOBase):
    """A request body that never ends (after ``head``), counting what the door reads of it."""

    def __init__(self, head: bytes = b"") -> None:
        self.head = head
        self.taken = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        size = len(buffer)
        chunk = self.head[:size]
        self.head = self.head[size:]
        chunk += b"0" * (size - len(chunk))
        buffer[:size] = chunk
        self.taken += size
        return size


def _multipart_head() -> bytes:
    return (
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="c.pdf"\r\n'
        "Content-Type: application/pdf\r\n\r\n"
    ).encode()


def _post(issued: Issued, door: str, **kwargs: Any) -> TestResponse:
    client = issued.world.client
    client.set_cookie("lang", "en")
    return client.post(door, **kwargs)


def _page_says(response: TestResponse, key: str) -> None:
    assert response.status_code == 400, response.get_data(as_text=True)
    assert words(key, "en") in response.get_data(as_text=True)


def _problem(response: TestResponse, errors: dict[str, list[str]]) -> dict[str, Any]:
    assert response.status_code == 422, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
    problem: dict[str, Any] = response.get_json()
    assert problem["type"].endswith("/invalid-input")
    assert problem["errors"] == errors
    assert "Traceback" not in response.get_data(as_text=True)
    return problem


@pytest.mark.parametrize(
    ("given", "missing", "other"),
    [({"name": "李娟"}, "birth_date", "name"), ({"birth_date": "1958-03-04"}, "name", "birth_date")],
)
def test_the_holder_is_both_fields_or_neither_on_both_doors(
    issued: Issued, given: dict[str, str], missing: str, other: str
) -> None:
    pasted = {"json": json.dumps(issued.bundle), **given}
    problem = _problem(_post(issued, "/api/v1/verify", data=pasted), {missing: [f"required with {other}"]})
    assert "give both name and birth_date" in problem["detail"]
    _page_says(_post(issued, "/verify", data=pasted), "verify_need_both")


def test_a_blank_name_is_no_name_on_both_doors(issued: Issued) -> None:
    # Spaces are not a name to compare: the holder is half given, and both doors say so.
    pasted = {"json": json.dumps(issued.bundle), "name": "   ", "birth_date": "1958-03-04"}
    _problem(_post(issued, "/api/v1/verify", data=pasted), {"name": ["required with birth_date"]})
    _page_says(_post(issued, "/verify", data=pasted), "verify_need_both")
    blank = {"json": json.dumps(issued.bundle), "name": " ", "birth_date": " "}
    assert _post(issued, "/api/v1/verify", data=blank).get_json()["identity"] == "not_checked"
    assert _post(issued, "/verify", data=blank).status_code == 200


def test_a_bad_birth_date_names_the_field_on_both_doors(issued: Issued) -> None:
    pasted = {"json": json.dumps(issued.bundle), "name": "李娟", "birth_date": "1958/03/04"}
    response = _post(issued, "/api/v1/verify", data=pasted)
    assert response.status_code == 422
    assert set(response.get_json()["errors"]) == {"birth_date"}
    _page_says(_post(issued, "/verify", data=pasted), "verify_bad_date")


@pytest.mark.parametrize(
    "form",
    [{}, {"json": ""}, {"file": (io.BytesIO(b""), "")}, {"file": (io.BytesIO(b""), "empty.json")}],
    ids=["nothing", "empty paste", "no file chosen", "empty file"],
)
def test_nothing_to_verify_is_refused_naming_the_file_on_both_doors(issued: Issued, form: dict[str, Any]) -> None:
    for door in ("/api/v1/verify", "/verify"):
        sent = {name: (io.BytesIO(value[0].getvalue()), value[1]) if isinstance(value, tuple) else value
                for name, value in form.items()}  # fmt: skip
        response = _post(issued, door, data=sent, content_type="multipart/form-data")
        if door == "/verify":
            _page_says(response, "verify_need_file")
        else:
            _problem(response, {"file": ["missing"]})


def test_an_empty_file_part_leaves_the_pasted_text_to_verify_on_both_doors(issued: Issued) -> None:
    # What a browser sends when the text is pasted and no file chosen.
    for door in ("/api/v1/verify", "/verify"):
        form = {"file": (io.BytesIO(b""), ""), "json": json.dumps(issued.bundle)}
        response = _post(issued, door, data=form, content_type="multipart/form-data")
        assert response.status_code == 200, response.get_data(as_text=True)
        if door == "/verify":
            assert words("verify_valid", "en") in response.get_data(as_text=True)
        else:
            assert response.get_json()["verdict"] == "valid"


def test_the_holder_may_come_with_a_raw_body_in_the_query_or_headers(issued: Issued) -> None:
    data = json.dumps(issued.bundle)
    holder = {"name": "李娟", "birth_date": "1958-03-04"}
    in_query = _post(issued, "/api/v1/verify", data=data, query_string=holder).get_json()
    # Headers are Latin-1 on the wire, so the date alone is sent there beside a name in the query.
    in_headers = _post(
        issued,
        "/api/v1/verify",
        data=data,
        query_string={"name": "李娟"},
        headers={"X-Holder-Birth-Date": "1958-03-04"},
    ).get_json()
    assert in_query["identity"] == in_headers["identity"] == "matches"


def _sent(body: io.RawIOBase | io.BytesIO, content_type: str, length: int | None) -> dict[str, Any]:
    """The environ of a request whose body is ``body``: with a declared length, or streamed (chunked) without one,
    from a server that ends such bodies itself (wsgi.input_terminated)."""
    # The content type goes in as it is: the test client would give a multipart one a boundary of its own.
    environ: dict[str, Any] = {"wsgi.input": body, "CONTENT_TYPE": content_type}
    if length is None:
        environ.update({"wsgi.input_terminated": True, "HTTP_TRANSFER_ENCODING": "chunked"})
    else:
        environ["CONTENT_LENGTH"] = str(length)
    return environ


@pytest.mark.parametrize("door", ["/api/v1/verify", "/verify"])
@pytest.mark.parametrize("content_type", ["application/octet-stream", f"multipart/form-data; boundary={BOUNDARY}"])
def test_a_declared_length_over_the_limit_is_refused_unread(issued: Issued, door: str, content_type: str) -> None:
    body = Endless(_multipart_head())
    response = _post(issued, door, environ_overrides=_sent(body, content_type, LIMIT + 1))
    assert response.status_code == 413
    assert body.taken == 0
    if door == "/verify":
        assert words("too_large", "en") in response.get_data(as_text=True)
    else:
        assert response.mimetype == "application/problem+json"


@pytest.mark.parametrize("door", ["/api/v1/verify", "/verify"])
@pytest.mark.parametrize("content_type", ["application/octet-stream", f"multipart/form-data; boundary={BOUNDARY}"])
def test_a_body_without_a_length_is_read_only_to_the_limit(issued: Issued, door: str, content_type: str) -> None:
    body = Endless(_multipart_head())
    response = _post(issued, door, environ_overrides=_sent(body, content_type, None))
    assert response.status_code == 413
    # One byte past the limit tells a longer body from one just at it; nothing more is read.
    assert body.taken == LIMIT + 1


@pytest.mark.parametrize("door", ["/api/v1/verify", "/verify"])
def test_a_streamed_upload_within_the_limit_is_verified(issued: Issued, door: str) -> None:
    content_type = f"multipart/form-data; boundary={BOUNDARY}"
    data = _multipart_head() + issued.pdf + f"\r\n--{BOUNDARY}--\r\n".encode()
    response = _post(issued, door, environ_overrides=_sent(io.BytesIO(data), content_type, None))
    assert response.status_code == 200, response.get_data(as_text=True)
    if door == "/verify":
        assert words("verify_valid", "en") in response.get_data(as_text=True)
    else:
        assert response.get_json()["verdict"] == "valid"


@pytest.mark.parametrize("length", [LIMIT, None], ids=["declared", "streamed"])
def test_a_body_of_exactly_the_limit_is_read_and_verified(issued: Issued, length: int | None) -> None:
    body = io.BytesIO(b" " * LIMIT)
    response = _post(issued, "/api/v1/verify", environ_overrides=_sent(body, "application/octet-stream", length))
    assert response.status_code == 200, response.get_data(as_text=True)
    (first, *_) = response.get_json()["checks"]
    assert (first["check"], first["result"]) == ("format", "fail")
