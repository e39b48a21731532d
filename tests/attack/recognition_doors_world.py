"""One bank per database for the probes of recognition's doors: the credit world, reviewers, an admin, registrars and
a viewer signed in to the console, two learners signed in to the portal, and counters of what a refusal must leave
alone (ledger entries, evidence rows, applications)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from creditbank.models import LedgerEntry, RecognitionApplication, RecognitionEvidence
from creditbank.runtime import Bank
from creditbank.services.learner_access import accounts as learner_accounts
from creditbank.services.records import api_keys
from tests.console.staff_helpers import SignedIn, staff_member
from tests.integration.credit_world import CreditWorld
from tests.portal.test_portal_pages import login

LEARNER_PASSWORD = "li juan long password"


@dataclass
class Doors:
    app: Flask
    world: CreditWorld
    read_only: str  # a uni-a key with records:read only
    staff: dict[str, SignedIn]  # by role name: reviewer, reviewer2, admin, registrar, registrar_b, viewer
    portal: dict[str, FlaskClient]  # "li" (world.learner) and "zhao" (another learner)
    other: str  # zhao's learner id

    @property
    def bank(self) -> Bank:
        return self.world.bank


def counts(bank: Bank) -> tuple[int, int, int]:
    """(ledger entries, evidence rows, applications): what a refused request must leave as it found it."""
    with bank.db.reading() as session:
        return (
            int(session.scalar(select(func.count()).select_from(LedgerEntry)) or 0),
            int(session.scalar(select(func.count()).select_from(RecognitionEvidence)) or 0),
            int(session.scalar(select(func.count()).select_from(RecognitionApplication)) or 0),
        )


def make_doors(app: Flask, bank: Bank, world: CreditWorld) -> Doors:
    read_only = api_keys.issue(bank, "uni-a", ("records:read",)).token
    staff = {}
    for name, role, institution in (
        ("reviewer", "reviewer", None),
        ("reviewer2", "reviewer", None),
        ("admin", "admin", None),
        ("registrar", "registrar", "uni-a"),
        ("registrar_b", "registrar", "uni-b"),
        ("viewer", "viewer", "uni-a"),
    ):
        signed = staff_member(bank, app.test_client(), f"door.{name}".replace("_", "-"), role, institution)
        signed.client.set_cookie("lang", "en")
        staff[name] = signed
    person = {"name": {"zh": "赵六"}, "birth_date": "1960-06-06"}
    other = world.client.post("/api/v1/learners", json=person, headers=world.headers()).get_json()["id"]
    portal = {}
    for learner, born, name in ((world.learner, "1958-03-04", "li"), (other, "1960-06-06", "zhao")):
        code = learner_accounts.new_code(bank, learner)
        learner_accounts.activate(bank, code, born, LEARNER_PASSWORD, login_name=f"door.{name}")
        client = app.test_client()
        client.set_cookie("lang", "en")
        assert login(client, f"door.{name}", LEARNER_PASSWORD).status_code == 302
        portal[name] = client
    return Doors(app, world, read_only, staff, portal, other)


@dataclass
class Slow:
    """A loopback server for timing probes: how it answers is chosen per probe."""

    port: int = 0
    mode: str = "sleep"  # sleep: nothing for `seconds`; drip-headers: a header byte every `every`; big-length: a
    # Content-Length of `length` and then a trickle of the body; body: answer `body` whole
    seconds: float = 7.0
    every: float = 0.5
    length: int = 0
    body: bytes = b""
    status: int = 200
    location: str = ""

    @property
    def did(self) -> str:
        return f"did:web:127.0.0.1%3A{self.port}"


@contextmanager
def slow_server(**options: Any) -> Iterator[Slow]:
    state = Slow(**options)
    stop = threading.Event()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            try:
                self._answer()
            except OSError:
                return  # the client hung up, as it should

        def _answer(self) -> None:
            if state.mode == "sleep":
                stop.wait(state.seconds)
                self.send_response(200)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"{}")
            elif state.mode == "drip-headers":
                self.wfile.write(b"HTTP/1.1 200 OK\r\nX-Slow: ")
                self.wfile.flush()
                started = time.monotonic()
                while time.monotonic() - started < state.seconds and not stop.is_set():
                    self.wfile.write(b"a")
                    self.wfile.flush()
                    stop.wait(state.every)
                self.wfile.write(b"\r\nContent-Length: 2\r\n\r\n{}")
            elif state.mode == "big-length":
                self.send_response(200)
                self.send_header("Content-Length", str(state.length))
                self.end_headers()
                started = time.monotonic()
                while time.monotonic() - started < state.seconds and not stop.is_set():
                    self.wfile.write(b" " * 1024)
                    self.wfile.flush()
                    stop.wait(state.every)
            else:
                self.send_response(state.status)
                if state.location:
                    self.send_header("Location", state.location)
                self.send_header("Content-Length", str(len(state.body)))
                self.end_headers()
                self.wfile.write(state.body)

        def log_message(self, format: str, *args: Any) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    state.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        stop.set()
        server.shutdown()
        server.server_close()
        thread.join(5)
