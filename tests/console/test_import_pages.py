"""The import pages: upload, the background check, the preview, confirming, letters, and bad files."""

from __future__ import annotations

import csv
import io
import re
import subprocess
import threading
import time
from datetime import UTC, datetime, timedelta

import openpyxl
from sqlalchemy import select, update
from werkzeug.test import EnvironBuilder, TestResponse

from creditbank import ledger_store, spreadsheets
from creditbank.models import ActivationCode, LedgerEntry, StaffSession
from tests.console.staff_helpers import SignedIn, csrf, staff_member
from tests.helpers import register

HEADERS = next(csv.reader(io.StringIO(spreadsheets.template_csv().decode("utf-8-sig"))))
COLUMN = {header.split(" / ")[1]: index for index, header in enumerate(HEADERS)}
FINISHED = ("invalid", "ready", "written", "unchanged", "failed")


def cn_id(first17: str) -> str:
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    total = sum(int(digit) * weight for digit, weight in zip(first17, weights, strict=True))
    return first17 + "10X98765432"[total % 11]


def row(n: int, **changes: str) -> list[str]:
    values = {
        "Chinese name": f"学员{n}",
        "Latin name": f"Learner {n}",
        "Birth date": "1955-05-17",
        "ID country": "CN",
        "ID number": cn_id(f"110105195505{n:05d}"),
        "E-mail": "",
        "Record ID": f"2026-T1-{n:04d}",
        "Kind": "课程",
        "Title (Chinese)": "智能手机应用",
        "Title (English)": "Using a Smartphone",
        "Credits": "2",
        "Hours": "32",
        "Completed": "2026-01-10",
        "Result type": "通过与否",
        "Passed": "是",
        **changes,
    }
    cells = [""] * len(HEADERS)
    for name, value in values.items():
        cells[COLUMN[name]] = value
    return cells


def csv_file(rows: list[list[str]], encoding: str = "utf-8-sig") -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(HEADERS)
    writer.writerows(rows)
    return out.getvalue().encode(encoding)


def xlsx_file(rows: list[list[str]]) -> bytes:
    """The bank's own template, its example row overwritten, as a registrar fills it in Excel."""
    book = openpyxl.load_workbook(io.BytesIO(spreadsheets.template_xlsx()))
    sheet = book.active
    sheet.delete_rows(2, sheet.max_row)
    for cells in rows:
        sheet.append(cells)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def ledger_size(bank) -> int:
    with bank.db.reading() as session:
        return ledger_store.tree_size(session)


def send(signed: SignedIn, fields: dict[str, object]) -> TestResponse:
    """POST the upload form. The body is encoded here so that its temporary file (a large body is spooled to one)
    is closed afterwards: the test client leaves that to the garbage collector, which warns."""
    builder = EnvironBuilder(path="/staff/imports", method="POST", data=fields, content_type="multipart/form-data")
    environ = builder.get_environ()
    try:
        return signed.client.open(environ)
    finally:
        environ["wsgi.input"].close()
        builder.close()


def upload(signed: SignedIn, data: bytes, name: str) -> str:
    token = csrf(signed.page("/staff/imports"))
    answer = send(signed, {"csrf_token": token, "file": (io.BytesIO(data), name)})
    assert answer.status_code == 302, answer.get_data(as_text=True)
    found = re.fullmatch(r"/staff/imports/(imp_\w+)", answer.headers["Location"])
    assert found, answer.headers["Location"]
    return found.group(1)


def settled(bank, signed: SignedIn, import_id: str, states: tuple[str, ...] = FINISHED) -> str:
    """The import's page once its background work has finished (a bounded wait, not a speed check)."""
    for _ in range(1200):
        if state_of(bank, signed, import_id) in states:
            break
        time.sleep(0.05)
    else:
        raise AssertionError(f"import {import_id} did not finish")
    for thread in threading.enumerate():
        if thread.name.endswith(import_id):
            thread.join(timeout=60)
    return signed.page(f"/staff/imports/{import_id}")


def state_of(bank, signed: SignedIn, import_id: str) -> str:
    from creditbank.services import imports
    from creditbank.services.staff import accounts

    member = accounts.get(bank, signed.staff_id)
    assert member is not None
    return imports.view(bank, member.principal(), import_id).state


def english(signed: SignedIn) -> None:
    signed.client.get("/lang/en")


def world(bank, app) -> SignedIn:
    register(bank, "sen-a", name_zh="东城老年大学")
    register(bank, "sen-b")
    signed = staff_member(bank, app.test_client(), "reg", "registrar", "sen-a")
    english(signed)
    return signed


