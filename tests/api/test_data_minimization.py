"""What one institution may read about a learner another institution also holds.

Without the learner's consent: the personal data it submitted itself, its own records and its own credit lines;
an awarding body named by the active rule set also sees the other lines of that framework, with only the fields
an award decision uses. Consent (scope, expiry, withdrawal) opens more, and only while it lasts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask.testing import FlaskClient

from creditbank import ledger_store, recording
from creditbank.models import LearnerPersonalData, LedgerBody, LedgerEntry
from creditbank.personal_data import Sealed
from creditbank.runtime import Bank
from creditbank.services.credits import statements
from creditbank.services.records import api_keys, consent, learners
from tests.helpers import register
from tests.integration.credit_world import CreditWorld, build

PERSON_A: dict[str, Any] = {
    "name": {"zh": "李娟", "latin": "Li Juan"},
    "birth_date": "1958-03-04",
    "national_id": {"number": "11010519491231002X"},
    "email": "li.juan@uni-a.example",
}
PERSON_B: dict[str, Any] = {
    "name": {"zh": "李娟"},
    "birth_date": "1958-03-04",
    "national_id": {"number": "11010519491231002X"},
    "email": "lj@uni-b.example",
}


@pytest.fixture
def world(client: FlaskClient, bank: Bank) -> CreditWorld:
    return build(client, bank)


def _get(world: CreditWorld, path: str, institution: str) -> Any:
    return world.client.get(path, headers=world.headers(institution))


def test_each_institution_reads_back_only_what_it_submitted(client: FlaskClient, bank: Bank) -> None:
    register(bank, "uni-a")
    register(bank, "uni-b")
    a, b = api_keys.issue(bank, "uni-a").token, api_keys.issue(bank, "uni-b").token
    learner = client.post("/api/v1/learners", json=PERSON_A, headers={"Authorization": f"Bearer {a}"}).get_json()
    linked = client.post("/api/v1/learners", json=PERSON_B, headers={"Authorization": f"Bearer {b}"}).get_json()
    assert linked["id"] == learner["id"]
    seen_by_a = client.get(f"/api/v1/learners/{learner['id']}", headers={"Authorization": f"Bearer {a}"}).get_json()
    seen_by_b = client.get(f"/api/v1/learners/{learner['id']}", headers={"Authorization": f"Bearer {b}"}).get_json()
    assert seen_by_a["name"] == PERSON_A["name"]
    assert seen_by_a["email"] == PERSON_A["email"]
    assert seen_by_b["name"] == {"zh": "李娟"}
    assert seen_by_b["email"] == "lj@uni-b.example"
    assert "Li Juan" not in str(seen_by_b)
    assert "li.juan" not in str(seen_by_b)
    assert seen_by_b["national_id"]["number"].endswith("002X")
    assert set(seen_by_b["national_id"]["number"][:-4]) == {"*"}


def _record_everywhere(world: CreditWorld) -> None:
    world.record("uni-a", "A-1", credits=4)
    world.record("uni-b", "B-1", credits=3)
    world.record("mooc-x", "M-1", hours=20, kind="module")


def _lines(account: dict[str, Any]) -> list[dict[str, Any]]:
    return [line for framework in account["accounts"] for line in framework["statement"]]


def test_a_non_awarding_institution_sees_only_its_own_credit_lines(world: CreditWorld) -> None:
    _record_everywhere(world)
    lines = _lines(world.account("uni-b"))
    assert lines
    assert {line["institution"] for line in lines} == {"uni-b"}
    framework = world.account("uni-b")["accounts"][0]
    assert framework["earned"] == sum(line["credits"] for line in lines)
    assert world.account("uni-b")["awards"] == []


def test_an_awarding_body_sees_other_lines_with_only_the_fields_an_award_uses(world: CreditWorld) -> None:
    _record_everywhere(world)
    lines = _lines(world.account("uni-a"))
    own = [line for line in lines if line.get("institution") == "uni-a"]
    others = [line for line in lines if "institution" not in line]
    assert own
    assert len(others) == 2
    assert all("explanation" in line and "achievement" in line for line in own)
    for line in others:
        assert set(line) <= set(statements.AWARD_FIELDS)
        assert {"credits", "level", "category", "source"} <= set(line)
    # The whole account counts for it: the balances are what an award would consume.
    full = statements.account(world.bank, None, world.learner)
    assert world.account("uni-a")["accounts"][0]["available"] == full["accounts"][0]["available"]


def test_progress_counts_only_own_lines_for_an_institution_that_cannot_award(world: CreditWorld) -> None:
    _record_everywhere(world)
    path = f"/api/v1/learners/{world.learner}/progress?qualification=test-diploma"
    mine = _get(world, path, "uni-b").get_json()
    everything = _get(world, path, "uni-a").get_json()
    assert mine["counted"] == "own"
    assert everything["counted"] == "all"
    assert everything["requirements"]
    # uni-b contributed 3 of the learner's credits; counting the others' lines for it would tell it what they hold.
    assert mine["requirements"] != everything["requirements"]


def test_records_of_other_institutions_need_consent(world: CreditWorld) -> None:
    _record_everywhere(world)
    path = f"/api/v1/learners/{world.learner}/achievements"
    own = _get(world, path, "uni-b").get_json()["items"]
    assert {item["record_id"] for item in own} == {"B-1"}
    grant = consent.grant(world.bank, world.learner, "uni-b", "records", 30)
    everyone = _get(world, path, "uni-b").get_json()["items"]
    assert {item["record_id"] for item in everyone} == {"A-1", "B-1", "M-1"}
    consent.withdraw(world.bank, world.learner, grant)
    assert {item["record_id"] for item in _get(world, path, "uni-b").get_json()["items"]} == {"B-1"}


def test_credits_consent_opens_the_whole_account_until_withdrawn(world: CreditWorld) -> None:
    _record_everywhere(world)
    grant = consent.grant(world.bank, world.learner, "uni-b", "credits", 30)
    full = world.account("uni-b")
    assert full == statements.account(world.bank, None, world.learner)
    path = f"/api/v1/learners/{world.learner}/progress?qualification=test-diploma"
    assert _get(world, path, "uni-b").get_json()["counted"] == "all"
    consent.withdraw(world.bank, world.learner, grant)
    assert {line["institution"] for line in _lines(world.account("uni-b"))} == {"uni-b"}


def test_an_institution_that_never_enrolled_the_learner_reads_only_what_it_was_granted(world: CreditWorld) -> None:
    register(world.bank, "uni-z")
    world.tokens["uni-z"] = api_keys.issue(world.bank, "uni-z").token
    base = f"/api/v1/learners/{world.learner}"
    for path in (base, f"{base}/credits", f"{base}/achievements", f"{base}/progress?qualification=test-cert"):
        assert _get(world, path, "uni-z").status_code == 404, path
    consent.grant(world.bank, world.learner, "uni-z", "profile", 7)
    profile = _get(world, base, "uni-z").get_json()
    assert profile["name"] == {"zh": "李娟"}
    assert profile["birth_date"] == "1958-03-04"
    for path in (f"{base}/credits", f"{base}/achievements"):
        assert _get(world, path, "uni-z").status_code == 404, path
    # Consent to read is not enrollment: it cannot write.
    item = {"learner": world.learner, "record_id": "Z-1", "kind": "course", "title": {"en": "Z"}, "credits": 1}
    response = world.client.post("/api/v1/achievements", json=item, headers=world.headers("uni-z"))
    assert response.status_code == 422


def test_an_expired_grant_opens_nothing(world: CreditWorld) -> None:
    register(world.bank, "uni-z")
    world.tokens["uni-z"] = api_keys.issue(world.bank, "uni-z").token
    past = ledger_store.timestamp(datetime.now(UTC) - timedelta(seconds=1))
    with world.bank.db.writing() as session:
        body = {"learner": world.learner, "institution": "uni-z", "scope": "profile", "expires": past}
        recording.record(session, [ledger_store.NewEntry(consent.GRANTED, consent.PORTAL_ACTOR, body)])
    assert _get(world, f"/api/v1/learners/{world.learner}", "uni-z").status_code == 404
    assert [grant["state"] for grant in consent.for_learner(world.bank, world.learner)] == ["expired"]


def test_erasure_ends_every_grant(world: CreditWorld) -> None:
    register(world.bank, "uni-z")
    world.tokens["uni-z"] = api_keys.issue(world.bank, "uni-z").token
    consent.grant(world.bank, world.learner, "uni-z", "credits", 30)
    assert _get(world, f"/api/v1/learners/{world.learner}/credits", "uni-z").status_code == 200
    learners.erase(world.bank, world.learner)
    assert _get(world, f"/api/v1/learners/{world.learner}/credits", "uni-z").status_code == 404


def test_consent_entries_carry_no_personal_data(world: CreditWorld) -> None:
    seq = consent.grant(world.bank, world.learner, "uni-b", "profile", 90)
    withdrawn = consent.withdraw(world.bank, world.learner, seq)
    with world.bank.db.reading() as session:
        for number, kind in ((seq, "consent.granted"), (withdrawn, "consent.withdrawn")):
            entry = session.get(LedgerEntry, number)
            body = session.get(LedgerBody, number)
            assert entry is not None
            assert body is not None
            assert (entry.kind, entry.actor) == (kind, "learner")
            assert "李娟".encode() not in body.body
            assert b"1958" not in body.body
    assert [grant["state"] for grant in consent.for_learner(world.bank, world.learner)] == ["withdrawn"]


@pytest.mark.parametrize(
    ("institution", "scope", "days", "field"),
    [("uni-b", "everything", 30, "scope"), ("uni-b", "profile", 0, "days"), ("uni-b", "profile", 367, "days"),
     ("nowhere", "profile", 30, "institution")],
)  # fmt: skip
def test_a_bad_grant_is_refused_and_appends_nothing(
    world: CreditWorld, institution: str, scope: str, days: int, field: str
) -> None:
    from creditbank.errors import InvalidInput

    with world.bank.db.reading() as session:
        before = ledger_store.tree_size(session)
    with pytest.raises(InvalidInput) as refused:
        consent.grant(world.bank, world.learner, institution, scope, days)
    assert field in (refused.value.errors or {})
    with world.bank.db.reading() as session:
        assert ledger_store.tree_size(session) == before


def test_a_link_made_before_submissions_were_kept_apart_reads_the_pseudonym_until_it_enrolls_again(
    client: FlaskClient, bank: Bank
) -> None:
    register(bank, "uni-a")
    register(bank, "uni-b")
    a, b = api_keys.issue(bank, "uni-a").token, api_keys.issue(bank, "uni-b").token
    learner = client.post("/api/v1/learners", json=PERSON_A, headers={"Authorization": f"Bearer {a}"}).get_json()["id"]
    client.post("/api/v1/learners", json=PERSON_B, headers={"Authorization": f"Bearer {b}"})
    vault = bank.vault()
    with bank.db.writing() as session:  # the row as such a link left it: the first submission only
        row = session.get(LearnerPersonalData, learner)
        assert row is not None
        personal = vault.open(learner, Sealed(row.wrapped_key, row.sealed))
        del personal["submissions"]
        resealed = vault.seal(learner, personal)
        row.wrapped_key, row.sealed = resealed.wrapped_key, resealed.sealed
    seen = client.get(f"/api/v1/learners/{learner}", headers={"Authorization": f"Bearer {b}"}).get_json()
    assert set(seen) == {"id", "status", "enrolled_seq"}
    again = client.post("/api/v1/learners", json=PERSON_B, headers={"Authorization": f"Bearer {b}"})
    assert again.get_json()["status"] == "already_enrolled"
    seen = client.get(f"/api/v1/learners/{learner}", headers={"Authorization": f"Bearer {b}"}).get_json()
    assert seen["email"] == PERSON_B["email"]
    assert seen["name"] == PERSON_B["name"]


def test_an_institution_lists_the_live_grants_it_holds_and_no_one_else_s(world: CreditWorld) -> None:
    kept = consent.grant(world.bank, world.learner, "uni-b", "records", 30)
    gone = consent.grant(world.bank, world.learner, "uni-b", "credits", 30)
    consent.withdraw(world.bank, world.learner, gone)
    consent.grant(world.bank, world.learner, "mooc-x", "profile", 30)
    listed = _get(world, "/api/v1/consents", "uni-b").get_json()["items"]
    assert [(row["seq"], row["scope"], row["state"]) for row in listed] == [(kept, "records", "active")]
    assert listed[0]["learner"] == world.learner
    assert _get(world, "/api/v1/consents", "uni-a").get_json()["items"] == []
    assert world.client.get("/api/v1/consents").status_code == 401
