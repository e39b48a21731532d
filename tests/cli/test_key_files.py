"""Key files are sealed with scrypt and AES-256-GCM when a passphrase is set; PEM keys of earlier releases still open,
and `creditbank keys reseal` rewrites them (and the bare session secret) in the sealed form without changing a key."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import (
    BestAvailableEncryption,
    Encoding,
    PrivateFormat,
    PublicFormat,
)

from creditbank import keys
from creditbank.errors import ConfigurationError
from creditbank.portal.security import secret_key

SERVER = "legacy.example.org"


def _keys_folder(cli) -> Path:
    return Path(cli.settings["CREDITBANK_INSTANCE_PATH"]) / "keys"


def _sealed(path: Path) -> dict:
    document = json.loads(path.read_bytes())
    assert document["kdf"] == "scrypt"
    assert (document["n"], document["r"], document["p"]) == (2**15, 8, 1)
    return document


def test_every_key_file_is_sealed_with_scrypt(cli):
    cli("db", "upgrade")
    cli("keys", "init")
    cli("keys", "rotate")
    folder = _keys_folder(cli)
    secret_key(str(folder.parent), cli.settings["CREDITBANK_KEY_PASSPHRASE"])
    names = {path.name for path in folder.iterdir()}
    assert {keys.LOG_KEY, "master-key.json", keys.SESSION_SECRET_FILE} <= names
    assert any(name.startswith("credential-") for name in names), names
    for path in folder.iterdir():
        assert b"PRIVATE KEY" not in path.read_bytes()
        _sealed(path)
    assert _sealed(folder / keys.LOG_KEY)["attributes"] == {"origin": "localhost/creditbank"}


def test_an_edited_origin_or_a_wrong_passphrase_does_not_open(tmp_path):
    path = tmp_path / "keys" / "log.pem"
    keys.create_key(path, "right", keys.LOG_PURPOSE, {"origin": "a.example/creditbank"})
    started = time.perf_counter()
    keys.load_key(path, "right", keys.LOG_PURPOSE)
    assert time.perf_counter() - started < 5
    with pytest.raises(ConfigurationError, match="wrong passphrase"):
        keys.load_key(path, "wrong", keys.LOG_PURPOSE)
    document = json.loads(path.read_bytes())
    document["attributes"]["origin"] = "b.example/creditbank"
    path.write_text(json.dumps(document))
    with pytest.raises(ConfigurationError, match="wrong passphrase or damaged"):
        keys.load_key(path, "right", keys.LOG_PURPOSE)


def test_keys_of_an_earlier_release_open_and_reseal_keeps_them(cli, monkeypatch):
    monkeypatch.setenv("CREDITBANK_SERVER_NAME", SERVER)
    passphrase = cli.settings["CREDITBANK_KEY_PASSPHRASE"]
    folder = _keys_folder(cli)
    folder.mkdir(parents=True)
    legacy = Ed25519PrivateKey.generate()
    pem = legacy.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, BestAvailableEncryption(passphrase.encode()))
    (folder / keys.LOG_KEY).write_bytes(pem)
    (folder / keys.SESSION_SECRET_FILE).write_bytes(b"s" * 32)
    public = legacy.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    cli("db", "upgrade")
    cli("keys", "init")
    cli("institutions", "add", "east-branch", "--type", "open_university", "--name-en", "East Branch")
    before = cli("ledger", "checkpoint")
    assert before.startswith(f"{SERVER}/creditbank\n")
    assert secret_key(str(folder.parent), passphrase) == b"s" * 32

    # The checkpoints name the origin even when this shell's environment has forgotten it.
    monkeypatch.delenv("CREDITBANK_SERVER_NAME")
    out = cli("keys", "reseal")
    assert f"sealed: {folder / keys.LOG_KEY}" in out
    assert f"sealed: {folder / keys.SESSION_SECRET_FILE}" in out
    assert f"log origin: {SERVER}/creditbank" in out
    assert _sealed(folder / keys.LOG_KEY)["attributes"] == {"origin": f"{SERVER}/creditbank"}
    resealed = keys.load_key(folder / keys.LOG_KEY, passphrase, keys.LOG_PURPOSE)
    assert resealed.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw) == public
    assert secret_key(str(folder.parent), passphrase) == b"s" * 32
    assert cli("ledger", "audit").startswith("audit passed")
    assert "already sealed" in cli("keys", "reseal")
