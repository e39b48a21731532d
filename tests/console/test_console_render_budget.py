"""An institution's office that had many PDFs rendered just now waits, told so in the console's own words (not the
sign-in throttle's), while its JSON files are still served."""

from __future__ import annotations

import html

import pytest

from creditbank.console.i18n import MESSAGES
from creditbank.services.credentials import render_budget
from tests.console.staff_helpers import staff_member
from tests.console.test_console_downloads import _documents


def test_the_console_says_the_institution_waits_once_its_render_budget_is_spent(
    bank, app, monkeypatch: pytest.MonkeyPatch
) -> None:
    certificate, _ = _documents(bank)
    monkeypatch.setattr(render_budget, "LIMITS", {"learner": 2, "institution": 2})
    viewer = staff_member(bank, app.test_client(), "view", "viewer", "sen-a")
    viewer.client.set_cookie("lang", "en")
    statuses = [viewer.client.get(f"/staff/credentials/{certificate}/pdf").status_code for _ in range(3)]
    # Issuing the documents rendered through the same institution's budget before it was made small.
    assert statuses[-1] == 429
    refused = viewer.client.get(f"/staff/credentials/{certificate}/pdf")
    assert refused.status_code == 429
    assert html.escape(MESSAGES["reg_render_limit"]["en"]) in refused.get_data(as_text=True)
    assert viewer.client.get(f"/staff/credentials/{certificate}/json").status_code == 200
