"""cosignature/v1 lines and add-checkpoint bodies, checked byte by byte against the C2SP layouts."""

import base64
import hashlib

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from ledger.cosignature import (
    MAX_PROOF_LINES,
    MAX_REQUEST_BYTES,
    AddCheckpoint,
    CosignatureVerifier,
    Cosigner,
    check_witnesses,
    cosigned_message,
    parse_add_checkpoint,
    parse_cosignature_lines,
)
from ledger.merkle import consistency_proof, leaf_hash, root_hash, verify_consistency
from ledger.note import MAX_NOTE_BYTES, Checkpoint, NoteError, NoteSigner, NoteVerifier, open_note, sign_note

# RFC 8032 §7.1, TEST 1: a published key, so the bytes below can be recomputed by anyone.
RFC8032_SECRET = bytes.fromhex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60")
RFC8032_PUBLIC = bytes.fromhex("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a")

# The example of C2SP tlog-cosignature: a checkpoint of example.com/behind-the-sofa with its log signature and a
# cosignature by witness.example.com/w1 made at the time of the spec's signed-message example (1679315147).
SPEC_NOTE = (
    "example.com/behind-the-sofa\n"
    "20852163\n"
    "CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n"
    "\n"
    "\u2014 example.com/behind-the-sofa Az3grlgtzPICa5OS8npVmf1Myq/5IZniMp+ZJurmRDeOoRDe4URYN7u5/Zhcyv2q1gGzGku9nTo"
    "+zyWE+xeMcTOAYQ8=\n"
    "\u2014 witness.example.com/w1 jWbPPwAAAABkGFDLEZMHwSRaJNiIDoe9DYn/zXcrtPHeolMI5OWXEhZCB9dlrDJsX3b2oyin1nPZqhf5nN"
    "o0xUe+mbIUBkBIfZ+qnA==\n"
)
SPEC_MESSAGE = (
    b"cosignature/v1\ntime 1679315147\nexample.com/behind-the-sofa\n20852163\n"
    b"CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n"
)
# The request body example of C2SP tlog-witness.
SPEC_REQUEST = (
    "old 20852014\n"
    "PlRNCrwHpqhGrupue0L7gxbjbMiKA9temvuZZDDpkaw=\n"
    "jrJZDmY8Y7SyJE0MWLpLozkIVMSMZcD5kvuKxPC3swk=\n"
    "5+pKlUdi2LeF/BcMHBn+Ku6yhPGNCswZZD1X/6QgPd8=\n"
    "/6WVhPs2CwSsb5rYBH5cjHV/wSmA79abXAwhXw3Kj/0=\n"
    "\n"
    "example.com/behind-the-sofa\n"
    "20852163\n"
    "CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n"
    "\n"
    "\u2014 example.com/behind-the-sofa Az3grlgtzPICa5OS8npVmf1Myq/5IZniMp+ZJurmRDeOoRDe4URYN7u5/Zhcyv2q1gGzGku9nTo"
    "+zyWE+xeMcTOAYQ8=\n"
    "\u2014 example.com/behind-the-sofa opLqBQsREYCgu6xQkYQwJr9fo45a62DN9EdmHXnZdXNqlcVGlCum2Wks+49/V6267UEjw6QUXTS5R"
    "ovnzv++qbSzm9Q=\n"
).encode()


def witness(name: str = "witness.example/w1", seed: bytes = RFC8032_SECRET) -> Cosigner:
    return Cosigner(name, Ed25519PrivateKey.from_private_bytes(seed))


def checkpoint_text(size: int = 5, root: bytes = bytes(range(32))) -> str:
    return Checkpoint("log.example/one", size, root).text()


def test_the_spec_message_layout():
    text = SPEC_MESSAGE.split(b"\n", 2)[2].decode()
    assert cosigned_message(text, 1679315147) == SPEC_MESSAGE


def test_the_spec_cosignature_line_carries_key_id_then_big_endian_time_then_signature():
    line = SPEC_NOTE.splitlines()[-1]
    (name, raw), *_ = parse_cosignature_lines(line + "\n")
    assert name == "witness.example.com/w1"
    assert len(raw) == 4 + 8 + 64
    assert raw[:4].hex() == "8d66cf3f"
    # The timestamp the line encodes is the one in the spec's signed-message example.
    assert int.from_bytes(raw[4:12], "big") == 1679315147


