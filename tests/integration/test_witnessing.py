"""Two banks, two databases, two key sets, each witnessing the other (C2SP tlog-witness / tlog-cosignature).

Bank A is the ``bank`` fixture; bank B is a second instance on the same kind of database. Requests go through the
Flask test clients, and the scheduler's submission goes over real loopback HTTP to a served instance.
"""

from __future__ import annotations

import base64
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from werkzeug.serving import make_server

from creditbank import ledger_store
from creditbank.errors import Conflict
from creditbank.models import LogWitness, WitnessedLog
from creditbank.runtime import Bank, bank_of
from creditbank.services.transparency import checkpoints, witness, witnesses
from ledger.cosignature import AddCheckpoint, CosignatureVerifier, Cosigner, check_witnesses
from ledger.merkle import consistency_proof, leaf_hash, root_hash
from ledger.note import Checkpoint, NoteSigner, open_note, sign_note
from tests.conftest import configuration, database_url, running_app
from tests.helpers import append


@pytest.fixture
def other_app(request: pytest.FixtureRequest, db_url: str, tmp_path: Path) -> Iterator[Flask]:
    backend = "postgresql" if db_url.startswith("postgresql") else "sqlite"
    folder = tmp_path / "other"
    folder.mkdir()
    config = configuration(database_url(backend, request, folder), folder)
    config["CREDITBANK_SERVER_NAME"] = "other.test"
    with running_app(config) as application:
        yield application


@pytest.fixture
def other(other_app: Flask) -> Bank:
    return bank_of(other_app)


@pytest.fixture
def other_client(other_app: Flask) -> FlaskClient:
    return other_app.test_client()


def grow(bank: Bank, count: int) -> str:
    """Append ``count`` entries, sign a checkpoint and return its note."""
    append(bank, count)
    checkpoints.sign(bank)
    return checkpoints.latest(bank).note


def body(bank: Bank, old: int, note: str | None = None) -> bytes:
    """An add-checkpoint body for the bank's latest checkpoint (or ``note``), with its proof from ``old``."""
    latest = checkpoints.latest(bank)
    proof: list[bytes] = []
    if 0 < old < latest.size:
        with bank.db.reading() as session:
            proof = ledger_store.consistency_proof(session, old, latest.size)
    return AddCheckpoint(old, tuple(proof), note or latest.note).body()


def post(client: FlaskClient, data: bytes):
    return client.post("/witness/add-checkpoint", data=data, content_type="text/plain")


def text_of(note: str) -> str:
    return note[: note.rindex("\n\n") + 1]


def held(bank: Bank, origin: str) -> tuple[int, bytes | None]:
    with bank.db.reading() as session:
        row = session.get(WitnessedLog, origin)
        assert row is not None
        return row.size, row.root


@pytest.fixture
def a_witnesses_b(bank: Bank, other: Bank) -> CosignatureVerifier:
    witness.add_log(bank, other.origin, other.log_verifier().vkey)
    return CosignatureVerifier.from_vkey(witness.vkey(bank))


def test_the_witness_key_is_named_after_the_bank_and_has_type_4(bank: Bank):
    name, key_id, encoded = witness.vkey(bank).split("+", 2)
    assert name == "bank.test/creditbank/witness"
    raw = base64.b64decode(encoded)
    assert raw[0] == 0x04
    assert len(raw) == 33
    assert witness.key_path(bank).is_file()
    # Sealed with the passphrase, as the other key files are.
    assert b"scrypt" in witness.key_path(bank).read_bytes()
    assert CosignatureVerifier.from_vkey(witness.vkey(bank)).key_id.hex() == key_id


