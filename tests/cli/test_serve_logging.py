"""`creditbank serve` logs requests by route template, like gunicorn: no raw paths or query strings (share tokens,
credential ids, next=), not even for a request the server refuses before the application sees it."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

CLI = Path(sys.executable).parent / "creditbank"
SECRETS = ("SHARETOKEN7f3a9", "CREDENTIAL4be21", "NEXTPATH9c0d2", "QUERYVALUE51e8", "RAWLINE3d77a")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _get(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=10) as answer:
            return int(answer.status)
    except urllib.error.HTTPError as refused:
        refused.close()
        return refused.code


def test_serve_logs_routes_not_paths(db_url: str, tmp_path: Path) -> None:
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    env = {name: value for name, value in os.environ.items() if not name.startswith("CREDITBANK_")}
    env.update(
        {
            "CREDITBANK_DATABASE_URL": db_url,
            "CREDITBANK_INSTANCE_PATH": str(tmp_path / "instance"),
            "CREDITBANK_KEY_PASSPHRASE": "serve-test",
            "PYTHONUNBUFFERED": "1",
        }
    )
    log = tmp_path / "serve.log"
    with log.open("wb") as sink:
        server = subprocess.Popen(
            [str(CLI), "serve", "--host", "127.0.0.1", "--port", str(port), "--no-demo"],
            env=env, cwd=tmp_path, stdout=sink, stderr=subprocess.STDOUT,
        )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while True:
            assert server.poll() is None, log.read_text(errors="replace")
            try:
                if _get(base + "/health") == 200:
                    break
            except OSError:
                pass
            assert time.monotonic() < deadline, log.read_text(errors="replace")
            time.sleep(0.2)
        assert _get(f"{base}/s/{SECRETS[0]}?next=/{SECRETS[2]}") == 410
        assert _get(f"{base}/v/urn:uuid:{SECRETS[1]}") == 404
        assert _get(f"{base}/lang/en?next=/me%3Fq%3D{SECRETS[3]}") == 200  # urllib follows it to the login page
        with socket.create_connection(("127.0.0.1", port), timeout=10) as raw:
            # A malformed request line: the server refuses it itself, and its usual message quotes the line.
            raw.sendall(f"GET /s/{SECRETS[4]} HTTP/1.1 and more\r\n\r\n".encode())
            assert b" 400 " in raw.recv(4096).split(b"\r\n", 1)[0]
    finally:
        server.send_signal(signal.SIGINT)
        try:
            server.wait(20)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
    output = log.read_text(errors="replace")
    for secret in SECRETS:
        assert secret not in output, (secret, output[-3000:])
    assert '"route": "/s/<string(maxlength=64):token>"' in output, output[-3000:]
    assert '"route": "/v/<string(maxlength=64):credential_id>"' in output
    assert "request refused by the server" in output
