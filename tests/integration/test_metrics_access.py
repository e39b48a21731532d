"""`/metrics` can be closed with a bearer token (CREDITBANK_METRICS_TOKEN), and gunicorn boots when the metrics folder
does not exist yet (a fresh tmpfs), creating it 0700."""

from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from flask.testing import FlaskClient

from tests.conftest import configuration, running_app
from tests.load.services import ROOT, free_port

TOKEN = "scrape-token-6f1c"


@pytest.fixture
def guarded(db_url: str, tmp_path: Path) -> FlaskClient:
    config = configuration(db_url, tmp_path) | {"CREDITBANK_METRICS_TOKEN": TOKEN}
    with running_app(config) as application:
        yield application.test_client()


def test_metrics_answers_only_the_token(guarded: FlaskClient) -> None:
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": f"Basic {TOKEN}"}):
        refused = guarded.get("/metrics", headers=headers)
        assert refused.status_code == 401, headers
        assert refused.content_type == "application/problem+json"
        assert b"creditbank_" not in refused.data
    allowed = guarded.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert allowed.status_code == 200
    assert b"creditbank_ledger_entries_total" in allowed.data
    assert guarded.get("/health").status_code == 200


def _get(url: str, token: str | None = None) -> int:
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"} if token else {})
    try:
        with urllib.request.urlopen(request, timeout=5) as answer:
            return int(answer.status)
    except urllib.error.HTTPError as error:
        return int(error.code)


def test_gunicorn_boots_without_the_metrics_folder(tmp_path: Path) -> None:
    metrics = tmp_path / "run" / "creditbank" / "metrics"
    port = free_port()
    env = {
        "PATH": os.environ["PATH"],
        "HOME": str(tmp_path),
        "CREDITBANK_INSTANCE_PATH": str(tmp_path / "instance"),
        "CREDITBANK_KEY_PASSPHRASE": "metrics-test",
        "CREDITBANK_METRICS_DIR": str(metrics),
        "CREDITBANK_METRICS_TOKEN": TOKEN,
        "CREDITBANK_BIND": f"127.0.0.1:{port}",
        "WEB_CONCURRENCY": "1",
    }
    bin_dir = Path(sys.executable).parent
    subprocess.run([str(bin_dir / "creditbank"), "db", "upgrade"], cwd=ROOT, env=env, check=True, capture_output=True)
    log = tmp_path / "gunicorn.log"
    with log.open("wb") as output:
        server = subprocess.Popen(
            [str(bin_dir / "gunicorn"), "wsgi:app"], cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT
        )
    try:
        deadline = time.monotonic() + 60
        while _get_or_none(f"http://127.0.0.1:{port}/health") != 200:
            assert server.poll() is None, log.read_text()[-2000:]
            assert time.monotonic() < deadline, "gunicorn did not answer within 60 s"
            time.sleep(0.2)
        assert _get(f"http://127.0.0.1:{port}/metrics") == 401
        assert _get(f"http://127.0.0.1:{port}/metrics", TOKEN) == 200
        assert stat.S_IMODE(metrics.stat().st_mode) == 0o700
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)


def _get_or_none(url: str) -> int | None:
    try:
        return _get(url)
    except OSError:
        return None
