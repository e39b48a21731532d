"""Ingest benchmark: the service under gunicorn (2 workers), driven over loopback from another process.

    .venv/bin/python benchmarks/ingest.py [--quick] [--database-url URL]

Measures achievements/s and request latency for single posts, batches of 100 and 1,000, and
signed batches of 1,000; and, in the same run, the 2-core Ed25519 verify rate the signed figure
is held against. Targets (from the issue): batches >= 5,000 achievements/s; single posts >= 500/s
with p99 <= 100 ms; signed batches >= 40% of the 2-core verify rate. Ratios are measured/target
for rates and limit/measured for latency, so >= 1 always means the target is met.
Results go to benchmarks/results/ingest-<date>.json.
"""

from __future__ import annotations

import argparse
import base64
import http.client
import json
import multiprocessing
import os
import platform
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

RESULTS = ROOT / "benchmarks" / "results"
ITEM = {
    "kind": "course",
    "title": {"zh": "程序设计基础", "en": "Foundations of Programming"},
    "code": "CS101",
    "credits": 3,
    "hours": 48,
    "result": {"type": "score", "score": 88, "max": 100},
    "started": "2025-09-01",
    "completed": "2026-01-10",
    "mode": "in_person",
    "language": "zh-CN",
}


# --- limits measured on this machine --------------------------------------------------------------


def _verify_loop(seconds: float, queue: Any) -> None:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from ledger.canonical import canonical_bytes

    key = Ed25519PrivateKey.generate()
    message = canonical_bytes({**ITEM, "learner": "lrn_00000000000000000000", "record_id": "r-1"})
    signature, public = key.sign(message), key.public_key()
    count, started = 0, time.perf_counter()
    while time.perf_counter() - started < seconds:
        for _ in range(200):
            public.verify(signature, message)
        count += 200
    queue.put(count / (time.perf_counter() - started))


def verify_rate(processes: int = 2, seconds: float = 2.0) -> float:
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    workers = [context.Process(target=_verify_loop, args=(seconds, queue)) for _ in range(processes)]
    for worker in workers:
        worker.start()
    rates = [queue.get() for _ in workers]
    for worker in workers:
        worker.join()
    return sum(rates)


# --- the service -----------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def prepare(env: dict[str, str]) -> str:
    """Migrate, create keys, register the institution; return its API key."""
    from creditbank import create_app, migrate
    from creditbank.runtime import bank_of
    from creditbank.services import api_keys, institutions
    from creditbank.services.institutions import InstitutionInput

    settings = {name: value for name, value in env.items() if name.startswith("CREDITBANK_")}
    bank = bank_of(create_app(settings))
    migrate.upgrade(bank.db.engine)
    bank.prepare_keys()
    institutions.register(bank, InstitutionInput("bench-uni", "university", "Bench University", "基准大学"))
    token = api_keys.issue(bank, "bench-uni").token
    bank.db.dispose()
    return token


class Service:
    def __init__(self, env: dict[str, str], workers: int) -> None:
        self.port = _free_port()
        command = [
            str(Path(sys.executable).parent / "gunicorn"),
            "-w",
            str(workers),
            "-b",
            f"127.0.0.1:{self.port}",
            "--log-level",
            "warning",
            "wsgi:app",
        ]
        self.process = subprocess.Popen(command, cwd=ROOT, env=env, start_new_session=True)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                status, _ = request(http.client.HTTPConnection("127.0.0.1", self.port, timeout=5), "GET", "/ledger/key")
                if status == 200:
                    return
            except OSError:
                time.sleep(0.2)
        self.stop()
        raise SystemExit("gunicorn did not answer within 60 s")

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            self.process.wait(timeout=30)


def request(
    connection: http.client.HTTPConnection, method: str, path: str, body: bytes | None = None, token: str = ""
) -> tuple[int, bytes]:
    headers = {"Content-Type": "application/json"} if body is not None else {}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    connection.request(method, path, body=body, headers=headers)
    response = connection.getresponse()
    return response.status, response.read()


# --- the client (its own process) -----------------------------------------------------------------


def _drive(port: int, token: str, path: str, bodies: list[bytes], threads: int, queue: Any) -> None:
    """Send every body with ``threads`` keep-alive connections; report latencies and wall time."""
    latencies: list[float] = []
    failures: list[str] = []
    lock = threading.Lock()
    cursor = iter(range(len(bodies)))

    def worker() -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        while True:
            with lock:
                index = next(cursor, None)
            if index is None or failures:
                break
            started = time.perf_counter()
            status, answer = request(connection, "POST", path, bodies[index], token)
            elapsed = time.perf_counter() - started
            with lock:
                latencies.append(elapsed)
                if status != 201:
                    failures.append(f"{status}: {answer[:2000].decode(errors='replace')}")
        connection.close()

    pool = [threading.Thread(target=worker) for _ in range(threads)]
    started = time.perf_counter()
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    queue.put({"seconds": time.perf_counter() - started, "latencies": latencies, "failures": failures})


def drive(port: int, token: str, path: str, bodies: list[bytes], threads: int) -> dict[str, Any]:
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    client = context.Process(target=_drive, args=(port, token, path, bodies, threads, queue))
    client.start()
    outcome = queue.get()
    client.join()
    if outcome["failures"]:
        raise SystemExit(f"{path} failed: {outcome['failures'][0]}")
    return outcome


# --- workloads ------------------------------------------------------------------------------------


