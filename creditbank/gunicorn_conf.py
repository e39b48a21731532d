"""Settings for `gunicorn -c python:creditbank.gunicorn_conf wsgi:app` (docs/deploy.md).

Each value can be overridden on the command line. What this adds over gunicorn's defaults: logs as
JSON lines like the rest of the service (creditbank writes its own access lines, with request ids),
and the bookkeeping Prometheus' multi-process mode needs — a clean metrics directory at start and
dead workers' gauges dropped.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

bind = os.environ.get("CREDITBANK_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
# Certificates and transcripts render in a few hundred milliseconds to seconds; verification uploads reach 20 MB.
timeout = 60
graceful_timeout = 20
accesslog = None
logconfig_dict: dict[str, Any] = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"json": {"()": "creditbank.logs.JsonLines"}},
    "handlers": {"stderr": {"class": "logging.StreamHandler", "formatter": "json", "stream": "ext://sys.stderr"}},
    "loggers": {"gunicorn.error": {"level": "INFO", "handlers": ["stderr"], "propagate": False}},
}


def on_starting(_server: Any) -> None:
    directory = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if directory:
        # Files left by an earlier run would add its counts to this one's.
        shutil.rmtree(directory, ignore_errors=True)
        Path(directory).mkdir(parents=True, exist_ok=True)


def child_exit(_server: Any, worker: Any) -> None:
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