def test_a_witness_cosigns_a_growing_log_from_the_size_it_holds(bank, client, other, a_witnesses_b):
    first = grow(other, 3)
    answer = post(client, body(other, 0))
    assert answer.status_code == 200, answer.get_data(as_text=True)
    assert answer.mimetype == "text/plain"
    line = answer.get_data(as_text=True)
    assert line.startswith("\u2014 bank.test/creditbank/witness ")
    report = check_witnesses(first + line, [a_witnesses_b])
    assert report.names() == ["bank.test/creditbank/witness"]
    assert held(bank, other.origin)[0] == 3

    second = grow(other, 4)
    stale = post(client, body(other, 0))
    assert stale.status_code == 409
    assert stale.headers["Content-Type"] == "text/x.tlog.size"
    assert stale.get_data() == b"3\n"
    answer = post(client, body(other, 3))
    assert answer.status_code == 200, answer.get_data(as_text=True)
    assert check_witnesses(second + answer.get_data(as_text=True), [a_witnesses_b]).satisfies(1)
    assert held(bank, other.origin) == (7, checkpoints.latest(other).root)

    # The same checkpoint again is cosigned again; the record does not move.
    again = post(client, body(other, 7))
    assert again.status_code == 200
    assert held(bank, other.origin)[0] == 7


def fork_note(bank: Bank, size: int, root: bytes) -> str:
    """A checkpoint the log's own key signs over a tree it never had: what a compromised log would show."""
    return str(sign_note(Checkpoint(bank.origin, size, root).text(), [bank.log_signer()]))


def test_a_forked_log_is_refused_and_nothing_is_stored(bank, client, other, a_witnesses_b):
    grow(other, 7)
    assert post(client, body(other, 0)).status_code == 200
    before = held(bank, other.origin)

    same_size = fork_note(other, 7, bytes(32))
    answer = post(client, AddCheckpoint(7, (), same_size).body())
    assert answer.status_code == 409
    assert answer.mimetype == "text/plain"
    assert "fork" in answer.get_data(as_text=True)

    # A larger tree whose proof from the held checkpoint is that of another tree.
    leaves = [leaf_hash(bytes([i])) for i in range(12)]
    bigger = fork_note(other, 12, root_hash(leaves))
    answer = post(client, AddCheckpoint(7, tuple(consistency_proof(leaves, 7)), bigger).body())
    assert answer.status_code == 422
    assert held(bank, other.origin) == before


def test_a_rollback_is_refused(bank, client, other, a_witnesses_b):
    small = grow(other, 3)
    assert post(client, body(other, 0)).status_code == 200
    grow(other, 4)
    assert post(client, body(other, 3)).status_code == 200
    # Back to the tree of size 3: old 7 exceeds the checkpoint's size (400); old 3 is not what is held (409).
    assert post(client, AddCheckpoint(7, (), small).body()).status_code == 400
    stale = post(client, AddCheckpoint(3, (), small).body())
    assert stale.status_code == 409
    assert stale.get_data() == b"7\n"
    assert held(bank, other.origin)[0] == 7


def test_refusals_follow_the_spec(bank, client, other, a_witnesses_b, tmp_path):
    note = grow(other, 3)
    good = body(other, 0)

    stranger = NoteSigner("stranger.test/log", Ed25519PrivateKey.generate())  # a log nobody named
    unknown = str(sign_note(Checkpoint("stranger.test/log", 3, bytes(32)).text(), [stranger]))
    assert post(client, AddCheckpoint(0, (), unknown).body()).status_code == 404

    impostor = NoteSigner(other.origin, Ed25519PrivateKey.generate())  # the log's name, another key
    forged = str(sign_note(text_of(note), [impostor]))
    assert post(client, AddCheckpoint(0, (), forged).body()).status_code == 403
    # The log's own signature line over other text: it claims the log's key and fails to verify.
    tampered = note.replace(f"\n{checkpoints.latest(other).size}\n", "\n4\n", 1)
    assert post(client, AddCheckpoint(0, (), tampered).body()).status_code == 403

    for malformed in (b"", b"old 0\n", b"old 00\n\n" + note.encode(), b"hello", good.replace(b"old 0", b"old x")):
        answer = post(client, malformed)
        assert answer.status_code == 400, malformed
        assert answer.mimetype == "text/plain"

    hash_line = base64.b64encode(bytes(32)) + b"\n"
    too_long = b"old 1\n" + hash_line * 64 + b"\n" + note.encode()
    assert post(client, too_long).status_code == 400
    assert b"63" in post(client, too_long).get_data()

    huge = post(client, b"old 0\n\n" + b"x" * (64 * 1024))
    assert huge.status_code == 413
    assert huge.mimetype == "text/plain"

    # A proof where none belongs (old size 0).
    assert post(client, AddCheckpoint(0, (bytes(32),), note).body()).status_code == 422
    assert held(bank, other.origin) == (0, None)
    assert post(client, good).status_code == 200


