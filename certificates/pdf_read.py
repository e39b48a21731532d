"""Reading back what a credential PDF carries: its attached files and the text its pages show.

The input is whatever someone uploaded, so nothing pypdf raises or warns about escapes: every failure becomes a
PdfError whose message a person can act on, and an attachment is inflated only up to a fixed size.
"""

from __future__ import annotations

import io
import logging
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from pypdf import PdfReader
from pypdf.generic import ArrayObject, DictionaryObject, StreamObject

from certificates import bounds

CREDENTIAL_NAME = "credential.json"
# The web layer refuses larger uploads already; the limit here keeps a direct caller from parsing one anyway.
MAX_PDF = 50 * 1024 * 1024
MAX_ATTACHMENT = 5 * 1024 * 1024
# A name tree deeper or larger than this is not one WeasyPrint wrote; a loop in a hostile one must still end.
_MAX_TREE_DEPTH = 32
_MAX_TREE_NODES = 10_000

# pypdf reports what it repaired in a file through logging (its only warnings are deprecations, about our code). The
# files are uploads, so those notes are not the service's to log. Set once, for good: toggling the level around each
# read is process-wide state that concurrent readers would have to take turns on, and one slow file would hold up
# every other verification in the process.
logging.getLogger("pypdf").setLevel(logging.ERROR)


class PdfError(Exception):
    """The file cannot be used as a credential PDF; the message says why in plain words."""


@contextmanager
def _contained(message: str) -> Iterator[None]:
    """pypdf's exceptions become PdfError(message)."""
    try:
        yield
    except (PdfError, bounds.LimitExceeded):
        raise
    except Exception as exc:  # anything pypdf raises on a malformed file, RecursionError included
        raise PdfError(message) from exc


def _reader(pdf: bytes) -> PdfReader:
    if not pdf:
        raise PdfError("the file is empty: not a PDF")
    if len(pdf) > MAX_PDF:
        raise PdfError(f"the file is larger than {MAX_PDF // (1024 * 1024)} MB")
    if b"%PDF-" not in pdf[:1024]:
        raise PdfError("not a PDF: the file does not start like one")
    if b"%%EOF" not in pdf[-2048:]:
        raise PdfError("the PDF is damaged or truncated: its end is missing")
    with _contained("the PDF is damaged or truncated: it cannot be read"):
        # strict: a broken cross-reference table is an error here, not something to guess around.
        reader = PdfReader(io.BytesIO(pdf), strict=True)
        if len(reader.pages) == 0:
            raise PdfError("the PDF has no pages")
        if len(reader.pages) > bounds.MAX_PAGES:
            raise bounds.LimitExceeded("pages", bounds.MAX_PAGES)
    return reader


def _name_tree(node: Any) -> Iterator[tuple[str, Any]]:
    pending: list[tuple[Any, int]] = [(node, 0)]
    seen = 0
    while pending:
        current, depth = pending.pop()
        current = current.get_object()
        seen += 1
        if not isinstance(current, DictionaryObject) or depth > _MAX_TREE_DEPTH or seen > _MAX_TREE_NODES:
            raise PdfError("the PDF's list of attachments is damaged")
        names = current.get("/Names")
        if names is not None:
            names = names.get_object()
            if not isinstance(names, ArrayObject):
                raise PdfError("the PDF's list of attachments is damaged")
            for index in range(0, len(names) - 1, 2):
                yield str(names[index].get_object()), names[index + 1]
        kids = current.get("/Kids")
        if kids is not None:
            pending.extend((kid, depth + 1) for kid in reversed(kids.get_object()))


def _file_stream(filespec: Any) -> StreamObject:
    filespec = filespec.get_object()
    if not isinstance(filespec, DictionaryObject):
        raise PdfError("the PDF's list of attachments is damaged")
    files = filespec.get("/EF")
    files = files.get_object() if files is not None else None
    stream = None
    if isinstance(files, DictionaryObject):
        found = files.get("/UF") or files.get("/F")
        stream = found.get_object() if found is not None else None
    if not isinstance(stream, StreamObject):
        raise PdfError("an attachment of the PDF has no content")
    return stream


def _bounded_content(stream: StreamObject, name: str) -> bytes:
    too_large = PdfError(f"the attachment {name} is larger than {MAX_ATTACHMENT // (1024 * 1024)} MB")
    params = stream.get("/Params")
    params = params.get_object() if params is not None else None
    if isinstance(params, DictionaryObject) and int(params.get("/Size", 0)) > MAX_ATTACHMENT:
        raise too_large
    raw: bytes = stream._data  # the bytes as stored, before any filter
    filters = stream.get("/Filter")
    filters = filters.get_object() if filters is not None else None
    if isinstance(filters, ArrayObject) and len(filters) == 1:
        filters = filters[0].get_object()
    if filters is None:
        content = raw
    elif filters == "/FlateDecode" and stream.get("/DecodeParms") is None:
        # Inflate at most one byte past the limit, so a small compressed bomb costs nothing.
        inflater = zlib.decompressobj()
        content = inflater.decompress(raw, MAX_ATTACHMENT + 1)
    else:
        raise PdfError(f"the attachment {name} is stored in an encoding this service does not read")
    if len(content) > MAX_ATTACHMENT:
        raise too_large
    return content


