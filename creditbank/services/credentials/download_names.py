"""What a downloaded document is called: its kind, what it is for and its issue day, e.g.
``certificate-tai-chi-2026-12-04.pdf``, with the title in the reader's language beside it (RFC 6266 ``filename*``)."""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import quote

from creditbank.languages import words
from creditbank.models import Credential, CredentialDocument
from creditbank.runtime import Bank
from creditbank.services.credentials.credential_pages import local_day
from creditbank.services.credentials.facts import language_order
from creditbank.services.credentials.reading import title_of, visible
from creditbank.services.records.api_keys import Principal

# The ASCII name's first word; the catalogue's documents_file_* word is the readable name's.
_KINDS = {"transcript": "transcript", "achievement": "certificate", "qualification": "qualification"}
# Characters no file system or browser should get in a name: separators, reserved ones, controls and format marks.
_UNSAFE = re.compile(r'[\\/:*?"<>|\x00-\x1f\x7f]+')
_LONGEST_TITLE = 60


def _slug(text: str) -> str:
    """Lower-case ASCII words joined by hyphens; accents drop to their base letter, anything else goes."""
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", plain.lower()).strip("-")[:_LONGEST_TITLE].strip("-")


def _readable(text: str) -> str:
    kept = "".join(char for char in text if unicodedata.category(char) not in ("Cf", "Cc", "Zl", "Zp"))
    return re.sub(r"\s+", " ", _UNSAFE.sub(" ", kept)).strip()[:_LONGEST_TITLE].strip()


def names(
    bank: Bank, principal: Principal | None, credential_id: str, extension: str, language: str | None = None
) -> tuple[str, str]:
    """(ASCII file name, file name in ``language``, else the document's first language) for a download."""
    with bank.db.reading() as session:
        row: Credential = visible(session, principal, credential_id)
        stored = session.get(CredentialDocument, credential_id)
        title = title_of(row.kind, stored) or {}
        first = language_order(stored.language_order)[0] if stored is not None else "zh"
        issued = local_day(bank, row.issued_at).isoformat()
    reader = language if language in words.LANGUAGES else first
    slug = _slug(title.get("en") or title.get("zh") or "")
    ascii_name = "-".join(part for part in (_KINDS.get(row.kind, "credential"), slug, issued) if part)
    word = words.text(f"documents_file_{_KINDS[row.kind]}", reader) if row.kind in _KINDS else "credential"
    shown = _readable(words.pick(title, reader)) if title else ""
    readable = "-".join(part for part in (word, shown, issued) if part)
    return f"{ascii_name}.{extension}", f"{readable}.{extension}"


def content_disposition(
    bank: Bank,
    principal: Principal | None,
    credential_id: str,
    extension: str,
    language: str | None = None,
    disposition: str = "attachment",
) -> str:
    """The Content-Disposition header value: an ASCII ``filename`` every client reads, and ``filename*`` with the
    readable name for those that take UTF-8 (RFC 6266 §4.3, RFC 8187)."""
    ascii_name, readable = names(bank, principal, credential_id, extension, language)
    header = f'{disposition}; filename="{ascii_name}"'
    if readable != ascii_name:
        header += f"; filename*=UTF-8''{quote(readable, safe='')}"
    return header
