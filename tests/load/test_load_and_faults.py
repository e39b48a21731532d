"""Load with faults: PostgreSQL, gunicorn with two workers and the scheduler, driven for a minute.

Eight writers post single achievements and batches, two readers check checkpoints and inclusion proofs,
two verifiers verify credentials. Meanwhile a gunicorn worker is killed with SIGKILL, the scheduler is
killed and a new one started, and PostgreSQL crashes and restarts. Clients may see errors and retry with
the same Idempotency-Key; afterwards the ledger must hold every acknowledged achievement exactly once at
the seq its acknowledgement named, with no gaps and no duplicates, every checkpoint consistent with the
next, the latest covering the whole tree, the audit passing and one scheduler holding the lease.

The cluster is the test's own, not the session's: restarting the shared one would cut every other
test's connections.
"""

from __future__ import annotations

import base64
import itertools
import json
import os
import random
import threading
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine
from sqlalchemy.pool import NullPool

from creditbank.demo import KEY_FILE
from ledger.merkle import verify_consistency
from ledger.note import NoteVerifier, open_note, parse_checkpoint
from tests.load.clients import Ack, Load, ProofReader, Tally, Verifier, Writer, call, course
from tests.load.services import Services
from tests.postgres import Cluster

LOAD_SECONDS = 60.0
# Offsets into the load: each fault has the service loaded before it and time to recover after it.
KILL_WORKER_AT = 12.0
KILL_SCHEDULER_AT = 24.0
RESTART_DATABASE_AT = 36.0
WRITERS, PROOF_READERS, VERIFIERS = 8, 2, 2
# After the load, a request still being retried must be acknowledged within this; a stuck service fails here.
RETRY_GRACE_SECONDS = 45.0
CATCH_UP_SECONDS = 20.0
INSTITUTION = "demo-university"
PASSPHRASE = "load-test-passphrase"

pytestmark = pytest.mark.slow


class Deployment:
    """The running bank: its cluster, processes, API key, and a database connection for the checks."""

    def __init__(self, cluster: Cluster, services: Services, token: str) -> None:
        self.cluster = cluster
        self.services = services
        self.token = token
        # No pool: the test's own connections must not go stale when PostgreSQL restarts.
        self.engine: Engine = create_engine(cluster.url("creditbank"), poolclass=NullPool)

    def rows(self, sql: str, **params: Any) -> list[Any]:
        with self.engine.connect() as connection:
            return list(connection.execute(text(sql), params).all())

    def api(self, method: str, path: str, document: Any = None, key: str | None = None) -> Any:
        headers = {"Authorization": f"Bearer {self.token}"}
        if document is not None:
            headers["Content-Type"] = "application/json"
        if key is not None:
            headers["Idempotency-Key"] = key
        body = None if document is None else json.dumps(document, ensure_ascii=False).encode()
        status, data = call(self.services.port, method, path, body, headers)
        assert status in (200, 201), f"{method} {path}: {status} {data[:500]!r}"
        return json.loads(data) if data.startswith(b"{") or data.startswith(b"[") else data.decode()


@pytest.fixture
def bank(tmp_path: Path) -> Iterator[Deployment]:
    cluster = Cluster()
    services: Services | None = None
    cluster.start()
    try:
        admin = create_engine(cluster.url(), isolation_level="AUTOCOMMIT", poolclass=NullPool)
        with admin.connect() as connection:
            connection.execute(text("CREATE DATABASE creditbank"))
        admin.dispose()
        instance = tmp_path / "instance"
        env = {
            **os.environ,
            "CREDITBANK_DATABASE_URL": cluster.url("creditbank"),
            "CREDITBANK_INSTANCE_PATH": str(instance),
            "CREDITBANK_KEY_PASSPHRASE": PASSPHRASE,
            "CREDITBANK_LOG_LEVEL": "WARNING",
        }
        services = Services(env, tmp_path)
        for command in (["db", "upgrade"], ["demo"]):
            done = services.cli(*command)
            assert done.returncode == 0, done.stdout + done.stderr
        token = (instance / KEY_FILE).read_text().strip()
        services.start_gunicorn(workers=2)
        services.start_scheduler()
        yield Deployment(cluster, services, token)
    finally:
        if services is not None:
            services.stop()
        cluster.stop()


