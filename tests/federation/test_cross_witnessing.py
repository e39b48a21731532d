"""Two banks witness each other's logs over loopback (C2SP tlog-witness / tlog-cosignature), each a real process.

Each bank names the other's log to cosign and the other as its witness, with the real commands; each scheduler
submits its new checkpoints; each bank then serves its checkpoint with the other's cosignature, which is checked
here from the C2SP texts alone. A credential issued at A verifies with B required as a witness. A forked copy of A's
log (A's own log key, other entries) is refused by B, whose record of A does not move, while A's real checkpoints go
on being cosigned.
"""

from __future__ import annotations

import base64
import hashlib
import json
import shutil
import subprocess
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from flask import Flask

from creditbank import ledger_store
from creditbank.runtime import Bank, bank_of
from creditbank.services.transparency import checkpoints, witnesses
from tests.conftest import running_app
from tests.federation.banks import (
    CLI,
    PASSPHRASES,
    RunningBank,
    body_of,
    resident_id,
    signature_lines,
    size_of,
    wait_for,
)
from tests.federation.conftest import Banks
from tests.helpers import append


@dataclass(frozen=True)
class Witnessing:
    """Who witnesses whom: each bank's witness vkey and log vkey, as its own command and endpoint print them."""

    witness_keys: dict[str, str]
    log_keys: dict[str, str]


@pytest.fixture(scope="module")
def witnessing(banks: Banks) -> Witnessing:
    def witness_key(bank: RunningBank) -> str:
        # The key is the last line: a command may log a line (a warning, say) before it.
        printed = bank.cli("witness", "key")
        key = printed.strip().splitlines()[-1]
        assert key.startswith(f"{bank.origin}/witness+"), printed
        return key

    with ThreadPoolExecutor(2) as pool:
        keys = dict(zip("AB", pool.map(witness_key, banks), strict=True))
    log_keys = {bank.label: bank.get("/ledger/key").text.strip() for bank in banks}

    commands = []
    for bank, other in ((banks.a, banks.b), (banks.b, banks.a)):
        commands += [
            (bank, ("witness", "logs", "add", other.origin, log_keys[other.label])),
            (bank, ("witnesses", "add", keys[other.label], f"{other.base_url}/witness")),
        ]
    with ThreadPoolExecutor(len(commands)) as pool:
        list(pool.map(lambda command: command[0].cli(*command[1]), commands))
    return Witnessing(keys, log_keys)


# --- C2SP from first principles, independent of ledger/cosignature.py ------------------------------------------


def parse_vkey(vkey: str) -> tuple[str, bytes, bytes]:
    """A note verifier key ``<name>+<hex key id>+<base64(type ‖ public key)>``: its name, type byte and key."""
    # A key name holds no "+", the base64 key may.
    name, key_hex, encoded = vkey.split("+", 2)
    raw = base64.b64decode(encoded, validate=True)
    assert bytes.fromhex(key_hex) == hashlib.sha256(name.encode() + b"\n" + raw).digest()[:4]
    return name, raw[:1], raw[1:]


def cosignature_of(note: str, witness_vkey: str) -> int:
    """Check that ``note`` carries a valid cosignature/v1 by ``witness_vkey``; the time it states."""
    name, kind, public = parse_vkey(witness_vkey)
    assert kind == b"\x04", "a cosignature/v1 key has signature type 0x04"
    key_id = hashlib.sha256(name.encode() + b"\n\x04" + public).digest()[:4]
    mine = [line for line in signature_lines(note) if line.startswith(f"\u2014 {name} ")]
    assert len(mine) == 1, f"expected one line by {name} in:\n{note}"
    raw = base64.b64decode(mine[0].split(" ")[2], validate=True)
    assert len(raw) == 4 + 8 + 64
    assert raw[:4] == key_id
    stamp = int.from_bytes(raw[4:12], "big")
    message = f"cosignature/v1\ntime {stamp}\n".encode() + body_of(note).encode()
    Ed25519PublicKey.from_public_bytes(public).verify(raw[12:], message)
    return stamp


def log_signature_verifies(note: str, log_vkey: str) -> bool:
    name, kind, public = parse_vkey(log_vkey)
    assert kind == b"\x01"
    key_id = hashlib.sha256(name.encode() + b"\n\x01" + public).digest()[:4]
    for line in signature_lines(note):
        raw = base64.b64decode(line.split(" ")[2])
        if line.startswith(f"\u2014 {name} ") and raw[:4] == key_id:
            try:
                Ed25519PublicKey.from_public_bytes(public).verify(raw[4:], body_of(note).encode())
            except InvalidSignature:
                return False
            return True
    return False


# --- growing a bank's log through its API ------------------------------------------------------------------------

_people = iter(range(1, 10_000))