def test_upload_preview_confirm_and_the_same_file_again(bank, app):
    signed = world(bank, app)
    rows = [row(n) for n in range(1, 21)]
    rows[3] = row(4, **{"E-mail": "four@example.org"})
    data = xlsx_file(rows)
    before = ledger_size(bank)
    first = upload(signed, data, "term.xlsx")
    page = settled(bank, signed, first)
    assert state_of(bank, signed, first) == "ready", page
    assert re.search(r'id="sum-new-learners">20<', page)
    assert re.search(r'id="sum-new-achievements">20<', page)
    assert "Write to the ledger" in page
    assert ledger_size(bank) == before  # a preview writes nothing

    token = csrf(page)
    answer = signed.client.post(f"/staff/imports/{first}/commit", data={"csrf_token": token})
    assert answer.status_code == 302
    page = settled(bank, signed, first, ("written", "invalid"))
    assert state_of(bank, signed, first) == "written", page
    assert ledger_size(bank) > before
    assert "Print the activation letters" in page
    with bank.db.reading() as session:
        actors = set(session.scalars(select(LedgerEntry.actor).where(LedgerEntry.seq >= before)))
    assert f"inst:sen-a/staff:{signed.staff_id}" in actors
    # A second click on the same form writes nothing more.
    written = ledger_size(bank)
    again = signed.client.post(f"/staff/imports/{first}/commit", data={"csrf_token": token})
    assert again.status_code == 302
    assert ledger_size(bank) == written

    second = upload(signed, data, "term.xlsx")
    page = settled(bank, signed, second)
    assert state_of(bank, signed, second) == "ready"
    assert "already" in page
    signed.client.post(f"/staff/imports/{second}/commit", data={"csrf_token": csrf(page)})
    page = settled(bank, signed, second, ("unchanged", "written", "invalid"))
    assert state_of(bank, signed, second) == "unchanged"
    assert "nothing was appended" in page
    assert ledger_size(bank) == written

    listing = signed.page("/staff/imports")
    assert f"/staff/imports/{first}" in listing
    assert f"/staff/imports/{second}" in listing
    assert f"/staff/imports/{second}" in signed.page("/staff/")  # the home page's latest imports


def test_a_bad_row_is_named_by_row_and_header_and_writes_nothing(bank, app):
    signed = world(bank, app)
    rows = [row(n) for n in range(1, 6)]
    rows[2] = row(3, **{"Birth date": "1955-13-45"})
    before = ledger_size(bank)
    bad = upload(signed, csv_file(rows), "term.csv")
    page = settled(bank, signed, bad)
    assert state_of(bank, signed, bad) == "invalid"
    # The header is Excel's row 1, so the third data row is row 4.
    problem = re.search(r"<tr><td>row 4</td>\s*<td>([^<]+)</td><td>([^<]+)</td></tr>", page)
    assert problem, page
    assert problem.group(1) == "出生日期 / Birth date"
    assert "Write to the ledger" not in page
    assert signed.client.post(f"/staff/imports/{bad}/commit", data={"csrf_token": csrf(page)}).status_code == 409
    assert ledger_size(bank) == before

    signed.client.get("/lang/zh")
    assert "第 4 行" in signed.page(f"/staff/imports/{bad}")
    english(signed)
    rows[2] = row(3)
    fixed = upload(signed, csv_file(rows), "term.csv")
    settled(bank, signed, fixed)
    assert state_of(bank, signed, fixed) == "ready"


def test_bad_files_get_a_page_never_a_500(bank, app):
    signed = world(bank, app)
    before = ledger_size(bank)
    chinese = csv_file([row(1, **{"Chinese name": "欧阳娜娜"}), row(2)], encoding="gb18030")
    for data, name in (
        (bytes(range(256)) * 40, "term.xlsx"),
        (xlsx_file([row(1)]), "term.xlsm"),
        (chinese, "term.csv"),
        (b"\x00\x01", "term.pdf"),
    ):
        imported = upload(signed, data, name)
        page = settled(bank, signed, imported)
        state = state_of(bank, signed, imported)
        assert state in ("failed", "invalid", "ready"), (name, state)
        if state != "ready":
            assert 'role="alert"' in page
            problems = re.findall(r"<tr><td>([^<]+)</td>\s*<td>[^<]*</td><td>([^<]+)</td></tr>", page)
            assert problems, (name, page)
    assert ledger_size(bank) == before

    token = csrf(signed.page("/staff/imports"))
    empty = send(signed, {"csrf_token": token, "file": (io.BytesIO(b""), "empty.csv")})
    assert empty.status_code == 400
    assert "The file is empty." in empty.get_data(as_text=True)
    none = send(signed, {"csrf_token": token})
    assert none.status_code == 400
    assert "Choose a file" in none.get_data(as_text=True)


