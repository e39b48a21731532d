"""Clients for the load-and-fault test, each a thread talking HTTP over loopback.

Writers post single achievements and batches and never let go of a write: on any error, timeout or
dropped connection they send the same request again under the same Idempotency-Key until it is
acknowledged, and keep what the acknowledgement said. Proof readers check signed checkpoints, the
consistency of each new one with the last they saw, and inclusion proofs, all with the pure ``ledger``
package. Verifiers post credentials to /api/v1/verify and demand "valid".

A new connection serves every request: gunicorn's sync workers close each one after answering, and a
worker killed mid-request must cost the client one request, not a connection it keeps reusing.
"""

from __future__ import annotations

import base64
import http.client
import json
import random
import socket
import threading
import time
from collections import Counter
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from ledger.entry import commitment, parse_public_entry
from ledger.merkle import verify_consistency, verify_inclusion
from ledger.note import Checkpoint, NoteVerifier, open_note, parse_checkpoint

REQUEST_TIMEOUT = 20.0
# Retries back off from 50 ms to 2 s: quick while a worker is replaced, gentle while the database restarts.
FIRST_BACKOFF, LAST_BACKOFF = 0.05, 2.0
# Writers hang up on this share of their first attempts, so retries of writes already made are certain to happen.
DROP_RATE = 0.03
HUNG_UP_PAUSE = (2.0, 4.0)

# demo-university's courses, as the demo records them, so the shipped rules convert every one of them.
COURSES = (
    ("高等数学", "Advanced Mathematics", "MATH101", 4),
    ("程序设计基础", "Foundations of Programming", "CS101", 3),
    ("大学英语", "College English", "ENG110", 2),
)


class Tally:
    """Counts shared by every client: answered requests and errors by kind, and failures that end the test."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.answered: Counter[str] = Counter()
        self.errors: Counter[tuple[str, str]] = Counter()
        self.failures: list[str] = []

    def ok(self, kind: str, count: int = 1) -> None:
        with self._lock:
            self.answered[kind] += count

    def error(self, kind: str, what: str) -> None:
        with self._lock:
            self.errors[(kind, what)] += 1

    def fail(self, kind: str, message: str) -> None:
        with self._lock:
            self.failures.append(f"{kind}: {message}")

    def snapshot(self) -> Counter[str]:
        with self._lock:
            return Counter(self.answered)


def call(
    port: int, method: str, path: str, body: bytes | None = None, headers: dict[str, str] | None = None
) -> tuple[int, bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=REQUEST_TIMEOUT)
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def hang_up(port: int, method: str, path: str, body: bytes, headers: dict[str, str]) -> None:
    """Send a request and close the connection at once, as a client whose timeout struck would."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=REQUEST_TIMEOUT)
    try:
        connection.request(method, path, body=body, headers=headers)
    finally:
        connection.close()


def error_kind(error: BaseException) -> str:
    """A short name for a failed exchange: what a client would see, not a traceback."""
    if isinstance(error, http.client.RemoteDisconnected):
        return "disconnected without an answer"
    if isinstance(error, ConnectionRefusedError):
        return "connection refused"
    if isinstance(error, ConnectionResetError):
        return "connection reset"
    if isinstance(error, socket.timeout | TimeoutError):
        return "timed out"
    return type(error).__name__


def status_kind(status: int, data: bytes) -> str:
    """``"503 storage-unavailable"``: the status and the problem type's last segment, when there is one."""
    try:
        kind = str(json.loads(data).get("type", "")).rsplit("/", 1)[-1]
    except (ValueError, AttributeError):
        kind = ""
    return f"{status} {kind}".strip()


def _pause(attempt: int, rng: random.Random) -> None:
    time.sleep(min(LAST_BACKOFF, FIRST_BACKOFF * 2 ** (attempt - 1)) * rng.uniform(0.5, 1.0))


@dataclass(frozen=True)
class Ack:
    """One achievement the service acknowledged: under which key, with which id and seq."""

    key: str
    record_id: str
    achievement_id: str
    seq: int
    status: str


def course(learner: str, record_id: str, rng: random.Random) -> dict[str, Any]:
    zh, en, code, credits = rng.choice(COURSES)
    return {
        "learner": learner,
        "record_id": record_id,
        "kind": "course",
        "title": {"zh": zh, "en": en},
        "code": code,
        "credits": credits,
        "hours": credits * 16,
        "started": "2025-02-24",
        "completed": "2025-07-04",
        "mode": rng.choice(("online", "in_person", "blended")),
        "language": "zh-CN",
        "result": {"type": "score", "score": rng.randrange(60, 100), "max": 100, "pass_mark": 60},
    }


