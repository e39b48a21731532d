"""`creditbank demo`, `learners list` and `learners erase`: what bank staff run."""

from __future__ import annotations

import json

from creditbank import create_app
from creditbank.runtime import bank_of
from creditbank.services.records import achievement_reads, institutions, learners
from creditbank.services.records.api_keys import SCOPES, Principal


def _bank(cli):
    return bank_of(create_app(cli.settings))


def test_demo_seeds_everything_the_issue_names(cli):
    out = cli("demo", "--learners", "20")
    assert out.strip().splitlines()[-1].startswith("cb_")
    rows = json.loads(cli("learners", "list", "--json"))
    assert len(rows) == 21  # the 20 asked for, and the learner who shows an award
    bank = _bank(cli)
    try:
        kinds = {i.type for i in institutions.list_all(bank)}
        assert {"university", "open_university", "senior_college", "vocational", "mooc_platform"} <= kinds
        linked = [row for row in rows if len(row["institutions"]) > 1]
        assert linked, "some learners are linked to several institutions"
        names = []
        statuses = set()
        for row in rows:
            principal = Principal("t", row["institutions"][0], frozenset(SCOPES))
            profile = learners.profile(bank, principal, row["id"])
            names.append(profile["name"].get("zh", "") + profile["name"].get("latin", ""))
            page = achievement_reads.page_for_learner(bank, principal, row["id"], None, 200)
            statuses.update(item["status"] for item in page.items)
            for item in page.items:
                if item["version"] > 1:
                    statuses.add("corrected")
        joined = "".join(names)
        for rare in ("𠈌", "㵘", "堃", "喆", "龑"):
            assert rare in joined
        assert any(name.isascii() for name in names)
        assert {"active", "revoked", "corrected"} <= statuses
    finally:
        bank.db.dispose()
    assert "audit passed" in cli("ledger", "audit", "--deep")
    cli("demo", code=1)


def test_learners_list_filters_by_institution(cli):
    cli("demo", "--learners", "12")
    everyone = json.loads(cli("learners", "list", "--json"))
    some = json.loads(cli("learners", "list", "--institution", "demo-mooc", "--json"))
    assert some
    assert all("demo-mooc" in row["institutions"] for row in some)
    assert len(some) < len(everyone)
    text = cli("learners", "list", "--institution", "demo-mooc")
    assert all(row["id"] in text for row in some)
    assert "no institution" in cli("learners", "list", "--institution", "nowhere", code=1)


def test_erase_asks_first_then_destroys_personal_data(cli):
    cli("demo", "--learners", "3")
    (first, *_) = json.loads(cli("learners", "list", "--json"))
    assert "Aborted" in cli("learners", "erase", first["id"], stdin="n\n", code=1)
    out = cli("learners", "erase", first["id"], stdin="y\n")
    assert "learner.erased at ledger seq" in out
    rows = {row["id"]: row for row in json.loads(cli("learners", "list", "--json"))}
    assert rows[first["id"]]["status"] == "erased"
    assert "already erased" in cli("learners", "erase", first["id"], "--yes", code=1)
    assert "no learner" in cli("learners", "erase", "lrn_00000000000000000000", "--yes", code=1)
    assert "audit passed" in cli("ledger", "audit")
    assert "replayed" in cli("ledger", "replay")
    rows = {row["id"]: row for row in json.loads(cli("learners", "list", "--json"))}
    assert rows[first["id"]]["status"] == "erased"
