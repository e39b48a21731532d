import base64
import itertools
import json

import pytest
from sqlalchemy import text

from creditbank import ledger_store, recording
from creditbank.errors import LedgerIntegrityError
from creditbank.models import LedgerBody, LedgerEntry
from creditbank.services.transparency import checkpoints
from ledger.entry import commitment, parse_public_entry
from ledger.merkle import consistency_proof, inclusion_proof, leaf_hash, root_hash, verify_consistency
from ledger.note import open_note, parse_checkpoint
from tests.helpers import append, register


def all_leaves(bank) -> list[bytes]:
    with bank.db.reading() as session:
        return [
            leaf_hash(bytes(p))
            for p in session.scalars(
                LedgerEntry.__table__.select().with_only_columns(LedgerEntry.public).order_by(LedgerEntry.seq)
            )
        ]


def test_seqs_are_contiguous_across_batches(bank):
    assert append(bank, 3) == [0, 1, 2]
    assert append(bank, 1) == [3]
    assert append(bank, 70) == list(range(4, 74))
    with bank.db.reading() as session:
        assert ledger_store.tree_size(session) == 74


def test_stored_entry_commits_to_its_body(bank):
    append(bank, 2)
    with bank.db.reading() as session:
        row, body = ledger_store.get_entry(session, 1)
        public = parse_public_entry(bytes(row.public))
        assert public.seq == 1
        assert public.commitment == commitment(bytes(body.salt), bytes(body.body))
        assert bytes(row.nodes[:32]) == leaf_hash(bytes(row.public))
        other_salt = session.get(LedgerBody, 0).salt
        assert bytes(other_salt) != bytes(body.salt)


