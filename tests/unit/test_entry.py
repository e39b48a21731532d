import base64
import hashlib

import pytest
import rfc8785
from hypothesis import given
from hypothesis import strategies as st

from ledger.entry import EntryError, PublicEntry, commitment, parse_public_entry
from ledger.merkle import leaf_hash

SALT = bytes(range(32))


def test_commitment_is_hash_of_salt_and_canonical_body():
    body = {"b": 3.0, "a": "学分"}
    expected = hashlib.sha256(SALT + rfc8785.dumps(body)).digest()
    assert commitment(SALT, body) == expected == commitment(SALT, rfc8785.dumps(body))
    with pytest.raises(EntryError, match="salt"):
        commitment(b"short", body)


entries = st.builds(
    PublicEntry,
    seq=st.integers(0, 2**53 - 1),
    kind=st.from_regex(r"[a-z][a-z_]{0,10}(\.[a-z][a-z_]{0,10}){1,2}", fullmatch=True),
    time=st.from_regex(
        r"20[0-9]{2}-[01][0-9]-[0-3][0-9]T[0-2][0-9]:[0-5][0-9]:[0-5][0-9](\.[0-9]{1,6})?Z", fullmatch=True
    ),
    actor=st.from_regex(r"[a-z0-9][a-z0-9._:/-]{0,40}", fullmatch=True),
    commitment=st.binary(min_size=32, max_size=32),
)


@given(entries)
def test_template_encoding_is_canonical(entry):
    assert entry.canonical() == rfc8785.dumps(entry.to_json())
    assert entry.leaf_hash() == leaf_hash(rfc8785.dumps(entry.to_json()))
    assert parse_public_entry(entry.canonical()) == entry


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("seq", -1),
        ("seq", True),
        ("kind", "Achievement.recorded"),
        ("kind", "nodot"),
        ("kind", 'a.b"'),
        ("time", "2026-11-22 12:00:00"),
        ("actor", "Inst"),
        ("actor", 'inst:"x'),
        ("commitment", "AAAA"),
    ],
)
def test_invalid_public_entries_are_refused(field, value):
    data = PublicEntry(1, "institution.registered", "2026-11-22T12:00:00.000Z", "bank", SALT).to_json()
    data[field] = value
    with pytest.raises(EntryError):
        parse_public_entry(data)


def test_extra_or_missing_fields_are_refused():
    data = PublicEntry(1, "learner.enrolled", "2026-11-22T12:00:00Z", "bank", SALT).to_json()
    with pytest.raises(EntryError, match="exactly"):
        parse_public_entry({**data, "extra": 1})
    del data["actor"]
    with pytest.raises(EntryError, match="exactly"):
        parse_public_entry(data)
    with pytest.raises(EntryError, match="not JSON"):
        parse_public_entry(b"{")
    with pytest.raises(EntryError, match="base64"):
        parse_public_entry({**PublicEntry(1, "a.b", "2026-11-22T12:00:00Z", "x", SALT).to_json(), "commitment": "*"})


def test_commitment_field_is_standard_base64():
    entry = PublicEntry(0, "a.b", "2026-11-22T12:00:00Z", "bank", SALT)
    assert entry.to_json()["commitment"] == base64.b64encode(SALT).decode()
