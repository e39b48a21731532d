"""Ledger benchmark: the machine's limits, then the ledger measured against them, in one run.

    .venv/bin/python benchmarks/ledger.py [--entries 1000000] [--dir /tmp/x] [--quick]
                                          [--database sqlite|postgresql | --database-url URL] [--suffix before]

Limits, measured in the same run:
- the fsync rate of the disk holding the database (SQLite; the throw-away PostgreSQL cluster runs with fsync off);
- single-core SHA-256 throughput, and the hashes one audited entry costs (SHA-256 of salt ‖ 1 KB body, of the
  ~150-byte public entry, and one node hash on average) as entries/s on one core;
- the backend's raw insert rate of ledger-shaped rows (an entry row and a body row, 256 a transaction, one
  connection through the driver, the app's connection settings), in the statements the ledger store uses (binary
  COPY on PostgreSQL, multi-row INSERTs on SQLite): what bounds batch appends; and with ``executemany``, the shape
  the store used before (the limit of the -before results); each the best of two probes, taken alternately;
- the backend's raw scan rate of the audit's own query through the driver cursor (binary on PostgreSQL), doing
  nothing with the rows, and of the two plain scans of entries and bodies its workers read instead: the faster
  of the two with the per-entry hashes (measured again just before the audit) bounds one core's audit, times the
  cores when the audit runs on all of them (``audit_workers``).
Figures: appends/s for batches of 1 (each its own committed transaction), 64 and 256 entries of ~1 KB; inclusion-
proof latency p50/p99 at --entries; audit throughput. Each figure is printed with its target, its ratio and its
ratio to the limit that bounds it; the load average is recorded at the start and the end (the machine is shared).
``--database postgresql`` starts a throw-away cluster (tests/postgres.py). Everything goes to
benchmarks/results/ledger-<backend>-<date>[-suffix].json.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import random
import shutil
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import creditbank
from benchmarks.run_facts import git_commit, load_average
from creditbank import create_app, ledger_store, migrate
from creditbank.runtime import bank_of
from creditbank.services.transparency import checkpoints, ledger_reads
from creditbank.services.transparency.audit import _QUERY, audit

ROOT = Path(__file__).resolve().parent.parent
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


def entry_hash_rate(seconds: float = 1.0) -> float:
    """Entries/s one core hashes the way the audit must: the commitment over salt ‖ ~1 KB body, the leaf over the
    ~150-byte public entry, and one node hash (a tree of n leaves has n - 1 nodes)."""
    salted = os.urandom(32 + 1024)
    public = b"\x00" + os.urandom(150)
    node = b"\x01" + os.urandom(64)
    sha = hashlib.sha256
    count, started = 0, time.perf_counter()
    while time.perf_counter() - started < seconds:
        for _ in range(10_000):
            sha(salted).digest()
            sha(public).digest()
            sha(node).digest()
        count += 10_000
    return count / (time.perf_counter() - started)


_PROBE_ENTRIES = "probe_entries (seq, kind, actor, time, public, nodes)"
_PROBE_BODIES = "probe_bodies (seq, salt, body)"


def raw_insert_rate(bank: Any, batch: int = 256, total: int = 256 * 100, *, store_shape: bool = True) -> float:
    """Entries/s written as plain rows (entry + body) through the driver, ``batch`` a transaction: in the statements
    the ledger store uses (binary COPY on PostgreSQL, multi-row INSERTs on SQLite), or with ``executemany``."""
    sqlite = bank.db.dialect == "sqlite"
    mark, blob, integer = ("?", "BLOB", "INTEGER") if sqlite else ("%s", "BYTEA", "BIGINT")
    raw = bank.db.engine.raw_connection()
    try:
        cursor = raw.cursor()

        def begin() -> None:
            if sqlite:
                cursor.execute("BEGIN IMMEDIATE")

        def commit() -> None:
            if sqlite:
                cursor.execute("COMMIT")
            else:
                raw.commit()

        begin()
        cursor.execute(
            f"CREATE TABLE probe_entries (seq {integer} PRIMARY KEY, kind VARCHAR(64), actor VARCHAR(128), "
            f"time VARCHAR(32), public {blob}, nodes {blob})"
        )
        cursor.execute(
            f"CREATE TABLE probe_bodies (seq {integer} PRIMARY KEY REFERENCES probe_entries (seq), salt {blob}, "
            f"body {blob})"
        )
        commit()
        payload = json.dumps(body(0), ensure_ascii=False).encode()
        salt, public, nodes = os.urandom(32), os.urandom(150), os.urandom(64)
        when = "2026-12-03T12:00:00.000Z"
        started = time.perf_counter()
        for start in range(0, total, batch):
            seqs = range(start, start + batch)
            begin()
            entry_rows = [(seq, "achievement.recorded", "inst:demo-university", when, public, nodes) for seq in seqs]
            body_rows = [(seq, salt, payload) for seq in seqs]
            if not store_shape:
                cursor.executemany(
                    f"INSERT INTO probe_entries VALUES ({mark}, {mark}, {mark}, {mark}, {mark}, {mark})", entry_rows
                )
                cursor.executemany(f"INSERT INTO probe_bodies VALUES ({mark}, {mark}, {mark})", body_rows)
            elif sqlite:
                ledger_store._insert_rows(cursor, _PROBE_ENTRIES, entry_rows)
                ledger_store._insert_rows(cursor, _PROBE_BODIES, body_rows)
            else:
                ledger_store._copy(cursor, _PROBE_ENTRIES, ledger_store._ENTRY_TYPES, entry_rows)
                ledger_store._copy(cursor, _PROBE_BODIES, ledger_store._BODY_TYPES, body_rows)
            commit()
        rate = total / (time.perf_counter() - started)
        begin()
        cursor.execute("DROP TABLE probe_bodies")
        cursor.execute("DROP TABLE probe_entries")
        commit()
        cursor.close()
    finally:
        raw.close()
    return rate


_SPLIT_SCANS = (
    "SELECT seq, kind, actor, time, public, nodes FROM ledger_entries ORDER BY seq",
    "SELECT seq, salt, body FROM ledger_bodies ORDER BY seq",
)


def raw_scan_rate(bank: Any, queries: tuple[str, ...] = (_QUERY,)) -> float:
    """Entries/s the queries stream through the driver cursor (binary on PostgreSQL) when nothing is done with the
    rows, one after the other on one connection: ``_QUERY`` is the audit's join, ``_SPLIT_SCANS`` the two plain
    scans of the same columns."""
    seconds, count = 0.0, 0
    with bank.db.reading() as session:
        raw = session.connection().connection.dbapi_connection
        for n, query in enumerate(queries):
            postgresql = bank.db.dialect == "postgresql"
            cursor = raw.cursor(name=f"bench_scan_{n}", binary=True) if postgresql else raw.cursor()
            started, count = time.perf_counter(), 0
            cursor.execute(query)
            while rows := cursor.fetchmany(20_000):
                count += len(rows)
            cursor.close()
            seconds += time.perf_counter() - started
    return count / seconds


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


def appends_per_second(bank: Any, batch: int, total: int) -> float:
    bodies = [ledger_store.NewEntry("achievement.recorded", "inst:demo-university", body(i)) for i in range(batch)]
    started = time.perf_counter()
    for _ in range(total // batch):
        with bank.db.writing() as session:
            ledger_store.append(session, bodies)
    return (total // batch) * batch / (time.perf_counter() - started)


def grow(bank: Any, target: int, batch: int = 4096) -> float:
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
    parser.add_argument("--entries", type=int, default=None, help="ledger size for proofs and the audit (1,000,000)")
    parser.add_argument("--dir", type=Path, default=None, help="working folder (default: a temporary one)")
    parser.add_argument("--quick", action="store_true", help="a smaller run: 50,000 entries, fewer appends")
    parser.add_argument("--database", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--database-url", help="a database URL (overrides --database)")
    parser.add_argument("--suffix", default="", help="appended to the results file name, e.g. 'before'")
    args = parser.parse_args()
    entries = args.entries or (50_000 if args.quick else 1_000_000)
    rounds = 0.2 if args.quick else 1.0
    load_start = load_average()
    started_at = datetime.now(UTC)
    work = args.dir or Path(tempfile.mkdtemp(prefix="creditbank-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    # A folder of its own holds a database of a gigabyte or more: gone after the run unless --dir named it.
    scratch = args.dir is None
    cluster = None
    url = args.database_url
    if url is None and args.database == "postgresql":
        from tests.postgres import Cluster

        cluster = Cluster()
        cluster.start()
        url = cluster.url()
    url = url or f"sqlite:///{work / 'bench.sqlite3'}"
    backend = "sqlite" if url.startswith("sqlite") else "postgresql"
    try:
        outcome = measure(work, url, entries, rounds)
    finally:
        if cluster is not None:
            cluster.stop()
        if scratch:
            shutil.rmtree(work, ignore_errors=True)
    figures, targets = outcome
    print()
    print(f"creditbank from {creditbank.__file__} ({backend})")
    print(f"{'figure':44} {'measured':>14} {'target':>10} {'ratio':>7} {'of limit':>9}")
    for row in targets:
        mark = "ok" if row["ratio"] >= 1 else "BELOW"
        of_limit = "" if row["ratio_to_limit"] is None else f"{row['ratio_to_limit']:9.3f}"
        print(
            f"{row['name']:44} {row['measured']:14,.3f} {row['sense']}{row['target']:>9,} {row['ratio']:7.2f} "
            f"{of_limit:>9} {mark}"
        )
    print(f"{'batch of 64 appends/s':44} {figures['append_batch64_per_s']:14,.0f}")
    print(f"{'inclusion proof p50 ms':44} {figures['inclusion_p50_ms']:14,.3f}")
    print(f"{'database size MB':44} {figures['database_bytes'] / 1e6:14,.1f}")
    load_end = load_average()
    print(f"load average {load_start} → {load_end}")
    RESULTS.mkdir(exist_ok=True)
    suffix = f"-{args.suffix}" if args.suffix else ""
    quick = "-quick" if args.quick else ""
    out = RESULTS / f"ledger-{backend}-{started_at:%Y%m%d}{suffix}{quick}.json"
    out.write_text(
        json.dumps(
            {
                "when": datetime.now(UTC).isoformat(timespec="seconds"),
                "code": {"commit": git_commit(), "creditbank": creditbank.__file__},
                "machine": {
                    "python": platform.python_version(),
                    "cpus": os.cpu_count(),
                    "platform": platform.platform(),
                    "database": backend,
                    "postgresql": "throw-away cluster (tests/postgres.py): fsync=off, full_page_writes=off"
                    if cluster is not None
                    else None,
                    "quick": args.quick,
                    "load_average_start": load_start,
                    "load_average_end": load_end,
                    "started": started_at.isoformat(timespec="seconds"),
                },
                "conventions": (
                    "ratio = measured / target (>= targets) or target / measured (<= targets); >= 1 meets. "
                    "ratio_to_limit = measured / the machine limit named in 'limit', measured in this run"
                ),
                "figures": figures,
                "targets": targets,
            },
            indent=2,
        )
        + "\n"
    )
    print(f"\nwritten to {out}")


def measure(work: Path, url: str, entries: int, rounds: float) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    app = create_app(
        {
            "CREDITBANK_INSTANCE_PATH": str(work),
            "CREDITBANK_DATABASE_URL": url,
            "CREDITBANK_KEY_PASSPHRASE": "benchmark",
            "CREDITBANK_LOG_LEVEL": "WARNING",
        }
    )
    bank = bank_of(app)
    migrate.upgrade(bank.db.engine)
    bank.log_signer(create=True)
    backend = bank.db.dialect

    print("measuring limits…", flush=True)
    fsyncs = fsync_rate(work)
    node_hashes, sha_mbps = sha256_rate()
    entry_hashes = entry_hash_rate()
    # Alternately, best of two each: the first probe of a fresh database also pays for growing its files.
    store_rates, executemany_rates = [], []
    for _ in range(2):
        store_rates.append(raw_insert_rate(bank))
        executemany_rates.append(raw_insert_rate(bank, store_shape=False))
    inserts, inserts_executemany = max(store_rates), max(executemany_rates)
    print(
        f"  fsync: {fsyncs:,.0f}/s   SHA-256: {node_hashes:,.0f} node hashes/s, {sha_mbps:,.0f} MB/s (1 KB), "
        f"{entry_hashes:,.0f} audited entries/s per core   raw inserts: {inserts:,.0f} entries/s (256 a tx, the "
        f"store's statements), {inserts_executemany:,.0f} with executemany"
    )

    print(f"measuring appends ({backend}, ~1 KB entries)…", flush=True)
    single = appends_per_second(bank, 1, max(60, int(300 * rounds)))
    batch64 = appends_per_second(bank, 64, 64 * max(20, int(200 * rounds)))
    batch256 = appends_per_second(bank, 256, 256 * max(20, int(100 * rounds)))

    print(f"growing the ledger to {entries:,} entries…", flush=True)
    growth = grow(bank, entries)
    checkpoints.sign(bank)
    size = checkpoints.latest(bank).size

    print("measuring inclusion proofs…", flush=True)
    rng = random.Random(7)
    latencies = []
    for _ in range(max(1000, int(3000 * rounds))):
        seq = rng.randrange(size)
        started = time.perf_counter()
        ledger_reads.inclusion(bank, seq, size)
        latencies.append((time.perf_counter() - started) * 1000)
    latencies = latencies[200:]  # the first reads warm the page cache

    print("measuring the raw scans, the hash rate and the audit…", flush=True)
    scan = raw_scan_rate(bank)
    split_scan = raw_scan_rate(bank, _SPLIT_SCANS)
    # Again just before the audit: on a shared machine the rate at the start may not hold minutes later.
    entry_hashes_now = entry_hash_rate()
    report = audit(bank)
    assert report.ok, report.problems
    audit_rate = report.entries / report.seconds
    if backend == "sqlite":
        db_bytes = sum(p.stat().st_size for p in work.glob("bench.sqlite3*"))
    else:
        with bank.db.engine.connect() as connection:
            db_bytes = int(connection.exec_driver_sql("SELECT pg_database_size(current_database())").scalar_one())
    bank.db.dispose()

    # The audit both reads and hashes every entry; on one core its bound is the harmonic sum of the two, with the
    # cheaper of the two ways to read; it runs on every core (up to the processes it starts).
    cores = min(os.cpu_count() or 1, 8)
    audit_bound_1core = 1 / (1 / max(scan, split_scan) + 1 / entry_hashes_now)
    audit_bound = audit_bound_1core * (cores if getattr(report, "workers", 1) > 1 else 1)
    figures: dict[str, Any] = {
        "limit_fsync_per_s": fsyncs,
        "limit_sha256_node_hashes_per_s": node_hashes,
        "limit_sha256_mb_per_s": sha_mbps,
        "limit_audit_hashes_entries_per_s_1_core": entry_hashes,
        "limit_raw_insert_entries_per_s_256_per_tx": inserts,
        "limit_raw_insert_executemany_entries_per_s_256_per_tx": inserts_executemany,
        "limit_audit_hashes_entries_per_s_1_core_before_audit": entry_hashes_now,
        "limit_raw_scan_entries_per_s": scan,
        "limit_raw_split_scans_entries_per_s": split_scan,
        "limit_audit_read_and_hash_entries_per_s_1_core": audit_bound_1core,
        "limit_audit_read_and_hash_entries_per_s": audit_bound,
        "audit_workers": getattr(report, "workers", 1),
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
    rows = [
        ("batch of 256 appends/s", batch256, 30_000, "≥", "limit_raw_insert_entries_per_s_256_per_tx", inserts),
        ("single committed append / fsync rate", single / fsyncs, 0.40, "≥", None, None),
        (f"inclusion proof p99 ms at {size:,}", figures["inclusion_p99_ms"], 5.0, "≤", None, None),
        (
            "audit entries/s",
            audit_rate,
            300_000,
            "≥",
            "limit_audit_read_and_hash_entries_per_s",
            audit_bound,
        ),
    ]
    targets = []
    for name, value, target, sense, limit_name, limit in rows:
        targets.append(
            {
                "name": name,
                "measured": value,
                "target": target,
                "sense": sense,
                "ratio": value / target if sense == "≥" else target / value,
                "limit": limit_name,
                "limit_value": limit,
                "ratio_to_limit": None if limit is None else value / limit,
            }
        )
    return figures, targets


if __name__ == "__main__":
    main()
