"""Control characters and NUL bytes in the console's free-text fields: refused with a page, never a 500.

A passing test is a defence that held; an ``xfail(strict=True)`` test is an open finding.
"""

from __future__ import annotations

from tests.attack.test_console_attack_access import enroll, ledger_size, record
from tests.console.staff_helpers import csrf, staff_member
from tests.helpers import register
from tests.integration.credit_world import FRAMEWORK, OUTCOME


def test_a_nul_in_a_revocation_reason_is_refused_with_a_page(bank, app):
    register(bank, "uni-a")
    mine = enroll(bank, "uni-a")
    own = record(bank, "uni-a", mine, "A-1")
    registrar = staff_member(bank, app.test_client(), "nul.reg", "registrar", "uni-a")
    before = ledger_size(bank)
    token = csrf(registrar.page(f"/staff/learners/{mine}"))
    answer = registrar.client.post(f"/staff/achievements/{own}/revoke", data={"csrf_token": token, "reason": "a\x00b"})
    assert answer.status_code == 400, answer.status_code
    assert ledger_size(bank) == before


def test_a_nul_in_a_rejection_reason_is_refused_with_a_page(bank, app):
    from creditbank import actors
    from creditbank.services.credits import credit_rules

    register(bank, "uni-a", credit_unit="credit", hours_per_unit=16)
    credit_rules.publish_framework(bank, FRAMEWORK, source="test")
    credit_rules.propose_outcomes(
        bank, [{**OUTCOME, "code": "DL-7"}], actor=actors.institution_actor("uni-a"), source="test"
    )
    reviewer = staff_member(bank, app.test_client(), "nul.rev", "reviewer")
    token = csrf(reviewer.page("/staff/review/proposals"))
    answer = reviewer.client.post("/staff/review/proposals/DL-7/reject", data={"csrf_token": token, "reason": "a\x00b"})
    assert answer.status_code < 500, answer.status_code


def test_a_nul_in_an_institution_name_is_refused_with_a_page(bank, app):
    admin = staff_member(bank, app.test_client(), "nul.adm", "admin")
    token = csrf(admin.page("/staff/admin/institutions"))
    answer = admin.client.post(
        "/staff/admin/institutions",
        data={"csrf_token": token, "id": "nul-u", "type": "university", "name_en": "Nul\x00U"},
    )
    assert answer.status_code < 500, answer.status_code
