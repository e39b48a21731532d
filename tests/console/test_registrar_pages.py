"""The registrar's and viewer's pages: finding learners, a learner's records, corrections, revocations, documents
and activation codes, each scoped to the member's own institution."""

from __future__ import annotations

import json
import re
import subprocess
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import func, select, update

from creditbank.models import Achievement, ActivationCode, LedgerEntry, StaffSession
from creditbank.services import credentials
from creditbank.services.records import achievements, learners
from creditbank.services.records.api_keys import Principal
from creditbank.services.staff.members import ROLE_SCOPES
from tests.console.staff_helpers import csrf, staff_member
from tests.helpers import register

ID_NUMBER = "11010519491231002X"


def writer(institution: str) -> Principal:
    return Principal(f"key-{institution}", institution, ROLE_SCOPES["registrar"])


def enroll(bank, institution: str, **fields) -> str:
    data = {"birth_date": date(1988, 4, 2), "name_zh": "王堃", "name_latin": "Wang Kun", **fields}
    return learners.enroll(bank, writer(institution), learners.LearnerInput(**data)).body["id"]


def record(bank, institution: str, learner_id: str, record_id: str, title: str = "程序设计基础") -> str:
    data = {"kind": "course", "title": {"zh": title, "en": "Programming"}, "credits": 3, "completed": "2026-01-10"}
    made = achievements.record(
        bank, writer(institution), [achievements.Submission(learner_id, record_id, data)], batch=False
    )
    return made.body["id"]


def ledger_size(bank) -> int:
    with bank.db.reading() as session:
        return session.scalar(select(func.count()).select_from(LedgerEntry))


def last_entry(bank) -> LedgerEntry:
    with bank.db.reading() as session:
        return session.scalars(select(LedgerEntry).order_by(LedgerEntry.seq.desc()).limit(1)).one()


def world(bank, app):
    register(bank, "sen-a", name_zh="东城老年大学")
    register(bank, "sen-b")
    mine = enroll(bank, "sen-a", national_id_country="CN", national_id=ID_NUMBER)
    theirs = enroll(bank, "sen-b", name_zh="李娜", name_latin="Li Na", birth_date=date(1970, 1, 1))
    own_record = record(bank, "sen-a", mine, "2026-CS101-0042")
    their_record = record(bank, "sen-b", theirs, "2026-B-1")
    registrar = staff_member(bank, app.test_client(), "reg", "registrar", "sen-a")
    viewer = staff_member(bank, app.test_client(), "view", "viewer", "sen-a")
    return mine, theirs, own_record, their_record, registrar, viewer


def test_each_page_renders_for_a_registrar_and_a_viewer(bank, app):
    mine, _theirs, own_record, _their, registrar, viewer = world(bank, app)
    for signed in (registrar, viewer):
        home = signed.page("/staff/")
        assert "/staff/learners" in home
        assert "/staff/imports" in home
        assert "王堃" in signed.page(f"/staff/learners?q={mine}")
        page = signed.page(f"/staff/learners/{mine}")
        assert "2026-CS101-0042" in page
        assert "王堃" in page
        assert "*" * 14 + "002X" in page  # the ID number is masked
        assert "程序设计基础" in signed.page(f"/staff/achievements/{own_record}/correct")
    registrar_page = registrar.page(f"/staff/learners/{mine}")
    viewer_page = viewer.page(f"/staff/learners/{mine}")
    for control in ("/revoke", "/credentials", "/activation", "/correct"):
        assert control in registrar_page
        assert control not in viewer_page
    assert 'name="reason"' not in viewer.page(f"/staff/achievements/{own_record}/correct")


def test_searches_find_only_the_institutions_own_learners(bank, app):
    mine, theirs, _own, _their, registrar, _viewer = world(bank, app)
    # The other institution's learner, record id and name are not found; neither is a linked identity's data.
    by_record = registrar.page("/staff/learners?q=2026-CS101-0042")
    assert mine in by_record
    assert theirs not in registrar.page("/staff/learners?q=2026-B-1")
    assert mine in registrar.page(f"/staff/learners?q={ID_NUMBER[:6]} {ID_NUMBER[6:]}")
    assert mine in registrar.page("/staff/learners?q=wang")
    assert mine in registrar.page("/staff/learners?q=堃")
    for stranger in ("李娜", "li na", theirs):
        page = registrar.page(f"/staff/learners?q={stranger}")
        assert f"/staff/learners/{theirs}" not in page
        assert "<table" not in page
    assert mine not in registrar.page("/staff/learners?q=11010519491231003X")
    long = registrar.client.get("/staff/learners?q=" + "x" * 300)
    assert long.status_code == 400
    assert 'role="alert"' in long.get_data(as_text=True)


