"""Ingest benchmark: the service under gunicorn (2 workers), driven over loopback from another process.

    .venv/bin/python benchmarks/ingest.py [--quick] [--database sqlite|postgresql | --database-url URL]
                                          [--suffix before]

Before measuring, the demo institution (demo-university), the shipped frameworks, the example catalogue
(approved) and the example rule set are published, so every posted achievement is converted in its own
transaction (one ``credits.converted`` entry and one credit line each); the run counts them afterwards and
records the counts. Measures achievements/s and request latency for single posts, batches of 100 and 1,000,
and signed batches of 1,000.

Machine limits measured in the same run, each figure reported against one of them:
- the 2-core Ed25519 verify rate (signed batches: each item costs one verify);
- the backend's raw insert rate of ~1 KB rows, 1,000 a transaction, one connection through the driver (batches:
  an achievement with conversion writes at least that many rows, see ``rows_per_achievement``);
- the backend's rate of committed one-row transactions, one connection (single posts: each is one commit).
Targets (from the issue): batches >= 5,000 achievements/s; single posts >= 500/s with p99 <= 100 ms; signed
batches >= 40% of the 2-core verify rate. Ratios are measured/target for rates and limit/measured for latency,
so >= 1 always means the target is met. The load average is recorded at the start and the end (the machine is
shared). ``--database postgresql`` starts a throw-away cluster (tests/postgres.py; fsync off).
Results go to benchmarks/results/ingest-<backend>-<date>[-suffix].json.
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

from benchmarks.run_facts import git_commit, load_average  # noqa: E402

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
    return float(sum(rates))


# --- the service -----------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


INSTITUTION = "demo-university"


def _bank(env: dict[str, str]) -> Any:
    from creditbank import create_app
    from creditbank.runtime import bank_of

    return bank_of(create_app({name: value for name, value in env.items() if name.startswith("CREDITBANK_")}))


def prepare(env: dict[str, str]) -> tuple[str, dict[str, Any]]:
    """Migrate, create keys, register the demo institutions and publish what converts its achievements (the
    demo's frameworks, approved catalogue and rule set, through the public services the CLI calls); return its
    API key and the backend's raw limits."""
    from creditbank import demo, migrate
    from creditbank.services.records import api_keys, institutions

    bank = _bank(env)
    migrate.upgrade(bank.db.engine)
    bank.prepare_keys()
    # The rule set names every demo institution; the benchmark posts as the university.
    for institution in demo.DEMO_INSTITUTIONS:
        institutions.register(bank, institution)
    demo.publish_credit_rules(bank)
    token = api_keys.issue(bank, INSTITUTION).token
    limits = backend_limits(bank)
    bank.db.dispose()
    return token, limits


def backend_limits(bank: Any, rows: int = 20_000, commits: int = 300) -> dict[str, Any]:
    """Raw insert and commit rates of the bank's database through the driver, with the app's connection settings
    (SQLite: WAL, synchronous=FULL), into a scratch table shaped like ledger_bodies."""
    sqlite = bank.db.dialect == "sqlite"
    mark, blob = ("?", "BLOB") if sqlite else ("%s", "BYTEA")
    insert = f"INSERT INTO bench_probe (seq, salt, body) VALUES ({mark}, {mark}, {mark})"
    raw = bank.db.engine.raw_connection()
    try:
        cursor = raw.cursor()
        if not sqlite:
            raw.commit()
        begin, commit = ("BEGIN", "COMMIT") if sqlite else (None, None)

        def transaction(values: list[tuple[int, bytes, bytes]]) -> None:
            if begin:
                cursor.execute(begin)
            cursor.executemany(insert, values)
            if commit:
                cursor.execute(commit)
            else:
                raw.commit()

        if sqlite:
            cursor.execute(f"CREATE TABLE bench_probe (seq INTEGER PRIMARY KEY, salt {blob}, body {blob})")
        else:
            cursor.execute(f"CREATE TABLE bench_probe (seq BIGINT PRIMARY KEY, salt {blob}, body {blob})")
            raw.commit()
        salt, body = os.urandom(32), os.urandom(1024)
        started = time.perf_counter()
        for start in range(0, rows, 1000):
            transaction([(seq, salt, body) for seq in range(start, start + 1000)])
        insert_rate = rows / (time.perf_counter() - started)
        started = time.perf_counter()
        for seq in range(rows, rows + commits):
            transaction([(seq, salt, body)])
        commit_rate = commits / (time.perf_counter() - started)
        cursor.execute("DROP TABLE bench_probe")
        if not sqlite:
            raw.commit()
        cursor.close()
    finally:
        raw.close()
    return {
        "backend_insert_rows_per_s_1kb_1000_per_tx": round(insert_rate, 1),
        "backend_commits_per_s_1_row": round(commit_rate, 1),
    }


def conversion_counts(env: dict[str, str]) -> dict[str, int]:
    """What the run left in the database: recorded and converted entries, credit lines and table rows."""
    bank = _bank(env)
    counts: dict[str, int] = {}
    with bank.db.engine.connect() as connection:
        for kind, count in connection.exec_driver_sql(
            "SELECT kind, COUNT(*) FROM ledger_entries GROUP BY kind ORDER BY kind"
        ):
            counts[f"entries:{kind}"] = int(count)
        lines, credited = connection.exec_driver_sql(
            "SELECT COUNT(*), COALESCE(SUM(CASE WHEN cents > 0 THEN 1 ELSE 0 END), 0) FROM credit_lines"
        ).one()
        counts["credit_lines"] = int(lines)
        counts["credit_lines_with_credits"] = int(credited)
        counts["credit_lines_demo_university"] = int(
            connection.exec_driver_sql(
                f"SELECT COUNT(*) FROM credit_lines WHERE institution_id = '{INSTITUTION}'"
            ).scalar_one()
        )
        counts["achievements"] = int(connection.exec_driver_sql("SELECT COUNT(*) FROM achievements").scalar_one())
        counts["ledger_bodies"] = int(connection.exec_driver_sql("SELECT COUNT(*) FROM ledger_bodies").scalar_one())
    bank.db.dispose()
    return counts


_HOOK = """
exec(compile(open({conf!r}).read(), {conf!r}, "exec"))


def post_worker_init(worker):
    import os
    import sys

    with open({out!r}, "a") as out:
        out.write(f"{{os.getpid()}} {{sys.modules['creditbank'].__file__}}\\n")
"""


class Service:
    def __init__(self, env: dict[str, str], workers: int, instance: Path) -> None:
        self.port = _free_port()
        # The project's gunicorn.conf.py, plus a hook that records which creditbank each worker imported.
        self.imports = instance / "worker-imports.txt"
        config = instance / "gunicorn-bench.conf.py"
        config.write_text(_HOOK.format(conf=str(ROOT / "gunicorn.conf.py"), out=str(self.imports)), encoding="utf-8")
        command = [
            str(Path(sys.executable).parent / "gunicorn"),
            "-c",
            str(config),
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

    def worker_imports(self) -> list[str]:
        if not self.imports.exists():
            return []
        return sorted({line.split(" ", 1)[1] for line in self.imports.read_text().splitlines() if " " in line})

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
    return dict(outcome)


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


def summarize(
    name: str, outcome: dict[str, Any], per_request: int, target: float, limit_name: str, limit: float
) -> dict[str, Any]:
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
        "limit": limit_name,
        "limit_per_s": round(limit, 1),
        "ratio_to_limit": round(rate / limit, 4),
    }


class Database:
    """The backend under test: SQLite in the instance folder, a given URL, or a throw-away PostgreSQL cluster."""

    def __init__(self, kind: str, url: str | None) -> None:
        self.cluster: Any = None
        self.url = url
        if url:
            self.kind = "postgresql" if url.startswith("postgresql") else "sqlite"
        elif kind == "postgresql":
            from tests.postgres import Cluster

            self.cluster = Cluster()
            self.cluster.start()
            self.url = self.cluster.url()
            self.kind = "postgresql"
        else:
            self.kind = "sqlite"

    def close(self) -> None:
        if self.cluster is not None:
            self.cluster.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="a smaller run (a few seconds per mode)")
    parser.add_argument("--database", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--database-url", help="a database URL (overrides --database)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--suffix", default="", help="appended to the results file name, e.g. 'before'")
    args = parser.parse_args()
    scale = 0.2 if args.quick else 1.0
    load_start = load_average()
    started_at = datetime.now(UTC)

    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    import creditbank

    print(f"creditbank from {creditbank.__file__}", flush=True)
    print("measuring the 2-core Ed25519 verify rate…", flush=True)
    verifies = verify_rate()
    database = Database(args.database, args.database_url)
    instance = Path(tempfile.mkdtemp(prefix="creditbank-ingest-"))
    env = {
        **os.environ,
        "CREDITBANK_INSTANCE_PATH": str(instance),
        "CREDITBANK_KEY_PASSPHRASE": "bench",
        "CREDITBANK_LOG_LEVEL": "WARNING",
    }
    if database.url:
        env["CREDITBANK_DATABASE_URL"] = database.url
    try:
        print(f"preparing the bank on {database.kind} (demo frameworks, catalogue and rules)…", flush=True)
        token, backend = prepare(env)
        service = Service(env, args.workers, instance)
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

            inserts = backend["backend_insert_rows_per_s_1kb_1000_per_tx"]
            commits = backend["backend_commits_per_s_1_row"]
            results = []
            print("single posts…", flush=True)
            outcome = drive(port, token, "/api/v1/achievements", singles, 8)
            results.append(summarize("single", outcome, 1, 500, "backend_commits_per_s_1_row", commits))
            print("batches of 100…", flush=True)
            outcome = drive(port, token, "/api/v1/achievements/batch", batch100, 4)
            results.append(summarize("batch100", outcome, 100, 5000, "backend_insert_rows_per_s", inserts))
            print("batches of 1,000…", flush=True)
            outcome = drive(port, token, "/api/v1/achievements/batch", batch1000, 3)
            results.append(summarize("batch1000", outcome, 1000, 5000, "backend_insert_rows_per_s", inserts))
            print("signed batches of 1,000…", flush=True)
            outcome = drive(port, token, "/api/v1/achievements/batch", signed_batches, 3)
            results.append(
                summarize("signed_batch1000", outcome, 1000, 0.40 * verifies, "ed25519_verify_per_s_2_cores", verifies)
            )
            worker_imports = service.worker_imports()
        finally:
            service.stop()
        posted = sum(row["achievements"] for row in results)
        counts = conversion_counts(env)
    finally:
        shutil.rmtree(instance, ignore_errors=True)
        database.close()

    converted = counts.get("entries:credits.converted", 0)
    conversion = {
        "achievements_posted": posted,
        "achievement_recorded_entries": counts.get("entries:achievement.recorded", 0),
        "credits_converted_entries": converted,
        "credit_lines": counts["credit_lines"],
        "credit_lines_with_credits": counts["credit_lines_with_credits"],
        "every_posted_achievement_converted": counts["credit_lines_demo_university"] == posted
        and counts["credit_lines_with_credits"] >= posted,
        "counts": counts,
        # Rows the run wrote per posted achievement, over every table counted here: the work a batch does for
        # each achievement, against the raw insert limit.
        "rows_per_achievement": round(
            (counts["ledger_bodies"] * 2 + counts["credit_lines"] + counts["achievements"]) / posted, 2
        ),
    }
    single = results[0]
    report = {
        "benchmark": "ingest",
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "code": {"commit": git_commit(), "creditbank": creditbank.__file__, "gunicorn_workers_import": worker_imports},
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "database": database.kind,
            "postgresql": "throw-away cluster (tests/postgres.py): fsync=off, full_page_writes=off"
            if database.cluster is not None
            else None,
            "gunicorn_workers": args.workers,
            "quick": args.quick,
            "load_average_start": load_start,
            "load_average_end": load_average(),
            "started": started_at.isoformat(timespec="seconds"),
        },
        "limits": {"ed25519_verify_per_s_2_cores": round(verifies, 1), **backend},
        "conventions": (
            "ratio = measured / target for rates; latency_ratio = limit / measured p99; >= 1 meets. "
            "ratio_to_limit = measured / the machine limit named in 'limit', measured in this run: single posts "
            "against one-row commits/s, batches against raw 1 KB row inserts/s (an achievement with conversion "
            "writes rows_per_achievement rows), signed batches against the 2-core Ed25519 verify rate"
        ),
        "conversion": conversion,
        "results": results,
        "single_p99_limit_ms": 100,
        "single_latency_ratio": round(100 / single["p99_ms"], 3),
    }
    print(f"\n2-core Ed25519 verify rate: {verifies:,.0f}/s (signed target 40%: {0.4 * verifies:,.0f}/s)")
    print(f"backend limits: {backend}")
    print(
        f"{'mode':18} {'ach/s':>10} {'target':>9} {'ratio':>6} {'limit/s':>10} {'of lim':>7} "
        f"{'p50 ms':>8} {'p99 ms':>8} {'requests':>9}"
    )
    for row in results:
        print(
            f"{row['mode']:18} {row['achievements_per_s']:>10,.0f} {row['target_per_s']:>9,.0f} {row['ratio']:>6.2f} "
            f"{row['limit_per_s']:>10,.0f} {row['ratio_to_limit']:>7.3f} "
            f"{row['p50_ms']:>8.1f} {row['p99_ms']:>8.1f} {row['requests']:>9}"
        )
    print(f"single-post p99 {single['p99_ms']} ms against 100 ms: ratio {report['single_latency_ratio']}")
    print(
        f"posted {posted:,}: {conversion['credits_converted_entries']:,} credits.converted entries, "
        f"{conversion['credit_lines']:,} credit lines ({conversion['credit_lines_with_credits']:,} with credits); "
        f"every posted achievement converted: {conversion['every_posted_achievement_converted']}"
    )
    print(f"load average {load_start} → {report['machine']['load_average_end']}; workers import {worker_imports}")
    RESULTS.mkdir(exist_ok=True)
    suffix = f"-{args.suffix}" if args.suffix else ""
    quick = "-quick" if args.quick else ""
    out = RESULTS / f"ingest-{database.kind}-{started_at:%Y%m%d}{suffix}{quick}.json"
    out.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"written to {out}")


if __name__ == "__main__":
    main()
