"""Import benchmark: a 10,000-row spreadsheet of new learners through upload, validation and commit, in-process.

    .venv/bin/python benchmarks/import.py [--quick] [--rows N] [--database sqlite|postgresql | --database-url URL]
                                          [--format xlsx|csv|both] [--suffix before]

Before measuring, the demo institutions, the shipped frameworks, the example catalogue (approved) and the example
rule set are published (``demo.publish_credit_rules``, as the ingest benchmark does), so every imported achievement
converts. Each file holds one row per new learner (a valid resident ID number, names, birth date, no e-mail) with
one course achievement. The run calls the service's use cases as the console does: ``upload``, ``validate`` (which
parses the file), ``commit``; and, separately, the reader alone on the same bytes. It reports rows/s for the read,
the validation, the commit and end to end (upload + validate + commit), each against the issue's target of 1,000
rows/s end to end on this machine's 2 cores (ratio = measured/target, so >= 1 means met), and counts the entries
the commit appended by kind. Each format runs on a fresh database. The load average is recorded at the start and
the end (the machine is shared). ``--database postgresql`` starts a throw-away cluster (tests/postgres.py; fsync
off). Results go to benchmarks/results/import-<backend>-<date>[-suffix].json.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import platform
import random
import shutil
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.run_facts import git_commit, load_average  # noqa: E402

RESULTS = ROOT / "benchmarks" / "results"
INSTITUTION = "demo-university"
TARGET_ROWS_PER_S = 1000
FIELDS = (
    "name_zh",
    "name_latin",
    "birth_date",
    "national_id_country",
    "national_id",
    "record_id",
    "kind",
    "title_zh",
    "title_en",
    "code",
    "credits",
    "hours",
    "started",
    "completed",
    "mode",
    "result_type",
    "result_score",
    "result_max",
    "language",
)
_SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
_GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华"


def resident_id(serial: int, born: date) -> str:
    """A resident identity number with a valid GB 11643 check character, unique per ``serial``."""
    head = f"{110105 + serial // 1000:06d}{born:%Y%m%d}{serial % 1000:03d}"
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    return head + "10X98765432"[sum(int(d) * w for d, w in zip(head, weights, strict=True)) % 11]


def rows(count: int, offset: int) -> list[dict[str, Any]]:
    rng = random.Random(offset)
    made = []
    for index in range(count):
        serial = offset + index
        born = date(1950, 1, 1) + timedelta(days=rng.randrange(365 * 55))
        surname, given = _SURNAMES[serial % len(_SURNAMES)], _GIVEN[(serial // 20) % len(_GIVEN)]
        made.append(
            {
                "name_zh": f"{surname}{given}{_GIVEN[serial % len(_GIVEN)]}",
                "name_latin": f"Learner {serial}",
                "birth_date": born,
                "national_id_country": "CN",
                "national_id": resident_id(serial, born),
                "record_id": f"IMP-{serial:07d}",
                "kind": "course",
                "title_zh": "程序设计基础",
                "title_en": "Foundations of Programming",
                "code": "CS101",
                "credits": 3,
                "hours": 48,
                "started": date(2025, 9, 1),
                "completed": date(2026, 1, 10),
                "mode": "in_person",
                "result_type": "score",
                "result_score": 60 + serial % 40,
                "result_max": 100,
                "language": "zh-CN",
            }
        )
    return made


def headers() -> list[str]:
    from creditbank.spreadsheets.columns import BY_FIELD

    return [BY_FIELD[name].header for name in FIELDS]


def as_xlsx(table: list[dict[str, Any]]) -> bytes:
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet("导入")
    sheet.append(headers())
    for row in table:
        sheet.append([row[name] for name in FIELDS])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def as_csv(table: list[dict[str, Any]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(headers())
    for row in table:
        writer.writerow([value.isoformat() if isinstance(value, date) else value for value in row.values()])
    return out.getvalue().encode("utf-8")


class Database:
    """The backend under test: SQLite files in the instance folder, a given URL, or a throw-away PostgreSQL cluster
    (one fresh database per run)."""

    def __init__(self, kind: str, url: str | None) -> None:
        self.cluster: Any = None
        self.url = url
        self.kind = ("postgresql" if url.startswith("postgresql") else "sqlite") if url else kind
        if not url and kind == "postgresql":
            from tests.postgres import Cluster

            self.cluster = Cluster()
            self.cluster.start()

    def fresh_url(self, name: str, folder: Path) -> str | None:
        if self.url:
            return self.url
        if self.cluster is None:
            return f"sqlite:///{folder / f'{name}.sqlite3'}"
        from sqlalchemy import create_engine, text

        admin = create_engine(self.cluster.url(), isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(text(f"CREATE DATABASE {name}"))
        admin.dispose()
        return str(self.cluster.url(name))

    def close(self) -> None:
        if self.cluster is not None:
            self.cluster.stop()


def bank_for(url: str, instance: Path) -> Any:
    from creditbank import create_app, demo, migrate
    from creditbank.runtime import bank_of
    from creditbank.services.records import institutions

    bank = bank_of(
        create_app(
            {
                "CREDITBANK_DATABASE_URL": url,
                "CREDITBANK_INSTANCE_PATH": str(instance),
                "CREDITBANK_KEY_PASSPHRASE": "bench",
                "CREDITBANK_LOG_LEVEL": "WARNING",
            }
        )
    )
    migrate.upgrade(bank.db.engine)
    bank.prepare_keys()
    for institution in demo.DEMO_INSTITUTIONS:
        institutions.register(bank, institution)
    demo.publish_credit_rules(bank)
    return bank


def entry_counts(bank: Any, after: int) -> dict[str, int]:
    from sqlalchemy import text

    with bank.db.reading() as session:
        found = session.execute(
            text("SELECT kind, count(*) FROM ledger_entries WHERE seq >= :after GROUP BY kind ORDER BY kind"),
            {"after": after},
        ).all()
    return {kind: int(count) for kind, count in found}


def measure(bank: Any, fmt: str, count: int) -> dict[str, Any]:
    from creditbank import ledger_store, spreadsheets
    from creditbank.services import imports
    from creditbank.services.records import api_keys

    table = rows(count, 0)
    data = as_xlsx(table) if fmt == "xlsx" else as_csv(table)
    name = f"learners.{fmt}"
    started = time.perf_counter()
    parsed = spreadsheets.read(name, data)
    read_s = time.perf_counter() - started
    if len(parsed.rows) != count or parsed.problems:
        raise SystemExit(f"the generated file does not read cleanly: {parsed.problems[:3]}")
    del parsed
    principal = api_keys.Principal("bench", INSTITUTION, frozenset(api_keys.SCOPES), staff="stf_bench")
    with bank.db.reading() as session:
        before = ledger_store.tree_size(session)
    cpu = time.process_time()
    started = time.perf_counter()
    uploaded = imports.upload(bank, principal, name, data)
    upload_s = time.perf_counter() - started
    checked = imports.validate(bank, uploaded.id)
    validate_s = time.perf_counter() - started - upload_s
    if checked.state != "ready":
        raise SystemExit(f"the generated file did not validate: {checked.problems[:3]}")
    written = imports.commit(bank, principal, checked.id)
    total_s = time.perf_counter() - started
    commit_s = total_s - upload_s - validate_s
    cpu_s = time.process_time() - cpu
    if written.state != "written" or written.rows_written != count:
        raise SystemExit(f"the import did not write every row: {written}")
    entries = entry_counts(bank, before)
    again = imports.validate(bank, imports.upload(bank, principal, name, data).id)

    def rate(seconds: float) -> dict[str, float]:
        per_s = count / seconds
        return {
            "seconds": round(seconds, 3),
            "rows_per_s": round(per_s, 1),
            "ratio": round(per_s / TARGET_ROWS_PER_S, 3),
        }

    return {
        "format": fmt,
        "rows": count,
        "file_bytes": len(data),
        "read_alone": rate(read_s),
        "upload": {"seconds": round(upload_s, 3)},
        "validate": rate(validate_s),
        "commit": rate(commit_s),
        "end_to_end": rate(total_s),
        "process_cpu_seconds_end_to_end": round(cpu_s, 3),
        "summary": written.summary,
        "entries_appended": entries,
        "entries_total": sum(entries.values()),
        "same_file_again": {"state": again.state, "unchanged_achievements": again.summary["unchanged_achievements"]},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="1,000 rows instead of 10,000")
    parser.add_argument("--rows", type=int, help="rows per file (default 10,000)")
    parser.add_argument("--database", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--database-url", help="a database URL (overrides --database; one run only)")
    parser.add_argument("--format", choices=("xlsx", "csv", "both"), default="both")
    parser.add_argument("--suffix", default="", help="appended to the results file name, e.g. 'before'")
    args = parser.parse_args()
    count = args.rows or (1000 if args.quick else 10_000)
    formats = ("xlsx", "csv") if args.format == "both" else (args.format,)
    load_start = load_average()
    started_at = datetime.now(UTC)
    database = Database(args.database, args.database_url)
    folder = Path(tempfile.mkdtemp(prefix="creditbank-import-"))
    results = []
    try:
        for fmt in formats:
            url = database.fresh_url(f"import_{fmt}", folder)
            assert url is not None
            bank = bank_for(url, folder / f"instance-{fmt}")
            try:
                print(f"{fmt}: {count} rows on {database.kind}…", flush=True)
                outcome = measure(bank, fmt, count)
            finally:
                bank.db.dispose()
            results.append(outcome)
            print(
                f"  read {outcome['read_alone']['rows_per_s']}/s, validate {outcome['validate']['rows_per_s']}/s, "
                f"commit {outcome['commit']['rows_per_s']}/s, end to end {outcome['end_to_end']['rows_per_s']}/s "
                f"(ratio {outcome['end_to_end']['ratio']}); {outcome['entries_total']} entries",
                flush=True,
            )
    finally:
        database.close()
        shutil.rmtree(folder, ignore_errors=True)
    report = {
        "benchmark": "import",
        "started_at": started_at.isoformat(),
        "target": {"end_to_end_rows_per_s": TARGET_ROWS_PER_S, "rows": 10_000},
        "database": database.kind,
        "results": results,
        "code": {"commit": git_commit()},
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "load_average_start": load_start,
            "load_average_end": load_average(),
            "postgresql": "throw-away cluster (tests/postgres.py): fsync=off" if database.cluster else None,
        },
    }
    RESULTS.mkdir(exist_ok=True)
    suffix = f"-{args.suffix}" if args.suffix else ""
    quick = "-quick" if count < 10_000 else ""
    out = RESULTS / f"import-{database.kind}-{started_at:%Y%m%d}{suffix}{quick}.json"
    out.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"load average {load_start} → {report['machine']['load_average_end']}; results in {out}")


if __name__ == "__main__":
    main()
