"""The pure sealing step, without a database: what it hands the store is what the store's proofs need."""

import hashlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ledger import entry as entry_module
from ledger import sealing
from ledger.canonical import canonical_bytes
from ledger.entry import EntryError, PublicEntry, commitment, parse_public_entry
from ledger.merkle import HASH_SIZE, consistency_proof, inclusion_proof, leaf_hash, root_hash
from ledger.sealing import Unsealed, seal, seal_entries
from ledger.subtrees import consistency_ranges, frontier, hash_range, inclusion_ranges, node_home, nodes_for

TIME = "2026-12-03T12:00:00.000Z"


def item(number: int) -> Unsealed:
    body = canonical_bytes({"n": number, "note": "未公开", "credits": 3.0})
    return Unsealed("test.entry", "inst:uni-a", body, hashlib.sha256(number.to_bytes(4, "big")).digest())


class Store:
    """The two columns the ledger keeps per seq that proofs read: the public bytes and the joined node hashes."""

    def __init__(self) -> None:
        self.public: list[bytes] = []
        self.nodes: list[bytes] = []

    def frontier(self) -> list[bytes]:
        edge = frontier(len(self.nodes))
        hashes = self.read(edge)
        return [hashes[node] for node in edge]

    def read(self, wanted: set[tuple[int, int]] | list[tuple[int, int]]) -> dict[tuple[int, int], bytes]:
        """As ``ledger_store.read_nodes`` slices them: level ``l`` is the ``l``-th hash stored at the node's home."""
        found = {}
        for level, index in wanted:
            stored = self.nodes[node_home((level, index))]
            assert len(stored) >= (level + 1) * HASH_SIZE, f"node {(level, index)} not stored"
            found[(level, index)] = stored[level * HASH_SIZE : (level + 1) * HASH_SIZE]
        return found

    def append(self, count: int) -> bytes:
        size = len(self.nodes)
        sealing = seal(size, self.frontier(), [item(size + i) for i in range(count)], TIME)
        assert sealing.size == size
        assert [s.seq for s in sealing.entries] == list(range(size, size + count))
        self.public.extend(s.public for s in sealing.entries)
        self.nodes.extend(sealing.nodes)
        return sealing.root


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(min_value=1, max_value=40), min_size=1, max_size=8))
def test_batches_sealed_on_the_stored_frontier_give_the_reference_tree(batches: list[int]) -> None:
    store = Store()
    for count in batches:
        root = store.append(count)
        leaves = [leaf_hash(public) for public in store.public]
        assert root == root_hash(leaves)
        assert hash_range(0, len(leaves), store.read(frontier(len(leaves)))) == root
    size = len(store.nodes)
    leaves = [leaf_hash(public) for public in store.public]
    for seq in {0, size // 3, size - 1}:
        ranges = inclusion_ranges(seq, size)
        stored = store.read(list(nodes_for(ranges) | {(0, seq)}))
        assert stored[(0, seq)] == leaves[seq]
        assert [hash_range(lo, hi, stored) for lo, hi in ranges] == inclusion_proof(leaves, seq)
    for old in {1, size // 2 or 1, size}:
        ranges = consistency_ranges(old, size)
        stored = store.read(list(nodes_for(ranges)))
        assert [hash_range(lo, hi, stored) for lo, hi in ranges] == consistency_proof(leaves, old)


def test_each_sealed_entry_is_the_public_entry_its_body_commits_to() -> None:
    items = [item(i) for i in range(3)]
    sealed = seal_entries(7, items, TIME)
    for offset, (source, result) in enumerate(zip(items, sealed, strict=True)):
        assert result.seq == 7 + offset
        assert result.public == canonical_bytes(result.entry.to_json())
        assert parse_public_entry(result.public) == result.entry
        assert result.entry.commitment == commitment(source.salt, source.body)
        assert result.leaf == leaf_hash(result.public)
        assert (result.entry.kind, result.entry.actor, result.entry.time) == ("test.entry", "inst:uni-a", TIME)
        assert (result.salt, result.body) == (source.salt, source.body)


def test_sealing_is_deterministic_and_the_first_node_is_the_leaf() -> None:
    one = seal(0, [], [item(i) for i in range(4)], TIME)
    two = seal(0, [], [item(i) for i in range(4)], TIME)
    assert one == two
    # Leaf 3 completes the subtrees over [3, 4), [2, 4) and [0, 4).
    assert [len(nodes) // HASH_SIZE for nodes in one.nodes] == [1, 2, 1, 3]
    assert all(nodes[:HASH_SIZE] == sealed.leaf for nodes, sealed in zip(one.nodes, one.entries, strict=True))
    assert one.nodes[3][2 * HASH_SIZE :] == one.root


def test_a_frontier_of_the_wrong_length_or_a_short_salt_is_refused() -> None:
    with pytest.raises(ValueError, match="needs 2 frontier hashes"):
        seal(3, [b"\x00" * HASH_SIZE], [item(0)], TIME)
    with pytest.raises(EntryError, match="salt must be 32 bytes"):
        seal_entries(0, [Unsealed("test.entry", "inst:uni-a", b"{}", b"short")], TIME)
    with pytest.raises(EntryError, match="kind"):
        seal_entries(0, [Unsealed("Bad Kind", "inst:uni-a", b"{}", b"\x00" * 32)], TIME)


def test_entries_sealed_without_repeating_the_checks_equal_checked_ones() -> None:
    items = [item(i) for i in range(5)] + [Unsealed("other.entry", "bank:ops", b"{}", b"\x01" * 32)]
    for result in seal_entries(3, items, TIME):
        entry = result.entry
        assert entry == PublicEntry(entry.seq, entry.kind, entry.time, entry.actor, entry.commitment)
        assert type(entry) is PublicEntry


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        (Unsealed("Bad Kind", "inst:uni-a", b"{}", b"\x00" * 32), "kind"),
        (Unsealed("test.entry", "Not An Actor", b"{}", b"\x00" * 32), "actor"),
        (Unsealed("test.entry", "inst:uni-a", b"{}", b"short"), "salt"),
    ],
)
def test_a_bad_entry_after_good_ones_of_another_kind_is_still_refused(bad: Unsealed, message: str) -> None:
    with pytest.raises(EntryError, match=message):
        seal_entries(0, [item(0), item(1), bad, item(2)], TIME)


def test_a_bad_time_is_refused_at_the_first_entry() -> None:
    with pytest.raises(EntryError, match="time"):
        seal_entries(0, [item(0), item(1)], "yesterday")


def test_a_run_that_would_pass_the_largest_seq_is_refused() -> None:
    assert sealing._MAX_SEQ == entry_module._MAX_SEQ
    last = sealing._MAX_SEQ
    assert seal_entries(last - 1, [item(0), item(1)], TIME)[-1].seq == last
    with pytest.raises(EntryError, match="seq"):
        seal_entries(last - 1, [item(0), item(1), item(2)], TIME)