def test_the_spec_note_opens_for_a_reader_who_knows_neither_key_only_as_unsigned():
    other = witness("witness.example.com/w1")
    report = check_witnesses(SPEC_NOTE, [other])
    # Same name, other key: its key ID differs, so the line is not this witness's and is ignored, not failed.
    assert report.cosigned == ()
    assert report.failed == ()
    assert not report.satisfies(1)
    assert report.satisfies(0)


def test_key_id_and_vkey_by_hand():
    w = witness()
    assert w.public_bytes == RFC8032_PUBLIC
    expected_id = hashlib.sha256(b"witness.example/w1\n\x04" + RFC8032_PUBLIC).digest()[:4]
    assert w.key_id == expected_id
    assert (
        w.vkey == "witness.example/w1+" + expected_id.hex() + "+" + base64.b64encode(b"\x04" + RFC8032_PUBLIC).decode()
    )
    assert CosignatureVerifier.from_vkey(w.vkey).key_id == expected_id
    # The same key as a plain Ed25519 note key has another ID: type 0x01 against 0x04.
    assert NoteSigner(w.name, Ed25519PrivateKey.from_private_bytes(RFC8032_SECRET)).key_id != expected_id


def test_a_cosignature_line_byte_by_byte():
    w = witness()
    text = checkpoint_text()
    cosignature = w.cosign(text, 1_700_000_000)
    line = cosignature.line()
    assert line.startswith("\u2014 witness.example/w1 ")
    assert line.endswith("\n")
    raw = base64.b64decode(line.rstrip("\n").split(" ", 2)[2])
    assert raw[:4] == w.key_id
    assert raw[4:12] == bytes.fromhex("000000006553f100")  # 1,700,000,000 as a u64, big-endian
    message = b"cosignature/v1\ntime 1700000000\n" + text.encode()
    Ed25519PublicKey.from_public_bytes(RFC8032_PUBLIC).verify(raw[12:], message)
    # Ed25519 is deterministic: the same key, time and text make the same line.
    assert w.cosign(text, 1_700_000_000).line() == line
    found = CosignatureVerifier.from_vkey(w.vkey).verify(text, raw)
    assert found is not None
    assert found.timestamp == 1_700_000_000


def test_a_cosignature_does_not_verify_over_other_text_or_time():
    w = witness()
    raw = base64.b64decode(w.cosign(checkpoint_text(5), 10).line().rstrip("\n").split(" ", 2)[2])
    assert w.verify(checkpoint_text(6), raw) is None
    other_time = raw[:4] + (11).to_bytes(8, "big") + raw[12:]
    assert w.verify(checkpoint_text(5), other_time) is None
    assert w.verify(checkpoint_text(5), raw[:-1]) is None


@pytest.mark.parametrize("timestamp", [-1, 1 << 63])
def test_timestamps_outside_the_u63_range_are_refused(timestamp):
    with pytest.raises(NoteError):
        cosigned_message(checkpoint_text(), timestamp)


def test_vkeys_of_the_wrong_type_are_refused():
    log_key = NoteSigner("log.example/one", Ed25519PrivateKey.from_private_bytes(bytes(32)))
    with pytest.raises(NoteError, match="0x04"):
        CosignatureVerifier.from_vkey(log_key.vkey)
    with pytest.raises(NoteError, match="0x01"):
        NoteVerifier.from_vkey(witness().vkey)
    name, _, encoded = witness().vkey.split("+", 2)
    with pytest.raises(NoteError, match="key ID"):
        CosignatureVerifier.from_vkey(f"{name}+00000000+{encoded}")


def signed_checkpoint(size: int = 5) -> tuple[NoteSigner, str]:
    log = NoteSigner("log.example/one", Ed25519PrivateKey.from_private_bytes(bytes(32)))
    return log, str(sign_note(checkpoint_text(size), [log]))


def test_k_of_n_witnesses():
    log, note = signed_checkpoint()
    text = checkpoint_text()
    w1, w2, w3 = (witness(f"w{i}.example", bytes([i]) * 32) for i in (1, 2, 3))
    cosigned = note + w1.cosign(text, 100).line() + w2.cosign(text, 101).line()
    # A plain note reader that knows only the log key ignores the cosignature lines.
    assert open_note(cosigned, [log]).signatures[0].name == "log.example/one"
    report = check_witnesses(cosigned, [w1, w2, w3])
    assert report.names() == ["w1.example", "w2.example"]
    assert report.satisfies(2)
    assert not report.satisfies(3)
    # Twice the same witness counts once.
    doubled = cosigned + w1.cosign(text, 102).line()
    assert len(check_witnesses(doubled, [w1, w2]).cosigned) == 2


