"""How much work a verification takes on, decided before the work is done.

RDF canonicalization (URDNA2015) is exponential in the worst case: blank nodes that cannot be told apart by their
surroundings — a clique of them, or a few levels of identical nested objects — make it try every ordering. A few KB
of such JSON cost minutes. PDF text extraction has the same flavour: pages can share one large content stream, and a
compressed stream can inflate a thousandfold. So the verify door counts first and refuses what exceeds these limits;
whatever passes them still runs under a CPU budget (certificates.budget) because counting cannot foresee every
expensive shape.

The numbers leave room above what the bank itself issues. An 80-course transcript with its receipt holds about 2,500
JSON objects and arrays, 9,000 values, 480 objects without an id (two deep at most), 81 signed credentials, one proof
each, arrays of 81 and a depth of 11; its five-page PDF has 43 KB of content a page. The PDF figures are tight
because pypdf extracts text at about 1 MB a second.
"""

from __future__ import annotations

from typing import Any

# The upload, before parsing: every object and array starts with one of these bytes (a string may hold some too,
# so this is an upper bound), which caps what the parser will build.
MAX_CONTAINERS = 20_000
# The parsed upload (credential and receipt).
MAX_DEPTH = 20
MAX_VALUES = 100_000
MAX_ARRAY = 1_000  # items in one array, or members in one object
# Each credential that is canonicalized (the outer one and each one a CLR wraps).
MAX_PROOFS = 4
MAX_CREDENTIALS = 250
MAX_BLANK_NODES = 2_000  # objects without an id: each becomes a blank node
MAX_BLANK_DEPTH = 2  # objects without an id nested in one another
MAX_BLANK_LABELS = 4  # distinct "_:" identifiers, which let a document link blank nodes into any graph at all
# A PDF.
MAX_PAGES = 20
MAX_STREAM = 1024 * 1024  # one content stream, inflated
MAX_PAGE_CONTENT = 1024 * 1024  # page content read for all pages, a shared stream counted once per page

_LIMITS = {
    "containers": "objects and arrays in the upload",
    "depth": "levels of nesting",
    "values": "JSON values in the upload",
    "array": "items in one array or members in one object",
    "proofs": "proofs on one credential",
    "credentials": "credentials in one document",
    "blank_nodes": "objects without an id (blank nodes)",
    "blank_depth": "levels of objects without an id nested in one another",
    "blank_labels": 'blank node identifiers ("_:...")',
    "pages": "pages in the PDF",
    "stream": "bytes in one PDF content stream",
    "page_content": "bytes of page content in the PDF",
}


class LimitExceeded(Exception):
    """The input asks for more work than the verify door does; ``limit`` names the limit, ``maximum`` its value."""

    def __init__(self, limit: str, maximum: int) -> None:
        self.limit = limit
        self.maximum = maximum
        super().__init__(f"refused before checking: more than {maximum:,} {_LIMITS[limit]} (limit {limit!r})")

    def __reduce__(self) -> tuple[Any, ...]:
        return (LimitExceeded, (self.limit, self.maximum))


def limits() -> dict[str, int]:
    """Every limit by name, for documentation and reports."""
    names = {name.lower(): value for name, value in globals().items() if name.startswith("MAX_")}
    return {name: names[f"max_{name}"] for name in _LIMITS}


def check_bytes(data: bytes) -> None:
    """The cheap count over the raw bytes, done before the parser builds anything."""
    if data.count(b"{") + data.count(b"[") > MAX_CONTAINERS:
        raise LimitExceeded("containers", MAX_CONTAINERS)


def check_json(document: Any) -> None:
    """Depth, size and width of a parsed upload; stops at the first limit crossed, so the scan itself is bounded."""
    level: list[Any] = [document]
    depth = 0
    values = 0
    while level:
        depth += 1
        values += len(level)
        if values > MAX_VALUES:
            raise LimitExceeded("values", MAX_VALUES)
        if depth > MAX_DEPTH:
            raise LimitExceeded("depth", MAX_DEPTH)
        below: list[Any] = []
        for item in level:
            if isinstance(item, dict):
                if len(item) > MAX_ARRAY:
                    raise LimitExceeded("array", MAX_ARRAY)
                below.extend(item.values())
            elif isinstance(item, list):
                if len(item) > MAX_ARRAY:
                    raise LimitExceeded("array", MAX_ARRAY)
                below.extend(item)
        level = below


def check_credential(credential: Any) -> None:
    """The blank nodes and proofs of a credential about to be canonicalized, the credentials a CLR wraps included.

    Counted on the JSON, before any JSON-LD processing: an object without an id is a blank node (a language map or
    value object counted too only makes the bound safer), and a string id starting with "_:" is a blank node label.
    """
    if not isinstance(credential, dict):
        return
    credentials = 0
    blank = 0
    labels: set[str] = set()
    pending: list[tuple[Any, int, bool]] = [(credential, 0, True)]
    while pending:
        item, blank_level, is_credential = pending.pop()
        if isinstance(item, list):
            pending.extend((child, blank_level, is_credential) for child in item if isinstance(child, dict | list))
            continue
        if is_credential:
            credentials += 1
            if credentials > MAX_CREDENTIALS:
                raise LimitExceeded("credentials", MAX_CREDENTIALS)
            proofs = item.get("proof")
            if isinstance(proofs, list) and len(proofs) > MAX_PROOFS:
                raise LimitExceeded("proofs", MAX_PROOFS)
        identifier = item["id"] if "id" in item else item.get("@id")
        if isinstance(identifier, str) and identifier.startswith("_:"):
            labels.add(identifier)
            if len(labels) > MAX_BLANK_LABELS:
                raise LimitExceeded("blank_labels", MAX_BLANK_LABELS)
        if identifier is None or (isinstance(identifier, str) and identifier.startswith("_:")):
            blank += 1
            blank_level += 1
            if blank > MAX_BLANK_NODES:
                raise LimitExceeded("blank_nodes", MAX_BLANK_NODES)
            if blank_level > MAX_BLANK_DEPTH:
                raise LimitExceeded("blank_depth", MAX_BLANK_DEPTH)
        else:
            blank_level = 0
        for key, value in item.items():
            # Only objects and arrays can hold blank nodes; an inline context holds none.
            if isinstance(value, dict | list) and key != "@context":
                # A CLR's wrapped credentials are signed documents of their own: their proofs count against them.
                pending.append((value, blank_level, key == "verifiableCredential"))