def test_concurrent_submissions_from_the_same_old_size_advance_once(bank, other, a_witnesses_b):
    grow(other, 3)
    assert witness.add_checkpoint(bank, body(other, 0))
    grow(other, 2)
    five = body(other, 3)
    grow(other, 2)
    seven = body(other, 3)
    barrier = threading.Barrier(2)
    results: dict[int, str] = {}

    def run(size: int, data: bytes) -> None:
        barrier.wait()
        try:
            witness.add_checkpoint(bank, data)
            results[size] = "cosigned"
        except Exception as exc:  # the refusal is what is being recorded
            results[size] = type(exc).__name__

    threads = [threading.Thread(target=run, args=item) for item in ((5, five), (7, seven))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results.values()) == ["WitnessSizeConflict", "cosigned"]
    winner = next(size for size, outcome in results.items() if outcome == "cosigned")
    assert held(bank, other.origin)[0] == winner


# --- having witnesses: submission over loopback HTTP ------------------------------------------------------------


@contextmanager
def served(app: Flask) -> Iterator[str]:
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join()
        server.server_close()


def test_each_bank_witnesses_the_other_over_http(app, bank, client, other_app, other, other_client):
    witness.add_log(bank, other.origin, other.log_verifier().vkey)
    witness.add_log(other, bank.origin, bank.log_verifier().vkey)
    a_key = CosignatureVerifier.from_vkey(witness.vkey(bank))
    b_key = CosignatureVerifier.from_vkey(witness.vkey(other))
    grow(bank, 2)
    grow(other, 3)
    with served(app) as a_url, served(other_app) as b_url:
        witnesses.add_witness(other, a_key.vkey, a_url + "/witness")
        witnesses.add_witness(bank, b_key.vkey, b_url + "/witness/")
        [to_a] = witnesses.submit(other)
        [to_b] = witnesses.submit(bank)
        assert (to_a.ok, to_b.ok) == (True, True), (to_a, to_b)
        # Nothing new: nothing submitted.
        assert witnesses.submit(other) == []

        served_b = other_client.get("/ledger/checkpoint").get_data(as_text=True)
        served_a = client.get("/ledger/checkpoint").get_data(as_text=True)
        # A reader that knows only the log key still opens the note; the cosignature is one more line.
        assert open_note(served_b, [other.log_verifier()]).text == text_of(checkpoints.latest(other).note)
        assert check_witnesses(served_b, [a_key]).satisfies(1)
        assert check_witnesses(served_a, [b_key]).satisfies(1)
        third = CosignatureVerifier.from_vkey(Cosigner("third.test/w", Ed25519PrivateKey.generate()).vkey)
        assert not check_witnesses(served_b, [a_key, third]).satisfies(2)

        # The log grows: the next submission carries the proof from the size the witness holds.
        grow(other, 5)
        assert [o.ok for o in witnesses.submit(other)] == [True]
        assert held(bank, other.origin)[0] == 8
        assert check_witnesses(other_client.get("/ledger/checkpoint").get_data(as_text=True), [a_key]).satisfies(1)

        # A bank that forgot what the witness holds learns it from the 409 and retries from there.
        with other.db.writing() as session:
            session.get(LogWitness, a_key.name).known_size = None
        grow(other, 1)
        [outcome] = witnesses.submit(other)
        assert outcome.ok, outcome
        assert held(bank, other.origin)[0] == 9

        # A witness that stopped witnessing this log answers 404: recorded, not raised, nothing cosigned.
        with bank.db.writing() as session:
            session.delete(session.get(WitnessedLog, other.origin))
        grow(other, 1)
        [outcome] = witnesses.submit(other)
        assert not outcome.ok
        assert "404" in outcome.detail
    with other.db.reading() as session:
        row = session.scalars(select(LogWitness)).one()
        assert row.cosigned_size == 9
        assert "404" in (row.last_error or "")
    # The latest checkpoint (10) has no cosignature yet: the note is served with the log's signature only.
    latest = other_client.get("/ledger/checkpoint").get_data(as_text=True)
    assert not check_witnesses(latest, [a_key]).satisfies(1)
    assert open_note(latest, [other.log_verifier()])


