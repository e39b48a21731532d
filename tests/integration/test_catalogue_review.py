"""Reviewing catalogue proposals: rejection with a reason, four eyes on every decision, replay, proposing again."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import select

from creditbank import actors
from creditbank.errors import Conflict, Forbidden, InvalidInput
from creditbank.models import CatalogueOutcome, LedgerBody, LedgerEntry
from creditbank.projections import replay
from creditbank.runtime import Bank
from creditbank.services.credits import credit_rules
from tests.integration.credit_world import FRAMEWORK, OUTCOME

ALICE = actors.bank_actor("reviewer", "stf-alice")
BOB = actors.bank_actor("reviewer", "stf-bob")


def outcome(code: str, **changes: Any) -> dict[str, Any]:
    return {**OUTCOME, "code": code, **changes}


def entries(bank: Bank, kind: str) -> list[tuple[int, str, dict[str, Any]]]:
    with bank.db.reading() as session:
        rows = session.execute(
            select(LedgerEntry.seq, LedgerEntry.actor, LedgerBody.body)
            .join(LedgerBody, LedgerBody.seq == LedgerEntry.seq)
            .where(LedgerEntry.kind == kind)
            .order_by(LedgerEntry.seq)
        ).all()
    return [(seq, actor, json.loads(body)) for seq, actor, body in rows]


def catalogue(bank: Bank) -> list[tuple[Any, ...]]:
    with bank.db.reading() as session:
        return [
            (o.code, o.status, o.proposed_seq, o.proposed_by, o.approved_seq, o.reviewer, o.rejected_seq, o.reason)
            for o in session.scalars(select(CatalogueOutcome).order_by(CatalogueOutcome.code))
        ]


@pytest.fixture
def proposed(bank: Bank) -> Bank:
    credit_rules.publish_framework(bank, FRAMEWORK, source="test")
    credit_rules.propose_outcomes(bank, [outcome("DL-1"), outcome("DL-2")], actor="inst:uni-a", source="test")
    return bank


def test_a_rejection_is_an_entry_with_the_reason_and_the_reviewer_as_actor(proposed: Bank) -> None:
    (proposal,) = [
        seq for seq, _actor, body in entries(proposed, "catalogue.outcome_proposed") if body["outcome"] == "DL-2"
    ]
    rejected = credit_rules.reject_outcome(proposed, "DL-2", "  Overlaps DL-1.  ", actor=ALICE)
    assert rejected.created
    (entry,) = entries(proposed, "catalogue.outcome_rejected")
    assert entry == (rejected.seq, ALICE, {"outcome": "DL-2", "proposal": proposal, "reason": "Overlaps DL-1."})
    listed = {row["code"]: row for row in credit_rules.list_outcomes(proposed, status=None)}
    assert listed["DL-2"]["status"] == "rejected"
    assert listed["DL-2"]["reason"] == "Overlaps DL-1."
    assert listed["DL-2"]["rejected_seq"] == rejected.seq
    assert listed["DL-1"]["status"] == "proposed"
    assert [row["code"] for row in credit_rules.list_outcomes(proposed, status="rejected")] == ["DL-2"]
    # Rejected outcomes take no part in conversion.
    with proposed.db.reading() as session:
        assert "DL-2" not in credit_rules.rulebook(session).outcomes


def test_a_rejection_needs_a_bounded_reason_and_a_pending_proposal(proposed: Bank) -> None:
    for reason, why in (
        ("  ", "required"),
        ("x" * (credit_rules.REASON_LIMIT + 1), "too long"),
        ("no\x00way", "control characters"),
    ):
        with pytest.raises(InvalidInput) as refused:
            credit_rules.reject_outcome(proposed, "DL-2", reason, actor=ALICE)
        assert refused.value.errors == {"reason": why}
    credit_rules.approve_outcome(proposed, "DL-1", actor=ALICE)
    with pytest.raises(Conflict):
        credit_rules.reject_outcome(proposed, "DL-1", "too late", actor=BOB)
    first = credit_rules.reject_outcome(proposed, "DL-2", "Two lines:\r\nsee DL-1.\tThanks", actor=ALICE)
    assert credit_rules.list_outcomes(proposed, status="rejected")[0]["reason"] == "Two lines:\nsee DL-1.\tThanks"
    again = credit_rules.reject_outcome(proposed, "DL-2", "no", actor=BOB)
    assert (again.seq, again.created) == (first.seq, False)
    with pytest.raises(Conflict):
        credit_rules.approve_outcome(proposed, "DL-2", actor=BOB)
    assert len(entries(proposed, "catalogue.outcome_rejected")) == 1


def test_the_console_approval_is_written_as_the_reviewer(proposed: Bank) -> None:
    approved = credit_rules.approve_outcome(proposed, "DL-1", actor=ALICE)
    (entry,) = entries(proposed, "catalogue.outcome_approved")
    assert entry[0] == approved.seq
    assert entry[1] == ALICE
    assert entry[2]["reviewer"] == ALICE
    # The CLI's way still names a reviewer and writes as the bank's reviewer role.
    credit_rules.approve_outcome(proposed, "DL-2", "reviewer-2")
    assert entries(proposed, "catalogue.outcome_approved")[1][1:] == (
        "bank:reviewer",
        {"outcome": "DL-2", "proposal": entry[2]["proposal"] + 1, "reviewer": "reviewer-2"},
    )


def test_no_one_decides_on_their_own_proposal(bank: Bank) -> None:
    credit_rules.publish_framework(bank, FRAMEWORK, source="test")
    credit_rules.propose_outcomes(bank, [outcome("DL-1"), outcome("DL-2")], actor=ALICE, source="test")
    with pytest.raises(Forbidden):
        credit_rules.approve_outcome(bank, "DL-1", actor=ALICE)
    with pytest.raises(Forbidden):
        credit_rules.reject_outcome(bank, "DL-2", "mine", actor=ALICE)
    # The same pseudonym is the same person, whatever role the actor names.
    with pytest.raises(Forbidden):
        credit_rules.approve_outcome(bank, "DL-1", actor=actors.bank_actor("admin", "stf-alice"))
    assert entries(bank, "catalogue.outcome_approved") == entries(bank, "catalogue.outcome_rejected") == []
    assert credit_rules.approve_outcome(bank, "DL-1", actor=BOB).created
    assert credit_rules.reject_outcome(bank, "DL-2", "overlaps", actor=BOB).created
    assert [row[1] for row in catalogue(bank)] == ["approved", "rejected"]


def test_a_rejected_code_can_be_proposed_again_only_with_other_content(proposed: Bank) -> None:
    rejected = credit_rules.reject_outcome(proposed, "DL-2", "credits too high", actor=ALICE)
    with pytest.raises(Conflict) as refused:
        credit_rules.propose_outcomes(proposed, [outcome("DL-2")], actor="inst:uni-a", source="test")
    assert refused.value.errors == {"code": "rejected with this content"}
    # All or none: a file holding the unchanged rejected outcome proposes nothing else either.
    with pytest.raises(Conflict):
        credit_rules.propose_outcomes(proposed, [outcome("DL-3"), outcome("DL-2")], actor="inst:uni-a", source="t")
    assert [row[0] for row in catalogue(proposed)] == ["DL-1", "DL-2"]
    (again,) = credit_rules.propose_outcomes(proposed, [outcome("DL-2", credits=1)], actor="inst:uni-b", source="t")
    assert again.created
    row = {r[0]: r for r in catalogue(proposed)}["DL-2"]
    # A new review: proposed again by its new proposer, the earlier rejection still shown beside it.
    assert row == ("DL-2", "proposed", again.seq, "inst:uni-b", None, None, rejected.seq, "credits too high")
    assert credit_rules.approve_outcome(proposed, "DL-2", actor=BOB).created
    listed = {r["code"]: r for r in credit_rules.list_outcomes(proposed)}
    assert listed["DL-2"]["credits"] == 1


def test_replay_rebuilds_the_catalogue_with_its_rejections(proposed: Bank) -> None:
    credit_rules.reject_outcome(proposed, "DL-2", "overlaps DL-1", actor=ALICE)
    credit_rules.propose_outcomes(proposed, [outcome("DL-2", level=3)], actor="inst:uni-a", source="test")
    credit_rules.reject_outcome(proposed, "DL-2", "still overlaps", actor=BOB)
    credit_rules.approve_outcome(proposed, "DL-1", actor=BOB)
    live = catalogue(proposed)
    assert {row[1] for row in live} == {"approved", "rejected"}
    with proposed.db.writing() as session:
        replay(session)
    assert catalogue(proposed) == live