def embedded_file(pdf: bytes, name: str) -> bytes | None:
    """The content of the attachment called `name`, or None when the PDF has no such attachment."""
    reader = _reader(pdf)
    with _contained("the PDF's attachments cannot be read"):
        catalog = reader.trailer["/Root"].get_object()
        names = catalog.get("/Names") if isinstance(catalog, DictionaryObject) else None
        names = names.get_object() if names is not None else None
        tree = names.get("/EmbeddedFiles") if isinstance(names, DictionaryObject) else None
        if tree is None:
            return None
        for key, filespec in _name_tree(tree):
            spec = filespec.get_object()
            title = str(spec.get("/UF") or spec.get("/F") or key) if isinstance(spec, DictionaryObject) else key
            if name in (key, title):
                return _bounded_content(_file_stream(spec), name)
    return None


def carries_more_than_pages(pdf: bytes) -> bool:
    """Whether a PDF holds attached files (in its name tree or as page annotations) or a signature field: what a
    certificate carries and a plain scan does not. Unreadable PDFs raise PdfError."""
    reader = _reader(pdf)
    with _contained("the PDF's structure cannot be read"):
        catalog = reader.trailer["/Root"].get_object()
        if not isinstance(catalog, DictionaryObject):
            return False
        names = catalog.get("/Names")
        names = names.get_object() if names is not None else None
        if isinstance(names, DictionaryObject) and names.get("/EmbeddedFiles") is not None:
            return True
        form = catalog.get("/AcroForm")
        form = form.get_object() if form is not None else None
        if isinstance(form, DictionaryObject):
            for field in form.get("/Fields") or []:
                field = field.get_object()
                if isinstance(field, DictionaryObject) and field.get("/FT") == "/Sig":
                    return True
        for page in reader.pages:
            for annotation in page.get("/Annots") or []:
                annotation = annotation.get_object()
                if isinstance(annotation, DictionaryObject) and annotation.get("/Subtype") == "/FileAttachment":
                    return True
    return False


def embedded_credential(pdf: bytes) -> bytes:
    """The bytes of the credential.json the PDF carries, exactly as they were attached."""
    data = embedded_file(pdf, CREDENTIAL_NAME)
    if data is None:
        raise PdfError("no embedded credential: the PDF carries no credential.json attachment")
    return data


def visible_text(pdf: bytes) -> str:
    """The text of every page, in page order, as pypdf extracts it (one page per block, newline-separated)."""
    reader = _reader(pdf)
    with _contained("the text of the PDF cannot be read"):
        _check_page_content(reader)
        return "\n".join(page.extract_text() or "" for page in reader.pages)


def _streams(value: Any) -> Iterator[StreamObject]:
    value = value.get_object() if value is not None else None
    if isinstance(value, StreamObject):
        yield value
    elif isinstance(value, ArrayObject):
        for item in value:
            item = item.get_object()
            if isinstance(item, StreamObject):
                yield item


def _inflated_size(stream: StreamObject) -> int:
    """How large the stream is once decoded, found without decoding more than the limit allows."""
    raw: bytes = stream._data
    filters = stream.get("/Filter")
    filters = filters.get_object() if filters is not None else None
    if isinstance(filters, ArrayObject) and len(filters) == 1:
        filters = filters[0].get_object()
    if filters == "/FlateDecode":
        try:
            return len(zlib.decompressobj().decompress(raw, bounds.MAX_STREAM + 1))
        except zlib.error:
            raise PdfError("the PDF is damaged: a page's content cannot be inflated") from None
    # Unfiltered or in another encoding (the bank writes none): the stored size, and the CPU budget for the rest.
    return len(raw)


def _check_page_content(reader: PdfReader) -> None:
    """Text extraction reads each page's content streams and the forms they draw; pages may share one stream, so the
    total counts a stream once per page that uses it — that is the work extraction would do."""
    sizes: dict[int, int] = {}
    total = 0
    for page in reader.pages:
        used = list(_streams(page.get("/Contents")))
        resources = page.get("/Resources")
        resources = resources.get_object() if resources is not None else None
        forms = resources.get("/XObject") if isinstance(resources, DictionaryObject) else None
        forms = forms.get_object() if forms is not None else None
        if isinstance(forms, DictionaryObject):
            used.extend(form for ref in forms.values() for form in _streams(ref) if form.get("/Subtype") == "/Form")
        for stream in used:
            size = sizes.get(id(stream))
            if size is None:
                size = sizes[id(stream)] = _inflated_size(stream)
            if size > bounds.MAX_STREAM:
                raise bounds.LimitExceeded("stream", bounds.MAX_STREAM)
            total += size
            if total > bounds.MAX_PAGE_CONTENT:
                raise bounds.LimitExceeded("page_content", bounds.MAX_PAGE_CONTENT)