def test_storage_proofs_equal_reference_proofs(bank):
    total = 0
    for batch in (1, 2, 5, 13, 1, 40, 7):
        append(bank, batch)
        total += batch
    leaves = all_leaves(bank)
    assert len(leaves) == total
    with bank.db.reading() as session:
        for size in range(1, total + 1):
            assert ledger_store.root_at(session, size) == root_hash(leaves[:size])
            for seq in {0, size // 2, size - 1}:
                leaf, proof = ledger_store.inclusion_proof(session, seq, size)
                assert leaf == leaves[seq]
                assert proof == inclusion_proof(leaves[:size], seq)
            for old in {1, size // 3 or 1, size}:
                assert ledger_store.consistency_proof(session, old, size) == consistency_proof(leaves[:size], old)


def test_record_hands_back_each_entry_as_stored_and_parsed_once(bank):
    append(bank, 2)
    register(bank, "uni-a")
    body = {"institution": "uni-a", "credits": 3.0, "pair": (1, 2), "names": {"zh": "大学", "en": "University"}}
    with bank.db.writing() as session:
        recorded = recording.record(
            session,
            [ledger_store.NewEntry("test.entry", "inst:uni-a", body), ledger_store.NewEntry("test.other", "bank", {})],
        )
    assert [r.seq for r in recorded] == [3, 4]
    with bank.db.reading() as session:
        for r in recorded:
            row, stored = ledger_store.get_entry(session, r.seq)
            public = parse_public_entry(bytes(row.public))
            assert (public.kind, public.time, public.actor) == (r.kind, r.time, r.actor)
            assert (bytes(stored.salt), bytes(stored.body)) == (r.salt, r.raw)
            assert public.commitment == commitment(r.salt, r.raw)
            # What the projectors and the caller read is the canonical body parsed back, as replay parses it.
            assert r.body == json.loads(bytes(stored.body))
    assert recorded[0].body["credits"] == 3
    assert type(recorded[0].body["credits"]) is int
    assert recorded[0].body["pair"] == [1, 2]
    assert recorded[1].body == {}
    with bank.db.writing() as session:
        assert recording.record(session, []) == []


def test_checkpoint_signed_only_when_tree_grows(bank):
    first = checkpoints.sign(bank)
    assert first is not None
    assert first.size == 0
    assert checkpoints.sign(bank) is None
    append(bank, 5)
    second = checkpoints.sign(bank)
    assert second.size == 5
    opened = open_note(second.note, [bank.log_verifier()])
    body = parse_checkpoint(opened.text)
    assert body.origin == "bank.test/creditbank"
    assert body.size == 5
    assert body.root == root_hash(all_leaves(bank))
    assert checkpoints.latest(bank).size == 5


def test_checkpoints_are_consistent_with_each_other(bank):
    sizes = []
    for batch in (3, 1, 9, 16):
        append(bank, batch)
        sizes.append(checkpoints.sign(bank))
    leaves = all_leaves(bank)
    for older, newer in itertools.pairwise(sizes):
        proof = consistency_proof(leaves[: newer.size], older.size)
        assert verify_consistency(older.size, newer.size, bytes(older.root), bytes(newer.root), proof)


def drop_append_only_guards(bank) -> None:
    with bank.db.engine.begin() as connection:
        if bank.db.dialect == "postgresql":
            for table in ("ledger_entries", "ledger_bodies", "ledger_checkpoints"):
                connection.execute(text(f"DROP TRIGGER {table}_append_only ON {table}"))
        else:
            for table in ("ledger_entries", "ledger_bodies", "ledger_checkpoints"):
                connection.execute(text(f"DROP TRIGGER {table}_no_update"))
                connection.execute(text(f"DROP TRIGGER {table}_no_delete"))


def test_refuses_to_sign_a_checkpoint_inconsistent_with_the_last(bank):
    append(bank, 6)
    signed = checkpoints.sign(bank)
    drop_append_only_guards(bank)
    forged = leaf_hash(b"forged")
    with bank.db.engine.begin() as connection:
        connection.execute(text("UPDATE ledger_entries SET nodes = :n WHERE seq = 5"), {"n": forged + forged + forged})
    append(bank, 2)
    with pytest.raises(LedgerIntegrityError, match="not consistent"):
        checkpoints.sign(bank)
    assert checkpoints.latest(bank).size == signed.size


def test_refuses_to_sign_when_entries_vanished(bank):
    append(bank, 4)
    checkpoints.sign(bank)
    drop_append_only_guards(bank)
    with bank.db.engine.begin() as connection:
        connection.execute(text("DELETE FROM ledger_bodies WHERE seq = 3"))
        connection.execute(text("DELETE FROM ledger_entries WHERE seq = 3"))
    with pytest.raises(LedgerIntegrityError, match="refusing to sign"):
        checkpoints.sign(bank)


def test_leaf_hash_is_over_the_public_entry_bytes(bank):
    append(bank, 1)
    with bank.db.reading() as session:
        row, _ = ledger_store.get_entry(session, 0)
    entry = parse_public_entry(bytes(row.public))
    assert base64.b64encode(entry.commitment).decode() in bytes(row.public).decode()
    assert entry.leaf_hash() == bytes(row.nodes[:32])


def test_a_batch_larger_than_one_insert_statement_is_stored_row_for_row(bank):
    # 700 entries: several multi-row INSERTs per table on SQLite, one COPY per table on PostgreSQL.
    append(bank, 5)
    note = "未公开 \U0001f600"
    items = [ledger_store.NewEntry("test.entry", "inst:uni-a", {"n": i, "note": note}) for i in range(700)]
    with bank.db.writing() as session:
        sealed = ledger_store.append(session, items)
    assert [s.seq for s in sealed] == list(range(5, 705))
    with bank.db.reading() as session:
        rows = session.execute(
            text(
                "SELECT e.seq, e.kind, e.actor, e.time, e.public, e.nodes, b.salt, b.body FROM ledger_entries e "
                "JOIN ledger_bodies b ON b.seq = e.seq WHERE e.seq >= 5 ORDER BY e.seq"
            )
        ).all()
        size = ledger_store.tree_size(session)
    assert size == 705
    leaves = all_leaves(bank)
    assert len(rows) == len(sealed)
    for row, entry in zip(rows, sealed, strict=True):
        seq, kind, actor, time, public, nodes, salt, body = row
        assert (seq, kind, actor, time) == (entry.seq, "test.entry", "inst:uni-a", entry.entry.time)
        assert (bytes(public), bytes(salt), bytes(body)) == (entry.public, entry.salt, entry.body)
        assert bytes(nodes)[:32] == entry.leaf == leaves[seq]
        assert json.loads(bytes(body)) == {"n": seq - 5, "note": note}
    with bank.db.reading() as session:
        assert ledger_store.root_at(session, 705) == root_hash(leaves)
