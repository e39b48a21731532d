"""Real banks for the federation tests: each one a `creditbank serve` process on loopback with its own instance
folder, database, keys, origin and public URL, run by its own CLI and spoken to over HTTP only."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

CLI = Path(sys.executable).with_name("creditbank")
# A process on a busy two-core machine can take tens of seconds to import and connect; a failure still names what
# it waited for and shows the bank's log.
STARTUP_SECONDS = 90.0
STOP_SECONDS = 20.0
LOG_TAIL = 12_000
PASSPHRASES = {"A": "bank-a passphrase", "B": "bank-b passphrase"}


def resident_id(first17: str) -> str:
    """A resident identity number (GB 11643) with its check character."""
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    total = sum(int(digit) * weight for digit, weight in zip(first17, weights, strict=True))
    return first17 + "10X98765432"[total % 11]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode("utf-8")

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Done:
    code: int
    stdout: str
    stderr: str

    @property
    def output(self) -> str:
        return self.stdout + self.stderr


@dataclass
class RunningBank:
    """One bank: where it lives, how to reach it, and its process while it runs."""

    label: str
    folder: Path
    database_url: str
    port: int = field(default_factory=free_port)
    env: dict[str, str] = field(default_factory=dict, repr=False)
    process: subprocess.Popen[bytes] | None = field(default=None, repr=False)
    token: str = field(default="", repr=False)

    def __post_init__(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        # A developer's own CREDITBANK_* settings (a PostgreSQL URL, a passphrase) must not reach a bank under test.
        self.env = {name: value for name, value in os.environ.items() if not name.startswith("CREDITBANK_")}
        self.env.update(
            {
                "CREDITBANK_INSTANCE_PATH": str(self.instance),
                "CREDITBANK_DATABASE_URL": self.database_url,
                "CREDITBANK_KEY_PASSPHRASE": PASSPHRASES[self.label],
                "CREDITBANK_SERVER_NAME": self.host,
                "CREDITBANK_PUBLIC_URL": self.base_url,
                # Half a second keeps the waits short and leaves the two cores to the commands the tests run.
                "CREDITBANK_CHECKPOINT_INTERVAL": "0.5",
                "CREDITBANK_LOG_FORMAT": "text",
                "PYTHONUNBUFFERED": "1",
            }
        )

    # --- where it is --------------------------------------------------------------------------------------------

    @property
    def instance(self) -> Path:
        return self.folder / "instance"

    @property
    def host(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def base_url(self) -> str:
        return f"http://{self.host}"

    @property
    def origin(self) -> str:
        return f"{self.host}/creditbank"

    @property
    def did(self) -> str:
        return f"did:web:127.0.0.1%3A{self.port}"

    @property
    def log_path(self) -> Path:
        return self.folder / "serve.log"

    def log_tail(self) -> str:
        try:
            text = self.log_path.read_text(encoding="utf-8", errors="replace")
        except OSError as exc:
            return f"(no log: {exc})"
        return text[-LOG_TAIL:] or "(nothing was logged)"

    # --- its command line ---------------------------------------------------------------------------------------

    def run(self, *args: str, stdin: str | None = None) -> Done:
        done = subprocess.run(
            [str(CLI), *args],
            env=self.env,
            cwd=self.folder,
            input=stdin,
            capture_output=True,
            text=True,
            timeout=180,
            check=False,
        )
        assert "Traceback" not in done.stderr, f"`creditbank {' '.join(args)}` at bank {self.label}:\n{done.stderr}"
        return Done(done.returncode, done.stdout, done.stderr)

    def cli(self, *args: str, stdin: str | None = None) -> str:
        """Run a command that must succeed and return what it printed."""
        done = self.run(*args, stdin=stdin)
        if done.code != 0:
            pytest.fail(
                f"`creditbank {' '.join(args)}` at bank {self.label} exited {done.code}:\n{done.output}", pytrace=False
            )
        return done.stdout

    # --- its HTTP doors -----------------------------------------------------------------------------------------

    def request(
        self, method: str, path: str, *, body: bytes | None = None, headers: dict[str, str] | None = None
    ) -> Answer:
        sent = urllib.request.Request(self.base_url + path, data=body, method=method, headers=headers or {})
        try:
            with urllib.request.urlopen(sent, timeout=30) as response:
                return Answer(response.status, dict(response.headers), response.read())
        except urllib.error.HTTPError as exc:
            with exc:
                return Answer(exc.code, dict(exc.headers), exc.read())

    def get(self, path: str, *, auth: bool = False) -> Answer:
        return self.request("GET", path, headers=self._auth() if auth else None)

    def post_json(self, path: str, document: Any, *, auth: bool = True) -> Answer:
        headers = {"Content-Type": "application/json", **(self._auth() if auth else {})}
        return self.request("POST", path, body=json.dumps(document).encode("utf-8"), headers=headers)

    def api(self, method: str, path: str, document: Any = None, *, expect: int = 200) -> Any:
        """An authenticated API call as this bank's institution that must answer ``expect``; its JSON."""
        answer = self.get(path, auth=True) if method == "GET" else self.post_json(path, document)
        assert answer.status == expect, f"{method} {path} at bank {self.label}: {answer.status} {answer.text}"
        return answer.json()

    def _auth(self) -> dict[str, str]:
        assert self.token, f"bank {self.label} has no institution API key yet"
        return {"Authorization": f"Bearer {self.token}"}

    # --- its process --------------------------------------------------------------------------------------------

    def start(self) -> None:
        assert self.process is None, f"bank {self.label} is already running"
        with self.log_path.open("ab") as sink:
            self.process = subprocess.Popen(
                [str(CLI), "serve", "--host", "127.0.0.1", "--port", str(self.port), "--no-demo"],
                env=self.env,
                cwd=self.folder,
                stdout=sink,
                stderr=subprocess.STDOUT,
            )
        self._wait_until_ready()

    def _wait_until_ready(self) -> None:
        assert self.process is not None
        deadline = time.monotonic() + STARTUP_SECONDS
        last = "no answer yet"
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                pytest.fail(
                    f"bank {self.label} exited with {self.process.returncode} before it was ready:\n{self.log_tail()}",
                    pytrace=False,
                )
            try:
                # /ready, not /health: it also waits for the migrations and a first signed checkpoint.
                answer = self.get("/ready")
                if answer.status == 200:
                    return
                last = f"HTTP {answer.status} {answer.text}"
            except OSError as exc:
                last = str(exc)
            time.sleep(0.2)
        pytest.fail(
            f"bank {self.label} was not ready within {STARTUP_SECONDS:.0f}s ({last}):\n{self.log_tail()}",
            pytrace=False,
        )

    def stop(self) -> None:
        """Stop the process as Ctrl+C would (serve stops its scheduler then); kill it only if that hangs."""
        process, self.process = self.process, None
        if process is None:
            return
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(STOP_SECONDS)
                return
            except subprocess.TimeoutExpired:
                process.kill()
        process.wait()

    # --- what the tests wait for ---------------------------------------------------------------------------------

    def checkpoint(self) -> str:
        answer = self.get("/ledger/checkpoint")
        assert answer.status == 200, answer.text
        return answer.text


def wait_for(condition: Any, what: str, *banks: RunningBank, timeout: float = 60.0) -> Any:
    """Poll ``condition`` until it returns something truthy, and return that; on timeout fail naming ``what``,
    with the logs of the banks involved."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            logs = "\n".join(f"--- bank {bank.label} ---\n{bank.log_tail()}" for bank in banks)
            pytest.fail(f"gave up after {timeout:.0f}s waiting for {what}\n{logs}", pytrace=False)
        time.sleep(0.2)


def body_of(note: str) -> str:
    """The checkpoint text a signed note signs: everything before the blank line."""
    return note[: note.index("\n\n") + 1]


def signature_lines(note: str) -> list[str]:
    return [line for line in note[note.index("\n\n") + 2 :].splitlines() if line]


def size_of(note: str) -> int:
    return int(note.split("\n")[1])