def prepare(bank: Deployment) -> tuple[list[str], list[bytes]]:
    """More learners for demo-university, and three credentials for the verifiers."""
    for number in range(16):
        person = {"name": {"zh": "测试", "latin": f"Load Tester {number}"}, "birth_date": "1990-05-17"}
        bank.api("POST", "/api/v1/learners", person, key=f"enroll-{number}")
    learners = [row["id"] for row in bank.api("GET", "/api/v1/learners?limit=100")["items"]]
    assert len(learners) >= 16
    credentials = []
    for number, learner in enumerate(learners[:3]):
        item = course(learner, f"credential-{number}", random.Random(number))
        recorded = bank.api("POST", "/api/v1/achievements", item)
        issued = bank.api(
            "POST", f"/api/v1/learners/{learner}/credentials", {"kind": "achievement", "achievement": recorded["id"]}
        )
        credentials.append(json.dumps(issued["credential"], ensure_ascii=False).encode())
    return learners, credentials


def wait_for(condition: Any, timeout: float, what: str) -> float:
    started = time.monotonic()
    while not condition():
        assert time.monotonic() - started < timeout, f"{what} within {timeout} s"
        time.sleep(0.1)
    return time.monotonic() - started


def lease_holder(bank: Deployment) -> tuple[str, float] | None:
    try:
        rows = bank.rows("SELECT holder, expires_at FROM scheduler_leases WHERE name = 'scheduler'")
    except Exception:  # the database may be down between faults; the caller polls again
        return None
    return (rows[0][0], rows[0][1]) if rows else None


def holder_pid(holder: str) -> int:
    return int(holder.split(":")[1])


def run_faults(bank: Deployment, started: float, load: Load, facts: dict[str, Any]) -> None:
    """Each fault at its offset; what happened is kept in ``facts`` for the checks and the report."""
    services = bank.services

    def at(offset: float) -> None:
        time.sleep(max(0.0, started + offset - time.monotonic()))

    at(KILL_WORKER_AT)
    facts["killed worker"] = services.kill_worker()
    facts["worker replaced after s"] = wait_for(
        lambda: len(services.workers()) == 2 and facts["killed worker"] not in services.workers(),
        30,
        "gunicorn replaces the killed worker",
    )

    at(KILL_SCHEDULER_AT)
    old = services.scheduler.pid
    services.kill_scheduler()
    new = services.start_scheduler().pid
    facts["schedulers"] = (old, new)
    facts["scheduler took over after s"] = wait_for(
        lambda: (holder := lease_holder(bank)) is not None and holder_pid(holder[0]) == new,
        30,
        "the new scheduler takes the lease",
    )

    at(RESTART_DATABASE_AT)
    began = time.monotonic()
    bank.cluster.restart(mode="immediate")
    facts["database down for s"] = time.monotonic() - began
    facts["answered before the restart ended"] = load.tally.snapshot()


