"""The demo's console accounts: `serve` prints a fresh set-up link for each until it is set up."""

from __future__ import annotations

from creditbank import demo
from creditbank.services.staff import accounts
from tests.console.staff_helpers import set_up


def test_the_demo_makes_one_account_per_desk_and_offers_links_until_each_is_set_up(bank, client):
    demo.seed(bank, learner_count=2)
    first = demo.demo_staff_links(bank)
    assert [(login, role) for login, role, _ in first] == [(login, role) for login, role, _ in demo.DEMO_STAFF]
    assert all(token for _, _, token in first)
    again = {login: token for login, _, token in demo.demo_staff_links(bank)}
    # Each start hands out a new link, and the one printed before stops working.
    assert all(again[login] != token for login, _, token in first)
    assert client.get(f"/staff/setup/{first[0][2]}").status_code == 404
    set_up(client, again["demo.registrar"], "demo.registrar")
    after = {login: token for login, _, token in demo.demo_staff_links(bank)}
    assert after["demo.registrar"] is None
    assert after["demo.admin"] is not None
    states = {view.login: (view.state, view.institution_id) for view in accounts.list_all(bank)}
    assert states["demo.registrar"] == ("active", "demo-senior-college")
    assert states["demo.reviewer"] == ("setup_pending", None)
    assert client.get("/staff/").status_code == 200
