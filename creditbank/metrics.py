"""Prometheus metrics: what each process counts, and what the ledger says at scrape time.

Counters and histograms live in the process that observes them. Under gunicorn a scrape reaches one
worker, so with ``CREDITBANK_METRICS_DIR`` set (docs/deploy.md) ``gunicorn.conf.py`` turns on
the client's multi-process mode and every worker writes its values there for the scrape to add up.
The scheduler serves its own counters (``creditbank scheduler --metrics-bind``).

Ledger figures (entries, tree size, checkpoint age) are read from the database on each scrape
instead of counted, so they are right whichever process appended or signed.

With ``CREDITBANK_METRICS_TOKEN`` set, the web tier's ``/metrics`` answers only a scrape that sends
``Authorization: Bearer <token>`` (401 otherwise), checked before any figure is read. The figures
hold no personal data, but route counts and ledger sizes tell outsiders how the bank is used.
"""

from __future__ import annotations

import hmac
import os
import time
from collections.abc import Iterator

from flask import Flask, Response, current_app, g, request
from prometheus_client import (
    CollectorRegistry,
    Counter,
    Histogram,
    disable_created_metrics,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from prometheus_client.registry import REGISTRY, Collector

from creditbank import ledger_store
from creditbank.errors import Unauthenticated
from creditbank.logs import route_of
from creditbank.runtime import Bank
from creditbank.services.transparency import checkpoints

MULTIPROCESS_DIRECTORY = "PROMETHEUS_MULTIPROC_DIR"

# A `_created` series per counter doubles the scrape for a figure nobody graphs.
disable_created_metrics()

REQUESTS = Counter(
    "creditbank_http_requests",
    "HTTP requests answered, by route template and status",
    ["method", "route", "status"],
)
LATENCY = Histogram(
    "creditbank_http_request_duration_seconds",
    "Time to answer an HTTP request, by route template",
    ["method", "route"],
    buckets=(0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
VERIFICATIONS = Counter(
    "creditbank_verifications",
    "Credentials verified, by verdict (valid or invalid) and the first check that failed",
    ["verdict", "failed_check"],
)
PDF_RENDER = Histogram(
    "creditbank_pdf_render_seconds",
    "Time to render a credential's PDF, by credential kind",
    ["kind"],
    buckets=(0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 3.0, 5.0, 10.0),
)
CHECKPOINTS_SIGNED = Counter("creditbank_checkpoints_signed", "Checkpoints signed by the scheduler")
SCHEDULER_ACTIVE = Counter(
    "creditbank_scheduler_takeovers", "Times a scheduler process became the active one (took the lease)"
)
MONITOR_CHECKS = Counter(
    "creditbank_monitor_checks",
    "New checkpoints the self-monitor checked against the last one it saw, by result",
    ["result"],
)
AUDITS = Counter("creditbank_audits", "Full ledger audits run by the scheduler, by result", ["result"])
JOB_FAILURES = Counter("creditbank_scheduler_job_failures", "Scheduler job runs that failed, by job", ["job"])


class LedgerCollector(Collector):
    """Ledger figures read from the database when scraped."""

    def __init__(self, bank: Bank) -> None:
        self.bank = bank

    def collect(self) -> Iterator[Metric]:
        with self.bank.db.reading() as session:
            size = ledger_store.tree_size(session)
            latest = checkpoints.latest_in(session)
        entries = CounterMetricFamily("creditbank_ledger_entries", "Entries appended to the ledger (its tree size)")
        entries.add_metric([], size)
        yield entries
        tree = GaugeMetricFamily("creditbank_ledger_tree_size", "Leaves in the ledger's Merkle tree")
        tree.add_metric([], size)
        yield tree
        signed = GaugeMetricFamily("creditbank_checkpoint_size", "Tree size of the latest signed checkpoint")
        signed.add_metric([], latest.size if latest is not None else 0)
        yield signed
        unsigned = GaugeMetricFamily(
            "creditbank_checkpoint_lag_entries", "Entries appended since the latest signed checkpoint"
        )
        unsigned.add_metric([], size - (latest.size if latest is not None else 0))
        yield unsigned
        if latest is not None:
            age = GaugeMetricFamily(
                "creditbank_checkpoint_age_seconds", "Seconds since the latest checkpoint was signed"
            )
            age.add_metric([], max(0.0, time.time() - latest.signed_at.timestamp()))
            yield age


def exposition(bank: Bank) -> bytes:
    """The text a scrape gets: this process's (or all processes') counters, then the ledger figures."""
    directory = os.environ.get(MULTIPROCESS_DIRECTORY)
    if directory:
        counted = CollectorRegistry()
        multiprocess.MultiProcessCollector(counted, path=directory)
    else:
        counted = REGISTRY
    ledger = CollectorRegistry(auto_describe=False)
    ledger.register(LedgerCollector(bank))
    return generate_latest(counted) + generate_latest(ledger)


CONTENT_TYPE = CONTENT_TYPE_LATEST


def _observe(response: Response) -> Response:
    started = g.get("request_started")  # set by creditbank.logs, whose hook runs first
    if started is not None:
        route = route_of()
        REQUESTS.labels(request.method, route, str(response.status_code)).inc()
        LATENCY.labels(request.method, route).observe(time.perf_counter() - started)
    return response


METRICS_PATH = "/metrics"


def _guard() -> None:
    token = current_app.config.get("CREDITBANK_METRICS_TOKEN")
    if not token or request.path != METRICS_PATH:
        return
    scheme, _, sent = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(sent.strip().encode(), token.encode()):
        raise Unauthenticated("/metrics needs Authorization: Bearer with the metrics token")


def install(app: Flask) -> None:
    app.before_request(_guard)
    app.after_request(_observe)