def test_a_correction_is_written_with_the_staff_actor(bank, app):
    mine, _theirs, own_record, _their, registrar, _viewer = world(bank, app)
    path = f"/staff/achievements/{own_record}/correct"
    form = {
        "kind": "course",
        "title_zh": "程序设计基础（修订）",
        "title_en": "Programming",
        "credits": "4",
        "completed": "2026-01-10",
        "reason": "credits were mistyped",
    }
    before = ledger_size(bank)
    answer = registrar.post(path, form)
    assert answer.status_code == 302
    entry = last_entry(bank)
    assert entry.kind == "achievement.corrected"
    assert entry.actor == f"inst:sen-a/staff:{registrar.staff_id}"
    assert ledger_size(bank) > before
    page = registrar.page(f"/staff/learners/{mine}")
    assert "程序设计基础（修订）" in page
    assert "credits were mistyped" in page

    bad = registrar.post(path, {**form, "credits": "lots", "completed": "2026-02-30", "reason": ""})
    text = bad.get_data(as_text=True)
    assert bad.status_code == 400
    assert re.search(r'id="f-credits"[^>]*aria-describedby="f-credits-hint f-credits-error"', text)
    assert 'id="f-completed-error"' in text
    assert 'id="f-reason-error"' in text
    assert last_entry(bank).seq == entry.seq  # nothing written


def test_revoking_needs_a_fresh_confirmation(bank, app):
    mine, _theirs, own_record, _their, registrar, _viewer = world(bank, app)
    with bank.db.writing() as session:
        session.execute(update(StaffSession).values(authenticated_at=datetime.now(UTC) - timedelta(minutes=6)))
    before = ledger_size(bank)
    learner_page = f"/staff/learners/{mine}"
    path = f"/staff/achievements/{own_record}/revoke"
    answer = registrar.post(path, {"reason": "awarded in error", "back": learner_page}, from_page=learner_page)
    assert answer.status_code == 302
    assert answer.headers["Location"].startswith("/staff/reauth?next=")
    assert ledger_size(bank) == before
    registrar.confirm()
    control = registrar.post(path, {"reason": "awarded\x07 in error"}, from_page=learner_page)
    assert control.status_code == 400
    assert 'role="alert"' in control.get_data(as_text=True)
    empty = registrar.post(path, {"reason": " "}, from_page=learner_page)
    assert empty.status_code == 400
    assert ledger_size(bank) == before
    answer = registrar.post(path, {"reason": "awarded in error"}, from_page=learner_page)
    assert answer.status_code == 302
    entry = last_entry(bank)
    revoked = [e for e in _entries_since(bank, before) if e.kind == "achievement.revoked"]
    assert len(revoked) == 1
    assert revoked[0].actor == f"inst:sen-a/staff:{registrar.staff_id}"
    assert entry.seq >= revoked[0].seq
    again = registrar.post(path, {"reason": "twice"}, from_page=learner_page)
    assert again.status_code == 409


def _entries_since(bank, size: int) -> list[LedgerEntry]:
    with bank.db.reading() as session:
        return list(session.scalars(select(LedgerEntry).where(LedgerEntry.seq >= size).order_by(LedgerEntry.seq)))


def test_reissuing_a_code_is_for_the_enrolling_institution_only(bank, app):
    register(bank, "sen-a")
    register(bank, "sen-b")
    first = enroll(bank, "sen-a", national_id_country="CN", national_id=ID_NUMBER)
    # sen-b links to the same person with matching details; it may read them, not open their account.
    linked = enroll(bank, "sen-b", national_id_country="CN", national_id=ID_NUMBER)
    assert linked == first
    enrolling = staff_member(bank, app.test_client(), "reg-a", "registrar", "sen-a")
    linking = staff_member(bank, app.test_client(), "reg-b", "registrar", "sen-b")
    path = f"/staff/learners/{first}/activation"
    page = f"/staff/learners/{first}"
    assert path not in linking.page(page)
    refused = linking.post(path, {}, from_page=page)
    assert refused.status_code == 403
    with bank.db.reading() as session:
        codes = session.scalar(select(func.count()).select_from(ActivationCode))
    answer = enrolling.post(path, {}, from_page=page)
    assert answer.status_code == 200
    assert answer.headers["Cache-Control"] == "no-store"
    code = re.search(r'id="activation-code">([A-Z0-9-]+)<', answer.get_data(as_text=True))
    assert code, "the page shows the new code"
    with bank.db.reading() as session:
        assert session.scalar(select(func.count()).select_from(ActivationCode)) == max(codes, 1)
    with bank.db.reading() as session:
        rows = session.scalars(select(ActivationCode).where(ActivationCode.learner_id == first)).all()
    assert len(rows) == 1  # the enrollment's code was replaced by the new one


