"""`creditbank witness key | logs add | logs list` and `creditbank witnesses add | list | submit`."""

from __future__ import annotations

import base64
import re

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from ledger.cosignature import CosignatureVerifier, Cosigner
from ledger.note import NoteSigner

LOG = NoteSigner("other.test/creditbank", Ed25519PrivateKey.from_private_bytes(bytes(range(32))))
OTHER_WITNESS = Cosigner("other.test/creditbank/witness", Ed25519PrivateKey.from_private_bytes(bytes(32)))


def test_witness_key_prints_a_cosignature_vkey_and_keeps_it(cli):
    cli("db", "upgrade")
    first = cli("witness", "key").strip()
    assert re.fullmatch(r"[^\s+]+/witness\+[0-9a-f]{8}\+[A-Za-z0-9+/]{44}", first)
    assert base64.b64decode(first.split("+", 2)[2])[0] == 0x04
    assert CosignatureVerifier.from_vkey(first).vkey == first
    assert cli("witness", "key").strip() == first


def test_logs_add_and_list(cli):
    cli("db", "upgrade")
    assert "no logs witnessed" in cli("witness", "logs", "list")
    out = cli("witness", "logs", "add", LOG.name, LOG.vkey)
    assert f"witnessing {LOG.name}" in out
    # Naming it again with the same key changes nothing; another key is refused.
    cli("witness", "logs", "add", LOG.name, LOG.vkey)
    other_key = NoteSigner(LOG.name, Ed25519PrivateKey.from_private_bytes(bytes(32))).vkey
    assert "another key" in cli("witness", "logs", "add", LOG.name, other_key, code=1)
    listed = cli("witness", "logs", "list")
    assert f"{LOG.name}  size 0  cosigned never  {LOG.vkey}" in listed


def test_logs_add_refuses_what_is_not_a_log_key(cli):
    cli("db", "upgrade")
    assert "0x01" in cli("witness", "logs", "add", LOG.name, OTHER_WITNESS.vkey, code=1)
    assert "verifier key" in cli("witness", "logs", "add", LOG.name, "nonsense", code=1)
    assert "origin" in cli("witness", "logs", "add", "bad\torigin", LOG.vkey, code=1)
    assert "no logs witnessed" in cli("witness", "logs", "list")


def test_witnesses_add_list_and_submit(cli):
    cli("db", "upgrade")
    assert "no witnesses configured" in cli("witnesses", "list")
    assert "nothing to submit" in cli("witnesses", "submit")
    out = cli("witnesses", "add", OTHER_WITNESS.vkey, "https://other.test/witness/")
    assert "at https://other.test/witness/add-checkpoint" in out
    assert "0x04" in cli("witnesses", "add", LOG.vkey, "https://other.test/witness", code=1)
    assert "http(s)" in cli("witnesses", "add", OTHER_WITNESS.vkey, "file:///etc/passwd", code=1)
    assert "already configured" in cli("witnesses", "add", OTHER_WITNESS.vkey, "https://elsewhere.test", code=1)
    assert f"{OTHER_WITNESS.name}  https://other.test/witness  nothing cosigned yet" in cli("witnesses", "list")
