"""The audit recomputes everything and names the first bad seq when storage was altered."""

import pytest
from sqlalchemy import text

from creditbank.services import checkpoints
from creditbank.services.audit import audit
from tests.helpers import append
from tests.integration.test_ledger_store import drop_append_only_guards


@pytest.fixture
def audited(bank):
    append(bank, 20)
    checkpoints.sign(bank)
    append(bank, 13)
    checkpoints.sign(bank)
    report = audit(bank)
    assert report.ok, report.problems
    assert report.entries == 33
    assert report.checkpoints == 2
    drop_append_only_guards(bank)
    return bank


def tamper(bank, statement: str, **params) -> None:
    with bank.db.engine.begin() as connection:
        connection.execute(text(statement), params)


def test_altered_body_is_named(audited):
    tamper(audited, "UPDATE ledger_bodies SET body = :b WHERE seq = 17", b=b'{"n":999}')
    report = audit(audited)
    assert not report.ok
    assert report.first_bad_seq == 17
    assert "seq 17" in report.problems[0]


def test_altered_public_entry_is_named(audited):
    tamper(audited, "UPDATE ledger_entries SET actor = 'inst:mallory' WHERE seq = 25")
    report = audit(audited)
    assert report.first_bad_seq == 25


def test_rewritten_entry_with_matching_hashes_still_breaks_the_signed_root(audited):
    # Rewrite seq 4 consistently (body, public bytes, leaf and subtree hashes) as an insider could.
    from creditbank import ledger_store
    from ledger.entry import PublicEntry, commitment
    from ledger.merkle import leaf_hash
    from ledger.subtrees import CompactRange

    with audited.db.reading() as session:
        row, body = ledger_store.get_entry(session, 4)
        publics = [bytes(p) for (p,) in session.execute(text("SELECT public FROM ledger_entries ORDER BY seq"))]
    salt = bytes(body.salt)
    forged_body = b'{"n":4,"pad":"forged"}'
    entry = PublicEntry(4, row.kind, row.time, row.actor, commitment(salt, forged_body))
    publics[4] = entry.canonical()
    tree = CompactRange()
    nodes = [b"".join(tree.append(leaf_hash(p))) for p in publics]
    tamper(audited, "UPDATE ledger_bodies SET body = :b WHERE seq = 4", b=forged_body)
    for seq, blob in enumerate(nodes):
        tamper(
            audited, "UPDATE ledger_entries SET public = :p, nodes = :n WHERE seq = :s", p=publics[seq], n=blob, s=seq
        )
    report = audit(audited)
    assert not report.ok
    assert any("checkpoint 20" in p for p in report.problems)
    assert report.first_bad_seq == 19


def test_deleted_entry_is_named(audited):
    tamper(audited, "DELETE FROM ledger_bodies WHERE seq = 9")
    tamper(audited, "DELETE FROM ledger_entries WHERE seq = 9")
    report = audit(audited)
    assert report.first_bad_seq == 9


def test_forged_checkpoint_signature_is_found(audited):
    tamper(audited, "UPDATE ledger_checkpoints SET note = replace(note, '\n20\n', '\n21\n') WHERE size = 20")
    report = audit(audited)
    assert not report.ok
    assert "checkpoint 20" in report.problems[0]


def test_deep_audit_finds_non_canonical_body(audited):
    from creditbank import ledger_store
    from ledger.entry import PublicEntry, commitment
    from ledger.merkle import leaf_hash

    # A body whose commitment matches but whose bytes are not canonical (extra space) is only
    # visible to the deep audit; placed at the last seq so only that leaf changes.
    with audited.db.reading() as session:
        row, body = ledger_store.get_entry(session, 32)
    loose = b'{"n": 12}'
    entry = PublicEntry(32, row.kind, row.time, row.actor, commitment(bytes(body.salt), loose))
    assert leaf_hash(entry.canonical()) != bytes(row.nodes[:32])
    tamper(audited, "UPDATE ledger_bodies SET body = :b WHERE seq = 32", b=loose)
    assert audit(audited, deep=True).first_bad_seq == 32
