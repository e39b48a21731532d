"""The ledger as a C2SP tlog-tiles log: tiles of its Merkle tree and bundles of its public entries.

Every node a tile holds is a perfect subtree whose hash the bank already keeps beside the subtree's last leaf
(``ledger.subtrees.node_home``), at the offset of its height in that row's ``nodes``. So a tile is one read of at most
256 rows by primary key — a range at level 0, the rows 256^L apart above — and never a pass over the leaves. An
absurd level or index is refused by the path's parser or the largest seq a ledger can hold, before any statement;
the latest signed size bounds the same statement that reads the rows, so a tile of the signed tree is one statement.

Like proofs, tiles are served only for trees a signed checkpoint covers, and for all of them: a partial tile of width
W stays available after its full tile exists, since a client verifying an older checkpoint still asks for it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from creditbank.errors import BadParameter, LedgerIntegrityError, NotFound
from creditbank.runtime import Bank
from ledger.merkle import HASH_SIZE
from ledger.subtrees import node_home
from ledger.tiles import Tile, TilePathError, exists_in, parse_bundle_path, parse_tile_path

# An entry in a bundle is prefixed by its length as a big-endian uint16.
_MAX_ENTRY = 0xFFFF
# Rows are read only below the latest signed size, in the same statement as the rows themselves.
_SIGNED = "seq < (SELECT coalesce(max(size), 0) FROM ledger_checkpoints)"
_BUNDLE = f"SELECT seq, public FROM ledger_entries WHERE seq >= ? AND seq < ? AND {_SIGNED} ORDER BY seq"  # noqa: S608
# No entry has a seq past 2^53 − 1 (a public entry's seq is a JSON-safe integer), so a tile reaching past it is not
# found before any statement, and no parameter can overflow the 64-bit column.
_MAX_SEQ = 2**53 - 1


@dataclass(frozen=True, slots=True)
class TileData:
    """A tile's bytes, and whether it is full (then it can be cached for ever)."""

    tile: Tile
    data: bytes

    @property
    def full(self) -> bool:
        return self.tile.full


def _rows(session: Session, sql: str, params: Sequence[int]) -> list[Any]:
    """A statement through the driver: the hashes are read as stored, with no ORM work per row."""
    connection = session.connection()
    if connection.dialect.paramstyle != "qmark":
        sql = sql.replace("?", "%s")
    return list(connection.exec_driver_sql(sql, tuple(params)).all())


def _signed_size(session: Session) -> int:
    ((size,),) = _rows(session, "SELECT max(size) FROM ledger_checkpoints", ())
    if size is None:
        raise NotFound("no checkpoint has been signed yet")
    return int(size)


def _parsed(parse: Callable[[str], Tile], path: str, what: str) -> Tile:
    try:
        return parse(path)
    except TilePathError as exc:
        raise BadParameter(f"{what} path: {exc}", errors={"path": str(exc)}) from None


def _require(session: Session, tile: Tile, path: str) -> None:
    size = _signed_size(session)
    if not exists_in(tile, size):
        raise NotFound(f"{path} is not part of the latest signed tree ({size} entries)")


def _read(bank: Bank, tile: Tile, path: str, sql: str, params: Sequence[int], last: int) -> list[Any]:
    """The rows of a tile of the signed tree, whose last row is ``last``: one statement when the tile is there, a
    second only to tell a tile the signed tree lacks (404) from rows missing that it has."""
    if last > _MAX_SEQ:
        raise NotFound(f"{path} is past any tree the ledger can hold")
    with bank.db.reading() as session:
        rows = _rows(session, sql, params)
        if len(rows) != tile.width:
            _require(session, tile, path)
            raise LedgerIntegrityError(f"rows are missing from {path}")
    return rows


def hashes(bank: Bank, path: str) -> TileData:
    """The tile ``<L>/<N>[.p/<W>]``: its nodes' hashes, concatenated."""
    tile = _parsed(parse_tile_path, path, "tile")
    homes = [node_home(node) for node in tile.nodes()]
    # SQL counts bytes from 1; the node of height h is the (h + 1)-th hash in its row.
    column = f"substr(nodes, {tile.height * HASH_SIZE + 1}, {HASH_SIZE})"
    if tile.level == 0:
        where, params = "seq >= ? AND seq <= ?", [homes[0], homes[-1]]
    else:
        where, params = f"seq IN ({', '.join('?' * len(homes))})", homes
    sql = f"SELECT seq, {column} FROM ledger_entries WHERE {where} AND {_SIGNED} ORDER BY seq"  # noqa: S608
    rows = _read(bank, tile, tile.path(), sql, params, homes[-1])
    if [row[0] for row in rows] != homes or any(len(row[1]) != HASH_SIZE for row in rows):
        raise LedgerIntegrityError(f"the stored subtree hashes of {tile.path()} are incomplete")
    return TileData(tile, b"".join(bytes(row[1]) for row in rows))


def bundle(bank: Bank, path: str) -> TileData:
    """The entry bundle ``<N>[.p/<W>]``: each public entry's JCS bytes, the bytes its leaf hash covers, prefixed by
    their length."""
    tile = _parsed(parse_bundle_path, path, "entry bundle")
    start, end = tile.leaves()
    rows = _read(bank, tile, tile.bundle_path(), _BUNDLE, (start, end), end - 1)
    if [row[0] for row in rows] != list(range(start, end)):
        raise LedgerIntegrityError(f"entries are missing from {tile.bundle_path()}")
    parts = []
    for seq, public in rows:
        if len(public) > _MAX_ENTRY:
            raise LedgerIntegrityError(f"entry {seq} is longer than an entry bundle can hold")
        parts.append(len(public).to_bytes(2, "big") + bytes(public))
    return TileData(tile, b"".join(parts))