def test_load_with_faults_loses_and_repeats_nothing(bank: Deployment) -> None:
    learners, credentials = prepare(bank)
    log_key = NoteVerifier.from_vkey(bank.api("GET", "/ledger/key").strip())
    before = bank.rows("SELECT max(seq) + 1 FROM ledger_entries")[0][0]

    load = Load(bank.services.port, bank.token)
    acks: list[Ack] = []  # every writer's acknowledgements, as they come, for the readers to check
    writers = [Writer(f"w{n}", load, learners, acks) for n in range(WRITERS)]
    readers = [ProofReader(f"r{n}", load, log_key, acks) for n in range(PROOF_READERS)]
    verifiers = [Verifier(f"v{n}", load, credentials) for n in range(VERIFIERS)]
    threads = [threading.Thread(target=c.run, name=c.name, daemon=True) for c in [*writers, *readers, *verifiers]]
    facts: dict[str, Any] = {}
    started = time.monotonic()
    for thread in threads:
        thread.start()
    try:
        run_faults(bank, started, load, facts)
        time.sleep(max(0.0, started + LOAD_SECONDS - time.monotonic()))
    finally:
        load.give_up = time.monotonic() + RETRY_GRACE_SECONDS
        load.stop.set()
        for thread in threads:
            thread.join(timeout=RETRY_GRACE_SECONDS + 2 * 20)
    elapsed = time.monotonic() - started
    assert not any(thread.is_alive() for thread in threads), "a client is still running"

    tally = load.tally
    report(bank, tally, facts, elapsed, before)
    assert tally.failures == [], tally.failures[:20]
    # A database going away is the client's to wait out (503); a 500 is a failure nobody classified.
    internal = {f"{kind}: {what}": count for (kind, what), count in tally.errors.items() if what.startswith("500")}
    assert internal == {}, internal
    unanswered = [key for writer in writers for key in writer.unanswered]
    assert unanswered == [], f"{len(unanswered)} writes were never acknowledged: {unanswered[:10]}"

    # Every client got through after the last fault: the service recovered, nothing is stuck.
    after = tally.snapshot() - facts["answered before the restart ended"]
    for kind in ("single", "batch", "proof", "verify"):
        assert after[kind] > 0, f"no {kind} answered after PostgreSQL restarted"

    check_ledger(bank, writers, acks)
    check_checkpoints(bank, log_key)
    check_processes(bank, facts)
    audit = bank.services.cli("ledger", "audit")
    assert audit.returncode == 0, audit.stdout + audit.stderr


def check_ledger(bank: Deployment, writers: list[Writer], acks: list[Ack]) -> None:
    seqs = [row[0] for row in bank.rows("SELECT seq FROM ledger_entries ORDER BY seq")]
    assert seqs == list(range(len(seqs))), "the ledger's seqs have a gap or a duplicate"

    by_record: dict[str, list[tuple[int, str]]] = {}
    conversions: Counter[str] = Counter()
    for seq, kind, body in bank.rows(
        "SELECT e.seq, e.kind, b.body FROM ledger_entries e JOIN ledger_bodies b ON b.seq = e.seq "
        "WHERE e.kind IN ('achievement.recorded', 'credits.converted')"
    ):
        content = json.loads(bytes(body))
        if kind == "credits.converted":
            conversions[content["achievement"]] += 1
        elif content["institution"] == INSTITUTION:
            by_record.setdefault(content["record_id"], []).append((seq, content["achievement"]))
    twice = {record_id: places for record_id, places in by_record.items() if len(places) > 1}
    assert twice == {}, f"recorded more than once: {list(twice.items())[:10]}"

    assert all(ack.status == "created" for ack in acks), "a retry under its own key was answered as 'existing'"
    acknowledged = {ack.record_id: ack for ack in acks}
    assert len(acknowledged) == len(acks), "one record id was acknowledged twice"
    missing = [ack for ack in acks if by_record.get(ack.record_id) != [(ack.seq, ack.achievement_id)]]
    assert missing == [], f"{len(missing)} acknowledged achievements are not in the ledger as acknowledged"

    sent = set().union(*(writer.sent for writer in writers))
    from_load = {record_id for record_id in by_record if record_id in sent}
    assert from_load == set(acknowledged), "the ledger holds load writes nobody acknowledged"

    projected = dict(
        bank.rows(
            "SELECT record_id, recorded_seq FROM achievements WHERE institution_id = :institution",
            institution=INSTITUTION,
        )
    )
    assert all(projected.get(ack.record_id) == ack.seq for ack in acks), "the achievements projection lost a write"
    converted = Counter(conversions[ack.achievement_id] for ack in acks)
    assert len(converted) == 1, f"achievements converted unevenly (times converted: achievements): {converted}"
    assert next(iter(converted)) > 0, "the load's achievements were not converted to credits"

    created = dict(
        bank.rows("SELECT key, created_at FROM idempotent_requests WHERE institution_id = :i", i=INSTITUTION)
    )
    assert {ack.key for ack in acks} <= set(created), "an acknowledged write left no idempotency record"
    hung_up = {key: retried for writer in writers for key, retried in writer.hung_up.items()}
    replayed = [key for key, retried in hung_up.items() if created[key].timestamp() < retried]
    print(f"  writes hung up on: {len(hung_up)}, answered from the idempotency store on retry: {len(replayed)}")
    assert replayed, "no retry was answered from the idempotency store, so the test did not exercise it"


