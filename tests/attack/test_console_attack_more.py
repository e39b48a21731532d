"""More console attacks: acts that hand out sign-in secrets, linked learners' other records, downloads by viewers.

A passing test is a defence that held; an ``xfail(strict=True)`` test is an open finding.
"""

from __future__ import annotations

import json
import re
from datetime import date

from creditbank.services.records import learners
from tests.attack.test_console_attack_access import (
    ID_NUMBER,
    ledger_size,
    record,
    stale_confirmation,
    two_institutions,
    writer,
)
from tests.attack.test_console_attack_imports import ID1, codes_of, registrars, stored
from tests.console.staff_helpers import csrf, staff_member
from tests.console.test_import_pages import csv_file, row, settled, upload


def test_printing_an_imports_letters_needs_a_fresh_confirmation(bank, app):
    a, _b = registrars(bank, app)
    imported = upload(a, csv_file([row(1), row(2)]), "term.csv")
    page = settled(bank, a, imported)
    a.client.post(f"/staff/imports/{imported}/commit", data={"csrf_token": csrf(page)})
    page = settled(bank, a, imported, ("written", "invalid"))
    learner_id = json.loads(stored(bank, imported).letter_learners)[0]
    before = codes_of(bank, learner_id)
    stale_confirmation(bank)
    answer = a.client.post(f"/staff/imports/{imported}/letters.pdf", data={"csrf_token": csrf(page)})
    assert codes_of(bank, learner_id) == before
    assert answer.status_code == 302
    assert answer.headers["Location"].startswith("/staff/reauth")


def test_a_linking_institution_reaches_none_of_the_first_institutions_records(bank, app):
    theirs, their_record, intruder = two_institutions(bank, app)
    linked = learners.enroll(
        bank, writer("uni-b"), learners.LearnerInput(date(1988, 4, 2), "王堃", "Wang Kun", "CN", ID_NUMBER)
    )
    assert linked.body["id"] == theirs
    own = record(bank, "uni-b", theirs, "B-0001")
    before = ledger_size(bank)
    assert intruder.client.get(f"/staff/achievements/{their_record}/correct").status_code == 404
    page = intruder.page(f"/staff/learners/{theirs}")
    assert "A-0001" not in page
    assert their_record not in page
    token = csrf(page)
    answer = intruder.client.post(
        f"/staff/learners/{theirs}/credentials",
        data={"csrf_token": token, "kind": "achievement", "achievement": their_record},
    )
    assert answer.status_code in (404, 409), answer.status_code
    assert ledger_size(bank) == before
    # a transcript issued by uni-b holds uni-b's record only
    answer = intruder.client.post(
        f"/staff/learners/{theirs}/credentials", data={"csrf_token": token, "kind": "transcript"}
    )
    assert answer.status_code == 302
    credential = re.search(r"/staff/credentials/([^/\"]+)/json", intruder.page(f"/staff/learners/{theirs}"))
    assert credential
    bundle = intruder.client.get(f"/staff/credentials/{credential.group(1)}/json").get_data(as_text=True)
    assert "B-0001" in bundle or own in bundle
    assert "A-0001" not in bundle
    assert their_record not in bundle


def test_a_viewers_downloads_write_nothing_and_other_institutions_credentials_are_not_found(bank, app):
    register_world = two_institutions(bank, app)
    theirs, _their_record, intruder = register_world
    registrar_a = staff_member(bank, app.test_client(), "reg.a", "registrar", "uni-a")
    viewer_a = staff_member(bank, app.test_client(), "view.a", "viewer", "uni-a")
    token = csrf(registrar_a.page(f"/staff/learners/{theirs}"))
    assert (
        registrar_a.client.post(
            f"/staff/learners/{theirs}/credentials", data={"csrf_token": token, "kind": "transcript"}
        ).status_code
        == 302
    )
    credential = re.search(r"/staff/credentials/([^/\"]+)/pdf", registrar_a.page(f"/staff/learners/{theirs}"))
    assert credential
    before = ledger_size(bank)
    for kind in ("pdf", "json"):
        answer = viewer_a.client.get(f"/staff/credentials/{credential.group(1)}/{kind}")
        assert answer.status_code == 200
        assert answer.headers["Content-Disposition"].startswith('attachment; filename="transcript-')
        assert answer.headers["Cache-Control"] == "no-store"
        assert intruder.client.get(f"/staff/credentials/{credential.group(1)}/{kind}").status_code == 404
    assert ledger_size(bank) == before


def test_set_up_and_secret_pages_are_never_cached_or_framed(bank, app):
    from creditbank.services.staff import accounts
    from tests.helpers import register

    register(bank, "uni-a")
    made = accounts.add(bank, "sec.one", "registrar", "uni-a", created_by="bank:test")
    answer = app.test_client().get(f"/staff/setup/{made.setup_token}")
    assert answer.status_code == 200
    assert answer.headers["Cache-Control"] == "no-store"
    assert answer.headers["Referrer-Policy"] in ("same-origin", "no-referrer")
    assert answer.headers["X-Frame-Options"] == "DENY"
    assert "script-src" not in answer.headers["Content-Security-Policy"]
    # a reset replaces the link: the old one no longer opens
    old = made.setup_token
    accounts.reset(bank, made.staff.id)
    assert app.test_client().get(f"/staff/setup/{old}").status_code == 404


