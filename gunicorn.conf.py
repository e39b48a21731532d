"""gunicorn's settings, read from the working directory by `gunicorn wsgi:app` (docs/deploy.md).

Each value can be overridden on the command line. What this adds over gunicorn's defaults: logs as
JSON lines like the rest of the service (creditbank writes its own access lines, with request ids),
and, when ``CREDITBANK_METRICS_DIR`` is set, Prometheus' multi-process mode — the workers pool their
counters there (so any worker answers ``/metrics`` for all), the folder is created (0700) or emptied at
start and dead workers are marked. The variable is translated here, in the master before any worker imports the
client library, so that command-line tools run with the same environment file are not affected.

This file must not import creditbank at the top: the package loads the metrics client, which decides
between single- and multi-process mode once, on import.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

METRICS_DIRECTORY = os.environ.get("CREDITBANK_METRICS_DIR")
if METRICS_DIRECTORY and os.environ.get("PROMETHEUS_MULTIPROC_DIR") != METRICS_DIRECTORY:
    # Emptied and created now, as the settings are read, not in a server hook: gunicorn resolves the log formatter
    # below (importing creditbank, and with it the metrics client) before any hook runs, and the client writes into
    # the folder as soon as a counter is defined; on a fresh boot the folder (on a tmpfs) does not exist yet. Files
    # left by an earlier run would add its counts to this one's. A reload (HUP) reads this file again in the same
    # master, where the variable is already set, and keeps the running workers' files.
    shutil.rmtree(METRICS_DIRECTORY, ignore_errors=True)
    Path(METRICS_DIRECTORY).mkdir(mode=0o700, parents=True, exist_ok=True)
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = METRICS_DIRECTORY

bind = os.environ.get("CREDITBANK_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
# Threads, so that a worker whose request waits for a verification running to its 2 s CPU budget in a child process
# still answers /health and honest verifications; the heavy work runs in those children, not in these threads.
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
# Certificates and transcripts render in a few hundred milliseconds to seconds; verification uploads reach 20 MB.
timeout = 60
graceful_timeout = 20
accesslog = None
# gunicorn's control socket defaults to one path per user (~/.gunicorn/gunicorn.ctl), which a second instance on the
# same machine would take over; creditbank is managed by signals (systemd), so it needs none.
control_socket_disable = True
logconfig_dict: dict[str, Any] = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"json": {"()": "creditbank.logs.JsonLines"}},
    "handlers": {"stderr": {"class": "logging.StreamHandler", "formatter": "json", "stream": "ext://sys.stderr"}},
    # The root logger gets its handler from the app (creditbank.logs); one here would print every line twice.
    "root": {"level": "INFO", "handlers": []},
    "loggers": {"gunicorn.error": {"level": "INFO", "handlers": ["stderr"], "propagate": False}},
}


def child_exit(_server: Any, worker: Any) -> None:
    if METRICS_DIRECTORY:
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