def enroll(bank: RunningBank) -> str:
    n = next(_people)
    person = {
        "name": {"zh": f"测试{n}", "latin": f"Test Person {bank.label}{n}"},
        "birth_date": "1990-05-17",
        "national_id": {"country": "CN", "number": resident_id(f"11010519900517{n:03d}")},
    }
    learner: str = bank.api("POST", "/api/v1/learners", person, expect=201)["id"]
    return learner


def record(bank: RunningBank, learner: str, count: int) -> list[dict[str, Any]]:
    return [
        bank.api(
            "POST",
            "/api/v1/achievements",
            {
                "learner": learner,
                "record_id": f"{learner}-{i}",
                "kind": "course",
                "title": {"zh": f"课程{i}", "en": f"Course {i}"},
                "credits": 2,
                "hours": 32,
                "result": {"type": "score", "score": 90, "max": 100},
                "completed": "2026-01-10",
            },
            expect=201,
        )
        for i in range(count)
    ]


def cosigned_by(bank: RunningBank, witness_vkey: str, at_least: int) -> str | None:
    """The bank's checkpoint once it covers ``at_least`` entries and carries the witness's line, else None."""
    note = bank.checkpoint()
    name = witness_vkey.split("+", 1)[0]
    if size_of(note) >= at_least and any(line.startswith(f"\u2014 {name} ") for line in signature_lines(note)):
        return note
    return None


def ledger_size(bank: RunningBank) -> int:
    return size_of(bank.checkpoint())


def known_size(witness: RunningBank, log: RunningBank) -> int:
    """The size ``witness`` last cosigned for ``log``, as the protocol tells it: the 409 to a request from size 0."""
    answer = witness.request("POST", "/witness/add-checkpoint", body=f"old 0\n\n{log.checkpoint()}".encode())
    assert answer.status == 409, answer.text
    assert answer.headers["Content-Type"] == "text/x.tlog.size"
    return int(answer.text)


def witnessed_size(bank: RunningBank, origin: str) -> int:
    """The size ``bank`` last cosigned for ``origin``, as `creditbank witness logs list` prints it."""
    for line in bank.cli("witness", "logs", "list").splitlines():
        if line.startswith(f"{origin}  size "):
            return int(line.split()[2])
    raise AssertionError(f"bank {bank.label} does not witness {origin}")


