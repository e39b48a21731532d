"""Sealing personal data: round trips, tamper and wrong-key detection, the master key file, ID matching."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from creditbank.errors import ConfigurationError
from creditbank.personal_data import (
    Sealed,
    Vault,
    cn_resident_id_valid,
    create_master_key,
    load_master_key,
    normalize_national_id,
)

PERSON = {"identity": {"name": {"zh": "王堃"}, "birth_date": "1961-05-04"}, "identity_salt": "c2FsdA=="}


def test_sealed_data_opens_only_for_its_learner_and_key() -> None:
    vault = Vault(b"k" * 32)
    sealed = vault.seal("lrn_aaaaaaaaaaaaaaaaaaaa", PERSON)
    assert "王堃".encode() not in sealed.sealed
    assert vault.open("lrn_aaaaaaaaaaaaaaaaaaaa", sealed) == PERSON
    with pytest.raises(ConfigurationError):
        vault.open("lrn_bbbbbbbbbbbbbbbbbbbb", sealed)  # bound to the learner id
    with pytest.raises(ConfigurationError):
        Vault(b"x" * 32).open("lrn_aaaaaaaaaaaaaaaaaaaa", sealed)
    flipped = bytearray(sealed.sealed)
    flipped[-1] ^= 1
    with pytest.raises(ConfigurationError):
        vault.open("lrn_aaaaaaaaaaaaaaaaaaaa", Sealed(sealed.wrapped_key, bytes(flipped)))


def test_each_learner_gets_a_fresh_data_key() -> None:
    vault = Vault(b"k" * 32)
    first, second = vault.seal("lrn_aaaaaaaaaaaaaaaaaaaa", PERSON), vault.seal("lrn_aaaaaaaaaaaaaaaaaaaa", PERSON)
    assert first.wrapped_key != second.wrapped_key
    assert first.sealed != second.sealed


def test_id_digest_is_keyed_and_matches_normalized_forms() -> None:
    vault = Vault(b"k" * 32)
    plain = normalize_national_id("cn", "11010519491231002X")
    spaced = normalize_national_id("CN", "110105 1949-1231 002x")
    assert plain == spaced == "CN:11010519491231002X"
    assert vault.id_digest(plain) == vault.id_digest(spaced)
    assert vault.id_digest(plain) != Vault(b"j" * 32).id_digest(plain)
    assert vault.id_digest(plain) != vault.id_digest(normalize_national_id("HK", "11010519491231002X"))


@pytest.mark.parametrize(
    ("number", "valid"),
    [
        ("11010519491231002X", True),
        ("110105194912310021", False),
        ("1101051949123100", False),
        ("A1010519491231002X", False),
    ],
)
def test_resident_id_check_character(number: str, valid: bool) -> None:
    assert cn_resident_id_valid(number) is valid


def test_master_key_file_is_sealed_with_the_passphrase(tmp_path: Path) -> None:
    path = tmp_path / "keys" / "master-key.json"
    key = create_master_key(path, "correct horse")
    assert key.hex() not in path.read_text()
    assert json.loads(path.read_text())["kdf"] == "scrypt"
    assert path.stat().st_mode & 0o777 == 0o600
    assert load_master_key(path, "correct horse") == key
    with pytest.raises(ConfigurationError, match="wrong passphrase"):
        load_master_key(path, "wrong")
    with pytest.raises(ConfigurationError, match="CREDITBANK_KEY_PASSPHRASE"):
        load_master_key(path, None)
    with pytest.raises(ConfigurationError, match="refusing to replace"):
        create_master_key(path, "correct horse")


def test_missing_or_damaged_master_key_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="keys init"):
        load_master_key(tmp_path / "absent.json", "p")
    damaged = tmp_path / "damaged.json"
    damaged.write_text("{not json")
    with pytest.raises(ConfigurationError, match="damaged"):
        load_master_key(damaged, "p")
