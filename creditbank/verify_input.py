"""What a verify door was sent: the file to verify and, optionally, the holder to compare it with.

One reading for both doors, the API's ``POST /api/v1/verify`` and the public page ``/verify``: the same fields, the
same size limit and the same refusals. The file is a multipart or form field ``file``, a pasted ``json`` field, or
(any other content type) the raw body; the holder is ``name`` and ``birth_date`` (form, query string, or the
``X-Holder-Name`` / ``X-Holder-Birth-Date`` headers), both or neither.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import Request
from werkzeug.exceptions import RequestEntityTooLarge

from certificates.names import BirthDateError, parse_birth_date
from certificates.verify import Identity
from creditbank.errors import UnreadableInput

LIMIT = 20 * 1024 * 1024
FORM_TYPES = ("multipart/form-data", "application/x-www-form-urlencoded")


@dataclass(frozen=True)
class Upload:
    data: bytes
    identity: Identity | None


def read(request: Request) -> Upload:
    """The bytes to verify and the holder, read within ``LIMIT``; RequestEntityTooLarge (413) past it."""
    if (request.content_length or 0) > LIMIT:
        # Refused before parsing: a multipart body cut off by the limit leaves the parser's spool file open.
        raise RequestEntityTooLarge()
    # Set before anything touches the body. A body without a length (chunked) is cut off one byte past the limit:
    # the cut is silent, and that byte is what tells a body longer than the limit from one just at it.
    request.max_content_length = LIMIT + 1
    if request.content_length is None and len(request.get_data(cache=True)) > LIMIT:
        # Taken whole before any parsing, so a multipart body the limit cuts off is never half parsed (which, as
        # above, would leave the parser's spool file open); the form is then parsed from these bytes.
        raise RequestEntityTooLarge()
    identity = holder(_given(request, "name", "X-Holder-Name"), _given(request, "birth_date", "X-Holder-Birth-Date"))
    data = _file(request)
    if len(data) > LIMIT:
        raise RequestEntityTooLarge()
    return Upload(data, identity)


def holder(name: str | None, born: str | None) -> Identity | None:
    """The holder to compare with, from both fields or neither; blank counts as not given."""
    name = (name or "").strip()
    born = (born or "").strip()
    if not name and not born:
        return None
    if not name or not born:
        missing, other = ("name", "birth_date") if not name else ("birth_date", "name")
        raise UnreadableInput(
            "give both name and birth_date to check the holder",
            field=missing,
            reason=f"required with {other}",
            message="verify_need_both",
        )
    try:
        return Identity(name, parse_birth_date(born))
    except BirthDateError as exc:
        raise UnreadableInput(
            f"birth_date: {exc}", field="birth_date", reason=str(exc), message="verify_bad_date"
        ) from None


def _given(request: Request, field: str, header: str) -> str | None:
    return request.values.get(field) or request.headers.get(header)


def _file(request: Request) -> bytes:
    if request.mimetype not in FORM_TYPES:
        # Bounded: a declared length was checked in read(), and a body without one was taken there, to the limit.
        # Read whole, not read(LIMIT + 1): one read of a socket may return less than was sent.
        return request.get_data(cache=False)
    upload = request.files.get("file")
    # LIMIT + 1: one byte past the limit is enough to refuse it.
    data = upload.read(LIMIT + 1) if upload is not None else b""
    if not data:
        # A browser sends an empty `file` part when no file was chosen; the pasted text is then the credential.
        data = (request.form.get("json") or "").encode("utf-8")
    if not data:
        raise UnreadableInput(
            "attach the credential as the `file` field or paste it as the `json` field",
            field="file",
            reason="missing",
            message="verify_need_file",
        )
    return data
