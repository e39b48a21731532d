"""Helpers for the recognition probes: reviewers who can sign in, scans, ledger reads, the one-standing-line invariant
and a loopback HTTP server that records every request it is sent (to prove what the bank never fetches)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from sqlalchemy import func, select

from creditbank.models import CreditLine, LedgerBody, LedgerEntry, StaffAccount
from creditbank.runtime import Bank
from creditbank.services.recognition import decisions
from creditbank.services.recognition.decisions import Reviewer
from creditbank.services.recognition.evidence_files import EvidenceFile
from creditbank.services.staff import accounts

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def reviewer(bank: Bank, login: str, affiliation: str | None = None) -> Reviewer:
    created = accounts.add(bank, login, "reviewer", None, created_by="test", affiliation=affiliation)
    with bank.db.writing() as session:
        account = session.get(StaffAccount, created.staff.id)
        assert account is not None
        account.password_hash = "set"  # as if set up: only reviewers who can sign in are given applications
    return decisions.reviewer_by_id(bank, created.staff.id)


def scans(*descriptions: str) -> list[EvidenceFile]:
    return [EvidenceFile(PNG + text.encode(), f"scan{n}.png", text) for n, text in enumerate(descriptions)]


def size(bank: Bank) -> int:
    with bank.db.reading() as session:
        return int(session.scalar(select(func.count()).select_from(LedgerEntry)) or 0)


def bodies(bank: Bank, *prefixes: str) -> list[tuple[str, dict[str, Any]]]:
    with bank.db.reading() as session:
        rows = session.execute(
            select(LedgerEntry.kind, LedgerBody.body)
            .join(LedgerBody, LedgerBody.seq == LedgerEntry.seq)
            .order_by(LedgerEntry.seq)
        ).all()
    return [(kind, json.loads(body)) for kind, body in rows if kind.startswith(prefixes)]


def standing_by_learning(bank: Bank) -> dict[tuple[str, str], list[int]]:
    """Every standing line with credits, by (learning, framework); an achievement's lines under ``ach:<id>``."""
    found: dict[tuple[str, str], list[int]] = {}
    with bank.db.reading() as session:
        for line in session.scalars(
            select(CreditLine).where(
                CreditLine.reverses.is_(None), CreditLine.reversed_seq.is_(None), CreditLine.cents > 0
            )
        ):
            key = f"ach:{line.achievement_id}" if line.achievement_id else str(line.learning)
            found.setdefault((key, line.framework), []).append(line.seq)
    return found


def assert_counted_once(bank: Bank) -> None:
    doubled = {key: seqs for key, seqs in standing_by_learning(bank).items() if len(seqs) > 1}
    assert doubled == {}, f"learning counted more than once: {doubled}"


def standing_cents(bank: Bank, learner: str) -> int:
    with bank.db.reading() as session:
        return int(
            session.scalar(
                select(func.coalesce(func.sum(CreditLine.cents), 0)).where(
                    CreditLine.learner_id == learner,
                    CreditLine.reverses.is_(None),
                    CreditLine.reversed_seq.is_(None),
                )
            )
            or 0
        )


@dataclass
class Recorder:
    """A loopback HTTP server that answers every GET with ``answer`` and remembers each path asked for."""

    port: int = 0
    paths: list[str] = field(default_factory=list)
    status: int = 404
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b"{}"

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def did(self) -> str:
        return f"did:web:127.0.0.1%3A{self.port}"


@contextmanager
def recorder(**options: Any) -> Iterator[Recorder]:
    record = Recorder(**options)

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            record.paths.append(self.path)
            self.send_response(record.status)
            for name, value in record.headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(record.body)))
            self.end_headers()
            self.wfile.write(record.body)

        def log_message(self, format: str, *args: Any) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    record.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield record
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)
