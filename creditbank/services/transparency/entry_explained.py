"""What the public page about one ledger entry says: its place in the log, who wrote it and when, its hash, and
whether its inclusion proof ties it to the latest signed checkpoint — checked here, not taken on trust.

Only the public part of the entry is read: its kind, time, writer and commitment. The private body (whose learner,
what was recorded) never reaches the page, so the page can be public. Anyone may fetch it in a loop, so each read is
a key lookup or one row by index, however long the log and its list of checkpoints grow (no count of them).
"""

from __future__ import annotations

import base64
import json
from typing import Any

from sqlalchemy import select

from creditbank import actors, ledger_store
from creditbank.errors import NotFound
from creditbank.models import Institution, LedgerCheckpoint
from creditbank.projectors import PROJECTORS
from creditbank.runtime import Bank
from creditbank.services.transparency import checkpoints
from ledger.merkle import verify_inclusion

# The kinds a page words; an entry of a kind added later reads as "another kind of entry" until it is worded.
KINDS = frozenset(PROJECTORS)


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def explain(bank: Bank, seq: int) -> dict[str, Any]:
    """The entry ``seq`` in words a page can put in any language; NotFound when the ledger has no such entry."""
    with bank.db.reading() as session:
        found = ledger_store.get_entry(session, seq)
        if found is None:
            raise NotFound(f"no ledger entry {seq}")
        row, _body = found
        public = json.loads(row.public)
        leaf = bytes(row.nodes[:32])
        size = ledger_store.tree_size(session)
        latest = checkpoints.latest_in(session)
        # The first checkpoint that covers the entry: the moment the bank's signature first vouched for it.
        first = session.scalars(
            select(LedgerCheckpoint).where(LedgerCheckpoint.size > seq).order_by(LedgerCheckpoint.size).limit(1)
        ).first()
        proof: list[bytes] = []
        if latest is not None and seq < latest.size:
            _leaf, proof = ledger_store.inclusion_proof(session, seq, latest.size)
        writer = actors.institution_of(str(public.get("actor", "")))
        institution = session.get(Institution, writer) if writer else None
    kind = str(public.get("kind", ""))
    covered = latest is not None and seq < latest.size
    return {
        "seq": seq,
        "size": size,
        "kind": kind if kind in KINDS else "other",
        "kind_id": kind,
        "time": public.get("time"),
        # An institution by its name; the bank and its roles as the bank. Staff pseudonyms are not shown.
        "writer": "institution" if writer else "bank",
        "writer_name": (
            {"zh": institution.name_zh or institution.name_en, "en": institution.name_en}
            if institution is not None
            else {"zh": writer, "en": writer}
            if writer
            else None
        ),
        "leaf_hash": _b64(leaf),
        "commitment": public.get("commitment"),
        "checkpoint": (
            {"size": latest.size, "root": _b64(latest.root), "signed_at": latest.signed_at}
            if latest is not None
            else None
        ),
        "first_signed_at": first.signed_at if first is not None else None,
        "covered": covered,
        "proof_length": len(proof),
        "proof_holds": covered and latest is not None and verify_inclusion(leaf, seq, latest.size, proof, latest.root),
        "entry_url": f"/ledger/entries/{seq}",
        "proof_url": f"/ledger/proofs/inclusion?seq={seq}&size={latest.size}" if covered and latest else None,
    }
