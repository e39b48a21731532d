"""The evidence files of applications: the learner's own documents, kept sealed beside the ledger.

The ledger records each file's SHA-256, kind and size; the file itself is personal (a scan shows a name, a photo, a
seal) and so lives here, sealed with a fresh data key wrapped by the bank's master key, and is deleted when the learner
is erased. A reviewer reads it through :func:`read`, which opens the seal.
"""

from __future__ import annotations

import hashlib
import unicodedata
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from creditbank.errors import InvalidInput, NotFound
from creditbank.models import RecognitionEvidence
from creditbank.runtime import Bank

MAX_FILES = 5
MAX_FILE_BYTES = 8 * 1024 * 1024
MAX_TOTAL_BYTES = 16 * 1024 * 1024
DESCRIPTION_LIMIT = 2000
# What a scanned document may be: images and PDFs a reviewer can open in a browser. Told from the bytes, never from
# the name or the declared type.
_DOCUMENT_SIGNATURES = (
    (b"%PDF-", "application/pdf"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
)


@dataclass(frozen=True)
class EvidenceFile:
    """One uploaded file as a door hands it over: its bytes and, for a scanned document, what it shows."""

    data: bytes
    filename: str = ""
    description: str = ""


def sniff(data: bytes) -> str | None:
    """The media type the bytes are, among those accepted as evidence (JSON for credentials)."""
    for signature, media_type in _DOCUMENT_SIGNATURES:
        if data.startswith(signature):
            return media_type
    if data.lstrip()[:1] == b"{":
        return "application/json"
    return None


def description_of(text: str, place: str) -> str:
    """A document's description, bounded and without control characters."""
    cleaned = text.replace("\r\n", "\n").strip()
    if not cleaned:
        raise InvalidInput(
            "a scanned document needs a description of the learning it shows", errors={place: "required"}
        )
    if len(cleaned) > DESCRIPTION_LIMIT:
        raise InvalidInput(
            f"the description has {len(cleaned)} characters; at most {DESCRIPTION_LIMIT}", errors={place: "too long"}
        )
    if any(unicodedata.category(char) in ("Cc", "Cf") and char not in "\n\t" for char in cleaned):
        # Zero-width and direction-override characters make a description blank or reorder it on the reviewer's
        # screen.
        raise InvalidInput(
            "the description holds control or invisible characters", errors={place: "control characters"}
        )
    return cleaned


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def store(
    bank: Bank,
    session: Session,
    application_id: str,
    learner_id: str,
    number: int,
    kind: str,
    media_type: str,
    data: bytes,
    description: str,
) -> None:
    """Seal one file (with its description) beside the application, in the caller's transaction."""
    content = {"description": description, "data": data.hex()}
    sealed = bank.vault().seal(f"{application_id}:{number}", content)
    session.add(
        RecognitionEvidence(
            application_id=application_id,
            number=number,
            learner_id=learner_id,
            kind=kind,
            media_type=media_type,
            sha256=digest(data),
            size=len(data),
            wrapped_key=sealed.wrapped_key,
            sealed=sealed.sealed,
            created_at=datetime.now(UTC),
        )
    )


@dataclass(frozen=True)
class StoredEvidence:
    number: int
    kind: str
    media_type: str
    sha256: str
    size: int
    description: str
    data: bytes


def read(bank: Bank, session: Session, application_id: str, number: int) -> StoredEvidence:
    from creditbank.personal_data import Sealed

    row = session.get(RecognitionEvidence, (application_id, number))
    if row is None:
        raise NotFound(f"no evidence {number} for application {application_id} (or the learner was erased)")
    content: dict[str, Any] = bank.vault().open(f"{application_id}:{number}", Sealed(row.wrapped_key, row.sealed))
    return StoredEvidence(
        row.number,
        row.kind,
        row.media_type,
        row.sha256,
        row.size,
        content["description"],
        bytes.fromhex(content["data"]),
    )


def descriptions(bank: Bank, session: Session, application_id: str) -> dict[int, str]:
    """The descriptions given with an application's documents, by evidence number."""
    from creditbank.personal_data import Sealed

    found = {}
    rows = session.scalars(
        select(RecognitionEvidence)
        .where(RecognitionEvidence.application_id == application_id, RecognitionEvidence.kind == "document")
        .order_by(RecognitionEvidence.number)
    )
    for row in rows:
        content = bank.vault().open(f"{application_id}:{row.number}", Sealed(row.wrapped_key, row.sealed))
        found[row.number] = str(content["description"])
    return found


def forget_learner(session: Session, learner_id: str) -> int:
    """Delete every evidence file of an erased learner; returns how many there were."""
    result = session.execute(delete(RecognitionEvidence).where(RecognitionEvidence.learner_id == learner_id))
    return int(getattr(result, "rowcount", 0) or 0)