def test_a_viewers_posts_are_refused_and_write_nothing(bank, app):
    mine, _theirs, own_record, _their, _registrar, viewer = world(bank, app)
    before = ledger_size(bank)
    token = csrf(viewer.page("/staff/"))
    posts = {
        f"/staff/achievements/{own_record}/correct": {"kind": "course", "title_zh": "x", "reason": "r"},
        f"/staff/achievements/{own_record}/revoke": {"reason": "r"},
        f"/staff/learners/{mine}/credentials": {"kind": "transcript"},
        f"/staff/learners/{mine}/activation": {},
        "/staff/imports": {},
    }
    for path, data in posts.items():
        answer = viewer.client.post(path, data={**data, "csrf_token": token})
        assert answer.status_code == 403, path
    assert ledger_size(bank) == before


def test_another_institutions_ids_are_not_found(bank, app):
    _mine, theirs, _own, their_record, registrar, viewer = world(bank, app)
    for signed in (registrar, viewer):
        for path in (f"/staff/learners/{theirs}", f"/staff/achievements/{their_record}/correct"):
            answer = signed.client.get(path)
            assert answer.status_code == 404, path
            assert "李娜" not in answer.get_data(as_text=True)
    before = ledger_size(bank)
    token = csrf(registrar.page("/staff/"))
    for path, data in {
        f"/staff/achievements/{their_record}/revoke": {"reason": "r"},
        f"/staff/achievements/{their_record}/correct": {"kind": "course", "title_zh": "x", "reason": "r"},
        f"/staff/learners/{theirs}/credentials": {"kind": "transcript"},
        f"/staff/learners/{theirs}/activation": {},
    }.items():
        assert registrar.client.post(path, data={**data, "csrf_token": token}).status_code == 404, path
    assert ledger_size(bank) == before


def test_documents_are_issued_and_downloaded_as_pdf_and_json(bank, app):
    mine, _theirs, own_record, _their, registrar, viewer = world(bank, app)
    page = f"/staff/learners/{mine}"
    answer = registrar.post(f"/staff/learners/{mine}/credentials", {"kind": "achievement", "achievement": own_record},
                            from_page=page)  # fmt: skip
    assert answer.status_code == 302
    entry = last_entry(bank)
    issued = [e for e in _entries_since(bank, entry.seq - 5) if e.kind == "credential.issued"]
    assert issued
    assert issued[-1].actor == f"inst:sen-a/staff:{registrar.staff_id}"
    shown = viewer.page(page)
    pdf_link = re.search(r'href="(/staff/credentials/[^"]+/pdf)"', shown)
    json_link = re.search(r'href="(/staff/credentials/[^"]+/json)"', shown)
    assert pdf_link
    assert json_link
    pdf = viewer.client.get(pdf_link.group(1))
    assert pdf.status_code == 200
    assert pdf.mimetype == "application/pdf"
    assert pdf.data.startswith(b"%PDF")
    assert "attachment" in pdf.headers["Content-Disposition"]
    # The bare credential, as the portal and the API give it; the receipt is its own file.
    bare = viewer.client.get(json_link.group(1))
    assert bare.status_code == 200
    assert bare.mimetype == "application/vc+ld+json"
    signed = json.loads(bare.data)
    assert "proof" in signed
    assert "receipt" not in signed
    receipt_link = re.search(r'href="(/staff/credentials/[^"]+/receipt)"', shown)
    assert receipt_link
    receipt = viewer.client.get(receipt_link.group(1))
    assert receipt.status_code == 200
    assert receipt.mimetype == "application/json"
    assert receipt.headers["Content-Disposition"].startswith("attachment; ")
    # The two files together verify, as `creditbank verify CREDENTIAL RECEIPT` reads them.
    joined = json.dumps({"credential": signed, "receipt": receipt.get_json()}).encode()
    report = credentials.verify(bank, joined)
    assert report["verdict"] == "valid", report


