"""Reading back what a credential PDF carries: its attached files and its visible text."""

from __future__ import annotations

import io
import logging
import warnings

from pypdf import PdfReader
from pypdf.errors import PyPdfError

MAX_ATTACHMENT = 5 * 1024 * 1024


class PdfError(Exception):
    pass


def _reader(pdf: bytes) -> PdfReader:
    if not pdf.lstrip().startswith(b"%PDF"):
        raise PdfError("not a PDF file")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            reader = PdfReader(io.BytesIO(pdf), strict=False)
            _ = len(reader.pages)
        return reader
    except (PyPdfError, ValueError, KeyError, TypeError, AttributeError, IndexError, RecursionError, OSError):
        raise PdfError("the PDF is damaged or truncated") from None


def embedded_file(pdf: bytes, name: str) -> bytes | None:
    reader = _reader(pdf)
    logging.getLogger("pypdf").setLevel(logging.ERROR)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            found = reader.attachments.get(name)
    except (PyPdfError, ValueError, KeyError, TypeError, AttributeError, IndexError, RecursionError, OSError):
        raise PdfError("the PDF's attachments cannot be read") from None
    if not found:
        return None
    data = found[0]
    if len(data) > MAX_ATTACHMENT:
        raise PdfError(f"the attachment {name} is too large")
    return bytes(data)


def embedded_credential(pdf: bytes) -> bytes:
    data = embedded_file(pdf, "credential.json")
    if data is None:
        raise PdfError("the PDF carries no embedded credential (credential.json)")
    return data


def visible_text(pdf: bytes) -> str:
    reader = _reader(pdf)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return "\n".join(page.extract_text() or "" for page in reader.pages)
    except (PyPdfError, ValueError, KeyError, TypeError, AttributeError, IndexError, RecursionError, OSError):
        raise PdfError("the PDF's text cannot be read") from None
