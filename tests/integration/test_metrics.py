"""`GET /metrics`: Prometheus text with request counts and latency by route, and ledger figures read at scrape."""

from __future__ import annotations

import time

from flask.testing import FlaskClient
from prometheus_client.parser import text_string_to_metric_families

from creditbank.runtime import Bank
from creditbank.services.transparency import checkpoints
from tests.helpers import append


def scrape(client: FlaskClient) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    answer = client.get("/metrics")
    assert answer.status_code == 200
    assert answer.content_type.startswith("text/plain; version=")
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(answer.get_data(as_text=True))
        for sample in family.samples
    }


def value(samples: dict[tuple[str, frozenset[tuple[str, str]]], float], name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


def test_requests_are_counted_and_timed_by_route_template(client: FlaskClient) -> None:
    before = scrape(client)
    for _ in range(3):
        assert client.get("/health").status_code == 200
    for seq in (7, 8):
        assert client.get(f"/ledger/entries/{seq}").status_code == 404
    after = scrape(client)
    (route,) = {
        dict(labels)["route"]
        for name, labels in after
        if name == "creditbank_http_requests_total" and dict(labels)["route"].startswith("/ledger/entries/<")
    }
    assert (
        value(after, "creditbank_http_requests_total", method="GET", route="/health", status="200")
        - value(before, "creditbank_http_requests_total", method="GET", route="/health", status="200")
        == 3
    )
    assert (
        value(after, "creditbank_http_requests_total", method="GET", route=route, status="404")
        - value(before, "creditbank_http_requests_total", method="GET", route=route, status="404")
        == 2
    )
    timed = value(after, "creditbank_http_request_duration_seconds_count", method="GET", route=route)
    assert timed - value(before, "creditbank_http_request_duration_seconds_count", method="GET", route=route) == 2
    assert value(after, "creditbank_http_request_duration_seconds_sum", method="GET", route=route) > 0


def test_ledger_figures_follow_the_database(client: FlaskClient, bank: Bank) -> None:
    empty = scrape(client)
    assert value(empty, "creditbank_ledger_entries_total") == 0
    assert ("creditbank_checkpoint_age_seconds", frozenset()) not in empty
    append(bank, 5)
    before_signing = time.time()
    checkpoints.sign(bank)
    signed = time.time()
    append(bank, 2)
    scraping = time.time()
    samples = scrape(client)
    scraped = time.time()
    assert value(samples, "creditbank_ledger_entries_total") == 7
    assert value(samples, "creditbank_ledger_tree_size") == 7
    assert value(samples, "creditbank_checkpoint_size") == 5
    assert value(samples, "creditbank_checkpoint_lag_entries") == 2
    # Bounded by the clock readings around the signing and the scrape, not by a guess at how slow the machine is.
    age = value(samples, "creditbank_checkpoint_age_seconds")
    assert scraping - signed - 0.001 <= age <= scraped - before_signing + 0.001, (age, scraping - signed)


def test_metrics_answers_text_even_for_a_client_that_asks_for_json(client: FlaskClient) -> None:
    answer = client.get("/metrics", headers={"Accept": "application/json"})
    assert answer.status_code == 200
    assert "# TYPE creditbank_ledger_entries_total counter" in answer.get_data(as_text=True)
