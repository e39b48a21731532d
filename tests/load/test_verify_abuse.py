"""Hostile verifications on every gunicorn worker: each is refused (422) within the CPU budget, no worker dies,
/health keeps answering, and honest verifications go on being answered valid."""

from __future__ import annotations

import json
import os
import threading
import time
from pathlib import Path

import pytest

from benchmarks.verify_abuse import hostile_json, hostile_pdfs, prepare_bank
from tests.load.clients import call
from tests.load.services import Services

pytestmark = pytest.mark.slow

WORKERS = 2
# A gunicorn sync worker takes one request at a time, so /health may queue behind a verification that runs to its
# 2 s CPU budget (several seconds of wall time on a loaded machine); before the budget it waited a minute, and workers
# were killed. With threads the worker's other threads answer while one waits for its verification child.
HEALTH_LIMIT_SECONDS = {1: 12.0, 4: 2.0}


@pytest.mark.parametrize("threads", [1, 4], ids=["sync", "threads"])
def test_health_answers_while_hostile_verifications_run_on_every_worker(tmp_path: Path, threads: int) -> None:
    settings, honest = prepare_bank(tmp_path / "instance")
    bundle = json.loads(honest)
    hostile = [
        hostile_json(bundle)["clique_4_with_subtrees"][0],  # within the limits: stopped by the CPU budget
        hostile_json(bundle)["clique_8_blank_nodes"][0],
        hostile_pdfs(bundle)["pdf_shared_stream"][0],
    ]
    environment = {**os.environ, **settings, "GUNICORN_CMD_ARGS": f"--threads {threads}"}
    services = Services(environment, tmp_path)
    services.start_gunicorn(WORKERS)
    try:
        workers = services.workers()
        assert call(services.port, "POST", "/api/v1/verify", honest)[0] == 200
        stop = threading.Event()
        answers: list[int] = []
        health: list[tuple[int, float]] = []

        def attack(offset: int) -> None:
            for round_ in range(2):
                data = hostile[(offset + round_) % len(hostile)]
                answers.append(call(services.port, "POST", "/api/v1/verify", data)[0])

        def poll() -> None:
            while not stop.is_set():
                started = time.monotonic()
                status, _ = call(services.port, "GET", "/health")
                health.append((status, time.monotonic() - started))
                time.sleep(0.1)

        # One attacker per worker, each sending its next hostile upload as soon as the last is refused.
        attackers = [threading.Thread(target=attack, args=(index,)) for index in range(WORKERS)]
        poller = threading.Thread(target=poll)
        poller.start()
        for thread in attackers:
            thread.start()
        for thread in attackers:
            thread.join(timeout=120)
        stop.set()
        poller.join(timeout=30)

        assert answers
        assert set(answers) == {422}, answers
        assert health
        assert all(status == 200 for status, _ in health), health
        assert max(seconds for _, seconds in health) < HEALTH_LIMIT_SECONDS[threads], health
        assert services.workers() == workers, "a gunicorn worker was replaced"
        status, body = call(services.port, "POST", "/api/v1/verify", honest)
        assert status == 200, body[:500]
        assert json.loads(body)["checks"]
        assert not services.logged_errors()
    finally:
        services.stop()
