import pytest
from hypothesis import given
from hypothesis import strategies as st

from ledger.merkle import EMPTY_ROOT, consistency_proof, inclusion_proof, leaf_hash, root_hash
from ledger.subtrees import (
    CompactRange,
    consistency_ranges,
    frontier,
    hash_range,
    inclusion_ranges,
    node_home,
    nodes_for,
    perfect_cover,
)


def leaves_of(n: int) -> list[bytes]:
    return [leaf_hash(i.to_bytes(4, "big")) for i in range(n)]


def build_store(leaves: list[bytes]) -> dict[tuple[int, int], bytes]:
    """What the database keeps: every completed node, recorded at the leaf that completes it."""
    store: dict[tuple[int, int], bytes] = {}
    tree = CompactRange()
    for i, leaf in enumerate(leaves):
        for level, digest in enumerate(tree.append(leaf)):
            node = (level, (i + 1 - (1 << level)) >> level)
            assert node_home(node) == i
            store[node] = digest
    return store


def test_perfect_cover_examples():
    assert perfect_cover(0, 0) == []
    assert perfect_cover(0, 7) == [(2, 0), (1, 2), (0, 6)]
    assert perfect_cover(4, 8) == [(2, 1)]
    assert perfect_cover(6, 13) == [(1, 3), (2, 2), (0, 12)]
    assert frontier(13) == [(3, 0), (2, 2), (0, 12)]
    with pytest.raises(ValueError, match="bad leaf range"):
        perfect_cover(5, 4)


def test_node_home_is_last_leaf_covered():
    assert node_home((0, 9)) == 9
    assert node_home((3, 0)) == 7
    assert node_home((2, 3)) == 15


def test_compact_range_needs_matching_frontier():
    with pytest.raises(ValueError, match="needs 2 frontier hashes"):
        CompactRange(3, [b"x" * 32])
    assert CompactRange().root() == EMPTY_ROOT


@given(st.integers(0, 600))
def test_compact_range_root_equals_reference(n):
    leaves = leaves_of(n)
    tree = CompactRange()
    for leaf in leaves:
        tree.append(leaf)
    assert tree.root() == root_hash(leaves)
    assert tree.size == n


@given(st.integers(0, 300), st.integers(0, 300))
def test_compact_range_resumes_from_stored_frontier(first, more):
    leaves = leaves_of(first + more)
    store = build_store(leaves[:first])
    resumed = CompactRange(first, [store[node] for node in frontier(first)])
    for leaf in leaves[first:]:
        resumed.append(leaf)
    assert resumed.root() == root_hash(leaves)


@given(st.integers(1, 400), st.data())
def test_stored_inclusion_proofs_equal_reference(size, data):
    leaves = leaves_of(size)
    store = build_store(leaves)
    index = data.draw(st.integers(0, size - 1))
    ranges = inclusion_ranges(index, size)
    assert nodes_for(ranges) <= store.keys()
    assert len(nodes_for(ranges)) <= 2 * size.bit_length()
    assert [hash_range(lo, hi, store) for lo, hi in ranges] == inclusion_proof(leaves, index)
    assert hash_range(0, size, store) == root_hash(leaves)


@given(st.integers(1, 400), st.data())
def test_stored_consistency_proofs_equal_reference(new, data):
    leaves = leaves_of(new)
    store = build_store(leaves)
    old = data.draw(st.integers(1, new))
    ranges = consistency_ranges(old, new)
    assert nodes_for(ranges) <= store.keys()
    assert len(nodes_for(ranges)) <= 2 * new.bit_length()
    assert [hash_range(lo, hi, store) for lo, hi in ranges] == consistency_proof(leaves, old)


def test_range_functions_refuse_bad_arguments():
    with pytest.raises(ValueError, match="outside"):
        inclusion_ranges(4, 4)
    with pytest.raises(ValueError, match="old size"):
        consistency_ranges(5, 4)