def check_checkpoints(bank: Deployment, log_key: NoteVerifier) -> None:
    size = bank.rows("SELECT max(seq) + 1 FROM ledger_entries")[0][0]
    wait_for(
        lambda: parse_checkpoint(open_note(bank.api("GET", "/ledger/checkpoint"), [log_key]).text).size == size,
        CATCH_UP_SECONDS,
        f"the scheduler signs a checkpoint of the final tree ({size})",
    )
    notes = [row[0] for row in bank.rows("SELECT note FROM ledger_checkpoints ORDER BY size")]
    signed = [parse_checkpoint(open_note(note, [log_key]).text) for note in notes]
    assert signed[-1].size == size
    for old, new in itertools.pairwise(signed):
        assert old.size < new.size
        answer = bank.api("GET", f"/ledger/proofs/consistency?from={old.size}&to={new.size}")
        proof = [base64.b64decode(h) for h in answer["proof"]]
        assert verify_consistency(old.size, new.size, old.root, new.root, proof), (old.size, new.size)


def check_processes(bank: Deployment, facts: dict[str, Any]) -> None:
    services = bank.services
    assert services.gunicorn is not None
    assert services.gunicorn.poll() is None, "the gunicorn master died"
    assert len(services.workers()) == 2
    old, new = facts["schedulers"]
    assert services.schedulers[0].poll() is not None, f"the killed scheduler {old} still runs"
    assert services.scheduler.pid == new
    assert services.scheduler.poll() is None, "the new scheduler died"
    holder = lease_holder(bank)
    assert holder is not None
    assert holder_pid(holder[0]) == new, f"the lease is held by {holder[0]}, not the running scheduler {new}"
    assert holder[1] >= time.time(), "the running scheduler's lease has lapsed"


def report(bank: Deployment, tally: Tally, facts: dict[str, Any], elapsed: float, before: int) -> None:
    size = bank.rows("SELECT max(seq) + 1 FROM ledger_entries")[0][0]
    checkpoints = bank.rows("SELECT count(*) FROM ledger_checkpoints WHERE size > :before", before=before)[0][0]
    lines = [f"load with faults: {elapsed:.1f} s, {size - before} entries appended, {checkpoints} checkpoints signed"]
    for kind, count in sorted(tally.answered.items()):
        lines.append(f"  {kind:32} {count:7d}  {count / elapsed:8.1f}/s")
    errors = Counter({f"{kind}: {what}": count for (kind, what), count in tally.errors.items()})
    lines.append("  errors seen by clients:" + ("" if errors else " none"))
    lines += [f"    {what:60} {count:5d}" for what, count in sorted(errors.items())]
    logged = bank.services.logged_errors()
    lines.append("  errors logged by the service:" + ("" if logged else " none"))
    lines += [f"    {count:5d}  {what[:200]}" for what, count in logged.most_common(15)]
    lines += [
        f"  {name}: {value:.2f}" if isinstance(value, float) else f"  {name}: {value}"
        for name, value in facts.items()
        if name != "answered before the restart ended"
    ]
    print("\n".join(lines))