class Load:
    """What every client shares: the service's port and API key, the tally, and when to stop."""

    def __init__(self, port: int, token: str) -> None:
        self.port = port
        self.token = token
        self.tally = Tally()
        self.stop = threading.Event()
        # Writers finish the request in hand after ``stop``, retrying until this monotonic deadline.
        self.give_up = float("inf")


class Writer:
    """Posts singles and batches of 10-50 until the load stops, each retried until acknowledged."""

    def __init__(self, name: str, load: Load, learners: list[str], acks: list[Ack]) -> None:
        self.name = name
        self.load = load
        self.tally = load.tally
        self.learners = learners
        self.acks = acks
        self.sent: set[str] = set()
        self.unanswered: list[str] = []
        # Keys whose first attempt was hung up on, with the wall-clock time the acknowledged attempt was sent.
        self.hung_up: dict[str, float] = {}
        self.rng = random.Random(name)

    def run(self) -> None:
        number = 0
        while not self.load.stop.is_set():
            number += 1
            try:
                self._write(number)
            except Exception as error:  # a bug in the client must fail the test, not silently end a thread
                self.tally.fail(self.name, f"client error: {error!r}")
                return

    def _write(self, number: int) -> None:
        batch = self.rng.random() < 0.5
        count = self.rng.randint(10, 50) if batch else 1
        items = [course(self.rng.choice(self.learners), f"{self.name}-{number}-{i}", self.rng) for i in range(count)]
        self.sent.update(item["record_id"] for item in items)
        key = f"{self.name}-{number}-{self.rng.getrandbits(32):08x}"
        kind = "batch" if batch else "single"
        path = "/api/v1/achievements/batch" if batch else "/api/v1/achievements"
        document = {"items": items} if batch else items[0]
        answer = self._until_acknowledged(kind, path, json.dumps(document, ensure_ascii=False).encode(), key)
        if answer is None:
            self.unanswered.append(key)
            return
        status, body = answer
        if status != 201:
            self.tally.fail(kind, f"{key} answered {status}, not 201: {body}")
        if batch:
            self.tally.ok("achievement", len(items))
            for item, result in zip(items, body["items"], strict=True):
                if result["record_id"] != item["record_id"]:
                    self.tally.fail(kind, f"{key}: item {result['index']} answered for {result['record_id']}")
                self.acks.append(Ack(key, result["record_id"], result["id"], result["seq"], result["status"]))
        else:
            self.tally.ok("achievement")
            if body["record_id"] != items[0]["record_id"]:
                self.tally.fail(kind, f"{key} answered for {body['record_id']}")
            self.acks.append(Ack(key, body["record_id"], body["id"], body["recorded_seq"], "created"))

    def _until_acknowledged(self, kind: str, path: str, body: bytes, key: str) -> tuple[int, Any] | None:
        headers = {
            "Authorization": f"Bearer {self.load.token}",
            "Content-Type": "application/json",
            "Idempotency-Key": key,
        }
        attempt = 0
        while True:
            attempt += 1
            if attempt == 1 and self.rng.random() < DROP_RATE:
                # The service records the write but its answer finds no one: only the retry learns what happened.
                self.hung_up[key] = 0.0
                try:
                    hang_up(self.load.port, "POST", path, body, headers)
                except (OSError, http.client.HTTPException) as error:
                    self.tally.error(kind, error_kind(error))
                else:
                    self.tally.error(kind, "client hung up before the answer")
                # Long enough for the service to have answered the first attempt already, as after a timeout.
                time.sleep(self.rng.uniform(*HUNG_UP_PAUSE))
                continue
            if key in self.hung_up:
                self.hung_up[key] = time.time()
            try:
                status, data = call(self.load.port, "POST", path, body, headers)
            except (OSError, http.client.HTTPException) as error:
                self.tally.error(kind, error_kind(error))
            else:
                if status in (200, 201):
                    self.tally.ok(kind)
                    if attempt > 1:
                        self.tally.ok(f"{kind} retried until acknowledged")
                    return status, json.loads(data)
                if status < 500:
                    self.tally.fail(kind, f"{key} refused with {status}: {data[:500]!r}")
                    return None
                self.tally.error(kind, status_kind(status, data))
            if time.monotonic() > self.load.give_up:
                return None
            _pause(attempt, self.rng)