def test_a_linking_institution_finds_and_reads_only_what_it_submitted(bank, app):
    register(bank, "sen-a")
    register(bank, "sen-b")
    first = enroll(bank, "sen-a", national_id_country="CN", national_id=ID_NUMBER)
    # The same person, linked by sen-b with the Latin name alone: the Chinese name is sen-a's submission.
    linked = enroll(bank, "sen-b", name_zh=None, national_id_country="CN", national_id=ID_NUMBER)
    assert linked == first
    other = staff_member(bank, app.test_client(), "reg-b", "registrar", "sen-b")
    assert f"/staff/learners/{first}" in other.page("/staff/learners?q=wang kun")
    assert f"/staff/learners/{first}" not in other.page("/staff/learners?q=王堃")
    page = other.page(f"/staff/learners/{first}")
    assert "Wang Kun" in page
    assert "王堃" not in page


def test_the_activation_letter_is_one_page_with_a_fresh_code(bank, app):
    mine, _theirs, _own, _their, registrar, _viewer = world(bank, app)
    page = f"/staff/learners/{mine}"
    answer = registrar.post(f"/staff/learners/{mine}/activation-letter.pdf", {}, from_page=page)
    assert answer.status_code == 200
    assert answer.mimetype == "application/pdf"
    assert answer.headers["Cache-Control"] == "no-store"
    info = subprocess.run(["pdfinfo", "-"], input=answer.data, capture_output=True, check=True).stdout.decode()
    assert re.search(r"^Pages:\s+1$", info, re.MULTILINE), info
    with bank.db.reading() as session:
        assert len(session.scalars(select(ActivationCode).where(ActivationCode.learner_id == mine)).all()) == 1


def test_a_correction_sets_the_mode_and_the_result_and_checks_its_scale(bank, app):
    _mine, _theirs, own_record, _their, registrar, _viewer = world(bank, app)
    path = f"/staff/achievements/{own_record}/correct"
    form = {
        "kind": "course",
        "title_zh": "程序设计基础",
        "title_en": "Programming",
        "credits": "3",
        "completed": "2026-01-10",
        "mode": "blended",
        "result_type": "score",
        "result_score": "120",
        "result_max": "100",
        "result_grade": "ignored for a score",
        "reason": "the score was left out",
    }
    before = ledger_size(bank)
    refused = registrar.post(path, form)
    assert refused.status_code == 400
    assert 'id="f-result_score-error"' in refused.get_data(as_text=True)
    assert ledger_size(bank) == before
    assert registrar.post(path, {**form, "result_score": "95"}).status_code == 302
    with bank.db.reading() as session:
        data = json.loads(session.get(Achievement, own_record).data)
    assert data["mode"] == "blended"
    assert data["result"] == {"type": "score", "score": 95, "max": 100}
    page = registrar.page(path)
    assert re.search(r'<option value="score" selected>', page)
    assert 'value="95"' in page
    missing = registrar.post(path, {**form, "result_type": "pass_fail", "result_passed": ""})
    assert missing.status_code == 400
    assert 'id="f-result_passed-error"' in missing.get_data(as_text=True)


def test_a_reason_naming_the_learner_is_refused_before_the_ledger(bank, app):
    mine, _theirs, own_record, _their, registrar, _viewer = world(bank, app)
    form = {"kind": "course", "title_zh": "程序设计", "credits": "3", "completed": "2026-01-10"}
    before = ledger_size(bank)
    for reason in ("王堃 asked for it", "asked by WANG  kun", f"ID {ID_NUMBER[:6]} {ID_NUMBER[6:]} was wrong"):
        answer = registrar.post(f"/staff/achievements/{own_record}/correct", {**form, "reason": reason})
        assert answer.status_code == 400, reason
        assert 'id="f-reason-error"' in answer.get_data(as_text=True)
        page = f"/staff/learners/{mine}"
        revoked = registrar.post(f"/staff/achievements/{own_record}/revoke", {"reason": reason}, from_page=page)
        assert revoked.status_code == 400, reason
    assert ledger_size(bank) == before
    fine = registrar.post(f"/staff/achievements/{own_record}/correct", {**form, "reason": "title shortened"})
    assert fine.status_code == 302