def test_an_unreachable_witness_is_recorded_and_tried_again(bank, other):
    grow(other, 2)
    with served(Flask("nothing")) as url:
        pass  # the port is closed again once the server stops
    witnesses.add_witness(other, witness.vkey(bank), url + "/witness")
    [outcome] = witnesses.submit(other, timeout=2.0)
    assert not outcome.ok
    assert "cannot reach" in outcome.detail
    # Still pending: the next run tries again.
    assert len(witnesses.submit(other, timeout=2.0)) == 1


def test_a_witness_answer_that_does_not_verify_is_not_kept(bank, app, other, a_witnesses_b):
    grow(other, 2)
    impostor = Cosigner(a_witnesses_b.name, Ed25519PrivateKey.generate())  # the witness's name, another key
    with served(app) as url:
        witnesses.add_witness(other, impostor.vkey, url + "/witness")
        [outcome] = witnesses.submit(other)
    assert not outcome.ok
    assert "verifies" in outcome.detail
    with other.db.reading() as session:
        assert session.scalars(select(LogWitness)).one().cosignature is None


def test_a_restored_witness_remembers_what_it_cosigned(bank, client, other, a_witnesses_b, request, tmp_path):
    from creditbank import create_app
    from creditbank.services.operations import backup, restore

    grow(other, 3)
    assert post(client, body(other, 0)).status_code == 200
    archive = backup.backup(bank, tmp_path / "witness.cbbackup").path
    folder = tmp_path / "restored"
    folder.mkdir()
    backend = "postgresql" if bank.db.dialect == "postgresql" else "sqlite"
    restored = bank_of(create_app(configuration(database_url(backend, request, folder), folder)))
    try:
        assert restore.restore(restored, archive).ok
        # The same witness key, and the same record: a fork at the size cosigned before is still refused.
        assert witness.vkey(restored) == a_witnesses_b.vkey
        assert held(restored, other.origin) == held(bank, other.origin)
        fork = AddCheckpoint(3, (), fork_note(other, 3, bytes(32))).body()
        with pytest.raises(Conflict, match="fork"):
            witness.add_checkpoint(restored, fork)
    finally:
        restored.db.dispose()


def test_the_scheduler_job_submits_each_new_checkpoint_and_survives_a_dead_witness(app, bank, other, a_witnesses_b):
    from creditbank.scheduler import Scheduler

    scheduler = Scheduler(other)
    scheduler.active = True  # as if it held the lease
    grow(other, 2)
    with served(app) as url:
        witnesses.add_witness(other, a_witnesses_b.vkey, url + "/witness")
        scheduler._witnesses()
        grow(other, 3)
        scheduler._witnesses()
    assert held(bank, other.origin)[0] == 5
    grow(other, 1)
    scheduler._witnesses()  # the witness is gone: recorded on its row, nothing raised
    with other.db.reading() as session:
        row = session.scalars(select(LogWitness)).one()
    assert (row.cosigned_size, row.known_size) == (5, 5)
    assert "cannot reach" in (row.last_error or "")


def test_a_witness_ahead_of_this_log_is_not_sent_a_smaller_tree(bank, other):
    grow(other, 2)
    witnesses.add_witness(other, witness.vkey(bank), "http://127.0.0.1:9/witness")
    with other.db.writing() as session:
        session.scalars(select(LogWitness)).one().known_size = 100  # what a rolled-back log would find
    [outcome] = witnesses.submit(other)
    assert not outcome.ok
    assert "past this log's latest checkpoint 2" in outcome.detail
