"""Attacks on the admin's erasure page and what is left to read after an erasure; and the home page's import list.

A passing test is a defence that held; an ``xfail(strict=True)`` test is an open finding.
"""

from __future__ import annotations

from sqlalchemy import select

from creditbank.models import LedgerBody, LedgerEntry
from tests.attack.test_console_attack_access import enroll, ledger_size, record, stale_confirmation
from tests.attack.test_console_attack_imports import registrars
from tests.console.staff_helpers import csrf, staff_member
from tests.console.test_import_pages import csv_file, row, settled, upload
from tests.helpers import register


def test_only_a_freshly_confirmed_admin_erases_and_the_entry_names_the_desk_only(bank, app):
    register(bank, "uni-a")
    learner = enroll(bank, "uni-a", email="wk@a.example")
    record(bank, "uni-a", learner, "A-1")
    registrar = staff_member(bank, app.test_client(), "era.reg", "registrar", "uni-a")
    reviewer = staff_member(bank, app.test_client(), "era.rev", "reviewer")
    admin = staff_member(bank, app.test_client(), "era.adm", "admin")
    before = ledger_size(bank)
    form = {"learner": learner, "again": learner}
    for other in (registrar, reviewer):
        token = csrf(other.page("/staff/"))
        assert other.client.get("/staff/admin/erasure").status_code == 403
        assert other.client.post("/staff/admin/erasure", data={**form, "csrf_token": token}).status_code == 403
    assert admin.client.post("/staff/admin/erasure", data=form).status_code == 400  # no CSRF token
    stale_confirmation(bank)
    token = csrf(admin.page("/staff/admin/erasure"))
    answer = admin.client.post("/staff/admin/erasure", data={**form, "csrf_token": token})
    assert answer.status_code == 302
    assert answer.headers["Location"].startswith("/staff/reauth")
    assert ledger_size(bank) == before
    admin.confirm()
    answer = admin.client.post("/staff/admin/erasure", data={**form, "csrf_token": token})
    assert answer.status_code == 200
    with bank.db.reading() as session:
        written = session.execute(
            select(LedgerEntry.actor, LedgerEntry.kind, LedgerBody.body)
            .join(LedgerBody, LedgerBody.seq == LedgerEntry.seq)
            .where(LedgerEntry.seq >= before)
        ).all()
    assert [(actor, kind) for actor, kind, _ in written] == [(f"bank:admin/staff:{admin.staff_id}", "learner.erased")]
    assert "era.adm" not in bytes(written[0][2]).decode()
    page = registrar.page(f"/staff/learners/{learner}")
    for personal in ("王堃", "Wang Kun", "wk@a.example", "1988-04-02"):
        assert personal not in page, personal
    for query in ("wang", "王堃", "A-1"):
        assert "Wang Kun" not in registrar.page(f"/staff/learners?q={query}")


def test_the_home_page_lists_only_the_institutions_own_imports(bank, app):
    a, b = registrars(bank, app)
    theirs = upload(a, csv_file([row(1)]), "secret-a-term.csv")
    settled(bank, a, theirs)
    assert theirs in a.page("/staff/") or "secret-a-term.csv" in a.page("/staff/imports")
    home = b.page("/staff/")
    assert theirs not in home
    assert "secret-a-term.csv" not in home
    viewer_b = staff_member(bank, app.test_client(), "view.b", "viewer", "uni-b")
    assert "secret-a-term.csv" not in viewer_b.page("/staff/")