def test_an_oversized_upload_is_refused_before_its_body_is_read(bank, app):
    signed = world(bank, app)
    token = csrf(signed.page("/staff/imports"))
    body = io.BytesIO(b"x" * (spreadsheets.MAX_BYTES + 128 * 1024))
    answer = send(signed, {"csrf_token": token, "file": (body, "huge.csv")})
    assert answer.status_code == 413
    text = answer.get_data(as_text=True)
    assert "larger than 20 MB" in text
    assert 'role="alert"' in text
    # A file over the site's general body limit but within the reader's is taken.
    within = io.BytesIO(csv_file([row(1)]) + b"\r\n" * (5 * 1024 * 1024))
    taken = send(signed, {"csrf_token": token, "file": (within, "blank-lines.csv")})
    assert taken.status_code == 302
    settled(bank, signed, taken.headers["Location"].rsplit("/", 1)[1])


def test_templates_download_as_attachments(bank, app):
    signed = world(bank, app)
    xlsx = signed.client.get("/staff/imports/template.xlsx")
    assert xlsx.status_code == 200
    assert xlsx.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert xlsx.headers["Content-Disposition"] == "attachment; filename=creditbank-import-template.xlsx"
    assert xlsx.data == spreadsheets.template_xlsx() or xlsx.data.startswith(b"PK")
    template = signed.client.get("/staff/imports/template.csv")
    assert template.mimetype == "text/csv"
    assert template.headers["Content-Disposition"] == "attachment; filename=creditbank-import-template.csv"
    assert template.data == spreadsheets.template_csv()


def test_letters_have_one_page_per_new_learner_without_email(bank, app):
    signed = world(bank, app)
    rows = [row(n) for n in range(1, 8)]
    rows[1] = row(2, **{"E-mail": "two@example.org"})
    rows[5] = row(6, **{"E-mail": "six@example.org"})
    imported = upload(signed, csv_file(rows), "term.csv")
    page = settled(bank, signed, imported)
    signed.client.post(f"/staff/imports/{imported}/commit", data={"csrf_token": csrf(page)})
    page = settled(bank, signed, imported, ("written", "invalid"))
    assert state_of(bank, signed, imported) == "written"
    assert "codes on any letters printed before stop working" in page
    # Printing replaces the learners' codes, so it waits for a fresh confirmation, as a single learner's code does.
    with bank.db.writing() as session:
        session.execute(update(StaffSession).values(authenticated_at=datetime.now(UTC) - timedelta(minutes=6)))
    with bank.db.reading() as session:
        codes = session.scalars(select(ActivationCode.digest)).all()
    stale = signed.client.post(f"/staff/imports/{imported}/letters.pdf", data={"csrf_token": csrf(page)})
    assert stale.status_code == 302
    assert stale.headers["Location"].startswith("/staff/reauth?next=")
    with bank.db.reading() as session:
        assert session.scalars(select(ActivationCode.digest)).all() == codes
    signed.confirm()
    answer = signed.client.post(f"/staff/imports/{imported}/letters.pdf", data={"csrf_token": csrf(page)})
    assert answer.status_code == 200
    assert answer.mimetype == "application/pdf"
    assert "attachment" in answer.headers["Content-Disposition"]
    info = subprocess.run(["pdfinfo", "-"], input=answer.data, capture_output=True, check=True).stdout.decode()
    assert re.search(r"^Pages:\s+5$", info, re.MULTILINE), info


def test_a_page_still_at_work_reloads_itself_and_shows_progress(bank, app):
    from creditbank.services import imports
    from creditbank.services.staff import accounts

    signed = world(bank, app)
    member = accounts.get(bank, signed.staff_id)
    assert member is not None
    # Uploaded through the service, with no thread to check it: the page shows it waiting, as after a reload.
    waiting = imports.upload(bank, member.principal(), "term.csv", csv_file([row(1)]))
    page = signed.page(f"/staff/imports/{waiting.id}")
    assert '<meta http-equiv="refresh" content="2">' in page
    assert "<progress" in page
    assert "Write to the ledger" not in page
    checked = imports.validate(bank, waiting.id)
    assert checked.state == "ready"
    page = signed.page(f"/staff/imports/{waiting.id}")
    assert 'http-equiv="refresh"' not in page
    assert "Write to the ledger" in page


def test_problems_beyond_those_kept_are_counted(bank, app):
    signed = world(bank, app)
    rows = [row(n, **{"Birth date": "someday", "Credits": "many"}) for n in range(1, 601)]
    imported = upload(signed, csv_file(rows), "term.csv")
    page = settled(bank, signed, imported)
    assert state_of(bank, signed, imported) == "invalid"
    shown = re.findall(r"<tr><td>row \d+</td>", page)
    hidden = re.search(r"(\d+) more problems are not listed", page)
    assert hidden, page[-3000:]
    assert len(shown) + int(hidden.group(1)) >= 1200
    assert len(shown) <= 1000