def test_odd_cell_values_never_make_a_page_fail(bank, app):
    from tests.console.test_import_pages import state_of, xlsx_file

    a, _b = registrars(bank, app)
    odd = [
        {"Credits": "NaN"},
        {"Credits": "Infinity"},
        {"Credits": "-1"},
        {"Credits": "1e308"},
        {"Hours": "1e-400"},
        {"Completed": "2026-02-30"},
        {"Completed": "9999-12-31"},
        {"Birth date": "0001-01-01"},
        {"Birth date": "=TODAY()"},
        {"Chinese name": "\u202e名\u200b"},
        {"Latin name": "\ud7ff" * 300},
        {"ID number": "１１０１０５１９５５０５０００１Ｘ"},
        {"ID country": "X"},
        {"Kind": "=cmd|' /C calc'!A0"},
        {"Result type": "score", "Passed": ""},
        {"E-mail": "a@" + "b" * 300 + ".example"},
        {"Record ID": " "},
    ]
    rows = [row(n + 1, **changes) for n, changes in enumerate(odd)]
    for data, name in ((csv_file(rows), "odd.csv"), (xlsx_file(rows), "odd.xlsx")):
        imported = upload(a, data, name)
        page = settled(bank, a, imported)
        assert state_of(bank, a, imported) in ("invalid", "failed"), name
        assert 'role="alert"' in page


def test_reasons_and_institution_names_are_escaped_where_staff_read_them(bank, app):
    from creditbank.services.records import achievements
    from tests.helpers import register

    evil = '<img src=x onerror="alert(1)">'
    register(bank, "uni-x", name_en=f"Evil {evil}", name_zh=f"恶{evil}")
    registrar = staff_member(bank, app.test_client(), "reg.x", "registrar", "uni-x")
    learner_id = learners.enroll(
        bank, writer("uni-x"), learners.LearnerInput(date(1980, 1, 1), "张三", "Zhang San")
    ).body["id"]
    achievement = record(bank, "uni-x", learner_id, "X-1")
    achievements.revoke(bank, writer("uni-x"), achievement, f"because {evil}")
    for path in ("/staff/", f"/staff/learners/{learner_id}", "/staff/activity"):
        shown = registrar.page(path)
        assert "<img src=x" not in shown, path
    assert "&lt;img src=x" in registrar.page(f"/staff/learners/{learner_id}")


def test_query_parameters_are_not_reflected_unescaped(bank, app):
    from tests.helpers import register

    register(bank, "uni-a")
    evil = '"><script>alert(1)</script><x y="'
    stranger = app.test_client()
    registrar = staff_member(bank, app.test_client(), "reg.q", "registrar", "uni-a")
    reviewer = staff_member(bank, app.test_client(), "rev.q", "reviewer")
    pages = [
        (stranger, "/staff/login", {"next": "/" + evil}),
        (stranger, "/staff/login", {"next": evil}),
        (registrar.client, "/staff/learners", {"q": evil}),
        (registrar.client, "/staff/learners", {"q": evil * 10}),
        (registrar.client, "/staff/reauth", {"next": "/" + evil}),
        (reviewer.client, "/staff/review/awards", {"learner": evil, "qualification": evil}),
        (registrar.client, "/staff/activity", {"below": evil}),
        (registrar.client, "/staff/nowhere" + "%3Cscript%3E", {}),
    ]
    for client, path, query in pages:
        answer = client.get(path, query_string=query)
        assert answer.status_code < 500, path
        assert "<script>alert(1)" not in answer.get_data(as_text=True), (path, query)


def test_a_discarded_imports_parse_leaves_memory_when_its_learner_is_erased(bank, app):
    from creditbank.services.imports import store

    a, _b = registrars(bank, app)
    person = learners.enroll(
        bank, writer("uni-a"), learners.LearnerInput(date(1955, 5, 17), "抹除者", "Eraseme Zed", "CN", ID1)
    ).body["id"]
    imported = upload(a, csv_file([row(1, **{"Chinese name": "抹除者", "Latin name": "Eraseme Zed"})]), "term.csv")
    page = settled(bank, a, imported)
    assert a.client.post(f"/staff/imports/{imported}/discard", data={"csrf_token": csrf(page)}).status_code == 302
    assert stored(bank, imported).file_data is None
    learners.erase(bank, person)
    with store._PARSED_LOCK:
        kept = [repr(table) for table in store._PARSED.values()]
    assert not any("Eraseme Zed" in text or "抹除者" in text for text in kept)


def test_roles_cannot_be_crossed_when_staff_are_added(bank, app):
    from creditbank.services.staff import accounts
    from tests.helpers import register

    register(bank, "uni-a")
    admin = staff_member(bank, app.test_client(), "adm.roles", "admin")
    token = csrf(admin.page("/staff/admin/bank-staff"))
    for path, role in (
        ("/staff/admin/bank-staff", "registrar"),
        ("/staff/admin/institutions/uni-a/staff", "admin"),
        ("/staff/admin/institutions/uni-a/staff", "reviewer"),
        ("/staff/admin/bank-staff", "root"),
    ):
        answer = admin.client.post(path, data={"csrf_token": token, "login": "cross.role", "role": role})
        assert answer.status_code in (400, 409, 422), (path, role, answer.status_code)
    assert [s for s in accounts.list_all(bank) if s.login == "cross.role"] == []
