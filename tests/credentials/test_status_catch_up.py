"""The scheduler's status-list catch-up: a status change whose lists were never re-signed (the process died
between the two) is published by the next run, and only then."""

from __future__ import annotations

from certificates.status_list import StatusBits
from creditbank import ledger_store, recording
from creditbank.models import Credential
from creditbank.services import credentials
from tests.credentials.issued_world import Issued


def _slot(issued: Issued) -> tuple[int, int]:
    with issued.world.bank.db.reading() as session:
        row = session.get(Credential, issued.credential_id)
        assert row is not None
        return row.status_list, row.status_index


def _bit(issued: Issued, purpose: str) -> bool:
    number, index = _slot(issued)
    document = credentials.status_list(issued.world.bank, f"{number}-{purpose}")
    return StatusBits.decode(document["credentialSubject"]["encodedList"]).get(index)


def test_a_status_change_left_unpublished_is_published_by_the_catch_up(issued: Issued) -> None:
    bank = issued.world.bank
    number, _ = _slot(issued)
    for purpose in credentials.PURPOSES:
        credentials.publish_list(bank, number, purpose)
    assert credentials.republish_stale(bank) == []

    with bank.db.writing() as session:
        body = {"credential_id": issued.credential_id, "reason": "test", "suspended": True}
        recording.record(session, [ledger_store.NewEntry("credential.suspended", "bank", body)])
    assert _bit(issued, "suspension") is False  # what a verifier would still be told

    assert sorted(credentials.republish_stale(bank)) == [f"{number}-revocation", f"{number}-suspension"]
    assert _bit(issued, "suspension") is True
    assert _bit(issued, "revocation") is False
    assert credentials.republish_stale(bank) == []

    credentials.change_status(bank, issued.credential_id, "reinstate")
    assert _bit(issued, "suspension") is False
    assert credentials.republish_stale(bank) == []
