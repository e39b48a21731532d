"""Wrong credentials made the way a careless (or dishonest) signer with the bank's key would make them: changed,
signed again with a key of the bank, and recorded in the ledger with a `credential.issued` entry of their own — so
the signature and ledger checks hold and only the check under test can catch them."""

from __future__ import annotations

import copy
import json
import secrets
import uuid
from datetime import UTC, datetime
from typing import Any

from certificates import proofs, receipts
from certificates.credentials import timestamp
from creditbank import ledger_store, recording
from creditbank.models import CredentialDocument, CredentialKey
from creditbank.runtime import Bank
from creditbank.services import credentials
from creditbank.services.credentials import credential_keys
from creditbank.services.transparency import checkpoints
from tests.credentials.issued_world import Issued

LIST_SIZE = credentials.LIST_SIZE


def now_created() -> str:
    return timestamp(datetime.now(UTC))


def sign_with(
    bank: Bank, document: dict[str, Any], key: CredentialKey | None = None, created: str | None = None
) -> dict[str, Any]:
    """``document`` without its proofs, signed by ``key`` (the current signing key by default)."""
    row = key or credential_keys.ensure(bank)
    private = credential_keys.signer(bank, row)
    unsigned = {name: value for name, value in document.items() if name != "proof"}
    return proofs.sign(unsigned, private, f"{bank.did}#{row.id}", created or now_created())


def fresh_slot() -> tuple[int, int]:
    # A random index in list 1: the issue service draws its slots the same way, so collisions are as rare.
    return 1, secrets.randbelow(LIST_SIZE)


def record(
    issued: Issued,
    signed: dict[str, Any],
    *,
    slot: tuple[int, int] | None = None,
    kind: str = "achievement",
) -> dict[str, Any]:
    """Append `credential.issued` for ``signed`` (recording ``slot`` as its status slot) and return the bundle the
    bank would hand out for it: the credential and its receipt against a fresh checkpoint."""
    bank = issued.world.bank
    number, index = slot or fresh_slot()
    body = {
        "credential_id": signed["id"],
        "credential_hash": receipts.credential_hash(signed),
        "kind": kind,
        "learner": issued.world.learner,
        "subject": None,
        "sources": [],
        "key": signed["proof"][0]["verificationMethod"].rsplit("#", 1)[1],
        "status_list": number,
        "status_index": index,
        "visible_text_hash": None,
    }
    with bank.db.writing() as session:
        recording.record(session, [ledger_store.NewEntry(receipts.ISSUED_KIND, "bank:credentials", body)])
        # Kept like an issued document, so the QR page can show it.
        session.add(CredentialDocument(id=signed["id"], document=json.dumps(signed), language_order="zh-en"))
    checkpoints.sign(bank)
    return {"credential": signed, "receipt": credentials.receipt(bank, signed["id"])}


def variant(source: dict[str, Any], change: Any = None, **fields: Any) -> dict[str, Any]:
    """A copy of the ``source`` credential under a new id, with ``fields`` set (None deletes) and ``change``
    applied."""
    document = copy.deepcopy(source)
    document["id"] = f"urn:uuid:{uuid.uuid4()}"
    for name, value in fields.items():
        if value is None:
            document.pop(name, None)
        else:
            document[name] = value
    if change is not None:
        change(document)
    return document


def status_entry(issued: Issued, number: int, index: int, purpose: str = "revocation") -> dict[str, Any]:
    url = f"{issued.world.bank.public_url}/status/{number}-{purpose}"
    return {
        "id": f"{url}#{index}",
        "type": "BitstringStatusListEntry",
        "statusPurpose": purpose,
        "statusListIndex": str(index),
        "statusListCredential": url,
    }


def recorded_variant(
    issued: Issued, change: Any = None, *, key: CredentialKey | None = None, created: str | None = None, **fields: Any
) -> dict[str, Any]:
    """``variant`` with an honest status entry for a fresh slot, signed and recorded: only ``fields`` and ``change``
    are wrong."""
    slot = fresh_slot()
    document = variant(issued.bundle["credential"], change, credentialStatus=status_entry(issued, *slot), **fields)
    return record(issued, sign_with(issued.world.bank, document, key, created), slot=slot)
