import hashlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ledger import merkle
from ledger.merkle import (
    EMPTY_ROOT,
    consistency_proof,
    inclusion_proof,
    leaf_hash,
    root_hash,
    verify_consistency,
    verify_inclusion,
)
from ledger.subtrees import consistency_ranges, inclusion_ranges
from tests.vectors import load_json

REFERENCE = load_json("rfc9162/reference.json")
LEAVES = [leaf_hash(bytes.fromhex(h)) for h in REFERENCE["leaves_hex"]]
ROOTS = [bytes.fromhex(h) for h in REFERENCE["roots_hex"]]


def test_empty_tree_root_is_hash_of_nothing():
    assert root_hash([]) == EMPTY_ROOT == hashlib.sha256(b"").digest() == ROOTS[0]


@pytest.mark.parametrize("size", range(len(ROOTS)))
def test_reference_roots(size):
    assert root_hash(LEAVES[:size]) == ROOTS[size]


@pytest.mark.parametrize("case", REFERENCE["inclusion"], ids=lambda c: f"{c['index']}of{c['size']}")
def test_reference_inclusion_proofs(case):
    index, size = case["index"], case["size"]
    expected = [bytes.fromhex(h) for h in case["proof_hex"]]
    assert inclusion_proof(LEAVES[:size], index) == expected
    assert verify_inclusion(LEAVES[index], index, size, expected, ROOTS[size])


@pytest.mark.parametrize("case", REFERENCE["consistency"], ids=lambda c: f"{c['from']}to{c['to']}")
def test_reference_consistency_proofs(case):
    old, new = case["from"], case["to"]
    expected = [bytes.fromhex(h) for h in case["proof_hex"]]
    assert consistency_proof(LEAVES[:new], old) == expected
    assert verify_consistency(old, new, ROOTS[old], ROOTS[new], expected)


def test_every_reference_case_is_covered():
    sizes = range(1, len(LEAVES) + 1)
    assert {(c["index"], c["size"]) for c in REFERENCE["inclusion"]} == {(i, n) for n in sizes for i in range(n)}
    assert {(c["from"], c["to"]) for c in REFERENCE["consistency"]} == {(m, n) for n in sizes for m in range(1, n + 1)}


def sibling_sides(index: int, size: int) -> list[bool] | None:
    if not 0 <= index < size:
        return None
    return [lo <= index for lo, _ in inclusion_ranges(index, size)]


def consistency_sides(old: int, new: int) -> list[bool]:
    return [lo < old for lo, _ in consistency_ranges(old, new)]