def enroll(port: int, token: str, count: int) -> list[str]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    learners = []
    for index in range(count):
        body = {"name": {"zh": "张三", "latin": f"Zhang San {index}"}, "birth_date": "1990-01-01"}
        status, answer = request(connection, "POST", "/api/v1/learners", json.dumps(body).encode(), token)
        if status != 201:
            raise SystemExit(f"enrolling failed: {status} {answer!r}")
        learners.append(json.loads(answer)["id"])
    return learners


def items(learners: list[str], prefix: str, count: int) -> list[dict[str, Any]]:
    return [{**ITEM, "learner": learners[i % len(learners)], "record_id": f"{prefix}-{i}"} for i in range(count)]


def sign(all_items: list[dict[str, Any]], key: Any, key_id: str) -> None:
    from ledger.canonical import canonical_bytes

    for item in all_items:
        value = key.sign(canonical_bytes(item))
        item["signature"] = {"key": key_id, "value": base64.b64encode(value).decode("ascii")}


def encode(document: Any) -> bytes:
    return json.dumps(document, ensure_ascii=False).encode("utf-8")


def summarize(name: str, outcome: dict[str, Any], per_request: int, target: float) -> dict[str, Any]:
    latencies = sorted(outcome["latencies"])
    count = len(latencies) * per_request
    rate = count / outcome["seconds"]
    p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))]
    return {
        "mode": name,
        "requests": len(latencies),
        "achievements": count,
        "achievements_per_s": round(rate, 1),
        "p50_ms": round(statistics.median(latencies) * 1000, 2),
        "p99_ms": round(p99 * 1000, 2),
        "target_per_s": round(target, 1),
        "ratio": round(rate / target, 3),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="a smaller run (a few seconds per mode)")
    parser.add_argument("--database-url", help="PostgreSQL URL; default SQLite in a temporary instance folder")
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    scale = 0.2 if args.quick else 1.0

    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    print("measuring the 2-core Ed25519 verify rate…", flush=True)
    verifies = verify_rate()
    instance = Path(tempfile.mkdtemp(prefix="creditbank-ingest-"))
    env = {
        **os.environ,
        "CREDITBANK_INSTANCE_PATH": str(instance),
        "CREDITBANK_KEY_PASSPHRASE": "bench",
        "CREDITBANK_LOG_LEVEL": "WARNING",
    }
    if args.database_url:
        env["CREDITBANK_DATABASE_URL"] = args.database_url
    token = prepare(env)
    service = Service(env, args.workers)
    try:
        port = service.port
        learners = enroll(port, token, 200)
        key = Ed25519PrivateKey.generate()
        public = base64.b64encode(key.public_key().public_bytes_raw()).decode()
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        status, answer = request(connection, "POST", "/api/v1/signing-keys", encode({"public_key": public}), token)
        if status != 201:
            raise SystemExit(f"registering the signing key failed: {status} {answer!r}")
        key_id = json.loads(answer)["id"]

        singles = [encode(item) for item in items(learners, "single", int(3000 * scale))]
        batch100 = [encode({"items": items(learners, f"b100-{n}", 100)}) for n in range(int(50 * scale))]
        batch1000 = [encode({"items": items(learners, f"b1000-{n}", 1000)}) for n in range(max(2, int(15 * scale)))]
        signed_batches = []
        for n in range(max(2, int(10 * scale))):
            chunk = items(learners, f"signed-{n}", 1000)
            sign(chunk, key, key_id)
            signed_batches.append(encode({"items": chunk}))

        results = []
        print("single posts…", flush=True)
        results.append(summarize("single", drive(port, token, "/api/v1/achievements", singles, 8), 1, 500))
        print("batches of 100…", flush=True)
        results.append(summarize("batch100", drive(port, token, "/api/v1/achievements/batch", batch100, 4), 100, 5000))
        print("batches of 1,000…", flush=True)
        results.append(
            summarize("batch1000", drive(port, token, "/api/v1/achievements/batch", batch1000, 3), 1000, 5000)
        )
        print("signed batches of 1,000…", flush=True)
        signed = drive(port, token, "/api/v1/achievements/batch", signed_batches, 3)
        results.append(summarize("signed_batch1000", signed, 1000, 0.40 * verifies))
    finally:
        service.stop()
        shutil.rmtree(instance, ignore_errors=True)

    single = results[0]
    report = {
        "benchmark": "ingest",
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "database": "postgresql" if args.database_url else "sqlite",
            "gunicorn_workers": args.workers,
        },
        "limits": {"ed25519_verify_per_s_2_cores": round(verifies, 1)},
        "conventions": "ratio = measured / target for rates; latency_ratio = limit / measured p99; >= 1 meets",
        "results": results,
        "single_p99_limit_ms": 100,
        "single_latency_ratio": round(100 / single["p99_ms"], 3),
    }
    print(f"\n2-core Ed25519 verify rate: {verifies:,.0f}/s (signed target 40%: {0.4 * verifies:,.0f}/s)")
    print(f"{'mode':18} {'ach/s':>10} {'target':>9} {'ratio':>6} {'p50 ms':>8} {'p99 ms':>8} {'requests':>9}")
    for row in results:
        print(
            f"{row['mode']:18} {row['achievements_per_s']:>10,.0f} {row['target_per_s']:>9,.0f} {row['ratio']:>6.2f} "
            f"{row['p50_ms']:>8.1f} {row['p99_ms']:>8.1f} {row['requests']:>9}"
        )
    print(f"single-post p99 {single['p99_ms']} ms against 100 ms: ratio {report['single_latency_ratio']}")
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / f"ingest-{datetime.now(UTC):%Y%m%d}.json"
    out.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print(f"written to {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
