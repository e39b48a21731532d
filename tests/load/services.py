"""The processes under test: one gunicorn master with two workers, and `creditbank scheduler` processes.

Each runs in its own session so that stopping it takes its children too, and logs to a file in the
test's folder; the test reads those files when something fails.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

from tests.load.clients import call

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def children_of(pid: int) -> list[int]:
    """Live processes whose parent is ``pid``, read from /proc."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue  # the process ended while we looked
        # The command name is parenthesized and may hold spaces; the fields after it are plain.
        state, parent = text[text.rindex(")") + 2 :].split()[:2]
        if int(parent) == pid and state != "Z":
            found.append(int(stat.parent.name))
    return sorted(found)


class Services:
    def __init__(self, env: dict[str, str], folder: Path) -> None:
        self.env = env
        self.folder = folder
        self.port = free_port()
        self.gunicorn: subprocess.Popen[bytes] | None = None
        self.schedulers: list[subprocess.Popen[bytes]] = []

    def _spawn(self, command: list[str], log_name: str) -> subprocess.Popen[bytes]:
        with (self.folder / log_name).open("ab") as log:
            return subprocess.Popen(
                command, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )

    def cli(self, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(BIN / "creditbank"), *args], cwd=ROOT, env=self.env, capture_output=True, text=True, timeout=timeout
        )

    def start_gunicorn(self, workers: int = 2) -> None:
        # No control socket: its default path is one per user, which other gunicorns on the machine share.
        command = [str(BIN / "gunicorn"), "-w", str(workers), "-b", f"127.0.0.1:{self.port}", "--no-control-socket"]
        command.append("wsgi:app")
        self.gunicorn = self._spawn(command, "gunicorn.log")
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            assert self.gunicorn.poll() is None, f"gunicorn exited: {self.log('gunicorn.log')[-2000:]}"
            try:
                if call(self.port, "GET", "/health")[0] == 200 and len(self.workers()) == workers:
                    return
            except OSError:
                pass
            time.sleep(0.2)
        raise AssertionError("gunicorn did not answer within 60 s")

    def workers(self) -> list[int]:
        assert self.gunicorn is not None
        return children_of(self.gunicorn.pid)

    def kill_worker(self) -> int:
        victim = self.workers()[0]
        os.kill(victim, signal.SIGKILL)
        return victim

    @property
    def scheduler(self) -> subprocess.Popen[bytes]:
        return self.schedulers[-1]

    def start_scheduler(self) -> subprocess.Popen[bytes]:
        process = self._spawn([str(BIN / "creditbank"), "scheduler"], f"scheduler-{len(self.schedulers) + 1}.log")
        self.schedulers.append(process)
        return process

    def kill_scheduler(self) -> None:
        self.scheduler.kill()
        self.scheduler.wait(timeout=10)

    def log(self, name: str) -> str:
        path = self.folder / name
        return path.read_text(errors="replace") if path.exists() else ""

    def logged_errors(self) -> Counter[str]:
        """ERROR and CRITICAL lines of every process, by message and the last line of the exception."""
        found: Counter[str] = Counter()
        for path in sorted(self.folder.glob("*.log")):
            for line in path.read_text(errors="replace").splitlines():
                try:
                    record = json.loads(line)
                except ValueError:
                    continue
                if not isinstance(record, dict) or record.get("level") not in {"ERROR", "CRITICAL"}:
                    continue
                error = str(record.get("error", "")).strip().splitlines()
                found[f"{path.stem}: {record.get('message')} {error[-1] if error else ''}".strip()] += 1
        return found

    def stop(self) -> None:
        for process in [*self.schedulers, *([self.gunicorn] if self.gunicorn else [])]:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in [*self.schedulers, *([self.gunicorn] if self.gunicorn else [])]:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=10)
