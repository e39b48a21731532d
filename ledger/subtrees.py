"""Perfect-subtree indexing: how a tree of any size is stored and how proofs are read from storage.

A *node* ``(level, index)`` is the perfect subtree over leaves ``[index·2^level, (index+1)·2^level)``.
Every hash an RFC 9162 proof needs is the root of a leaf range that splits into O(log n) such
nodes, so a store that keeps each node's hash answers any proof with O(log n) lookups. The bank
keeps a node's hash beside the last leaf it covers (:func:`node_home`): appending leaf ``i``
completes exactly the nodes at levels ``0..ctz(i+1)`` ending there, which :class:`CompactRange`
returns.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from ledger.merkle import EMPTY_ROOT, node_hash

__all__ = [
    "CompactRange",
    "Node",
    "consistency_ranges",
    "frontier",
    "hash_range",
    "inclusion_ranges",
    "node_home",
    "nodes_for",
    "perfect_cover",
]

Node = tuple[int, int]
Range = tuple[int, int]


def _split(n: int) -> int:
    return 1 << ((n - 1).bit_length() - 1)


def perfect_cover(start: int, end: int) -> list[Node]:
    """Aligned perfect subtrees covering ``[start, end)``, left to right."""
    if not 0 <= start <= end:
        raise ValueError(f"bad leaf range [{start}, {end})")
    nodes: list[Node] = []
    while start < end:
        level = (end - start).bit_length() - 1
        if start:
            level = min(level, (start & -start).bit_length() - 1)
        nodes.append((level, start >> level))
        start += 1 << level
    return nodes


def frontier(size: int) -> list[Node]:
    """The perfect subtrees whose roots make up a tree of ``size`` leaves (largest first)."""
    return perfect_cover(0, size)


def node_home(node: Node) -> int:
    """Index of the last leaf a node covers: the row its hash is stored beside."""
    level, index = node
    return ((index + 1) << level) - 1


def inclusion_ranges(index: int, size: int) -> list[Range]:
    """The leaf ranges whose roots form PATH(index, D[0:size]), in proof order."""
    if not 0 <= index < size:
        raise ValueError(f"index {index} outside tree of size {size}")
    ranges: list[Range] = []
    lo, hi = 0, size
    while hi - lo > 1:
        k = _split(hi - lo)
        if index < lo + k:
            ranges.append((lo + k, hi))
            hi = lo + k
        else:
            ranges.append((lo, lo + k))
            lo += k
    ranges.reverse()
    return ranges


def consistency_ranges(old_size: int, new_size: int) -> list[Range]:
    """The leaf ranges whose roots form PROOF(old_size, D[0:new_size]), in proof order."""
    if not 0 < old_size <= new_size:
        raise ValueError(f"old size {old_size} not in 1..{new_size}")
    ranges: list[Range] = []
    lo, hi, m, complete = 0, new_size, old_size, True
    while m != hi - lo:
        k = _split(hi - lo)
        if m <= k:
            ranges.append((lo + k, hi))
            hi = lo + k
        else:
            ranges.append((lo, lo + k))
            lo += k
            m -= k
            complete = False
    if not complete:
        ranges.append((lo, hi))
    ranges.reverse()
    return ranges


def nodes_for(ranges: Iterable[Range]) -> set[Node]:
    """Every stored node needed to hash the given ranges."""
    return {node for lo, hi in ranges for node in perfect_cover(lo, hi)}


def hash_range(lo: int, hi: int, lookup: Mapping[Node, bytes]) -> bytes:
    """Root of leaves ``[lo, hi)`` from stored perfect-subtree hashes.

    Ranges that occur in proofs start on a boundary aligned to their largest piece, so their
    cover shrinks left to right and the root is the right fold of the pieces.
    """
    cover = perfect_cover(lo, hi)
    if not cover:
        return EMPTY_ROOT
    result = lookup[cover[-1]]
    for node in reversed(cover[:-1]):
        result = node_hash(lookup[node], result)
    return result


class CompactRange:
    """The right edge of a growing tree: enough to append leaves and compute the root."""

    __slots__ = ("_stack", "size")

    def __init__(self, size: int = 0, hashes: Sequence[bytes] = ()) -> None:
        levels = [level for level, _ in frontier(size)]
        if len(levels) != len(hashes):
            raise ValueError(f"a tree of size {size} needs {len(levels)} frontier hashes, got {len(hashes)}")
        self.size = size
        self._stack: list[tuple[int, bytes]] = list(zip(levels, hashes, strict=True))

    def append(self, leaf: bytes) -> list[bytes]:
        """Add a leaf hash; return the hashes of the nodes it completes, by level from 0."""
        completed = [leaf]
        level, current = 0, leaf
        stack = self._stack
        while stack and stack[-1][0] == level:
            current = node_hash(stack.pop()[1], current)
            level += 1
            completed.append(current)
        stack.append((level, current))
        self.size += 1
        return completed

    def root(self) -> bytes:
        if not self._stack:
            return EMPTY_ROOT
        result = self._stack[-1][1]
        for _, left in reversed(self._stack[:-1]):
            result = node_hash(left, result)
        return result
