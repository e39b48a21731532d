"""Fixtures for the browser tests: the real service in a child process and one Chromium, both per session.

The server is `creditbank serve` (what `make run` starts): web pages, API and scheduler in one process, on
SQLite in a temporary instance folder seeded by `creditbank demo`. Its log goes to server.log beside the
screenshots, and the part written during a failed test is attached to that test's report.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, Playwright, sync_playwright
from playwright.sync_api import Error as PlaywrightError
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from creditbank.models import QualificationAward
from tests.web.browser import DEFAULT_OUTPUT, find_chromium, output_dir, snap

# The console script beside the interpreter running pytest, so the server runs the code under test.
CLI = Path(sys.executable).parent / "creditbank"
STARTUP_SECONDS = 30
STOP_SECONDS = 10
# Enough to fail fast on a missing element, long enough for a PDF upload on a loaded CI machine.
ACTION_TIMEOUT_MS = 15_000
LOG_LIMIT = 20_000
# Werkzeug colours its request lines even when they go to a file.
ANSI_STYLE = re.compile(r"\x1b\[[0-9;]*m")

SERVER = pytest.StashKey["LiveServer"]()
LOG_START = pytest.StashKey[int]()
REPORTS = pytest.StashKey[dict[str, pytest.TestReport]]()


@dataclass(frozen=True)
class LiveServer:
    base_url: str
    instance: Path
    env: dict[str, str] = field(repr=False)
    log: Path
    # The demo's showcase learner, her award, and a certificate issued for it before the server started.
    learner_id: str
    award_id: str
    credential_id: str
    certificate_pdf: Path

    def url(self, path: str) -> str:
        return self.base_url + path


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _read_log(path: Path, start: int = 0) -> str:
    try:
        with path.open("rb") as log:
            log.seek(start)
            text = ANSI_STYLE.sub("", log.read().decode("utf-8", errors="replace"))
    except OSError as exc:
        return f"(no server log: {exc})"
    if len(text) > LOG_LIMIT:
        return f"(…the first {len(text) - LOG_LIMIT} characters are in {path})\n{text[-LOG_LIMIT:]}"
    return text or "(nothing was logged)"


def _cli(args: list[str], env: dict[str, str], cwd: Path) -> str:
    done = subprocess.run([str(CLI), *args], env=env, cwd=cwd, capture_output=True, text=True, timeout=300, check=False)
    if done.returncode != 0:
        pytest.fail(
            f"`creditbank {' '.join(args)}` exited with {done.returncode}:\n{done.stdout}\n{done.stderr}", pytrace=False
        )
    return done.stdout


def _showcase_award(database_url: str) -> tuple[str, str]:
    engine = create_engine(database_url)
    try:
        with Session(engine) as session:
            award = session.scalars(select(QualificationAward).order_by(QualificationAward.awarded_seq)).first()
            if award is None:
                pytest.fail("`creditbank demo` seeded no qualification award to issue a certificate for", pytrace=False)
            return award.learner_id, award.id
    finally:
        engine.dispose()


def _wait_until_up(process: subprocess.Popen[bytes], url: str, log: Path) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    last = "no answer yet"
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(
                f"`creditbank serve` exited with {process.returncode} before answering:\n{_read_log(log)}",
                pytrace=False,
            )
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
                last = f"HTTP {response.status}"
        except urllib.error.HTTPError as exc:
            last = f"HTTP {exc.code}"
            exc.close()
        except OSError as exc:
            last = str(exc)
        time.sleep(0.2)
    pytest.fail(
        f"`creditbank serve` did not answer GET {url} with 200 within {STARTUP_SECONDS}s ({last}):\n{_read_log(log)}",
        pytrace=False,
    )


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        # SIGINT, not SIGTERM: serve's SIGTERM handler calls server.shutdown() on the thread that runs
        # serve_forever() and waits for itself forever; Ctrl+C stops it cleanly, scheduler included.
        process.send_signal(signal.SIGINT)
        try:
            process.wait(STOP_SECONDS)
            return
        except subprocess.TimeoutExpired:
            process.kill()
    process.wait()


@pytest.fixture(scope="session", autouse=True)
def web_output() -> Path:
    if not os.environ.get("CREDITBANK_TEST_OUTPUT"):
        # The default folder belongs to these tests alone: empty it so every file in it is from this run.
        shutil.rmtree(DEFAULT_OUTPUT, ignore_errors=True)
    return output_dir()


@pytest.fixture(scope="session")
def live_server(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    if not CLI.is_file():
        pytest.fail(f"{CLI} is missing: install the project into this virtualenv (make setup)", pytrace=False)
    folder = tmp_path_factory.mktemp("live-server")
    instance = folder / "instance"
    port = _free_port()
    base_url = f"http://127.0.0.1:{port}"
    database_url = f"sqlite:///{instance / 'creditbank.sqlite3'}"
    # A developer's own CREDITBANK_* settings (a PostgreSQL URL, say) must not reach the server under test.
    env = {name: value for name, value in os.environ.items() if not name.startswith("CREDITBANK_")}
    env.update(
        {
            "CREDITBANK_INSTANCE_PATH": str(instance),
            "CREDITBANK_DATABASE_URL": database_url,
            "CREDITBANK_KEY_PASSPHRASE": "test",
            # Credentials and QR codes carry this address, so it is fixed before anything is issued.
            "CREDITBANK_PUBLIC_URL": base_url,
            "PYTHONUNBUFFERED": "1",
        }
    )
    _cli(["demo", "--learners", "3"], env, folder)
    learner_id, award_id = _showcase_award(database_url)
    pdf, bundle = folder / "certificate.pdf", folder / "certificate.json"
    issue = ["credentials", "issue", "--learner", learner_id, "--qualification", award_id]
    _cli([*issue, "--pdf", str(pdf), "--json", str(bundle)], env, folder)
    credential_id = json.loads(bundle.read_text(encoding="utf-8"))["credential"]["id"]

    log = output_dir() / "server.log"
    with log.open("wb") as sink:
        process = subprocess.Popen(
            [str(CLI), "serve", "--host", "127.0.0.1", "--port", str(port), "--no-demo"],
            env=env,
            cwd=folder,
            stdout=sink,
            stderr=subprocess.STDOUT,
        )
    try:
        _wait_until_up(process, base_url + "/", log)
        server = LiveServer(base_url, instance, env, log, learner_id, award_id, credential_id, pdf)
        request.config.stash[SERVER] = server
        yield server
    finally:
        # Stopping comes first: nothing after it may leave a server running for the next session to trip over.
        _stop(process)
        with contextlib.suppress(KeyError):
            del request.config.stash[SERVER]


def pytest_runtest_setup(item: pytest.Item) -> None:
    server = item.config.stash.get(SERVER, None)
    item.stash[LOG_START] = server.log.stat().st_size if server is not None and server.log.exists() else 0


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    item.stash.setdefault(REPORTS, {})[report.when] = report
    server = item.config.stash.get(SERVER, None)
    if report.failed and server is not None and "live_server" in getattr(item, "fixturenames", ()):
        text = _read_log(server.log, item.stash.get(LOG_START, 0))
        report.sections.append((f"creditbank server log during this test ({server.log})", text))
    return report


@pytest.fixture(scope="session")
def playwright_session() -> Iterator[Playwright]:
    driver = sync_playwright().start()
    try:
        yield driver
    finally:
        driver.stop()


@pytest.fixture(scope="session")
def browser(playwright_session: Playwright) -> Iterator[Browser]:
    chromium = find_chromium()
    if chromium is None:
        pytest.fail(
            "Chromium is not installed. The browser tests run Debian's Chromium (Playwright's own builds cannot be "
            "downloaded here): `apt-get install chromium`, or set CREDITBANK_CHROMIUM to a Chromium binary.",
            pytrace=False,
        )
    # Chromium refuses to start its sandbox as root, which is how CI and the containers run.
    args = ["--no-sandbox"] if os.geteuid() == 0 else []
    launched = playwright_session.chromium.launch(executable_path=chromium, headless=True, args=args)
    try:
        yield launched
    finally:
        launched.close()


@pytest.fixture
def fresh_context(
    browser: Browser, live_server: LiveServer, request: pytest.FixtureRequest
) -> Iterator[Callable[..., BrowserContext]]:
    """Make independent visitors (no shared cookies or storage); options override the zh-CN defaults."""
    made: list[BrowserContext] = []

    def make(**options: Any) -> BrowserContext:
        context = browser.new_context(**{"locale": "zh-CN", "base_url": live_server.base_url, **options})
        context.set_default_timeout(ACTION_TIMEOUT_MS)
        made.append(context)
        return context

    yield make
    failed = any(report.failed for report in request.node.stash.get(REPORTS, {}).values())
    for number, context in enumerate(made):
        if failed:
            for tab_number, tab in enumerate(context.pages):
                # What the browser showed when the test failed; a broken page must not hide the failure itself.
                with contextlib.suppress(PlaywrightError):
                    snap(tab, f"FAILED-{request.node.name}-{number}-{tab_number}")
        context.close()


@pytest.fixture
def page(fresh_context: Callable[..., BrowserContext]) -> Page:
    return fresh_context().new_page()
