"""C2SP tlog-tiles: tile paths, and which Merkle tree nodes a tile holds in a tree of a given size.

A level-``L`` tile is a run of up to 256 consecutive nodes at height ``8·L`` — in :mod:`ledger.subtrees` terms the
nodes ``(8·L, 256·N)`` to ``(8·L, 256·N + 255)`` — so at level 0 it holds leaf hashes and at level 1 and above each
hash is the root of a full tile of the level below. A *partial* tile ``.p/W`` holds the first ``W`` (1 to 255) of
those nodes: the ones a tree of size ``s`` has when ``W = ⌊s / 256^L⌋ − 256·N``. Entry bundles are shaped like
level-0 tiles. Paths are read in exactly the spelling the specification writes (no leading zeros, no leading
``x000`` group), so one tile has one path and a cache holds it once.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from ledger.subtrees import Node

__all__ = [
    "MAX_LEVEL",
    "TILE_HEIGHT",
    "TILE_WIDTH",
    "Tile",
    "TilePathError",
    "encode_index",
    "exists_in",
    "level_width",
    "locate",
    "parse_bundle_path",
    "parse_index",
    "parse_tile_path",
    "partial_tiles",
    "tiles_for",
]

TILE_HEIGHT = 8
TILE_WIDTH = 1 << TILE_HEIGHT
MAX_LEVEL = 63
# An index past 2^64 names no node of any tree; seven groups already spell up to 10^21 − 1. Longer text is refused
# before it is split, so a path of a megabyte costs no more than one of ten characters.
_MAX_GROUPS = 7
_MAX_INDEX = len("x000/") * (_MAX_GROUPS - 1) + len("000")
_MAX_PATH = len("63/") + _MAX_INDEX + len(".p/255")
_LEVEL = re.compile(r"0|[1-9][0-9]?")
_WIDTH = re.compile(r"[1-9][0-9]{0,2}")
_GROUP = re.compile(r"[0-9]{3}")


class TilePathError(ValueError):
    """A tile path that is not spelled as C2SP tlog-tiles writes one."""


@dataclass(frozen=True, slots=True)
class Tile:
    """Tile ``index`` of ``level``, ``width`` hashes wide (256 for a full tile)."""

    level: int
    index: int
    width: int = TILE_WIDTH

    def __post_init__(self) -> None:
        if not 0 <= self.level <= MAX_LEVEL:
            raise TilePathError(f"level must be 0 to {MAX_LEVEL}")
        if self.index < 0:
            raise TilePathError("index must not be negative")
        if not 1 <= self.width <= TILE_WIDTH:
            raise TilePathError(f"width must be 1 to {TILE_WIDTH}")

    @property
    def full(self) -> bool:
        return self.width == TILE_WIDTH

    @property
    def height(self) -> int:
        """The height of the nodes the tile holds: leaves are at 0."""
        return TILE_HEIGHT * self.level

    @property
    def first(self) -> int:
        """Index, among the nodes of its height, of the tile's first node."""
        return self.index * TILE_WIDTH

    def nodes(self) -> list[Node]:
        """The nodes whose hashes the tile holds, left to right."""
        return [(self.height, self.first + offset) for offset in range(self.width)]

    def leaves(self) -> tuple[int, int]:
        """The range of leaves ``[start, end)`` the tile's hashes span."""
        return self.first << self.height, (self.first + self.width) << self.height

    def _suffix(self) -> str:
        return encode_index(self.index) + ("" if self.full else f".p/{self.width}")

    def path(self) -> str:
        """``tile/<L>/<N>[.p/<W>]``, relative to the log's prefix."""
        return f"tile/{self.level}/{self._suffix()}"

    def bundle_path(self) -> str:
        """``tile/entries/<N>[.p/<W>]``: the entry bundle of a level-0 tile."""
        if self.level:
            raise TilePathError("only level-0 tiles have entry bundles")
        return f"tile/entries/{self._suffix()}"


def encode_index(index: int) -> str:
    """``N`` in 3-digit path elements, all but the last prefixed with ``x``: 1234067 is ``x001/x234/067``."""
    if index < 0:
        raise TilePathError("index must not be negative")
    groups = []
    while True:
        index, group = divmod(index, 1000)
        groups.append(f"{group:03d}")
        if not index:
            break
    groups.reverse()
    return "/".join([*("x" + group for group in groups[:-1]), groups[-1]])


