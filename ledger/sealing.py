"""Sealing: turning prepared entries into what the ledger stores, with no storage in sight.

Given the tree's size and its frontier (the stored hashes of the perfect subtrees that make it up, largest first),
entries whose bodies are already canonical and salted, and the time they are recorded at, :func:`seal` computes each
public entry and its commitment, the leaf hash, and the hashes of the perfect subtrees each leaf completes: the
bytes a store keeps beside the leaf so that proofs read O(log n) rows (see :mod:`ledger.subtrees`). Everything
here is deterministic; the salts and the clock are the caller's.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from ledger.entry import SALT_SIZE, EntryError, PublicEntry, public_bytes
from ledger.merkle import leaf_hash
from ledger.subtrees import CompactRange

__all__ = ["Sealed", "Sealing", "Unsealed", "seal", "seal_entries"]

# The largest seq a public entry accepts (an IEEE-754 safe integer, as JCS numbers are doubles).
_MAX_SEQ = 2**53 - 1


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


def _setters(cls: type, *names: str) -> tuple[Callable[[object, object], None], ...]:
    """The slot setters of a frozen slotted dataclass: they fill an instance made without ``__init__`` (and its
    checks), where the frozen ``__setattr__`` would refuse."""
    return tuple(cls.__dict__[name].__set__ for name in names)


_ENTRY_FIELDS = _setters(PublicEntry, "seq", "kind", "time", "actor", "commitment")
_SEALED_FIELDS = _setters(Sealed, "entry", "public", "leaf", "salt", "body")


def seal_entries(start: int, items: Sequence[Unsealed], time: str) -> list[Sealed]:
    """Public entries, commitments and leaf hashes for ``items`` at seqs ``start``, ``start + 1``, ...

    This half needs no tree, so entries can be sealed apart from (and before) the frontier they will extend.

    A public entry's checks depend on its kind, actor and time, and on its seq only through the range, which holds for
    the whole run once it holds at both ends; a commitment is a SHA-256 digest, always 32 bytes. So the first entry of
    each kind and actor is built through ``PublicEntry`` (which raises what it always raised, at the entry it always
    raised at) and the rest of the run, which would pass the same checks, skip them.
    """
    set_seq, set_kind, set_time, set_actor, set_commitment = _ENTRY_FIELDS
    set_entry, set_public, set_leaf, set_salt, set_body = _SEALED_FIELDS
    new = object.__new__
    checked: set[tuple[str, str]] = set()
    # Outside the range (or not an int), every entry is built through the checks.
    trusted_seqs = type(start) is int and start >= 0 and start + len(items) - 1 <= _MAX_SEQ
    sha256 = hashlib.sha256
    sealed = []
    for offset, item in enumerate(items):
        salt, body, kind, actor = item.salt, item.body, item.kind, item.actor
        if len(salt) != SALT_SIZE:
            raise EntryError(f"salt must be {SALT_SIZE} bytes")
        digest = sha256(salt + body).digest()
        seq = start + offset
        if trusted_seqs and (kind, actor) in checked:
            entry = new(PublicEntry)
            set_seq(entry, seq)
            set_kind(entry, kind)
            set_time(entry, time)
            set_actor(entry, actor)
            set_commitment(entry, digest)
        else:
            entry = PublicEntry(seq, kind, time, actor, digest)
            checked.add((kind, actor))
        public = public_bytes(seq, kind, time, actor, digest)
        result = new(Sealed)
        set_entry(result, entry)
        set_public(result, public)
        set_leaf(result, leaf_hash(public))
        set_salt(result, salt)
        set_body(result, body)
        sealed.append(result)
    return sealed


def seal(size: int, frontier: Sequence[bytes], items: Sequence[Unsealed], time: str) -> Sealing:
    """Seal ``items`` as the next entries of a tree of ``size`` leaves whose frontier hashes are ``frontier``."""
    tree = CompactRange(size, frontier)
    entries = seal_entries(size, items, time)
    nodes = [b"".join(tree.append(sealed.leaf)) for sealed in entries]
    return Sealing(size, entries, nodes, tree.root())
