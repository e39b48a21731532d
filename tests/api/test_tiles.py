"""The ledger read as a C2SP tlog-tiles client reads it, over HTTP and checked with nothing of the bank's Merkle code.

At tree sizes on each side of the 256 boundaries, every tile and entry bundle of every signed size is fetched; the
leaves hashed from the bundles give the root (by a plain RFC 6962 recursion written here), which must be the signed
checkpoint's; every tile's hashes must be the nodes that recursion gives; and inclusion proofs built from tiles
alone must lead to the signed root.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import json
from collections.abc import Callable

import pytest
import rfc8785

from creditbank.services.transparency import checkpoints
from ledger.note import NoteVerifier, open_note, parse_checkpoint
from ledger.tiles import Tile, tiles_for
from tests.api.test_ledger_endpoints import assert_problem
from tests.helpers import append

FULL = "public, max-age=31536000, immutable"


def leaf(data: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + data).digest()


def parent(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def split(n: int) -> int:
    k = 1
    while k * 2 < n:
        k *= 2
    return k


def mth(leaves: list[bytes], lo: int, hi: int) -> bytes:
    """RFC 6962 §2.1 MTH(D[lo:hi]) over leaf hashes."""
    if hi - lo == 1:
        return leaves[lo]
    k = split(hi - lo)
    return parent(mth(leaves, lo, lo + k), mth(leaves, lo + k, hi))


def perfect_levels(leaves: list[bytes], top: int) -> list[list[bytes]]:
    """levels[h][k] = MTH of the k-th complete run of 2^h leaves, for h up to ``top``."""
    levels = [list(leaves)]
    for _ in range(top):
        below = levels[-1]
        levels.append([parent(below[i], below[i + 1]) for i in range(0, len(below) - 1, 2)])
    return levels


def path_of(m: int, n: int, node: Callable[[int, int], bytes], lo: int = 0) -> list[bytes]:
    """RFC 6962 §2.1.1 PATH(m, D[lo:lo+n]), bottom-up, with subtree roots from ``node``."""
    if n == 1:
        return []
    k = split(n)
    if m < k:
        return [*path_of(m, k, node, lo), node(lo + k, lo + n)]
    return [*path_of(m - k, n - k, node, lo + k), node(lo, lo + k)]


def root_from_path(leaf_hash: bytes, m: int, n: int, path: list[bytes]) -> bytes:
    """The root a bottom-up PATH implies, by the same recursion run backwards."""
    if n == 1:
        assert path == []
        return leaf_hash
    k = split(n)
    *rest, last = path
    if m < k:
        return parent(root_from_path(leaf_hash, m, k, rest), last)
    return parent(last, root_from_path(leaf_hash, m - k, n - k, rest))


def signed(client) -> tuple[int, bytes]:
    verifier = NoteVerifier.from_vkey(client.get("/ledger/key").text)
    note = client.get("/ledger/checkpoint")
    assert note.mimetype == "text/plain"
    body = parse_checkpoint(open_note(note.text, [verifier]).text)
    return body.size, body.root


def fetch(client, path: str) -> bytes:
    response = client.get(f"/ledger/{path}")
    assert response.status_code == 200, (path, response.get_data(as_text=True)[:300])
    assert response.mimetype == "application/octet-stream"
    return response.data


def entries_of(bundle: bytes) -> list[bytes]:
    found, at = [], 0
    while at < len(bundle):
        length = int.from_bytes(bundle[at : at + 2], "big")
        found.append(bundle[at + 2 : at + 2 + length])
        at += 2 + length
    assert at == len(bundle), "a bundle ends where its last entry does"
    return found


def tile_for(level: int, index: int, size: int) -> Tile:
    width = min(256, (size >> (8 * level)) - 256 * index)
    return Tile(level, index, width)


def check_size(client, size: int, root: bytes, seqs_to_prove: list[int]) -> None:
    """Everything a tlog-tiles client can check of the tree of ``size`` leaves, from the tiles alone."""
    represented = list(tiles_for(size))
    bundles = [t for t in represented if t.level == 0]
    leaves: list[bytes] = []
    for tile in bundles:
        data = fetch(client, tile.bundle_path())
        entries = entries_of(data)
        assert len(entries) == tile.width
        leaves.extend(leaf(e) for e in entries)
    assert len(leaves) == size
    assert mth(leaves, 0, size) == root
    top = max(t.level for t in represented)
    levels = perfect_levels(leaves, 8 * top)
    served: dict[tuple[int, int, int], bytes] = {}
    for tile in represented:
        data = fetch(client, tile.path())
        assert len(data) == 32 * tile.width
        hashes = [data[i : i + 32] for i in range(0, len(data), 32)]
        assert hashes == levels[tile.height][tile.first : tile.first + tile.width], tile.path()
        for offset, value in enumerate(hashes):
            served[(tile.height, tile.first + offset, tile.width)] = value

    def from_tiles(lo: int, hi: int) -> bytes:
        """MTH(D[lo:hi]) from tile hashes: a perfect subtree at height 8·L is read from its tile, one in between
        is hashed from the tile below, and a ragged right edge is split as RFC 6962 splits it."""
        count = hi - lo
        if count & (count - 1) == 0 and lo % count == 0:
            height = count.bit_length() - 1
            if height % 8 == 0:
                tile = tile_for(height // 8, (lo >> height) // 256, size)
                return served[(height, lo >> height, tile.width)]
        k = split(count)
        return parent(from_tiles(lo, lo + k), from_tiles(lo + k, hi))

    assert from_tiles(0, size) == root
    for seq in seqs_to_prove:
        proof = path_of(seq, size, from_tiles)
        assert root_from_path(leaves[seq], seq, size, proof) == root
        # The bank's own proof is the same list.
        answer = client.get(f"/ledger/proofs/inclusion?seq={seq}&size={size}").get_json()
        assert answer["proof"] == [base64.b64encode(h).decode() for h in proof]


def grow_to(bank, size: int, have: int) -> int:
    if size > have:
        append(bank, size - have, size=20)
    checkpoints.sign(bank)
    return size


def test_tiles_verify_at_every_boundary_near_256(client, bank):
    have = 0
    sizes = [1, 255, 256, 257, 511, 512, 513]
    for size in sizes:
        have = grow_to(bank, size, have)
        assert signed(client)[0] == size
    # Checked once the tree is at its largest: every earlier signed size stays verifiable, its partial tiles served.
    for size, root in _roots(bank, sizes):
        check_size(client, size, root, sorted({0, size // 2, size - 1}))


def _roots(bank, sizes: list[int]) -> list[tuple[int, bytes]]:
    with bank.db.reading() as session:
        stored = {c.size: bytes(c.root) for c in checkpoints.all_checkpoints(session)}
    return [(size, stored[size]) for size in sizes]


@pytest.mark.slow
def test_tiles_verify_around_65536(client, bank):
    have = 0
    sizes = [65535, 65536, 65537]
    for size in sizes:
        have = grow_to(bank, size, have)
    assert signed(client)[0] == 65537
    for size, root in _roots(bank, sizes):
        check_size(client, size, root, [0, 255, 256, 40_000, size - 1])
    assert client.get("/ledger/tile/1/000").headers["Cache-Control"] == FULL
    assert len(fetch(client, "tile/2/000.p/1")) == 32


def test_bundles_hold_the_public_entries_jcs_bytes(client, bank):
    append(bank, 300)
    checkpoints.sign(bank)
    data = fetch(client, "tile/entries/000")
    entries = entries_of(data)
    assert len(entries) == 256
    level0 = fetch(client, "tile/0/000")
    assert len(level0) == 256 * 32
    for seq in (0, 1, 255):
        served = client.get(f"/ledger/entries/{seq}").get_json()
        assert entries[seq] == rfc8785.dumps(served["entry"])
        assert json.loads(entries[seq])["seq"] == seq
        assert leaf(entries[seq]) == level0[32 * seq : 32 * seq + 32]
        assert base64.b64decode(served["leaf_hash"]) == leaf(entries[seq])
    partial = fetch(client, "tile/entries/001.p/44")
    assert [json.loads(e)["seq"] for e in entries_of(partial)] == list(range(256, 300))
    assert partial.startswith(len(entries_of(partial)[0]).to_bytes(2, "big"))


def test_full_tiles_are_immutable_partial_ones_short_lived(client, bank):
    append(bank, 257)
    checkpoints.sign(bank)
    for path in ("tile/0/000", "tile/entries/000"):
        assert client.get(f"/ledger/{path}").headers["Cache-Control"] == FULL
    for path in ("tile/0/001.p/1", "tile/entries/001.p/1", "tile/1/000.p/1", "tile/0/000.p/200"):
        response = client.get(f"/ledger/{path}")
        assert response.status_code == 200
        control = response.headers["Cache-Control"]
        assert "immutable" not in control
        assert int(control.split("max-age=")[1]) <= 300


def test_only_tiles_of_the_signed_tree_are_served(client, bank):
    assert_problem(client.get("/ledger/tile/0/000.p/1"), 404)
    append(bank, 257)
    checkpoints.sign(bank)
    # Grown but not yet signed: the new entries' tiles wait for a checkpoint.
    append(bank, 300)
    for path in (
        "tile/0/001",
        "tile/0/001.p/2",
        "tile/entries/001.p/2",
        "tile/entries/002.p/1",
        "tile/1/000",
        "tile/1/000.p/2",
        "tile/2/000.p/1",
        "tile/0/x001/234",
        "tile/63/x018/x446/x744/x073/x709/x551/615",
    ):
        assert_problem(client.get(f"/ledger/{path}"), 404)
    checkpoints.sign(bank)
    assert len(fetch(client, "tile/0/001")) == 8192
    assert len(fetch(client, "tile/1/000.p/2")) == 64


MISSPELLED = (
    "tile/00/000",
    "tile/64/000",
    "tile/x/000",
    "tile/0/0",
    "tile/0/x000/001",
    "tile/0/001/",
    "tile/0/000.p/0",
    "tile/0/000.p/256",
    "tile/0/000.p/01",
    "tile/0/000.p/abc",
    "tile/0/%00",
    "tile/0/" + "x999/" * 2000 + "999",
    "tile/entries/0",
    "tile/entries/000.p/256",
    "tile/entries/1/000",
    "tile/0/０００",
)


def test_misspelled_tile_paths_are_a_400(client, bank):
    append(bank, 3)
    checkpoints.sign(bank)
    for path in MISSPELLED:
        problem = assert_problem(client.get(f"/ledger/{path}"), 400)
        assert "path" in problem["detail"], path


def test_a_tile_path_with_nothing_after_it_is_not_found(client, bank):
    for path in ("tile", "tile/", "tile/entries"):
        response = client.get(f"/ledger/{path}")
        assert response.status_code in (400, 404)
        assert response.mimetype == "application/problem+json"


def test_bundles_are_gzipped_for_a_client_that_accepts_it(client, bank):
    append(bank, 300)
    checkpoints.sign(bank)
    for path in ("tile/entries/000", "tile/entries/001.p/44"):
        plain = client.get(f"/ledger/{path}")
        assert "Content-Encoding" not in plain.headers
        assert "Accept-Encoding" in plain.headers["Vary"]
        packed = client.get(f"/ledger/{path}", headers={"Accept-Encoding": "gzip, identity"})
        assert packed.headers["Content-Encoding"] == "gzip"
        assert "Accept-Encoding" in packed.headers["Vary"]
        assert packed.mimetype == "application/octet-stream"
        assert gzip.decompress(packed.data) == plain.data
        assert len(packed.data) < len(plain.data) / 2, "JSON entries compress well"
        # The same bundle is the same bytes each time (no timestamp in the gzip header), as caches expect.
        assert client.get(f"/ledger/{path}", headers={"Accept-Encoding": "gzip"}).data == packed.data
    refused = client.get("/ledger/tile/entries/000", headers={"Accept-Encoding": "gzip;q=0, identity"})
    assert "Content-Encoding" not in refused.headers
    assert len(entries_of(refused.data)) == 256
    # Hashes are random bytes: a tile of them is served as it is whatever the client accepts.
    hashes = client.get("/ledger/tile/0/000", headers={"Accept-Encoding": "gzip"})
    assert "Content-Encoding" not in hashes.headers
    assert len(hashes.data) == 256 * 32