def flip_bit(data: bytes, bit: int) -> bytes:
    out = bytearray(data)
    out[bit // 8] ^= 1 << (bit % 8)
    return bytes(out)


# Corruption probes: wrong index, wrong size, swapped roots, extra or missing hash, flipped bits.
@pytest.mark.parametrize("case", [c for c in REFERENCE["inclusion"] if c["size"] > 1])
def test_corrupted_inclusion_proofs_are_rejected(case):
    index, size = case["index"], case["size"]
    proof = [bytes.fromhex(h) for h in case["proof_hex"]]
    leaf, root = LEAVES[index], ROOTS[size]
    assert verify_inclusion(leaf, index, size, proof, root)
    assert not verify_inclusion(leaf, (index + 1) % size, size, proof, root)
    for wrong_size in (size - 1, size + 1):
        # A different size with the very same left/right path computes the same root; any other is refused.
        accepted = verify_inclusion(leaf, index, wrong_size, proof, root)
        assert not accepted or sibling_sides(index, wrong_size) == sibling_sides(index, size)
    assert not verify_inclusion(leaf, index, size, proof, ROOTS[size - 1])
    assert not verify_inclusion(leaf, index, size, [*proof, leaf], root)
    assert not verify_inclusion(leaf, index, size, proof[:-1], root)
    assert not verify_inclusion(leaf, index, size, [proof[0], *proof], root)
    assert not verify_inclusion(leaf, index, size, proof, root + b"\x00")
    for bit in range(256):
        assert not verify_inclusion(flip_bit(leaf, bit), index, size, proof, root)
        assert not verify_inclusion(leaf, index, size, proof, flip_bit(root, bit))
        for position in range(len(proof)):
            bad = list(proof)
            bad[position] = flip_bit(bad[position], bit)
            assert not verify_inclusion(leaf, index, size, bad, root)


@pytest.mark.parametrize("case", [c for c in REFERENCE["consistency"] if c["from"] < c["to"]])
def test_corrupted_consistency_proofs_are_rejected(case):
    old, new = case["from"], case["to"]
    proof = [bytes.fromhex(h) for h in case["proof_hex"]]
    old_root, new_root = ROOTS[old], ROOTS[new]
    assert verify_consistency(old, new, old_root, new_root, proof)
    assert not verify_consistency(old, new, new_root, old_root, proof)
    assert not verify_consistency(old + 1, new, old_root, new_root, proof)
    accepted = verify_consistency(old, new + 1, old_root, new_root, proof)
    assert not accepted or consistency_sides(old, new + 1) == consistency_sides(old, new)
    assert not verify_consistency(old, new, old_root, new_root, [*proof, old_root])
    assert not verify_consistency(old, new, old_root, new_root, proof[:-1])
    assert not verify_consistency(old, new, old_root, new_root, [])
    for bit in range(256):
        assert not verify_consistency(old, new, flip_bit(old_root, bit), new_root, proof)
        assert not verify_consistency(old, new, old_root, flip_bit(new_root, bit), proof)
        for position in range(len(proof)):
            bad = list(proof)
            bad[position] = flip_bit(bad[position], bit)
            assert not verify_consistency(old, new, old_root, new_root, bad)


def test_equal_sizes_need_empty_proof_and_equal_roots():
    assert verify_consistency(3, 3, ROOTS[3], ROOTS[3], [])
    assert not verify_consistency(3, 3, ROOTS[3], ROOTS[4], [])
    assert not verify_consistency(3, 3, ROOTS[3], ROOTS[3], [ROOTS[3]])


def test_out_of_range_arguments():
    with pytest.raises(ValueError, match="outside"):
        inclusion_proof(LEAVES[:3], 3)
    with pytest.raises(ValueError, match="old size"):
        consistency_proof(LEAVES[:3], 0)
    assert not verify_inclusion(LEAVES[0], 5, 5, [], ROOTS[5])
    assert not verify_inclusion(LEAVES[0], -1, 5, [], ROOTS[5])
    assert not verify_consistency(0, 3, EMPTY_ROOT, ROOTS[3], [ROOTS[3]])
    assert not verify_consistency(4, 3, ROOTS[4], ROOTS[3], [ROOTS[3]])
    assert merkle.root_from_inclusion(LEAVES[0], 0, 2, [b"short"]) is None


def random_leaves(n: int, seed: int) -> list[bytes]:
    return [leaf_hash(seed.to_bytes(8, "big") + i.to_bytes(8, "big")) for i in range(n)]


@given(st.integers(1, 300), st.data())
def test_random_inclusion_proofs_verify_and_bit_flips_fail(size, data):
    leaves = random_leaves(size, size)
    index = data.draw(st.integers(0, size - 1))
    root = root_hash(leaves)
    proof = inclusion_proof(leaves, index)
    assert verify_inclusion(leaves[index], index, size, proof, root)
    bit = data.draw(st.integers(0, 255))
    assert not verify_inclusion(flip_bit(leaves[index], bit), index, size, proof, root)
    assert not verify_inclusion(leaves[index], index, size, proof, flip_bit(root, bit))
    if proof:
        position = data.draw(st.integers(0, len(proof) - 1))
        bad = list(proof)
        bad[position] = flip_bit(bad[position], bit)
        assert not verify_inclusion(leaves[index], index, size, bad, root)


@given(st.integers(1, 300), st.data())
def test_random_consistency_proofs_verify_and_bit_flips_fail(new, data):
    old = data.draw(st.integers(1, new))
    leaves = random_leaves(new, new)
    old_root, new_root = root_hash(leaves[:old]), root_hash(leaves)
    proof = consistency_proof(leaves, old)
    assert verify_consistency(old, new, old_root, new_root, proof)
    bit = data.draw(st.integers(0, 255))
    assert not verify_consistency(old, new, flip_bit(old_root, bit), new_root, proof)
    assert not verify_consistency(old, new, old_root, flip_bit(new_root, bit), proof)
    if proof:
        position = data.draw(st.integers(0, len(proof) - 1))
        bad = list(proof)
        bad[position] = flip_bit(bad[position], bit)
        assert not verify_consistency(old, new, old_root, new_root, bad)
