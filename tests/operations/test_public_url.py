"""The bank's public URL (QR codes, printed and shared links, did:web) is where `creditbank serve` listens unless
CREDITBANK_PUBLIC_URL says otherwise, and every other command of the instance names the same one. A second start of
a demo bank prints its API key and logins again.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from creditbank import config
from creditbank.cli.running import listen_url

CLI = Path(sys.executable).parent / "creditbank"


def test_configured_public_url_wins_then_serve_then_what_serve_recorded_then_the_server_name(tmp_path: Path) -> None:
    instance = tmp_path / "instance"
    base = {"CREDITBANK_INSTANCE_PATH": str(instance), "CREDITBANK_SERVER_NAME": "bank.test"}
    # Built without serve (as the tests' apps are): the server name, as before.
    assert config.load(base)["CREDITBANK_PUBLIC_URL"] == "http://bank.test"
    served = config.load({**base, config.SERVE_URL: "http://127.0.0.1:5123"})
    assert served["CREDITBANK_PUBLIC_URL"] == "http://127.0.0.1:5123"
    assert config.SERVE_URL not in served
    instance.mkdir()
    (instance / config.SERVE_URL_FILE).write_text("http://127.0.0.1:5123\n")
    assert config.load(base)["CREDITBANK_PUBLIC_URL"] == "http://127.0.0.1:5123"
    configured = {**base, "CREDITBANK_PUBLIC_URL": "https://bank.example/"}
    assert config.load(configured)["CREDITBANK_PUBLIC_URL"] == "https://bank.example"
    assert config.load({**configured, config.SERVE_URL: "http://127.0.0.1:5123"})["CREDITBANK_PUBLIC_URL"] == (
        "https://bank.example"
    )
    (instance / config.SERVE_URL_FILE).write_text("not a url\n")
    assert config.load(base)["CREDITBANK_PUBLIC_URL"] == "http://bank.test"


@pytest.mark.parametrize(
    ("host", "url"),
    [
        ("127.0.0.1", "http://127.0.0.1:5000"),
        ("LocalHost", "http://localhost:5000"),
        ("0.0.0.0", "http://127.0.0.1:5000"),
        ("::", "http://[::1]:5000"),
        ("::1", "http://[::1]:5000"),
    ],
)
def test_the_listen_address_as_a_url(host: str, url: str) -> None:
    assert listen_url(host, 5000) == url


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _env(instance: Path) -> dict[str, str]:
    env = {name: value for name, value in os.environ.items() if not name.startswith("CREDITBANK_")}
    env.update({"CREDITBANK_INSTANCE_PATH": str(instance), "CREDITBANK_LOG_LEVEL": "ERROR", "PYTHONUNBUFFERED": "1"})
    return env


def _serve(folder: Path, port: int, *extra: str) -> str:
    """Start `creditbank serve`, wait until it answers, stop it as Ctrl+C would, and return what it printed."""
    out = folder / f"serve-{time.monotonic_ns()}.out"
    with out.open("wb") as sink:
        server = subprocess.Popen(
            [str(CLI), "serve", "--host", "127.0.0.1", "--port", str(port), *extra],
            cwd=folder, env=_env(folder / "instance"), stdout=sink, stderr=subprocess.STDOUT,
        )  # fmt: skip
    try:
        deadline = time.monotonic() + 180
        while True:
            assert server.poll() is None, out.read_text(errors="replace")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=5) as answer:
                    if answer.status == 200:
                        break
            except OSError:
                pass
            assert time.monotonic() < deadline, out.read_text(errors="replace")
            time.sleep(0.3)
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/.well-known/did.json", timeout=10) as answer:
            did = json.load(answer)["id"]
    finally:
        server.send_signal(signal.SIGINT)
        try:
            server.wait(30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
    return f"did {did}\n" + out.read_text(errors="replace")


def _cli(folder: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(CLI), *args], cwd=folder, env=_env(folder / "instance"), capture_output=True, text=True, timeout=300,
        check=False,
    )  # fmt: skip


@pytest.mark.slow
def test_serve_makes_its_address_the_public_url_and_a_second_start_prints_the_demo_logins_again(tmp_path: Path):
    port = _free_port()
    public = f"http://127.0.0.1:{port}"
    did = f"did:web:127.0.0.1%3A{port}"
    first = _serve(tmp_path, port)
    assert f"did {did}\n" in first, first
    assert f"public URL {public} " in first, first
    assert f"log in at {public}/login as " in first, first
    assert f"set up at {public}/staff/setup/" in first, first
    key_file = tmp_path / "instance" / "demo-api-key.txt"
    token = key_file.read_text().strip()
    assert (key_file.stat().st_mode & 0o777) == 0o600
    assert f"  {token}\n" in first

    # Another command of the same instance, run beside the server: the same address and DID.
    learner = (tmp_path / "instance" / "demo-learner-login.txt").read_text().split()[0]
    issued = _cli(tmp_path, "credentials", "issue", "--learner", learner, "--transcript", "--json", "cred.json")
    assert issued.returncode == 0, issued.stdout + issued.stderr
    credential = json.loads((tmp_path / "cred.json").read_text())["credential"]
    assert credential["issuer"]["id"] == did
    assert credential["credentialStatus"]["statusListCredential"].startswith(f"{public}/status/")
    verified = _cli(tmp_path, "verify", "cred.json")
    assert verified.returncode == 0, verified.stdout + verified.stderr

    second = _serve(tmp_path, port)
    assert "demo data loaded" not in second
    assert f"demo API key for demo-university (also in {key_file}):\n  {token}\n" in second, second
    assert f"log in at {public}/login as chen.xiuying@example.org" in second, second
    assert f"set up at {public}/staff/setup/" in second, second