class ProofReader:
    """Fetches checkpoints and inclusion proofs and verifies them, half the time for an acknowledged write."""

    def __init__(self, name: str, load: Load, log_key: NoteVerifier, acks: list[Ack]) -> None:
        self.name = name
        self.load = load
        self.tally = load.tally
        self.log_key = log_key
        self.acks = acks
        self.seen: list[Checkpoint] = []
        self.rng = random.Random(name)
        self._errors_in_a_row = 0

    def run(self) -> None:
        while not self.load.stop.is_set():
            try:
                answered = self._check()
            except (OSError, http.client.HTTPException) as error:
                self.tally.error("proof", error_kind(error))
                answered = False
            except Exception as error:
                self.tally.fail(self.name, f"client error: {error!r}")
                return
            self._errors_in_a_row = 0 if answered else self._errors_in_a_row + 1
            if not answered:
                _pause(self._errors_in_a_row, self.rng)

    def _get(self, path: str, query: dict[str, int] | None = None) -> bytes | None:
        target = path + (f"?{urlencode(query)}" if query else "")
        status, data = call(self.load.port, "GET", target, None, {"Authorization": f"Bearer {self.load.token}"})
        if status == 200:
            return data
        if status >= 500:
            self.tally.error("proof", status_kind(status, data))
        else:
            self.tally.fail("proof", f"GET {path} {query} answered {status}: {data[:300]!r}")
        return None

    def _check(self) -> bool:
        note = self._get("/ledger/checkpoint")
        if note is None:
            return False
        checkpoint = parse_checkpoint(open_note(note.decode(), [self.log_key]).text)
        if checkpoint.size == 0:
            return True
        last = self.seen[-1] if self.seen else None
        if last is not None and checkpoint.size < last.size:
            self.tally.fail("checkpoint", f"went back from size {last.size} to {checkpoint.size}")
            return True
        if last is not None and checkpoint.size > last.size:
            data = self._get("/ledger/proofs/consistency", {"from": last.size, "to": checkpoint.size})
            if data is None:
                return False
            proof = [base64.b64decode(h) for h in json.loads(data)["proof"]]
            if not verify_consistency(last.size, checkpoint.size, last.root, checkpoint.root, proof):
                self.tally.fail("consistency", f"checkpoint {checkpoint.size} is not consistent with {last.size}")
            self.tally.ok("consistency")
        if last is None or checkpoint.size != last.size:
            self.seen.append(checkpoint)
        self.tally.ok("checkpoint")
        covered = [ack for ack in self.acks[-2000:] if ack.seq < checkpoint.size]
        ack = self.rng.choice(covered) if covered and self.rng.random() < 0.5 else None
        seq = ack.seq if ack is not None else self.rng.randrange(checkpoint.size)
        data = self._get(f"/ledger/entries/{seq}")
        if data is None:
            return False
        found = json.loads(data)
        entry = parse_public_entry(found["entry"])
        leaf = entry.leaf_hash()
        if entry.seq != seq or base64.b64decode(found["leaf_hash"]) != leaf:
            self.tally.fail("entry", f"entry {seq} answered as {entry.seq} or with a leaf hash not its own")
        if ack is not None:
            body, salt = found.get("body"), base64.b64decode(found.get("salt", ""))
            if (
                body is None
                or entry.kind != "achievement.recorded"
                or commitment(salt, body) != entry.commitment
                or (body["record_id"], body["achievement"]) != (ack.record_id, ack.achievement_id)
            ):
                self.tally.fail("entry", f"seq {seq} does not hold acknowledged {ack.record_id} ({ack.key})")
        data = self._get("/ledger/proofs/inclusion", {"seq": seq, "size": checkpoint.size})
        if data is None:
            return False
        proof = [base64.b64decode(h) for h in json.loads(data)["proof"]]
        if not verify_inclusion(leaf, seq, checkpoint.size, proof, checkpoint.root):
            self.tally.fail("proof", f"entry {seq} is not included in checkpoint {checkpoint.size}")
        self.tally.ok("proof")
        return True


class Verifier:
    """Posts issued credentials to /api/v1/verify; any answer but "valid" is a failure."""

    def __init__(self, name: str, load: Load, credentials: list[bytes]) -> None:
        self.name = name
        self.load = load
        self.tally = load.tally
        self.credentials = credentials
        self.rng = random.Random(name)

    def run(self) -> None:
        errors_in_a_row = 0
        while not self.load.stop.is_set():
            document = self.rng.choice(self.credentials)
            try:
                status, data = call(
                    self.load.port, "POST", "/api/v1/verify", document, {"Content-Type": "application/json"}
                )
            except (OSError, http.client.HTTPException) as error:
                self.tally.error("verify", error_kind(error))
            else:
                if status == 200:
                    report = json.loads(data)
                    if report["valid"] is not True:
                        failed = [check for check in report["checks"] if check["result"] == "fail"]
                        self.tally.fail("verify", f"a valid credential was reported invalid: {failed}")
                    self.tally.ok("verify")
                    errors_in_a_row = 0
                    continue
                if status < 500:
                    self.tally.fail("verify", f"answered {status}: {data[:300]!r}")
                else:
                    self.tally.error("verify", status_kind(status, data))
            errors_in_a_row += 1
            _pause(errors_in_a_row, self.rng)