def test_a_known_witness_line_that_does_not_verify_is_a_failure_not_a_skip():
    _, note = signed_checkpoint()
    w1, w2 = witness("w1.example", b"\x01" * 32), witness("w2.example", b"\x02" * 32)
    forged = w1.cosign(checkpoint_text(6), 100)  # made over another checkpoint
    report = check_witnesses(note + forged.line() + w2.cosign(checkpoint_text(), 100).line(), [w1, w2])
    assert report.failed == ("w1.example",)
    assert report.names() == ["w2.example"]
    assert not report.satisfies(1)


# --- add-checkpoint bodies -----------------------------------------------------------------------------------


def test_the_spec_request_body_parses():
    request = parse_add_checkpoint(SPEC_REQUEST)
    assert request.old_size == 20852014
    assert len(request.proof) == 4
    assert request.proof[0] == base64.b64decode("PlRNCrwHpqhGrupue0L7gxbjbMiKA9temvuZZDDpkaw=")
    assert request.note.startswith("example.com/behind-the-sofa\n20852163\n")
    assert request.body() == SPEC_REQUEST


def test_a_request_round_trip_over_a_real_tree():
    leaves = [leaf_hash(bytes([i])) for i in range(11)]
    proof = consistency_proof(leaves, 6)
    _, note = signed_checkpoint(11)
    body = AddCheckpoint(6, tuple(proof), note).body()
    assert body.startswith(b"old 6\n" + base64.b64encode(proof[0]) + b"\n")
    assert body.endswith(b"\n\n" + note.encode())
    parsed = parse_add_checkpoint(body)
    assert parsed == AddCheckpoint(6, tuple(proof), note)
    assert verify_consistency(6, 11, root_hash(leaves[:6]), root_hash(leaves), parsed.proof)


def test_a_request_with_no_proof():
    _, note = signed_checkpoint()
    assert AddCheckpoint(0, (), note).body() == b"old 0\n\n" + note.encode()
    assert parse_add_checkpoint(b"old 0\n\n" + note.encode()).proof == ()


@pytest.mark.parametrize(
    "head",
    [
        b"old 05\n",
        b"old -1\n",
        b"old \n",
        b"old 1 \n",
        b"Old 1\n",
        b"old 9223372036854775808\n",
        b"old 1\nnot base64!\n",
        b"old 1\nAAAA\n",  # base64, but not a 32-byte hash
        b"old 1\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\n",  # unpadded
    ],
)
def test_malformed_heads_are_refused(head):
    _, note = signed_checkpoint()
    with pytest.raises(NoteError):
        parse_add_checkpoint(head + b"\n" + note.encode())


def test_bounds():
    _, note = signed_checkpoint()
    line = base64.b64encode(bytes(32)) + b"\n"
    assert len(parse_add_checkpoint(b"old 1\n" + line * MAX_PROOF_LINES + b"\n" + note.encode()).proof) == 63
    with pytest.raises(NoteError, match="at most 63"):
        parse_add_checkpoint(b"old 1\n" + line * (MAX_PROOF_LINES + 1) + b"\n" + note.encode())
    with pytest.raises(NoteError, match="larger than"):
        parse_add_checkpoint(b"old 0\n\n" + note.encode() + b"x" * MAX_REQUEST_BYTES)
    with pytest.raises(NoteError, match="larger than"):
        parse_add_checkpoint(b"old 0\n\n" + b"a\n" * (MAX_NOTE_BYTES // 2) + "\n\u2014 a AAAAAAA=\n".encode())
    with pytest.raises(NoteError):
        AddCheckpoint(1, (bytes(32),) * 64, note).body()


@pytest.mark.parametrize(
    "body",
    [b"", b"old 0\n", b"old 0\n\nno signatures\n", b"old 0\n\n\xff\xfe\n\n\xe2\x80\x94 a AAAAAAA=\n"],
)
def test_bodies_without_a_signed_note_are_refused(body):
    with pytest.raises(NoteError):
        parse_add_checkpoint(body)
