"""The JSON-LD contexts credentials may use, served from local files only.

Canonicalization must never reach the network: a verifier that fetched contexts could be fed a different meaning
for the same words. The published contexts come from npm packages installed by the set-up step (exported to one
JSON file and pinned here by hash); the CLR 2.0 context, which no package ships, is defined in this package.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any

import rfc8785

from certificates.context_pins import PINS

VC_V2 = "https://www.w3.org/ns/credentials/v2"
OB_V3 = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
CLR_V2 = "https://purl.imsglobal.org/spec/clr/v2p0/context-2.0.1.json"
DATA_INTEGRITY_V2 = "https://w3id.org/security/data-integrity/v2"
MULTIKEY_V1 = "https://w3id.org/security/multikey/v1"

_PACKAGE = Path(__file__).resolve().parent
_EXPORTED = _PACKAGE.parent / "node_modules" / ".creditbank" / "contexts.json"
_OWN = {CLR_V2: _PACKAGE / "data" / "clr-2.0.json"}


class ContextError(Exception):
    """A context that is unknown, missing from the installation, or not what was pinned."""


def exported_file() -> Path:
    configured = os.environ.get("CREDITBANK_CONTEXTS")
    return Path(configured) if configured else _EXPORTED


def digest(document: Any) -> str:
    return hashlib.sha256(rfc8785.dumps(document)).hexdigest()


@cache
def known() -> Mapping[str, Any]:
    """Every context by URL, each checked against its pin. Read once per process."""
    path = exported_file()
    try:
        exported = json.loads(path.read_bytes())
    except FileNotFoundError:
        raise ContextError(
            f"{path} is missing: run the set-up (`make setup`) to install the JSON-LD contexts"
        ) from None
    except ValueError as exc:
        raise ContextError(f"{path} is not valid JSON: {exc}") from None
    if not isinstance(exported, dict):
        raise ContextError(f"{path} must map context URLs to documents")
    documents: dict[str, Any] = {}
    for url, pin in PINS.items():
        if url not in exported:
            raise ContextError(f"{path} lacks the context {url}: re-run the set-up")
        if digest(exported[url]) != pin:
            raise ContextError(f"the installed context {url} differs from the pinned one (sha256 {pin})")
        documents[url] = exported[url]
    for url, file in _OWN.items():
        documents[url] = json.loads(file.read_bytes())
    return documents


def load(url: str, options: Any = None) -> dict[str, Any]:
    """A PyLD document loader that knows the contexts above and nothing else."""
    documents = known()
    if url not in documents:
        raise ContextError(f"unknown JSON-LD context {url!r}: only pinned local contexts are used")
    # The tag lets PyLD keep the processed context between documents; without one it re-reads every context for
    # every document, which is most of a verification's time. Safe: these documents never change in a process.
    return {"contextUrl": None, "documentUrl": url, "document": documents[url], "tag": "static"}
