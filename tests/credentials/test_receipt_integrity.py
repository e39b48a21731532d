"""A receipt is never handed out when the stored tree does not prove the entry into the signed checkpoint.

The check is a real one (it holds under ``python -O`` too) and fails as the ledger's integrity error."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from creditbank.errors import LedgerIntegrityError
from creditbank.models import Credential
from creditbank.services import credentials
from tests.credentials.issued_world import Issued
from tests.integration.test_ledger_store import drop_append_only_guards


def test_a_receipt_whose_proof_misses_the_checkpoint_is_refused(issued: Issued) -> None:
    bank = issued.world.bank
    assert credentials.receipt(bank, issued.credential_id)["checkpoint"]
    with bank.db.reading() as session:
        row = session.get(Credential, issued.credential_id)
        assert row is not None
        seq = row.issued_seq
    drop_append_only_guards(bank)
    with bank.db.engine.begin() as connection:
        nodes = bytes(
            connection.execute(text("SELECT nodes FROM ledger_entries WHERE seq = :s"), {"s": seq}).scalar_one()
        )
        # The leaf hash kept for the credential's entry no longer matches the signed tree.
        forged = bytes(32) + nodes[32:]
        connection.execute(text("UPDATE ledger_entries SET nodes = :n WHERE seq = :s"), {"n": forged, "s": seq})
    with pytest.raises(LedgerIntegrityError, match=f"seq {seq} is not included"):
        credentials.receipt(bank, issued.credential_id)
