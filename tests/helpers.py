"""Small builders shared by the database tests."""

from __future__ import annotations

from typing import Any

from creditbank import ledger_store
from creditbank.runtime import Bank
from creditbank.services.records import institutions
from creditbank.services.records.institutions import InstitutionInput


def register(bank: Bank, institution_id: str = "uni-a", **fields: Any) -> Any:
    data = {"type": "university", "name_en": f"Institution {institution_id}", **fields}
    return institutions.register(bank, InstitutionInput(institution_id, **data))


def append(bank: Bank, count: int, *, kind: str = "test.entry", actor: str = "bank", size: int = 200) -> list[int]:
    """Append ``count`` entries with ~``size``-byte bodies in one transaction; return their seqs."""
    items = [ledger_store.NewEntry(kind, actor, {"n": i, "pad": "x" * max(size - 20, 0)}) for i in range(count)]
    with bank.db.writing() as session:
        return [r.seq for r in ledger_store.append(session, items)]
