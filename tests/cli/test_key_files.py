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


def _opens(path: Path, passphrase: str | None, purpose: str) -> bool:
    try:
        keys.read_sealed(path, passphrase, purpose)
    except ConfigurationError:
        return False
    return True


def test_a_new_passphrase_reseals_every_key_file_the_witness_key_too(cli, monkeypatch, tmp_path):
    from creditbank.personal_data import MASTER_PURPOSE
    from creditbank.services.credentials import pdf_keys
    from creditbank.services.transparency import witness
    from ledger.cosignature import CosignatureVerifier, Cosigner

    old = cli.settings["CREDITBANK_KEY_PASSPHRASE"]
    cli("db", "upgrade")
    cli("keys", "init")
    cli("keys", "rotate")
    vkey = cli("witness", "key").strip()
    checkpoint = cli("ledger", "checkpoint")
    cli("keys", "rotate", "--pdf")
    folder = _keys_folder(cli)
    secret_key(str(folder.parent), old)
    purposes = {
        keys.LOG_KEY: keys.LOG_PURPOSE,
        "master-key.json": MASTER_PURPOSE,
        keys.SESSION_SECRET_FILE: keys.SESSION_PURPOSE,
        witness.WITNESS_KEY: witness.WITNESS_PURPOSE,
        pdf_keys.ROOT_KEY: pdf_keys.ROOT_PURPOSE,
    }
    for path in folder.iterdir():
        if path.name.startswith("credential-"):
            purposes[path.name] = keys.CREDENTIAL_PURPOSE
        elif path.name.startswith("pdf-signing-") and path.suffix == ".key":
            purposes[path.name] = pdf_keys.SIGNING_PURPOSE
    assert len(purposes) == 7, sorted(purposes)
    attributes = {name: _sealed(folder / name).get("attributes") for name in purposes}
    new = tmp_path / "new-passphrase"
    new.write_text("the new passphrase\n")

    # A run cut short after the witness key: run again, it leaves that file and does the rest.
    keys.reseal(folder / witness.WITNESS_KEY, old, witness.WITNESS_PURPOSE, new_passphrase="the new passphrase")
    out = cli("keys", "reseal", "--new-passphrase-file", str(new))
    assert f"already on the new passphrase: {folder / witness.WITNESS_KEY}" in out
    for name in set(purposes) - {witness.WITNESS_KEY}:
        assert f"sealed with the new passphrase: {folder / name}" in out
    for name, purpose in purposes.items():
        assert not _opens(folder / name, old, purpose), f"{name} still opens with the old passphrase"
        assert _opens(folder / name, "the new passphrase", purpose), name
        assert _sealed(folder / name).get("attributes") == attributes[name]
    # The witness key is the same key under its same name: what it signs verifies with the vkey printed before.
    key = keys.load_key(folder / witness.WITNESS_KEY, "the new passphrase", witness.WITNESS_PURPOSE)
    text = checkpoint.split("\n\n")[0] + "\n"
    cosigned = Cosigner(vkey.split("+", 1)[0], key).cosign(text, 1_800_000_000)
    raw = cosigned.key_id + (1_800_000_000).to_bytes(8, "big") + cosigned.signature
    assert CosignatureVerifier.from_vkey(vkey).verify(text, raw) is not None

    # The bank runs on the new passphrase from now on; naming it again as the new one is refused.
    monkeypatch.setenv("CREDITBANK_KEY_PASSPHRASE", "the new passphrase")
    assert cli("ledger", "checkpoint").startswith("localhost/creditbank\n")
    assert cli("ledger", "audit").startswith("audit passed")
    assert "is the current one" in cli("keys", "reseal", "--new-passphrase-file", str(new), code=1)


def test_a_witness_key_written_unsealed_is_sealed_by_reseal(cli, monkeypatch):
    from creditbank.services.transparency import witness
    from ledger.cosignature import Cosigner

    monkeypatch.delenv("CREDITBANK_KEY_PASSPHRASE")
    cli("db", "upgrade")
    cli("keys", "init")
    # Without a passphrase the command also prints the warning about the unsealed file.
    vkey = cli("witness", "key").strip().splitlines()[-1]
    path = _keys_folder(cli) / witness.WITNESS_KEY
    assert json.loads(path.read_bytes())["kdf"] == "none"

    monkeypatch.setenv("CREDITBANK_KEY_PASSPHRASE", "now sealed")
    assert f"sealed: {path}" in cli("keys", "reseal")
    assert _sealed(path)["attributes"] == {"name": vkey.split("+", 1)[0]}
    assert not _opens(path, None, witness.WITNESS_PURPOSE)
    key = keys.load_key(path, "now sealed", witness.WITNESS_PURPOSE)
    assert Cosigner(vkey.split("+", 1)[0], key).vkey == vkey
