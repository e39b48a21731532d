"""Verification verdicts and PDF render times reach `/metrics`."""

from __future__ import annotations

import copy
import json

from creditbank.services import credentials
from tests.credentials.issued_world import Issued
from tests.integration.test_metrics import scrape, value


def test_verdicts_are_counted_with_the_check_that_failed(issued: Issued) -> None:
    client = issued.world.client
    before = scrape(client)
    assert issued.post_verify(json.dumps(issued.bundle).encode(), "application/json")["valid"] is True
    forged = copy.deepcopy(issued.bundle)
    forged["credential"]["credentialSubject"]["creditsEarned"] = 99
    assert issued.post_verify(json.dumps(forged).encode(), "application/json")["valid"] is False
    after = scrape(client)

    def delta(**labels: str) -> float:
        return value(after, "creditbank_verifications_total", **labels) - value(
            before, "creditbank_verifications_total", **labels
        )

    assert delta(verdict="valid", failed_check="") == 1
    assert delta(verdict="invalid", failed_check="signature") == 1


def test_pdf_renders_are_timed_by_kind(issued: Issued) -> None:
    client = issued.world.client
    before = value(scrape(client), "creditbank_pdf_render_seconds_count", kind="certificate")
    pdf = credentials.pdf(issued.world.bank, None, issued.credential_id)
    assert pdf.startswith(b"%PDF")
    after = scrape(client)
    assert value(after, "creditbank_pdf_render_seconds_count", kind="certificate") == before + 1
    assert value(after, "creditbank_pdf_render_seconds_sum", kind="certificate") > 0
