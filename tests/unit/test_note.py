import base64
import hashlib

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from ledger.note import (
    Checkpoint,
    NoteError,
    NoteSigner,
    NoteVerifier,
    key_id,
    open_note,
    parse_checkpoint,
    sign_note,
)

SEED = bytes(range(32))


def signer(name: str = "example.org/creditbank", seed: bytes = SEED) -> NoteSigner:
    return NoteSigner(name, Ed25519PrivateKey.from_private_bytes(seed))


def test_key_id_is_truncated_hash_of_name_type_and_key():
    s = signer()
    expected = hashlib.sha256(b"example.org/creditbank\n\x01" + s.public_bytes).digest()[:4]
    assert s.key_id == key_id(s.name, s.public_bytes) == expected


def test_vkey_round_trip():
    s = signer()
    name, hex_id, encoded = s.vkey.split("+", 2)
    assert name == s.name
    assert hex_id == s.key_id.hex()
    assert base64.b64decode(encoded) == b"\x01" + s.public_bytes
    assert NoteVerifier.from_vkey(s.vkey).key_id == s.key_id


@pytest.mark.parametrize(
    "vkey",
    ["nope", "a+b+c+d", "name+00000000+AQ==", "na me+00000000+AQ=="],
)
def test_bad_vkeys_are_refused(vkey):
    with pytest.raises(NoteError):
        NoteVerifier.from_vkey(vkey)


def test_vkey_with_wrong_key_id_is_refused():
    name, _, encoded = signer().vkey.split("+", 2)
    with pytest.raises(NoteError, match="key ID"):
        NoteVerifier.from_vkey(f"{name}+deadbeef+{encoded}")


def test_sign_and_open_a_checkpoint():
    s = signer()
    cp = Checkpoint("example.org/creditbank", 7, bytes(32))
    note = str(sign_note(cp.text(), [s]))
    assert note.startswith("example.org/creditbank\n7\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n\n\u2014 ")
    opened = open_note(note, [NoteVerifier.from_vkey(s.vkey)])
    assert parse_checkpoint(opened.text) == cp
    assert opened.signatures[0].key_id == s.key_id


def test_signature_is_the_documented_ed25519_over_the_text():
    s = signer()
    note = str(sign_note("hello\n", [s]))
    line = note.split("\n\n", 1)[1]
    raw = base64.b64decode(line.rstrip("\n").split(" ")[-1])
    assert raw[:4] == s.key_id
    Ed25519PrivateKey.from_private_bytes(SEED).public_key().verify(raw[4:], b"hello\n")


def test_unknown_signers_are_ignored_but_one_known_is_required():
    known, other = signer(), signer("other.example/log", bytes(reversed(SEED)))
    note = str(sign_note("text\n", [other, known]))
    opened = open_note(note, [known])
    assert [sig.name for sig in opened.signatures] == [known.name]
    with pytest.raises(NoteError, match="no signature by a known key"):
        open_note(str(sign_note("text\n", [other])), [known])


def test_tampered_text_or_signature_fails():
    s = signer()
    note = str(sign_note("origin\n1\n" + base64.b64encode(bytes(32)).decode() + "\n", [s]))
    with pytest.raises(NoteError, match="does not verify"):
        open_note(note.replace("\n1\n", "\n2\n"), [s])
    text, sig = note.split("\n\n")
    raw = bytearray(base64.b64decode(sig.rstrip("\n").split(" ")[-1]))
    raw[10] ^= 1
    forged = text + "\n\n\u2014 " + s.name + " " + base64.b64encode(bytes(raw)).decode() + "\n"
    with pytest.raises(NoteError, match="does not verify"):
        open_note(forged, [s])


@pytest.mark.parametrize(
    "note",
    [
        "",
        "no blank line\n",
        "text\n\n",
        "text\n\n- name AAAA\n",
        "text\n\n\u2014 name !!!\n",
        "text\n\n\u2014 x AQ==\n",
    ],
)
def test_malformed_notes_are_refused(note):
    with pytest.raises(NoteError):
        open_note(note, [signer()])


def test_note_text_rules():
    with pytest.raises(NoteError, match="newline"):
        sign_note("no newline", [signer()])
    with pytest.raises(NoteError, match="control"):
        sign_note("tab\there\n", [signer()])


@pytest.mark.parametrize(
    "text",
    [
        "origin\n",
        "\n1\n" + "A" * 43 + "=\n",
        "o\n01\n" + base64.b64encode(bytes(32)).decode() + "\n",
        "o\n-1\n" + base64.b64encode(bytes(32)).decode() + "\n",
        "o\n1\n" + base64.b64encode(bytes(31)).decode() + "\n",
        "o\n1\nnot base64\n",
        "o\n1\n" + base64.b64encode(bytes(32)).decode() + "\n\n",
    ],
)
def test_malformed_checkpoints_are_refused(text):
    with pytest.raises(NoteError):
        parse_checkpoint(text)


def test_checkpoint_extension_lines_round_trip():
    cp = Checkpoint("o", 3, bytes(32), ("ext one", "ext two"))
    assert parse_checkpoint(cp.text()) == cp
