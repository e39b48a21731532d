"""Backup and restore throughput on a demo bank of a few thousand ledger entries.

    .venv/bin/python benchmarks/backup.py [--learners N] [--postgres]

Seeds a demo bank (institutions, frameworks and rules, N learners with achievements, conversions, corrections, an
award, a portal account and a credential) on SQLite, and with --postgres also on a throw-away PostgreSQL cluster
started from the installed server binaries; then, for each database, times `backup` (rows/s and MB of archive) and
`restore` into an empty database of the same kind (the verifying pass, the load, and the audit that follows), and
with --postgres the SQLite archive restored into PostgreSQL. Results go to benchmarks/results/backup-<date>.json.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
RESULTS = ROOT / "benchmarks" / "results"

from sqlalchemy import create_engine, text  # noqa: E402

from creditbank import create_app, demo, migrate  # noqa: E402
from creditbank.runtime import Bank, bank_of  # noqa: E402
from creditbank.services.operations import backup, restore  # noqa: E402
from creditbank.services.transparency import checkpoints  # noqa: E402

PASSPHRASE = "benchmark-passphrase"


def _bank(url: str, folder: Path) -> Bank:
    folder.mkdir(parents=True, exist_ok=True)
    return bank_of(
        create_app(
            {
                "CREDITBANK_DATABASE_URL": url,
                "CREDITBANK_INSTANCE_PATH": str(folder / "instance"),
                "CREDITBANK_KEY_PASSPHRASE": PASSPHRASE,
                "CREDITBANK_SERVER_NAME": "bank.bench",
                "CREDITBANK_LOG_LEVEL": "WARNING",
            }
        )
    )


def _seeded(url: str, folder: Path, learners: int) -> tuple[Bank, float]:
    bank = _bank(url, folder)
    migrate.upgrade(bank.db.engine)
    bank.prepare_keys()
    started = time.perf_counter()
    demo.seed(bank, learners)
    checkpoints.sign(bank)
    return bank, time.perf_counter() - started


def _once(source: Bank, target_url: str, folder: Path) -> dict[str, Any]:
    folder.mkdir(parents=True, exist_ok=True)
    made = backup.backup(source, folder / "bank.cbbackup")
    target = _bank(target_url, folder / "target")
    try:
        started = time.perf_counter()
        restored = restore.restore(target, made.path)
        total = time.perf_counter() - started
    finally:
        target.db.dispose()
    assert restored.ok, restored.audit.problems
    assert restored.note_identical
    return {
        "entries": made.tree_size,
        "rows": made.total_rows,
        "archive_mb": round(made.compressed / 1e6, 3),
        "uncompressed_mb": round(made.uncompressed / 1e6, 3),
        "backup_s": made.seconds,
        "restore_verify_s": restored.verify_seconds,
        "restore_load_s": restored.load_seconds,
        "restore_audit_s": restored.audit.seconds,
        "restore_total_s": total,
    }


def _measure(source: Bank, target: str, fresh: Callable[[int], str], folder: Path, repeats: int) -> dict[str, Any]:
    """The median of ``repeats`` backups and restores, each into a ``fresh`` empty database of kind ``target`` (the
    machine is shared and single runs wander)."""
    runs = [_once(source, fresh(n), folder / str(n)) for n in range(repeats)]
    median = {key: statistics.median(run[key] for run in runs) for key in runs[0] if key.endswith("_s")}
    rows, uncompressed = runs[0]["rows"], runs[0]["uncompressed_mb"]
    return {
        "source": source.db.dialect,
        "target": target,
        **{key: runs[0][key] for key in ("entries", "rows", "archive_mb", "uncompressed_mb")},
        "repeats": repeats,
        **{key: round(value, 3) for key, value in median.items()},
        "backup_rows_per_s": round(rows / median["backup_s"]),
        "backup_mb_per_s_uncompressed": round(uncompressed / median["backup_s"], 1),
        "restore_load_rows_per_s": round(rows / median["restore_load_s"]),
        "restore_rows_per_s_overall": round(rows / median["restore_total_s"]),
    }


def _fresh_postgres(cluster: Any, name: str) -> str:
    admin = create_engine(cluster.url(), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f"CREATE DATABASE {name}"))
    admin.dispose()
    return str(cluster.url(name))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--learners", type=int, default=400, help="demo learners to seed (about 10 entries each)")
    parser.add_argument("--postgres", action="store_true", help="also run on a throw-away PostgreSQL cluster")
    parser.add_argument("--repeats", type=int, default=3, help="backups and restores per pair (median reported)")
    args = parser.parse_args()
    runs: list[dict[str, Any]] = []
    seeding: dict[str, float] = {}
    with tempfile.TemporaryDirectory(prefix="creditbank-backup-bench-") as scratch:
        root = Path(scratch)
        sqlite, seeding["sqlite"] = _seeded(f"sqlite:///{root / 'a' / 'bank.sqlite3'}", root / "a", args.learners)
        on_sqlite = lambda n: f"sqlite:///{root / 'b' / str(n) / 'bank.sqlite3'}"  # noqa: E731
        runs.append(_measure(sqlite, "sqlite", on_sqlite, root / "b", args.repeats))
        if args.postgres:
            from tests.postgres import Cluster

            cluster = Cluster()
            cluster.start()
            try:
                postgres, seeding["postgresql"] = _seeded(_fresh_postgres(cluster, "source"), root / "c", args.learners)
                names = iter(range(1000))
                on_postgres = lambda _: _fresh_postgres(cluster, f"target{next(names)}")  # noqa: E731
                runs.append(_measure(postgres, "postgresql", on_postgres, root / "d", args.repeats))
                runs.append(_measure(sqlite, "postgresql", on_postgres, root / "e", args.repeats))
                postgres.db.dispose()
            finally:
                cluster.stop()
        sqlite.db.dispose()
    result = {
        "benchmark": "backup",
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {"python": platform.python_version(), "platform": platform.platform(), "cpus": 2},
        "learners": args.learners,
        "note": "2 cores shared with other work while measured; medians of the repeats",
        "seeding_s": {name: round(seconds, 1) for name, seconds in seeding.items()},
        "runs": runs,
    }
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / f"backup-{datetime.now(UTC):%Y%m%d}.json"
    out.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))
    print(f"written to {out}")


if __name__ == "__main__":
    main()
