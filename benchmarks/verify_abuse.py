"""Abuse benchmark for the verify door: hostile uploads against honest ones, on gunicorn.

    .venv/bin/python benchmarks/verify_abuse.py [--quick] [--workers N] [--threads N]

A demo bank in a temporary SQLite instance issues a credential; gunicorn serves it. Then:
1. each hostile input is posted alone to POST /api/v1/verify, and the CPU the server's processes spent on it is
   read from /proc (every process of gunicorn's session, with what the exited ones left to their parents): the
   worst case is compared with the 2 s budget. Each answer must be a 422 naming its limit, never a 500;
2. honest verifications (a JSON credential with its receipt) run alone, then while one client per worker keeps
   posting the expensive hostile inputs; /health is polled throughout. p50/p95 of each, and the slowest /health.

The hostile inputs (also used by tests/credentials/test_verify_limits.py): a clique of eight blank nodes in
`evidence` (the 4.6 KB upload that took minutes), a proof array of 1,000, deep nesting, a wide array, many blank
nodes, a small clique with identical subtrees (within every limit, so only the CPU budget stops it), PDFs with many
pages, with pages sharing one large content stream, and with a compressed content stream that inflates a thousandfold.

Results go to benchmarks/results/verify-abuse-<date>.json.
"""

from __future__ import annotations

import argparse
import copy
import io
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
RESULTS = ROOT / "benchmarks" / "results"
LINK = "http://example.org/link"  # an absolute IRI needs no context term, so it passes the safe mode


# -- hostile inputs -------------------------------------------------------------------------------------------------


def _with(bundle: dict[str, Any], change: Callable[[dict[str, Any]], None]) -> bytes:
    changed = copy.deepcopy(bundle)
    change(changed["credential"])
    return json.dumps(changed).encode()


def _clique(size: int, subtree: int = 0) -> list[dict[str, Any]]:
    """Blank nodes that all link to each other (and each to `subtree` identical blank children)."""
    return [
        {
            "id": f"_:n{i}",
            "type": "Evidence",
            LINK: [{"id": f"_:n{j}"} for j in range(size) if j != i] + [{LINK: "x"} for _ in range(subtree)],
        }
        for i in range(size)
    ]


def hostile_json(bundle: dict[str, Any]) -> dict[str, tuple[bytes, str]]:
    """Hostile variants of an honest {credential, receipt} bundle: name -> (bytes, the limit that refuses it)."""

    def nested(levels: int) -> Any:
        value: Any = "x"
        for _ in range(levels):
            value = [value]
        return value

    def evidence(items: list[Any]) -> Callable[[dict[str, Any]], None]:
        return lambda credential: credential.__setitem__("evidence", items)

    return {
        "clique_8_blank_nodes": (_with(bundle, evidence(_clique(8))), "blank_labels"),
        "proofs_1000": (_with(bundle, lambda c: c.__setitem__("proof", c["proof"] * 1000)), "proofs"),
        "nesting_40": (_with(bundle, evidence([{LINK: nested(40)}])), "depth"),
        "array_5000": (_with(bundle, evidence([{LINK: ["x"] * 5000}])), "array"),
        "blank_tree_3_levels": (_with(bundle, evidence([{LINK: [{LINK: [{LINK: "x"}] * 10}] * 10}])), "blank_depth"),
        "blank_nodes_2000": (_with(bundle, evidence([{LINK: {LINK: "x"}} for _ in range(1000)])), "blank_nodes"),
        "containers_100k": (b"[" + b"{}," * 100_000 + b"{}]", "containers"),
        # Within every limit above: four labels, two levels, 44 blank nodes. Only the CPU budget stops it.
        "clique_4_with_subtrees": (_with(bundle, evidence(_clique(4, subtree=10))), "cpu_seconds"),
    }


