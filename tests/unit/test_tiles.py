"""Tile paths read and written exactly as C2SP tlog-tiles spells them, and the nodes each tile holds."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ledger.subtrees import node_home, perfect_cover
from ledger.tiles import (
    TILE_WIDTH,
    Tile,
    TilePathError,
    encode_index,
    exists_in,
    level_width,
    locate,
    parse_bundle_path,
    parse_index,
    parse_tile_path,
    partial_tiles,
    tiles_for,
)


@pytest.mark.parametrize(
    ("index", "path"),
    [
        (0, "000"),
        (7, "007"),
        (999, "999"),
        (1000, "x001/000"),
        (1234, "x001/234"),
        (1234067, "x001/x234/067"),
        (10**18, "x001/x000/x000/x000/x000/x000/000"),
    ],
)
def test_indexes_are_written_in_three_digit_groups(index: int, path: str) -> None:
    assert encode_index(index) == path
    assert parse_index(path) == index


@given(st.integers(min_value=0, max_value=2**64))
def test_every_index_reads_back_as_itself(index: int) -> None:
    assert parse_index(encode_index(index)) == index


@pytest.mark.parametrize(
    "text",
    [
        "",
        "0",
        "00",
        "0000",
        "x000",
        "x001",
        "001/234",  # the upper group needs its x
        "x001/x234",  # the last one must not have one
        "x000/005",  # 5 is spelled 005
        "x01/234",
        "x0001/234",
        "X001/234",
        "00a",
        "+01",
        " 01",
        "٠٠١",  # Arabic-Indic digits are digits to str.isdigit, not to the specification
        "１２３",
        "x001//234",
        "/001",
        "001/",
        "x001/x002/x003/x004/x005/x006/x007/008",  # past 2^64
        "x999/" * 250_000 + "999",
    ],
)
def test_misspelled_indexes_are_refused(text: str) -> None:
    with pytest.raises(TilePathError):
        parse_index(text)


@pytest.mark.parametrize(
    ("path", "tile"),
    [
        ("0/000", Tile(0, 0)),
        ("0/x001/234", Tile(0, 1234)),
        ("0/x001/234.p/7", Tile(0, 1234, 7)),
        ("1/000.p/1", Tile(1, 0, 1)),
        ("2/005.p/255", Tile(2, 5, 255)),
        ("63/000", Tile(63, 0)),
    ],
)
def test_tile_paths_read_and_write(path: str, tile: Tile) -> None:
    assert parse_tile_path(path) == tile
    assert tile.path() == f"tile/{path}"


@pytest.mark.parametrize(
    "path",
    [
        "",
        "0",
        "0/",
        "00/000",
        "01/000",
        "64/000",
        "100/000",
        "-1/000",
        "a/000",
        "entries/000",
        "0/000.p/0",
        "0/000.p/00",
        "0/000.p/007",
        "0/000.p/256",
        "0/000.p/1000",
        "0/000.p/",
        "0/000.p/1/2",
        "0/000.p1",
        "0/000.P/1",
        "0/000.p/１",
        "0/000/.p/1",
        "0/" + "9" * 10_000,
    ],
)
def test_bad_tile_paths_are_refused(path: str) -> None:
    with pytest.raises(TilePathError):
        parse_tile_path(path)


def test_bundle_paths_are_level_zero_tiles() -> None:
    assert parse_bundle_path("x001/234.p/9") == Tile(0, 1234, 9)
    assert parse_bundle_path("000") == Tile(0, 0)
    assert Tile(0, 1234, 9).bundle_path() == "tile/entries/x001/234.p/9"
    for bad in ("0/000", "000.p/256", "x000/001", ""):
        with pytest.raises(TilePathError):
            parse_bundle_path(bad)
    with pytest.raises(TilePathError):
        Tile(1, 0).bundle_path()


@pytest.mark.parametrize(("level", "index", "width"), [(64, 0, 256), (0, -1, 256), (0, 0, 0), (0, 0, 257)])
def test_a_tile_out_of_range_cannot_be_made(level: int, index: int, width: int) -> None:
    with pytest.raises(TilePathError):
        Tile(level, index, width)


def test_a_level_zero_tile_holds_leaves() -> None:
    tile = Tile(0, 5)
    assert tile.nodes() == [(0, i) for i in range(1280, 1536)]
    assert tile.leaves() == (1280, 1536)
    partial = Tile(0, 5, 3)
    assert partial.nodes() == [(0, 1280), (0, 1281), (0, 1282)]
    assert partial.leaves() == (1280, 1283)


@pytest.mark.parametrize(("level", "index", "width"), [(1, 0, 256), (1, 3, 17), (2, 0, 1), (3, 1, 2)])
def test_each_hash_of_a_higher_tile_is_a_full_tile_below(level: int, index: int, width: int) -> None:
    tile = Tile(level, index, width)
    span = TILE_WIDTH**level
    start, end = tile.leaves()
    assert (start, end) == (index * TILE_WIDTH * span, (index * TILE_WIDTH + width) * span)
    # The leaf range of each hash is exactly one perfect subtree at height 8·level.
    for offset, node in enumerate(tile.nodes()):
        lo = start + offset * span
        assert perfect_cover(lo, lo + span) == [node]
        assert node == (8 * level, index * TILE_WIDTH + offset)
        # Stored beside its last leaf: the row a tile read asks for.
        assert node_home(node) == lo + span - 1


def test_the_specifications_example_sizes() -> None:
    # "a tree of size 70,000 will be represented by 273 full level 0 tiles, one partial level 0 tile of width 112,
    # one full level 1 tile, one partial level 1 tile of width 17, and one partial level 2 tile of width 1."
    represented = list(tiles_for(70_000))
    assert sum(1 for t in represented if t.level == 0 and t.full) == 273
    assert sum(1 for t in represented if t.level == 1 and t.full) == 1
    assert partial_tiles(70_000) == [Tile(0, 273, 112), Tile(1, 1, 17), Tile(2, 0, 1)]
    assert [t for t in represented if not t.full] == partial_tiles(70_000)
    assert len(represented) == 273 + 1 + 1 + 1 + 1
    # "a tree of size 256 will be represented by a full level 0 tile and a partial level 1 tile of width 1."
    assert list(tiles_for(256)) == [Tile(0, 0), Tile(1, 0, 1)]
    assert list(tiles_for(0)) == []
    assert partial_tiles(65536) == [Tile(2, 0, 1)]


@pytest.mark.parametrize(
    ("size", "level", "index", "width"),
    [(0, 0, 0, 0), (255, 0, 0, 255), (256, 0, 0, 256), (257, 0, 1, 1), (257, 1, 0, 1), (511, 1, 0, 1)],
)
def test_widths_at_a_size(size: int, level: int, index: int, width: int) -> None:
    assert level_width(level, index, size) == width


def test_which_tiles_a_size_has() -> None:
    assert exists_in(Tile(0, 0), 256)
    assert not exists_in(Tile(0, 0), 255)
    # A partial tile stays for every width the tree has reached, also once the full tile exists.
    assert exists_in(Tile(0, 0, 255), 255)
    assert exists_in(Tile(0, 0, 1), 70_000)
    assert not exists_in(Tile(0, 1, 2), 257)
    assert exists_in(Tile(1, 0, 1), 511)
    assert not exists_in(Tile(1, 0, 2), 511)
    assert exists_in(Tile(1, 0, 2), 512)
    assert not exists_in(Tile(1, 0), 65535)
    assert exists_in(Tile(1, 0), 65536)
    assert not exists_in(Tile(63, 2**40), 2**53)


def test_locate_finds_the_tile_of_a_node() -> None:
    assert locate((0, 1234)) == (0, 4, 210)
    assert locate((8, 256)) == (1, 1, 0)
    assert locate((16, 3)) == (2, 0, 3)
    with pytest.raises(TilePathError):
        locate((3, 0))