def parse_index(text: str) -> int:
    """The index a ``<N>`` path spells, refusing every other spelling of it."""
    if len(text) > _MAX_INDEX:
        raise TilePathError("the index is too long")
    elements = text.split("/")
    if len(elements) > _MAX_GROUPS:
        raise TilePathError("the index is too long")
    *upper, last = elements
    if not _GROUP.fullmatch(last) or not all(e[:1] == "x" and _GROUP.fullmatch(e[1:]) for e in upper):
        raise TilePathError("the index must be 3-digit path elements, all but the last starting with 'x'")
    if upper and upper[0] == "x000":
        raise TilePathError("the index must not start with an x000 element")
    value = 0
    for element in elements:
        value = value * 1000 + int(element.removeprefix("x"))
    return value


def _parse_index_and_width(text: str) -> tuple[int, int]:
    head, dot, width = text.partition(".p/")
    if not dot:
        return parse_index(text), TILE_WIDTH
    if not _WIDTH.fullmatch(width) or int(width) >= TILE_WIDTH:
        raise TilePathError(f"a partial width must be 1 to {TILE_WIDTH - 1}, without leading zeros")
    return parse_index(head), int(width)


def parse_tile_path(text: str) -> Tile:
    """The tile ``<L>/<N>[.p/<W>]`` names (the part of the path after ``tile/``)."""
    if len(text) > _MAX_PATH:
        raise TilePathError("the path is too long")
    level, slash, rest = text.partition("/")
    if not slash or not _LEVEL.fullmatch(level) or int(level) > MAX_LEVEL:
        raise TilePathError(f"the level must be 0 to {MAX_LEVEL}, without leading zeros")
    index, width = _parse_index_and_width(rest)
    return Tile(int(level), index, width)


def parse_bundle_path(text: str) -> Tile:
    """The level-0 tile whose entry bundle ``<N>[.p/<W>]`` names (the part after ``tile/entries/``)."""
    if len(text) > _MAX_PATH:
        raise TilePathError("the path is too long")
    index, width = _parse_index_and_width(text)
    return Tile(0, index, width)


def level_width(level: int, index: int, size: int) -> int:
    """How many of tile ``index``'s nodes at ``level`` a tree of ``size`` leaves has (0 to 256)."""
    present = (size >> (TILE_HEIGHT * level)) - index * TILE_WIDTH
    return max(0, min(TILE_WIDTH, present))


def exists_in(tile: Tile, size: int) -> bool:
    """Whether a tree of ``size`` leaves has the tile: all 256 nodes for a full one, at least ``width`` otherwise."""
    return level_width(tile.level, tile.index, size) >= tile.width


def partial_tiles(size: int) -> list[Tile]:
    """The partial tile at each level that a tree of ``size`` leaves ends in, lowest level first.

    Their widths are ``⌊size / 256^L⌋ mod 256``; a level where that is 0 has none, and the list stops at the
    first level that holds no node at all.
    """
    found = []
    level, count = 0, size
    while count:
        if count % TILE_WIDTH:
            found.append(Tile(level, count // TILE_WIDTH, count % TILE_WIDTH))
        level, count = level + 1, count >> TILE_HEIGHT
    return found


def tiles_for(size: int) -> Iterator[Tile]:
    """Every tile that represents a tree of ``size`` leaves: its full tiles and the partial one at each level."""
    level, count = 0, size
    while count:
        for index in range(count // TILE_WIDTH):
            yield Tile(level, index)
        if count % TILE_WIDTH:
            yield Tile(level, count // TILE_WIDTH, count % TILE_WIDTH)
        level, count = level + 1, count >> TILE_HEIGHT


def locate(node: Node) -> tuple[int, int, int]:
    """The level, tile index and position within the tile of a node whose height is a multiple of 8."""
    height, index = node
    level, rest = divmod(height, TILE_HEIGHT)
    if rest or index < 0:
        raise TilePathError(f"node {node} is not held by any tile: its height is not a multiple of {TILE_HEIGHT}")
    return level, index // TILE_WIDTH, index % TILE_WIDTH
