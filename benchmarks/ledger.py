"""Ledger benchmark: the machine's limits, then the ledger measured against them, in one run.

    .venv/bin/python benchmarks/ledger.py [--entries 1000000] [--dir /tmp/x]

Limits: the fsync rate of the disk holding the database, and single-core SHA-256 throughput.
Figures: appends/s for batches of 1 (each its own fsync'd commit), 64 and 256 entries of ~1 KB
on SQLite; inclusion-proof latency p50/p99 at --entries; audit throughput. Each figure is printed
with its target and its ratio, and everything goes to benchmarks/results/ledger-<date>.json.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from creditbank import create_app, ledger_store, migrate
from creditbank.runtime import bank_of
from creditbank.services import checkpoints, ledger_reads
from creditbank.services.audit import audit

RESULTS = Path(__file__).resolve().parent / "results"


def fsync_rate(directory: Path, count: int = 300) -> float:
    path = directory / "fsync.probe"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    block = os.urandom(4096)
    started = time.perf_counter()
    for _ in range(count):
        os.write(fd, block)
        os.fsync(fd)
    elapsed = time.perf_counter() - started
    os.close(fd)
    path.unlink()
    return count / elapsed


def sha256_rate(seconds: float = 1.0) -> tuple[float, float]:
    """(hashes/s of 65-byte node inputs, MB/s over 1 KB inputs) on one core."""
    node, kilo = os.urandom(65), os.urandom(1024)
    sha = hashlib.sha256
    count, started = 0, time.perf_counter()
    while time.perf_counter() - started < seconds:
        for _ in range(10_000):
            sha(node).digest()
        count += 10_000
    nodes = count / (time.perf_counter() - started)
    count, started = 0, time.perf_counter()
    while time.perf_counter() - started < seconds:
        for _ in range(10_000):
            sha(kilo).digest()
        count += 10_000
    return nodes, count * 1024 / (time.perf_counter() - started) / 1e6


def body(i: int) -> dict[str, object]:
    # ~1 KB: the size of a typical achievement record body.
    return {
        "learner": f"lrn_{i:012d}",
        "institution": "demo-university",
        "record": f"R-2026-{i:08d}",
        "title": {"en": "Introduction to Data Literacy and Digital Citizenship", "zh": "数据素养与数字公民导论"},
        "credits": 3,
        "hours": 48,
        "result": {"score": 87, "scale": "0-100", "grade": "B+"},
        "outcomes": [f"Learning outcome {n}: applies digital tools to everyday problems safely" for n in range(9)],
        "dates": {"start": "2026-03-01", "end": "2026-06-30"},
    }


def appends_per_second(bank, batch: int, total: int) -> float:
    bodies = [ledger_store.NewEntry("achievement.recorded", "inst:demo-university", body(i)) for i in range(batch)]
    started = time.perf_counter()
    for _ in range(total // batch):
        with bank.db.writing() as session:
            ledger_store.append(session, bodies)
    return (total // batch) * batch / (time.perf_counter() - started)


def grow(bank, target: int, batch: int = 4096) -> float:
    with bank.db.reading() as session:
        size = ledger_store.tree_size(session)
    bodies = [ledger_store.NewEntry("achievement.recorded", "inst:demo-university", body(i)) for i in range(batch)]
    started, added = time.perf_counter(), 0
    while size < target:
        chunk = bodies[: min(batch, target - size)]
        with bank.db.writing() as session:
            ledger_store.append(session, chunk)
        size += len(chunk)
        added += len(chunk)
        if added % (batch * 25) == 0:
            print(f"  … {size:,} entries", flush=True)
    return added / (time.perf_counter() - started)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--entries", type=int, default=1_000_000)
    parser.add_argument("--dir", type=Path, default=None, help="working folder (default: a temporary one)")
    args = parser.parse_args()
    work = args.dir or Path(tempfile.mkdtemp(prefix="creditbank-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    app = create_app(
        {
            "CREDITBANK_INSTANCE_PATH": str(work),
            "CREDITBANK_DATABASE_URL": f"sqlite:///{work / 'bench.sqlite3'}",
            "CREDITBANK_KEY_PASSPHRASE": "benchmark",
            "CREDITBANK_LOG_LEVEL": "WARNING",
        }
    )
    bank = bank_of(app)
    migrate.upgrade(bank.db.engine)
    bank.log_signer(create=True)

    print("measuring limits…", flush=True)
    fsyncs = fsync_rate(work)
    node_hashes, sha_mbps = sha256_rate()
    print(f"  fsync: {fsyncs:,.0f}/s   SHA-256: {node_hashes:,.0f} node hashes/s, {sha_mbps:,.0f} MB/s (1 KB)")

    print("measuring appends (SQLite, ~1 KB entries)…", flush=True)
    single = appends_per_second(bank, 1, 300)
    batch64 = appends_per_second(bank, 64, 64 * 200)
    batch256 = appends_per_second(bank, 256, 256 * 100)

    print(f"growing the ledger to {args.entries:,} entries…", flush=True)
    growth = grow(bank, args.entries)
    checkpoints.sign(bank)
    size = checkpoints.latest(bank).size

    print("measuring inclusion proofs…", flush=True)
    rng = random.Random(7)
    latencies = []
    for _ in range(3000):
        seq = rng.randrange(size)
        started = time.perf_counter()
        ledger_reads.inclusion(bank, seq, size)
        latencies.append((time.perf_counter() - started) * 1000)
    latencies = latencies[200:]  # the first reads warm the page cache

    print("measuring the audit…", flush=True)
    report = audit(bank)
    assert report.ok, report.problems
    audit_rate = report.entries / report.seconds
    db_bytes = sum(p.stat().st_size for p in work.glob("bench.sqlite3*"))

    figures = {
        "limit_fsync_per_s": fsyncs,
        "limit_sha256_node_hashes_per_s": node_hashes,
        "limit_sha256_mb_per_s": sha_mbps,
        "append_batch1_per_s": single,
        "append_batch1_ratio_to_fsync": single / fsyncs,
        "append_batch64_per_s": batch64,
        "append_batch256_per_s": batch256,
        "bulk_growth_per_s": growth,
        "entries": size,
        "inclusion_p50_ms": statistics.median(latencies),
        "inclusion_p99_ms": percentile(latencies, 0.99),
        "audit_entries_per_s": audit_rate,
        "audit_ratio_to_sha256_node_rate": audit_rate / node_hashes,
        "database_bytes": db_bytes,
    }
    targets = [
        ("batch of 256 appends/s", batch256, 30_000, "≥"),
        ("single fsync'd append / fsync rate", single / fsyncs, 0.40, "≥"),
        (f"inclusion proof p99 ms at {size:,}", figures["inclusion_p99_ms"], 5.0, "≤"),
        ("audit entries/s", audit_rate, 300_000, "≥"),
    ]
    print()
    print(f"{'figure':44} {'measured':>14} {'target':>10} {'ratio':>7}")
    for name, value, target, sense in targets:
        ratio = value / target if sense == "≥" else target / value
        mark = "ok" if ratio >= 1 else "BELOW"
        print(f"{name:44} {value:14,.3f} {sense}{target:>9,} {ratio:7.2f} {mark}")
    print(f"{'batch of 64 appends/s':44} {batch64:14,.0f}")
    print(f"{'inclusion proof p50 ms':44} {figures['inclusion_p50_ms']:14,.3f}")
    print(f"{'database size MB':44} {db_bytes / 1e6:14,.1f}")
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / f"ledger-{datetime.now(UTC):%Y%m%d}.json"
    out.write_text(
        json.dumps(
            {
                "when": datetime.now(UTC).isoformat(timespec="seconds"),
                "machine": {
                    "python": platform.python_version(),
                    "cpus": os.cpu_count(),
                    "platform": platform.platform(),
                },
                "figures": figures,
                "targets": [{"name": n, "measured": v, "target": t, "sense": s} for n, v, t, s in targets],
            },
            indent=2,
        )
        + "\n"
    )
    print(f"\nwritten to {out}")


if __name__ == "__main__":
    main()
