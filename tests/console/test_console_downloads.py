"""The console's document downloads are named as the portal and the API name them: kind, title and issue day in
ASCII, and the readable name in the console's language beside it (RFC 6266 ``filename*``)."""

from __future__ import annotations

import json
import re
from datetime import date
from urllib.parse import unquote

from creditbank.models import CredentialDocument
from creditbank.services import credentials
from creditbank.services.records import achievements, learners
from creditbank.services.records.api_keys import Principal
from creditbank.services.staff.members import ROLE_SCOPES
from tests.console.staff_helpers import staff_member
from tests.helpers import register

DAY = r"\d{4}-\d{2}-\d{2}"


def _writer(institution: str) -> Principal:
    return Principal(f"key-{institution}", institution, ROLE_SCOPES["registrar"])


def _documents(bank) -> tuple[str, str]:
    """A certificate and a transcript issued by sen-a: (certificate id, transcript id)."""
    register(bank, "sen-a", name_zh="东城老年大学")
    who = _writer("sen-a")
    person = learners.LearnerInput(birth_date=date(1950, 3, 1), name_zh="陈秀英", name_latin="Chen Xiuying")
    learner = learners.enroll(bank, who, person).body["id"]
    data = {"kind": "course", "title": {"zh": "太极拳", "en": "Tai Chi"}, "credits": 2, "completed": "2026-01-10"}
    achievement = achievements.record(bank, who, [achievements.Submission(learner, "R-1", data)], batch=False)
    certificate = credentials.issue(bank, who, credentials.Request(learner, "achievement", achievement.body["id"]))
    transcript = credentials.issue(bank, who, credentials.Request(learner, "transcript", None))
    return certificate["id"], transcript["id"]


def _names(header: str) -> tuple[str, str | None]:
    """(filename, the decoded filename*) of a Content-Disposition header."""
    plain = re.search(r'filename="([^"]+)"', header)
    assert plain, header
    readable = re.search(r"filename\*=UTF-8''(\S+)", header)
    return plain.group(1), unquote(readable.group(1)) if readable else None


def test_downloads_carry_the_ascii_name_and_the_readable_name_in_the_console_language(bank, app):
    certificate, transcript = _documents(bank)
    viewer = staff_member(bank, app.test_client(), "view", "viewer", "sen-a")
    viewer.client.set_cookie("lang", "zh")
    pdf = viewer.client.get(f"/staff/credentials/{certificate}/pdf")
    assert pdf.status_code == 200
    assert pdf.headers["Content-Disposition"].startswith("attachment; ")
    ascii_name, readable = _names(pdf.headers["Content-Disposition"])
    assert re.fullmatch(rf"certificate-tai-chi-{DAY}\.pdf", ascii_name), ascii_name
    assert readable is not None
    assert re.fullmatch(rf"证书-太极拳-{DAY}\.pdf", readable), readable
    assert readable.endswith(ascii_name[-14:])  # the same issue day in both

    bundle = viewer.client.get(f"/staff/credentials/{transcript}/json")
    assert bundle.status_code == 200
    ascii_name, readable = _names(bundle.headers["Content-Disposition"])
    assert re.fullmatch(rf"transcript-{DAY}\.json", ascii_name), ascii_name
    assert readable is not None
    assert re.fullmatch(rf"成绩单-{DAY}\.json", readable), readable
    receipt = viewer.client.get(f"/staff/credentials/{transcript}/receipt")
    assert receipt.status_code == 200
    ascii_name, readable = _names(receipt.headers["Content-Disposition"])
    assert re.fullmatch(rf"transcript-{DAY}\.receipt\.json", ascii_name), ascii_name
    assert readable is not None
    assert re.fullmatch(rf"成绩单-{DAY}\.receipt\.json", readable), readable

    viewer.client.set_cookie("lang", "en")
    pdf = viewer.client.get(f"/staff/credentials/{certificate}/pdf")
    ascii_name, readable = _names(pdf.headers["Content-Disposition"])
    assert re.fullmatch(rf"certificate-tai-chi-{DAY}\.pdf", ascii_name), ascii_name
    assert readable is not None
    assert re.fullmatch(rf"certificate-Tai Chi-{DAY}\.pdf", readable), readable


def test_a_language_the_console_does_not_speak_names_the_download_in_english(bank, app):
    certificate, _transcript = _documents(bank)
    registrar = staff_member(bank, app.test_client(), "reg", "registrar", "sen-a")
    registrar.client.set_cookie("lang", "ar")
    pdf = registrar.client.get(f"/staff/credentials/{certificate}/pdf")
    assert pdf.status_code == 200
    _ascii_name, readable = _names(pdf.headers["Content-Disposition"])
    assert readable is not None
    assert readable.startswith("certificate-Tai Chi-"), readable


def test_a_pdf_that_no_longer_shows_what_was_issued_gets_a_page_saying_so(bank, app):
    _certificate, transcript = _documents(bank)
    viewer = staff_member(bank, app.test_client(), "view", "viewer", "sen-a")
    viewer.client.set_cookie("lang", "en")
    assert viewer.client.get(f"/staff/credentials/{transcript}/pdf").status_code == 200
    # What an earlier layout amounts to for the renderer: the kept rows no longer give the fingerprinted words.
    with bank.db.writing() as session:
        stored = session.get(CredentialDocument, transcript)
        kept = json.loads(stored.page_facts)
        kept["rows"][0]["title"] = {"zh": "另一种版式", "en": "Another layout"}
        stored.page_facts = json.dumps(kept, ensure_ascii=False)
    refused = viewer.client.get(f"/staff/credentials/{transcript}/pdf")
    assert refused.status_code == 409
    assert refused.mimetype == "text/html"
    assert "can no longer be produced as a PDF exactly as it was issued" in refused.get_data(as_text=True)
    assert "Content-Disposition" not in refused.headers
    assert viewer.client.get(f"/staff/credentials/{transcript}/json").status_code == 200
