"""Sealing: turning prepared entries into what the ledger stores, with no storage in sight.

Given the tree's size and its frontier (the stored hashes of the perfect subtrees that make it up, largest first),
entries whose bodies are already canonical and salted, and the time they are recorded at, :func:`seal` computes each
public entry and its commitment, the leaf hash, and the hashes of the perfect subtrees each leaf completes: the
bytes a store keeps beside the leaf so that proofs read O(log n) rows (see :mod:`ledger.subtrees`). Everything
here is deterministic; the salts and the clock are the caller's.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

from ledger.entry import SALT_SIZE, EntryError, PublicEntry
from ledger.merkle import leaf_hash
from ledger.subtrees import CompactRange

__all__ = ["Sealed", "Sealing", "Unsealed", "seal", "seal_entries"]


@dataclass(frozen=True, slots=True)
class Unsealed:
    """An entry ready to be sealed: its kind and actor, the JCS bytes of its body and a fresh salt."""

    kind: str
    actor: str
    body: bytes
    salt: bytes


@dataclass(frozen=True, slots=True)
class Sealed:
    """An entry with its place in the ledger: the public entry, its JCS bytes and leaf hash, and the private half."""

    entry: PublicEntry
    public: bytes
    leaf: bytes
    salt: bytes
    body: bytes

    @property
    def seq(self) -> int:
        return self.entry.seq


@dataclass(frozen=True, slots=True)
class Sealing:
    """Sealed entries at consecutive seqs from ``size``, and for each the subtree hashes it completes (level 0, the
    leaf itself, first), joined as the store keeps them; ``root`` is the tree's root once they are appended."""

    size: int
    entries: list[Sealed]
    nodes: list[bytes]
    root: bytes


def seal_entries(start: int, items: Sequence[Unsealed], time: str) -> list[Sealed]:
    """Public entries, commitments and leaf hashes for ``items`` at seqs ``start``, ``start + 1``, ...

    This half needs no tree, so entries can be sealed apart from (and before) the frontier they will extend.
    """
    sealed = []
    for offset, item in enumerate(items):
        if len(item.salt) != SALT_SIZE:
            raise EntryError(f"salt must be {SALT_SIZE} bytes")
        entry = PublicEntry(start + offset, item.kind, time, item.actor, hashlib.sha256(item.salt + item.body).digest())
        public = entry.canonical()
        sealed.append(Sealed(entry, public, leaf_hash(public), item.salt, item.body))
    return sealed


def seal(size: int, frontier: Sequence[bytes], items: Sequence[Unsealed], time: str) -> Sealing:
    """Seal ``items`` as the next entries of a tree of ``size`` leaves whose frontier hashes are ``frontier``."""
    tree = CompactRange(size, frontier)
    entries = seal_entries(size, items, time)
    nodes = [b"".join(tree.append(sealed.leaf)) for sealed in entries]
    return Sealing(size, entries, nodes, tree.root())
