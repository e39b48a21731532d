"""docs/deploy.md, followed: its shell blocks run in order, its environment file is written (with this test's
paths, port and database), and its systemd units' ExecStart lines run gunicorn and the scheduler against a real
PostgreSQL — so the guide cannot drift from what the service does."""

from __future__ import annotations

import json
import os
import re
import shlex
import signal
import socket
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import create_engine, text

from creditbank import config as settings_module
from tests.postgres import Cluster

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
GUIDE = ROOT / "docs" / "deploy.md"
# Read by gunicorn's settings module rather than by creditbank's own settings.
OTHER_VARIABLES = {"CREDITBANK_BIND", "WEB_CONCURRENCY", "GUNICORN_THREADS"}


@dataclass
class Block:
    info: str
    text: str


def blocks() -> list[Block]:
    found = re.findall(r"^```(\w*)\n(.*?)^```$", GUIDE.read_text(encoding="utf-8"), flags=re.MULTILINE | re.DOTALL)
    return [Block(info, body) for info, body in found]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def get(url: str, token: str | None = None) -> tuple[int, str]:
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"} if token else {})
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            return answer.status, answer.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()
    except OSError:
        return 0, ""


class Guide:
    """The state of a machine set up by following the guide."""

    def __init__(self, root: Path, cluster: Cluster) -> None:
        self.config = root / "etc"
        self.data = root / "var"
        self.run = root / "run"
        self.port = free_port()
        self.scheduler_port = free_port()
        self.cluster = cluster
        self.variables = {
            "CREDITBANK_HOME": str(ROOT),
            "CONFIG": str(self.config),
            "DATA": str(self.data),
            "POSTGRES_ADMIN_URL": f"postgresql://postgres@127.0.0.1:{cluster.port}/postgres",
        }
        self.processes: dict[str, subprocess.Popen[bytes]] = {}
        self.environment: dict[str, str] = {}

    def write_environment(self, block: Block) -> None:
        values = dict(
            line.split("=", 1) for line in block.text.splitlines() if line.strip() and not line.startswith("#")
        )
        known = set(settings_module._SETTINGS) | OTHER_VARIABLES
        assert set(values) <= known, f"the guide names settings the service does not read: {set(values) - known}"
        database = values["CREDITBANK_DATABASE_URL"]
        assert database.startswith("postgresql+psycopg://creditbank@")
        values["CREDITBANK_DATABASE_URL"] = re.sub(r"@[^/]+/", f"@127.0.0.1:{self.cluster.port}/", database)
        values["CREDITBANK_INSTANCE_PATH"] = str(self.data / "instance")
        values["CREDITBANK_KEY_PASSPHRASE_FILE"] = str(self.config / "passphrase")
        values["CREDITBANK_BIND"] = f"127.0.0.1:{self.port}"
        values["WEB_CONCURRENCY"] = "2"
        values["CREDITBANK_METRICS_DIR"] = str(self.run / "metrics")
        values["CREDITBANK_SCHEDULER_METRICS_BIND"] = f"127.0.0.1:{self.scheduler_port}"
        self.config.mkdir(parents=True, exist_ok=True)
        (self.config / "env").write_text("".join(f"{key}={value}\n" for key, value in values.items()))
        self.environment = values

    def sh(self, block: Block) -> str:
        load = f"set -a; . {shlex.quote(str(self.config / 'env'))}; set +a\n" if self.environment else ""
        script = "set -euo pipefail\n" + load + block.text
        done = subprocess.run(
            ["bash", "-c", script],
            env={"PATH": os.environ["PATH"], "HOME": str(self.data), **self.variables},
            capture_output=True,
            text=True,
            timeout=600,
        )
        assert done.returncode == 0, (
            f"guide block failed:\n{block.text}\nstdout:\n{done.stdout}\nstderr:\n{done.stderr}"
        )
        return done.stdout

    def start_unit(self, block: Block) -> None:
        unit = dict(line.split("=", 1) for line in block.text.splitlines() if "=" in line and not line.startswith("#"))
        name = block.text.splitlines()[0].rsplit("/", 1)[-1]
        assert unit["EnvironmentFile"] == "/etc/creditbank/env"
        assert unit["WorkingDirectory"] == "/opt/creditbank"
        command = shlex.split(unit["ExecStart"].replace("/opt/creditbank", str(ROOT)))
        environment = {"PATH": os.environ["PATH"], **self.environment}
        (self.run / "metrics").mkdir(parents=True, exist_ok=True)
        with (self.run / f"{name}.log").open("wb") as log:
            self.processes[name] = subprocess.Popen(
                command, cwd=ROOT, env=environment, stdout=log, stderr=log, start_new_session=True
            )

    def wait_ready(self) -> None:
        deadline = time.monotonic() + 60
        while get(f"http://127.0.0.1:{self.port}/ready")[0] != 200:
            for name, process in self.processes.items():
                assert process.poll() is None, (self.run / f"{name}.log").read_text()
            assert time.monotonic() < deadline, "the service never became ready"
            time.sleep(0.3)

    def stop(self) -> dict[str, int | None]:
        codes: dict[str, int | None] = {}
        for name, process in self.processes.items():
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
            try:
                codes[name] = process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                codes[name] = None
        return codes