def _pdf(pages: int, content: bytes, attached: bytes, *, share: bool) -> bytes:
    from pypdf import PdfWriter
    from pypdf.generic import DecodedStreamObject, NameObject

    writer = PdfWriter()
    # Carrying a credential, the file gets past the attachment checks to the text extraction.
    writer.add_attachment("credential.json", attached)
    shared = None
    for _ in range(pages):
        page = writer.add_blank_page(595, 842)
        if shared is None or not share:
            stream = DecodedStreamObject()
            stream.set_data(content)
            shared = writer._add_object(stream.flate_encode())
        page[NameObject("/Contents")] = shared
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def hostile_pdfs(bundle: dict[str, Any]) -> dict[str, tuple[bytes, str]]:
    """PDFs that carry the bundle's credential and are expensive to read: name -> (bytes, the limit refusing it)."""
    attached = json.dumps(bundle["credential"]).encode()
    text = b"BT /F1 12 Tf 72 712 Td (x) Tj ET\n"
    return {
        "pdf_200_pages": (_pdf(200, text, attached, share=True), "pages"),
        # One 200 KB stream drawn by 20 pages: a few KB on disk, 4 MB of content for a text extractor.
        "pdf_shared_stream": (_pdf(20, text * (200_000 // len(text)), attached, share=True), "page_content"),
        # 40 MB of zeros compress to 40 KB.
        "pdf_flate_bomb": (_pdf(1, b"0" * (40 * 1024 * 1024), attached, share=True), "stream"),
    }


# -- measuring ------------------------------------------------------------------------------------------------------


def _session_cpu(sid: int) -> float:
    """CPU seconds of every process in the session, including what exited children left to their parents."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        # After the command: state ppid pgrp session ... utime(12) stime(13) cutime(14) cstime(15), 0-based from state.
        if int(fields[3]) == sid:
            total += sum(int(value) for value in fields[11:15])
    return total / ticks


def _post(port: int, path: str, data: bytes | None = None, timeout: float = 60) -> tuple[int, bytes]:
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", data=data, method="POST" if data else "GET")
    if data is not None:
        request.add_header("Content-Type", "application/octet-stream")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def _quantiles(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    return {
        "p50_ms": round(statistics.median(ordered) * 1000, 1),
        "p95_ms": round(ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))] * 1000, 1),
        "max_ms": round(ordered[-1] * 1000, 1),
        "n": len(ordered),
    }


def prepare_bank(instance: Path) -> tuple[dict[str, str], bytes]:
    """A demo bank with one issued credential; its settings and the honest bundle."""
    from creditbank import create_app, demo, migrate
    from creditbank.runtime import bank_of
    from creditbank.services import credentials
    from creditbank.services.records import achievement_reads, achievements, learners
    from creditbank.services.records.achievements import Submission
    from creditbank.services.records.api_keys import SCOPES, Principal

    settings = {
        "CREDITBANK_INSTANCE_PATH": str(instance),
        "CREDITBANK_KEY_PASSPHRASE": "bench",
        "CREDITBANK_DATABASE_URL": f"sqlite:///{instance / 'bench.sqlite3'}",
        "CREDITBANK_LOG_LEVEL": "WARNING",
    }
    app = create_app(settings)
    bank = bank_of(app)
    migrate.upgrade(bank.db.engine)
    bank.prepare_keys()
    demo.seed(bank, 2)
    staff = Principal("bench", "demo-university", frozenset(SCOPES))
    person = learners.LearnerInput(birth_date=date(1960, 1, 2), name_zh="王堃")
    learner = learners.enroll(bank, staff, person).body["id"]
    course = {"kind": "course", "title": {"zh": "数据素养", "en": "Data literacy"}, "credits": 2, "hours": 32,
              "completed": "2025-06-30", "result": {"type": "pass_fail", "passed": True}}  # fmt: skip
    achievements.record(bank, staff, [Submission(learner, "ABUSE-1", course)], batch=True)
    first = achievement_reads.page_for_learner(bank, staff, learner, None, 1).items[0]["id"]
    issued = credentials.issue(bank, staff, credentials.Request(learner, "achievement", first))
    honest = json.dumps(credentials.bundle(bank, None, issued["id"])).encode()
    bank.db.dispose()
    return settings, honest


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="shorter phases")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=1, help="gunicorn threads per worker (1: sync workers)")
    args = parser.parse_args()
    seconds = 8 if args.quick else 20

    instance = Path(tempfile.mkdtemp(prefix="creditbank-abuse-"))
    settings, honest = prepare_bank(instance)
    hostile = {**hostile_json(json.loads(honest)), **hostile_pdfs(json.loads(honest))}
    port = _free_port()
    command = [str(Path(sys.executable).with_name("gunicorn")), "-w", str(args.workers), "--threads",
               str(args.threads), "-b", f"127.0.0.1:{port}", "--no-control-socket", "wsgi:app"]  # fmt: skip
    log = (instance / "gunicorn.log").open("wb")
    server = subprocess.Popen(command, cwd=ROOT, env={**os.environ, **settings}, stdout=log, stderr=log,
                              start_new_session=True)  # fmt: skip
    report: dict[str, Any] = {"date": datetime.now(UTC).isoformat(), "machine": _machine(), "workers": args.workers,
                              "threads": args.threads, "load_average_before": os.getloadavg()}  # fmt: skip
    try:
        _wait_healthy(port)
        for _ in range(2 * args.workers):  # each worker starts its verification children on first use
            _post(port, "/api/v1/verify", honest)

        print("hostile inputs, one at a time…", flush=True)
        costs: dict[str, Any] = {}
        for name, (data, limit) in hostile.items():
            before = _session_cpu(server.pid)
            started = time.perf_counter()
            status, body = _post(port, "/api/v1/verify", data)
            wall = time.perf_counter() - started
            time.sleep(0.3)  # let a killed child be reaped, so its CPU reaches its parent's counters
            cpu = _session_cpu(server.pid) - before
            problem = json.loads(body) if body.startswith(b"{") else {}
            named = f"limit {limit}:" in " ".join(problem.get("errors", {}).get("file", []))
            costs[name] = {"bytes": len(data), "status": status, "limit": limit, "named": named,
                           "server_cpu_s": round(cpu, 3), "wall_s": round(wall, 3)}  # fmt: skip
            print(f"  {name}: {costs[name]}", flush=True)
        worst = max(costs.values(), key=lambda item: item["server_cpu_s"])
        report["hostile"] = costs
        report["worst_cpu_s"] = worst["server_cpu_s"]
        report["budget_s"] = 2.0
        report["worst_ratio_to_budget"] = round(worst["server_cpu_s"] / 2.0, 2)

        print("honest verifications alone…", flush=True)
        report["honest_alone"] = _quantiles(_honest_for(port, honest, seconds / 2))
        print(f"  {report['honest_alone']}", flush=True)

        print(f"honest verifications with {args.workers} hostile clients…", flush=True)
        slow = ("clique_4_with_subtrees", "pdf_shared_stream", "clique_8_blank_nodes")
        expensive = [hostile[name][0] for name in slow]
        stop = threading.Event()
        refused: list[int] = []

        def attack(offset: int) -> None:
            index = offset
            while not stop.is_set():
                refused.append(_post(port, "/api/v1/verify", expensive[index % len(expensive)])[0])
                index += 1

        health: list[float] = []

        def poll_health() -> None:
            while not stop.is_set():
                started = time.perf_counter()
                status, _ = _post(port, "/health", timeout=60)
                assert status == 200
                health.append(time.perf_counter() - started)
                time.sleep(0.1)

        threads = [threading.Thread(target=attack, args=(i,)) for i in range(args.workers)]
        threads.append(threading.Thread(target=poll_health))
        for thread in threads:
            thread.start()
        time.sleep(0.5)
        try:
            under_attack = _honest_for(port, honest, seconds)
        finally:
            stop.set()
            for thread in threads:
                thread.join()
        report["honest_under_attack"] = _quantiles(under_attack)
        report["health_under_attack"] = _quantiles(health)
        report["hostile_answers"] = {str(code): refused.count(code) for code in sorted(set(refused))}
        print(f"  honest {report['honest_under_attack']}", flush=True)
        print(f"  /health {report['health_under_attack']}", flush=True)
        print(f"  hostile answers {report['hostile_answers']}", flush=True)
        report["load_average_after"] = os.getloadavg()
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()

    RESULTS.mkdir(parents=True, exist_ok=True)
    suffix = "" if args.threads == 1 else f"-threads{args.threads}"
    out = RESULTS / f"verify-abuse-{datetime.now(UTC):%Y%m%d}{suffix}.json"
    out.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print(f"written {out}")


def _honest_for(port: int, honest: bytes, seconds: float) -> list[float]:
    samples = []
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        started = time.perf_counter()
        status, body = _post(port, "/api/v1/verify", honest)
        samples.append(time.perf_counter() - started)
        if status != 200 or json.loads(body)["valid"] is not True:
            raise SystemExit(f"an honest verification failed: {status} {body[:300]!r}")
    return samples


def _wait_healthy(port: int) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if _post(port, "/health", timeout=2)[0] == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise SystemExit("gunicorn did not answer within 60 s")


def _free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _machine() -> dict[str, Any]:
    return {"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform()}


if __name__ == "__main__":
    main()