def offline_verify(folder: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """`creditbank verify` as a third party runs it: no bank of its own, only the files it was given."""
    folder.mkdir(exist_ok=True)
    env = {"PATH": "/usr/bin:/bin", "HOME": str(folder), "CREDITBANK_INSTANCE_PATH": str(folder / "instance")}
    return subprocess.run(
        [str(CLI), "verify", *args], env=env, cwd=folder, capture_output=True, text=True, timeout=120, check=False
    )


# --- the tests ---------------------------------------------------------------------------------------------------


def test_each_bank_serves_its_checkpoint_cosigned_by_the_other(banks: Banks, witnessing: Witnessing) -> None:
    a, b = banks
    at_a, at_b = enroll(a), enroll(b)
    record(a, at_a, 3)
    record(b, at_b, 1)
    target_a, target_b = ledger_size(a), ledger_size(b)
    # A's checkpoint may have been signed before the last write: the size to reach is the one after it.
    note_a = wait_for(
        lambda: cosigned_by(a, witnessing.witness_keys["B"], max(target_a, 4)), "B's cosignature at A", a, b
    )
    note_b = wait_for(lambda: cosigned_by(b, witnessing.witness_keys["A"], target_b), "A's cosignature at B", a, b)

    for note, log_bank, witness_bank in ((note_a, a, "B"), (note_b, b, "A")):
        assert note.startswith(f"{log_bank.origin}\n")
        assert log_signature_verifies(note, witnessing.log_keys[log_bank.label])
        cosignature_of(note, witnessing.witness_keys[witness_bank])
    # B's record of A's log reached the size A serves cosigned (or beyond, if A grew meanwhile), and A's of B's.
    assert known_size(b, a) >= size_of(note_a)
    assert known_size(a, b) >= size_of(note_b)


def test_a_credential_from_a_verifies_with_b_as_required_witness(
    banks: Banks, witnessing: Witnessing, tmp_path: Path
) -> None:
    a, b = banks
    learner = enroll(a)
    (achievement,) = record(a, learner, 1)
    issued = a.api(
        "POST",
        f"/api/v1/learners/{learner}/credentials",
        {"kind": "achievement", "achievement": achievement["id"]},
        expect=201,
    )
    credential_id = issued["id"]
    size = ledger_size(a)
    wait_for(lambda: cosigned_by(a, witnessing.witness_keys["B"], size), "B's cosignature over the issuance", a, b)
    bundle = a.api("GET", f"/api/v1/credentials/{credential_id}?receipt=true")
    assert bundle["credential"]["issuer"]["id"] == a.did
    cosignature_of(bundle["receipt"]["checkpoint"], witnessing.witness_keys["B"])

    folder = tmp_path / "verifier"
    folder.mkdir()
    (folder / "bundle.json").write_text(json.dumps(bundle))
    (folder / "did.json").write_bytes(a.get("/.well-known/did.json").body)
    lists = []
    revocation = bundle["credential"]["credentialStatus"]["statusListCredential"]
    for url in (revocation, revocation.replace("-revocation", "-suspension")):
        assert url.startswith(a.base_url + "/status/")
        path = folder / url.rsplit("/", 1)[1]
        path.write_bytes(a.get(url.removeprefix(a.base_url)).body)
        lists += ["--status", str(path)]
    common = ["bundle.json", "--trust", "did.json", *lists]

    one = offline_verify(folder, *common, "--witness", witnessing.witness_keys["B"], "--witnesses", "1")
    assert one.returncode == 0, one.stdout + one.stderr
    assert "pass  witnesses" in one.stdout
    assert "cosigned by 1 of 1" in one.stdout
    # Two witnesses required, B and A's own (which never cosigns its own log): short by one.
    keys = ["--witness", witnessing.witness_keys["B"], "--witness", witnessing.witness_keys["A"]]
    two = offline_verify(folder, *common, *keys, "--witnesses", "2")
    assert two.returncode == 1, two.stdout + two.stderr
    assert "fail  witnesses" in two.stdout
    assert "2 of 2 trusted witnesses must cosign" in two.stdout


@pytest.fixture
def forked_a(banks: Banks, tmp_path: Path) -> Iterator[Bank]:
    """A bank holding A's log key and origin, its log another tree: what a compromised key could sign."""
    folder = tmp_path / "fork"
    keys = folder / "instance" / "keys"
    keys.mkdir(parents=True)
    shutil.copy2(banks.a.instance / "keys" / "log-ed25519.pem", keys / "log-ed25519.pem")
    config: dict[str, object] = {
        "CREDITBANK_DATABASE_URL": f"sqlite:///{folder / 'fork.sqlite3'}",
        "CREDITBANK_INSTANCE_PATH": str(folder / "instance"),
        "CREDITBANK_KEY_PASSPHRASE": PASSPHRASES["A"],
        "CREDITBANK_SERVER_NAME": banks.a.host,
    }
    app: Flask
    with running_app(config) as app:
        yield bank_of(app)


def add_checkpoint(witness: RunningBank, old: int, proof: list[bytes], note: str) -> tuple[int, str, str]:
    lines = [f"old {old}", *(base64.b64encode(node).decode() for node in proof)]
    answer = witness.request(
        "POST", "/witness/add-checkpoint", body=("\n".join(lines) + "\n\n" + note).encode(), headers={}
    )
    return answer.status, answer.headers.get("Content-Type", ""), answer.text


def test_b_refuses_a_fork_of_a_and_goes_on_cosigning_a(banks: Banks, witnessing: Witnessing, forked_a: Bank) -> None:
    a, b = banks
    held = known_size(b, a)
    assert held > 0

    # The fork grows to the size B holds for A, with other entries: same origin, same key, another root.
    append(forked_a, held, kind="test.fork")
    checkpoints.sign(forked_a)
    at_held = checkpoints.latest(forked_a).note
    assert size_of(at_held) == held
    assert log_signature_verifies(at_held, witnessing.log_keys["A"])
    status, _, text = add_checkpoint(b, held, [], at_held)
    assert status == 409, text
    assert "fork" in text

    # Beyond it, with the fork's own consistency proof: it does not lead from what B cosigned.
    append(forked_a, 3, kind="test.fork")
    checkpoints.sign(forked_a)
    beyond = checkpoints.latest(forked_a)
    assert beyond.size == held + 3
    with forked_a.db.reading() as session:
        proof = ledger_store.consistency_proof(session, held, beyond.size)
    status, _, text = add_checkpoint(b, held, proof, beyond.note)
    assert status == 422, text

    # The forked bank's own submission, as its scheduler would send it, gets no further.
    witnesses.add_witness(forked_a, witnessing.witness_keys["B"], f"{b.base_url}/witness")
    (outcome,) = witnesses.submit(forked_a)
    assert not outcome.ok, outcome

    assert known_size(b, a) == held, "B's record of A moved"

    # A's real log goes on, and B goes on cosigning it.
    learner = enroll(a)
    record(a, learner, 2)
    size = ledger_size(a)
    note = wait_for(
        lambda: cosigned_by(a, witnessing.witness_keys["B"], max(size, held + 3)), "B's next cosignature", a, b
    )
    cosignature_of(note, witnessing.witness_keys["B"])
    assert witnessed_size(b, a.origin) >= size_of(note) > held