@pytest.fixture
def guide(tmp_path: Path) -> Iterator[Guide]:
    cluster = Cluster()
    cluster.start()
    following = Guide(tmp_path, cluster)
    try:
        yield following
    finally:
        following.stop()
        cluster.stop()


def test_the_deployment_guide_works_as_written(guide: Guide) -> None:
    steps = blocks()
    assert [step.info for step in steps if step.info not in ("", "sh", "ini", "nginx")] == []
    units = [step for step in steps if step.info == "ini" and "[Service]" in step.text]
    assert len(units) == 2
    outputs: list[str] = []
    for step in steps:
        if step.info == "ini" and step.text.startswith("# $CONFIG/env"):
            guide.write_environment(step)
        elif step in units:
            guide.start_unit(step)
        elif step.info == "sh":
            if guide.processes:
                guide.wait_ready()
            outputs.append(guide.sh(step))
    assert set(guide.processes) == {"creditbank-web.service", "creditbank-scheduler.service"}
    run_output = "\n".join(outputs)
    assert re.search(r"^ok\b|\"status\": ?\"ok\"", run_output, flags=re.MULTILINE)
    assert re.search(r"^creditbank_ledger_entries_total \d", run_output, flags=re.MULTILINE)

    # Any worker answers /metrics for all of them (the multi-process directory the guide configures).
    base = f"http://127.0.0.1:{guide.port}"
    for _ in range(20):
        assert get(f"{base}/health")[0] == 200
    counts = set()
    for _ in range(6):
        status, body = get(f"{base}/metrics", guide.environment.get("CREDITBANK_METRICS_TOKEN"))
        assert status == 200
        samples = {
            (sample.name, sample.labels.get("route"), sample.labels.get("status")): sample.value
            for family in text_string_to_metric_families(body)
            for sample in family.samples
        }
        counts.add(samples[("creditbank_http_requests_total", "/health", "200")])
    assert len(counts) == 1, f"scrapes disagree, so they are not adding up the workers: {counts}"
    assert counts.pop() >= 21
    worker_files = {path.name for path in (guide.run / "metrics").iterdir()}
    assert len({re.sub(r"\D", "", name) for name in worker_files}) >= 2, worker_files

    status, body = get(f"http://127.0.0.1:{guide.scheduler_port}/metrics")
    assert status == 200
    scheduler = {
        (sample.name, sample.labels.get("result")): sample.value
        for family in text_string_to_metric_families(body)
        for sample in family.samples
    }
    assert scheduler[("creditbank_checkpoints_signed_total", None)] >= 1
    assert scheduler[("creditbank_monitor_checks_total", "pass")] >= 1
    assert ("creditbank_monitor_checks_total", "fail") not in scheduler

    # The restore the guide runs produced a database holding a signed view of the same ledger.
    def latest_checkpoint(database: str) -> tuple[int, str]:
        engine = create_engine(guide.cluster.url(database))
        with engine.connect() as connection:
            row = connection.execute(text("SELECT size, note FROM ledger_checkpoints ORDER BY size DESC LIMIT 1")).one()
        engine.dispose()
        return int(row[0]), str(row[1])

    restored_size, restored_note = latest_checkpoint("creditbank_restored")
    assert restored_size > 0
    engine = create_engine(guide.cluster.url("creditbank"))
    with engine.connect() as connection:
        original = connection.execute(
            text("SELECT note FROM ledger_checkpoints WHERE size = :size"), {"size": restored_size}
        ).scalar()
    engine.dispose()
    assert original == restored_note

    codes = guide.stop()
    assert codes == {"creditbank-web.service": 0, "creditbank-scheduler.service": 0}, codes
    for name in guide.processes:
        lines = (guide.run / f"{name}.log").read_text().splitlines()
        assert lines, f"{name} logged nothing"
        for line in lines:
            if line.startswith("{"):
                json.loads(line)
            else:
                assert name == "creditbank-scheduler.service", line
                assert line.startswith("scheduler "), line
