"""Attacks on the catalogue review: deciding one's own proposal through other doors, and two decisions racing.

A passing test is a defence that held; an ``xfail(strict=True)`` test is an open finding.
"""

from __future__ import annotations

import contextlib
import io
import threading

import pytest
from sqlalchemy import select

from creditbank import actors
from creditbank.errors import DomainError
from creditbank.models import LedgerEntry
from creditbank.services.credits import credit_rules
from tests.console.staff_helpers import csrf, staff_member
from tests.helpers import register
from tests.integration.credit_world import FRAMEWORK, OUTCOME


def decisions(bank, code: str) -> list[str]:
    from creditbank.models import LedgerBody

    with bank.db.reading() as session:
        rows = session.execute(
            select(LedgerEntry.kind, LedgerBody.body)
            .join(LedgerBody, LedgerBody.seq == LedgerEntry.seq)
            .where(LedgerEntry.kind.in_(("catalogue.outcome_approved", "catalogue.outcome_rejected")))
        ).all()
    return [kind for kind, body in rows if f'"{code}"' in bytes(body).decode()]


def world(bank):
    register(bank, "uni-a", credit_unit="credit", hours_per_unit=16)
    credit_rules.publish_framework(bank, FRAMEWORK, source="test")
    credit_rules.propose_outcomes(
        bank, [{**OUTCOME, "code": "DL-7"}], actor=actors.institution_actor("uni-a"), source="test"
    )


def test_a_reviewer_decides_nothing_on_their_own_proposal_by_upload_or_by_name(bank, app):
    register(bank, "uni-a", credit_unit="credit", hours_per_unit=16)
    credit_rules.publish_framework(bank, FRAMEWORK, source="test")
    own = staff_member(bank, app.test_client(), "rev.own", "reviewer")
    upload = b'[[outcomes]]\ncode = "DL-9"\nframework = "test-fw"\nlevel = 2\ncredits = 1\n'
    upload += 'category = "digital_literacy"\nname = { zh = "九", en = "Nine" }\n'.encode()
    upload += 'description = { zh = "九", en = "Nine" }\n'.encode()
    token = csrf(own.page("/staff/review/proposals"))
    answer = own.client.post(
        "/staff/review/proposals",
        data={"csrf_token": token, "file": (io.BytesIO(upload), "o.toml")},
        content_type="multipart/form-data",
    )
    assert answer.status_code == 200, answer.get_data(as_text=True)[:2000]
    for act, data in (("approve", {}), ("reject", {"reason": "no"})):
        answer = own.client.post(f"/staff/review/proposals/DL-9/{act}", data={"csrf_token": token, **data})
        assert answer.status_code == 403, act
    # the service's rule, not the page's: named as the same desk another way, still refused
    with pytest.raises(DomainError):
        credit_rules.approve_outcome(bank, "DL-9", "someone else", actor=actors.bank_actor("reviewer", own.staff_id))
    assert decisions(bank, "DL-9") == []


def test_two_reviewers_deciding_one_proposal_at_once_write_one_decision(bank, app, db_url, request, monkeypatch):
    world(bank)
    real = credit_rules._reviewable
    both_read = threading.Barrier(2, timeout=10)

    def meeting(session, code, actor):
        held = real(session, code, actor)
        with contextlib.suppress(threading.BrokenBarrierError):  # the database made one wait for the other
            both_read.wait()
        return held

    monkeypatch.setattr(credit_rules, "_reviewable", meeting)
    results: list[object] = []

    def approve() -> None:
        try:
            results.append(credit_rules.approve_outcome(bank, "DL-7", actor=actors.bank_actor("reviewer", "stf-r1")))
        except DomainError as refused:
            results.append(refused)

    def reject() -> None:
        try:
            results.append(
                credit_rules.reject_outcome(bank, "DL-7", "no", actor=actors.bank_actor("reviewer", "stf-r2"))
            )
        except DomainError as refused:
            results.append(refused)

    threads = [threading.Thread(target=approve), threading.Thread(target=reject)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert len(results) == 2
    assert len(decisions(bank, "DL-7")) == 1, decisions(bank, "DL-7")
