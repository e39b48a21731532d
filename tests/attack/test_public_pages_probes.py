"""Probes against the pages and files that landed last, as an outsider would try them: the public ledger entry
pages, the language switch, password recovery, receipts and their C2SP tlog-proof form, what the LinkedIn link,
the Open Graph card and the share page let out, download names, conditional GETs, and the work a request can make
the bank do before it is refused.

Each probe asserts the correct behaviour; the holes these probes found were fixed, and the probes stay as their guard.
"""

from __future__ import annotations

import base64
import copy
import html
import json
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urljoin, urlsplit

import pytest
from click.testing import CliRunner
from flask.testing import FlaskClient
from sqlalchemy import event, select

from creditbank.cli import main
from creditbank.errors import Conflict, NotFound
from creditbank.languages.i18n import text as words
from creditbank.models import ActivationCode, Learner
from creditbank.runtime import Bank
from creditbank.services import credentials
from creditbank.services.credentials import credential_keys, credential_pages
from creditbank.services.learner_access import accounts, passwords
from creditbank.services.records import api_keys
from tests.credentials.issued_world import Issued
from tests.credentials.issued_world import issued as issued  # the module's bank with one certificate issued
from tests.helpers import register
from tests.portal.test_portal_pages import csrf

BORN = "1958-03-04"
NATIONAL_ID = "11010519491231002X"
NAME = "李娟"
PASSWORD = "a long first password"


# -- helpers ------------------------------------------------------------------------------------------------------


class Statements:
    """Counts the SQL statements the bank runs while it is held: the cost of a request before it is refused."""

    def __init__(self, bank: Bank) -> None:
        self.engine = bank.db.engine
        self.count = 0
        self.texts: list[str] = []

    def _seen(self, _connection: Any, _cursor: Any, statement: str, *_: Any) -> None:
        self.count += 1
        self.texts.append(" ".join(statement.split()).lower())

    def __enter__(self) -> Statements:
        event.listen(self.engine, "before_cursor_execute", self._seen)
        return self

    def __exit__(self, *_: object) -> None:
        event.remove(self.engine, "before_cursor_execute", self._seen)


def _personal(bank: Bank, learner: str) -> list[str]:
    return [learner, BORN, NATIONAL_ID, NAME, *credentials.holder_names(bank, learner)]


def _signed_in(issued: Issued) -> FlaskClient:
    """A portal session of the world's learner (an account is opened on first use, with a login name)."""
    bank, learner = issued.world.bank, issued.world.learner
    with bank.db.reading() as session:
        has = accounts.has_account(session, learner)
    if not has:
        accounts.activate(bank, accounts.new_code(bank, learner), BORN, PASSWORD, login_name="li.juan")
    client = issued.world.client.application.test_client()
    token = csrf(client.get("/login").get_data(as_text=True))
    answer = client.post("/login", data={"login": "li.juan", "password": PASSWORD, "csrf_token": token})
    assert answer.status_code == 302, answer.get_data(as_text=True)[:400]
    return client


def _verify(client: FlaskClient, document: Any) -> dict[str, Any]:
    answer = client.post("/api/v1/verify", data=json.dumps(document), content_type="application/json")
    assert answer.status_code == 200, answer.get_data(as_text=True)[:600]
    report: dict[str, Any] = answer.get_json()
    return report


def _ledger(report: dict[str, Any]) -> tuple[str, str]:
    (found,) = [(item["result"], item["reason"]) for item in report["checks"] if item["check"] == "ledger"]
    return found


# -- /about/entries/<seq> -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("spelling", ["-1", "abc", "00", "007", "1e3", "%00", "+1", "%D9%A1", "1.0", "0x10", " 1"])
def test_an_entry_number_in_another_spelling_is_refused_before_any_query(issued: Issued, spelling: str) -> None:
    client, bank = issued.world.client, issued.world.bank
    with Statements(bank) as spent:
        answer = client.get(f"/about/entries/{spelling}")
    assert answer.status_code == 400, spelling
    assert spent.count == 0
    assert "Traceback" not in answer.get_data(as_text=True)


@pytest.mark.parametrize("number", [str(2**63 - 1), str(2**63), str(2**64), "9" * 5000])
def test_an_entry_number_no_ledger_can_reach_is_not_found_cheaply(issued: Issued, number: str) -> None:
    client, bank = issued.world.client, issued.world.bank
    with Statements(bank) as spent:
        answer = client.get(f"/about/entries/{number}")
    assert answer.status_code == 404
    assert spent.count <= 3  # the session's own statements, no walk over the tree


def test_an_entry_past_the_tree_is_not_found_and_the_last_one_is_shown(issued: Issued) -> None:
    client, bank = issued.world.client, issued.world.bank
    from creditbank import ledger_store

    with bank.db.reading() as session:
        size = ledger_store.tree_size(session)
    assert client.get(f"/about/entries/{size}").status_code == 404
    assert client.get(f"/about/entries/{size - 1}").status_code == 200


def test_no_public_entry_page_shows_anything_of_a_person(issued: Issued) -> None:
    client, bank, learner = issued.world.client, issued.world.bank, issued.world.learner
    from creditbank import ledger_store

    with bank.db.reading() as session:
        size = ledger_store.tree_size(session)
    assert size > 10
    personal = _personal(bank, learner)
    started = time.perf_counter()
    for seq in range(size):
        answer = client.get(f"/about/entries/{seq}")
        assert answer.status_code == 200
        page = html.unescape(answer.get_data(as_text=True))
        for value in personal:
            assert value not in page, (seq, value)
        assert "lrn_" not in page
        assert "ach_" not in page  # achievement ids are in private bodies only
    # A public page anyone may fetch in a loop: a few database reads and one inclusion proof, never a render.
    assert (time.perf_counter() - started) / size < 0.25


def test_an_entry_page_reads_no_more_as_the_log_and_its_checkpoints_grow(issued: Issued) -> None:
    # A count of every checkpoint (one is signed per issue) took 120 ms at a million of them on PostgreSQL, on every
    # anonymous view, for a number the page never showed.
    client, bank = issued.world.client, issued.world.bank
    with Statements(bank) as spent:
        assert client.get("/about/entries/3").status_code == 200
    assert spent.count <= 12, spent.texts
    for statement in spent.texts:
        assert "count(" not in statement, statement
        if "from ledger_checkpoints" in statement:
            assert "limit" in statement, statement


# -- the language switch --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "target",
    [
        "//evil.example",
        "https://evil.example/",
        "/\\evil.example",
        "%2F%2Fevil.example",
        "/%2F/evil.example",
        "/%09/evil.example",
        "/%5Cevil.example",
        "/../..//evil.example",
        "http:evil.example",
        "javascript:alert(1)",
        "／／evil.example",
        "/" + "a" * 3000,
    ],
)
def test_the_language_switch_never_sends_anyone_to_another_site(issued: Issued, target: str) -> None:
    answer = issued.world.client.get(f"/lang/en?next={target}")
    assert answer.status_code == 302
    landed = urlsplit(urljoin("https://bank.example/lang/en", answer.headers["Location"]))
    assert landed.scheme == "https"
    assert landed.netloc == "bank.example"
    assert "evil" not in landed.netloc


def test_a_line_break_in_next_is_refused_and_sets_nothing(issued: Issued) -> None:
    answer = issued.world.client.get("/lang/en?next=/%0d%0aSet-Cookie:%20lang=ar")
    assert answer.status_code == 400
    assert "Set-Cookie" not in answer.headers or "lang=ar" not in answer.headers.get("Set-Cookie", "")
    assert "Location" not in answer.headers


@pytest.mark.parametrize("code", ["xx", "EN", "zz", "..", "%00"])
def test_a_code_that_is_no_language_sets_no_cookie(issued: Issued, code: str) -> None:
    answer = issued.world.client.get(f"/lang/{code}?next=/about")
    assert answer.status_code in (302, 400, 404)
    assert "lang=" not in answer.headers.get("Set-Cookie", "")


@pytest.mark.parametrize(
    "cookie", ["xx", "en; Path=/", "../../etc/passwd", "x" * 4000, "ar\u202e", "<script>", "zh-Hans", "EN"]
)
def test_a_language_cookie_that_is_no_language_reads_as_none(issued: Issued, cookie: str) -> None:
    client = issued.world.client.application.test_client()
    client.set_cookie("lang", cookie)
    answer = client.get("/about", headers={"Accept-Language": "fr"})
    assert answer.status_code == 200
    page = answer.get_data(as_text=True)
    assert '<html lang="fr"' in page
    assert cookie not in page or cookie in ("EN",)


def test_a_giant_accept_language_costs_little_and_picks_a_language(issued: Issued) -> None:
    client = issued.world.client.application.test_client()
    header = ",".join(f"x{n};q=0.{n % 10}" for n in range(20_000)) + ",ru;q=1"
    started = time.perf_counter()
    answer = client.get("/about", headers={"Accept-Language": header})
    assert answer.status_code == 200
    assert '<html lang="ru"' in answer.get_data(as_text=True)
    assert time.perf_counter() - started < 2


# -- receipts and downloads -----------------------------------------------------------------------------------------


def test_another_institution_s_key_gets_no_receipt_nor_the_joined_file(issued: Issued) -> None:
    client, world, cid = issued.world.client, issued.world, issued.credential_id
    for path in (f"/api/v1/credentials/{cid}/receipt", f"/api/v1/credentials/{cid}?receipt=true"):
        for other in ("uni-b", "mooc-x"):
            refused = client.get(path, headers=world.headers(other))
            assert refused.status_code == 404, (path, other)
            assert "entries" not in refused.get_data(as_text=True)
        assert client.get(path).status_code == 401
        assert client.get(path, headers={"Authorization": "Bearer not-a-key"}).status_code == 401
        own = client.get(path, headers=world.headers("uni-a"))
        assert own.status_code == 200
        assert own.headers["Cache-Control"] == "no-store"
        assert "ETag" not in own.headers


def test_a_key_without_read_scope_gets_no_receipt(issued: Issued) -> None:
    client, bank, cid = issued.world.client, issued.world.bank, issued.credential_id
    token = api_keys.issue(bank, "uni-a", scopes=("records:write",)).token
    refused = client.get(f"/api/v1/credentials/{cid}/receipt", headers={"Authorization": f"Bearer {token}"})
    assert refused.status_code == 403


def test_the_portal_s_files_are_the_holder_s_alone(issued: Issued) -> None:
    cid = issued.credential_id
    paths = [f"/me/documents/{cid}.json", f"/me/documents/{cid}.json?receipt=true", f"/me/documents/{cid}/receipt.json"]
    anonymous = issued.world.client.application.test_client()
    for path in paths:
        answer = anonymous.get(path)
        assert answer.status_code == 302, path
        assert "/login" in answer.headers["Location"]
    mine = _signed_in(issued)
    for path in paths:
        answer = mine.get(path, headers={"If-None-Match": "*"})
        assert answer.status_code == 200, path
        assert answer.headers["Cache-Control"] == "no-store"
        assert "ETag" not in answer.headers
    # Another learner of the same bank, signed in, is told there is no such file.
    bank = issued.world.bank
    other = issued.world.client.post(
        "/api/v1/learners",
        json={"name": {"zh": "王芳"}, "birth_date": "1960-01-02"},
        headers=issued.world.headers("uni-a"),
    ).get_json()
    accounts.activate(bank, other["activation_code"], "1960-01-02", PASSWORD, login_name="wang.fang")
    theirs = issued.world.client.application.test_client()
    token = csrf(theirs.get("/login").get_data(as_text=True))
    assert (
        theirs.post("/login", data={"login": "wang.fang", "password": PASSWORD, "csrf_token": token}).status_code == 302
    )
    for path in [*paths, f"/me/documents/{cid}.pdf", f"/me/documents/{cid}.png"]:
        assert theirs.get(path).status_code == 404, path


# -- the tlog-proof reader, through POST /api/v1/verify -------------------------------------------------------------


def _credential_item(bundle: dict[str, Any]) -> dict[str, Any]:
    (item,) = [found for found in bundle["receipt"]["entries"] if found["role"] == "credential"]
    return item


def _proof_lines(item: dict[str, Any]) -> tuple[list[str], str]:
    head, _, checkpoint = item["tlog_proof"].partition("\n\n")
    return head.split("\n"), checkpoint


def _with_proof(bundle: dict[str, Any], lines: list[str], checkpoint: str | None = None) -> dict[str, Any]:
    changed = copy.deepcopy(bundle)
    item = _credential_item(changed)
    item["tlog_proof"] = "\n".join(lines) + "\n\n" + (checkpoint if checkpoint is not None else _proof_lines(item)[1])
    return changed


def _flip(line: str) -> str:
    raw = bytearray(base64.b64decode(line))
    raw[0] ^= 1
    return base64.b64encode(bytes(raw)).decode()


def _mutations(bundle: dict[str, Any]) -> Iterator[tuple[str, Any]]:
    item = _credential_item(bundle)
    lines, checkpoint = _proof_lines(item)
    header, index, hashes = lines[0], lines[1], lines[2:]
    seq = item["entry"]["seq"]
    assert hashes, "the credential's entry has siblings in the tree"
    yield "a hash flipped", _with_proof(bundle, [header, index, _flip(hashes[0]), *hashes[1:]])
    yield "the last hash flipped", _with_proof(bundle, [header, index, *hashes[:-1], _flip(hashes[-1])])
    yield "a hash dropped", _with_proof(bundle, [header, index, *hashes[:-1]])
    yield "a hash added", _with_proof(bundle, [header, index, *hashes, hashes[0]])
    yield "hashes swapped", _with_proof(bundle, [header, index, *reversed(hashes)]) if len(hashes) > 1 else None
    yield "the next index", _with_proof(bundle, [header, f"index {seq + 1}", *hashes])
    yield "a leading zero", _with_proof(bundle, [header, f"index 0{seq}", *hashes])
    yield "a plus sign", _with_proof(bundle, [header, f"index +{seq}", *hashes])
    yield (
        "Arabic-Indic digits",
        _with_proof(
            bundle, [header, "index " + str(seq).translate(str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")), *hashes]
        ),
    )
    yield "a space after the index", _with_proof(bundle, [header, f"index {seq} ", *hashes])
    yield "a huge index", _with_proof(bundle, [header, "index " + "9" * 4000, *hashes])
    yield "no index", _with_proof(bundle, [header, *hashes])
    yield "another header", _with_proof(bundle, ["c2sp.org/tlog-proof@v2", index, *hashes])
    yield "CRLF lines", _with_proof(bundle, [line + "\r" for line in lines])
    yield "a short hash", _with_proof(bundle, [header, index, base64.b64encode(b"\x00" * 31).decode(), *hashes[1:]])
    yield "a long hash", _with_proof(bundle, [header, index, base64.b64encode(b"\x00" * 33).decode(), *hashes[1:]])
    yield "unpadded base64", _with_proof(bundle, [header, index, hashes[0].rstrip("="), *hashes[1:]])
    yield "65 hashes", _with_proof(bundle, [header, index, *([hashes[0]] * 65)])
    yield "bad extra data", _with_proof(bundle, [header, "extra ***", index, *hashes])
    yield "another checkpoint", _with_proof(bundle, lines, checkpoint.replace("\n", "\n ", 1))
    yield "no checkpoint", _with_proof(bundle, lines, "")
    over = copy.deepcopy(bundle)
    _credential_item(over)["tlog_proof"] = item["tlog_proof"] + "x" * (64 * 1024)
    yield "over 64 KB", over
    for value in (None, 79, ["c2sp.org/tlog-proof@v1"], {"index": seq}, ""):
        odd = copy.deepcopy(bundle)
        _credential_item(odd)["tlog_proof"] = value
        yield f"a tlog-proof of {type(value).__name__}", odd
    both = copy.deepcopy(bundle)
    _credential_item(both)["proof"] = []
    yield "both forms", both
    # The receipt's own checkpoint and the proof's changed together: still the bank's signature is checked.
    forged = copy.deepcopy(bundle)
    forged_item = _credential_item(forged)
    note = forged["receipt"]["checkpoint"]
    size_line = note.split("\n")[1]
    forged_note = note.replace(f"\n{size_line}\n", f"\n{int(size_line) + 1}\n", 1)
    forged["receipt"]["checkpoint"] = forged_note
    forged_item["tlog_proof"] = forged_item["tlog_proof"].replace(note, forged_note)
    yield "a checkpoint of another size in both places", forged


def test_every_tampered_tlog_proof_is_refused_with_its_reason(issued: Issued) -> None:
    client, bundle = issued.world.client, issued.bundle
    baseline = _verify(client, bundle)
    assert baseline["valid"] is True
    assert _ledger(baseline)[0] == "pass"
    tried = 0
    for what, tampered in _mutations(bundle):
        if tampered is None:
            continue
        tried += 1
        report = _verify(client, tampered)
        result, reason = _ledger(report)
        assert report["valid"] is False, what
        assert report["verdict"] == "invalid", what
        assert result == "fail", (what, result, reason)
        assert reason, what
    assert tried > 25


def test_a_tampered_proof_in_the_earlier_list_form_is_refused_too(issued: Issued) -> None:
    client, bundle = issued.world.client, issued.bundle
    lines, _ = _proof_lines(_credential_item(bundle))
    legacy = copy.deepcopy(bundle)
    for item in legacy["receipt"]["entries"]:
        item["proof"] = _proof_lines(item)[0][2:]
        del item["tlog_proof"]
    assert _verify(client, legacy)["valid"] is True
    for proof in ([], lines[2:-1], [*lines[2:], lines[2]], [_flip(lines[2]), *lines[3:]], ["AA=="] * 65, "AAAA"):
        changed = copy.deepcopy(legacy)
        _credential_item(changed)["proof"] = proof
        report = _verify(client, changed)
        assert report["valid"] is False, proof
        assert _ledger(report)[0] == "fail"


SURROGATE_PLACES = (
    ("name",),
    ("issuer", "name"),
    ("credentialSubject", "achievement", "name"),
    ("credentialSubject", "achievement", "creator", "name"),
    ("validFrom",),
    ("id",),
    ("proof", 0, "verificationMethod"),
    ("proof", 0, "type"),
    ("credentialStatus", "statusListCredential"),
)


def _with_surrogate(credential: dict[str, Any], place: tuple[str | int, ...]) -> dict[str, Any]:
    changed = copy.deepcopy(credential)
    target: Any = changed
    for step in place[:-1]:
        target = target[step]
    target[place[-1]] = "x\ud800" + str(target.get(place[-1], ""))
    return changed


@pytest.mark.parametrize("place", SURROGATE_PLACES, ids=lambda place: ".".join(map(str, place)))
def test_a_lone_surrogate_in_an_uploaded_credential_is_a_failed_check_not_a_failure(
    issued: Issued, place: tuple[str | int, ...]
) -> None:
    client = issued.world.client
    changed = {**issued.bundle, "credential": _with_surrogate(issued.bundle["credential"], place)}
    body = json.dumps(changed)  # ASCII, so the escape reaches the reader as the six characters \ud800
    answer = client.post("/api/v1/verify", data=body, content_type="application/json")
    assert answer.status_code == 200, answer.get_data(as_text=True)[:400]
    assert answer.get_json()["valid"] is False
    for language in ("zh", "en"):
        visitor = client.application.test_client()
        visitor.set_cookie("lang", language)
        page = visitor.post("/verify", data={"json": body})
        assert page.status_code == 200
        assert "\ufffd" in page.get_data(as_text=True) or place[0] in ("id", "proof", "credentialStatus", "validFrom")


# -- `creditbank verify CREDENTIAL RECEIPT` -------------------------------------------------------------------------


def _offline(issued: Issued, folder: Path) -> list[str]:
    bank = issued.world.bank
    did = folder / "did.json"
    did.write_text(json.dumps(credential_keys.did_document(bank)))
    name = issued.bundle["credential"]["credentialStatus"]["statusListCredential"].rsplit("/", 1)[1]
    trust = ["--trust", str(did)]
    for purpose, list_name in (("revocation", name), ("suspension", name.replace("revocation", "suspension"))):
        path = folder / f"{purpose}.json"
        path.write_text(json.dumps(credentials.status_list(bank, list_name)))
        trust += ["--status", str(path)]
    return trust


def _cli(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args))
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    return result.exit_code, result.output


def test_the_command_line_refuses_tampered_receipts_and_never_fails_on_them(issued: Issued, tmp_path: Path) -> None:
    trust = _offline(issued, tmp_path)
    credential, receipt = tmp_path / "credential.json", tmp_path / "receipt.json"
    credential.write_text(json.dumps(issued.bundle["credential"]))
    receipt.write_text(json.dumps(issued.bundle["receipt"]))
    assert _cli("verify", str(credential), str(receipt), *trust) == (
        0,
        _cli("verify", str(credential), str(receipt), *trust)[1],
    )
    for what, tampered in _mutations(issued.bundle):
        if tampered is None:
            continue
        receipt.write_text(json.dumps(tampered["receipt"]))
        code, out = _cli("verify", str(credential), str(receipt), *trust)
        assert code == 1, (what, out)
        assert "NOT VALID" in out, what
    receipt.write_text("[" * 100_000 + "]" * 100_000)
    code, out = _cli("verify", str(credential), str(receipt), *trust)
    assert code == 2
    assert "RECEIPT" in out


def test_the_command_line_reads_a_lone_surrogate_as_a_failed_check(issued: Issued, tmp_path: Path) -> None:
    trust = _offline(issued, tmp_path)
    credential, receipt = tmp_path / "credential.json", tmp_path / "receipt.json"
    receipt.write_text(json.dumps(issued.bundle["receipt"]))
    for place in SURROGATE_PLACES:
        credential.write_text(json.dumps(_with_surrogate(issued.bundle["credential"], place)))
        for form in ((), ("--json",)):
            code, out = _cli("verify", str(credential), str(receipt), *trust, *form)
            assert code == 1, (place, out)
            assert "NOT VALID" in out or '"invalid"' in out


# -- what leaks: LinkedIn, Open Graph, the share page, download names -----------------------------------------------


HOSTILE_TITLES = {
    "quotes": 'Tai chi "advanced" \'a\' "><img src=x onerror=alert(1)>',
    "crlf": "Tai chi\r\nSet-Cookie: x=1\r\n\r\nbody",
    "semicolon": 'Tai chi; filename="evil.exe"; x',
    "rtl": "Tai chi \u202egpj.exe\u202c \u200f\u2066x\u2069",
    "separators": "../../etc/passwd\\..\\boot.ini:C:/",
    "long": "长" * 250 + "L" * 250,
}


@pytest.fixture(scope="module")
def hostile(issued: Issued) -> dict[str, str]:
    """A certificate for each hostile title, issued by uni-a for the world's learner; title name -> credential id."""
    world = issued.world
    made: dict[str, str] = {}
    for name, title in HOSTILE_TITLES.items():
        recorded = world.client.post(
            "/api/v1/achievements",
            json={
                "learner": world.learner, "record_id": f"H-{name}", "kind": "course",
                "title": {"en": title, "zh": title}, "completed": "2026-01-10", "credits": 1,
            },
            headers=world.headers("uni-a"),
        )  # fmt: skip
        if recorded.status_code != 201:
            # Refused at the door is fine; it must be a clear refusal, not a failure.
            assert recorded.status_code in (400, 422), recorded.get_data(as_text=True)
            continue
        made[name] = credentials.issue(
            world.bank, None, credentials.Request(world.learner, "achievement", recorded.get_json()["id"])
        )["id"]
    # A title with a line break is refused when recorded; every other one is issued and must be named safely.
    assert set(made) == set(HOSTILE_TITLES) - {"crlf"}
    return made


_TOKEN = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")


def _disposition_parts(header: str) -> dict[str, str]:
    assert "\r" not in header
    assert "\n" not in header
    assert header.isascii()
    kind, *rest = header.split("; ")
    assert kind in ("attachment", "inline")
    parts: dict[str, str] = {}
    for part in rest:
        key, _, value = part.partition("=")
        assert key not in parts, header
        parts[key] = value
    assert set(parts) <= {"filename", "filename*"}, header
    return parts


@pytest.mark.parametrize("language", ["zh", "en", "ar"])
def test_download_names_hold_no_separator_quote_control_or_direction_mark(
    issued: Issued, hostile: dict[str, str], language: str
) -> None:
    bank = issued.world.bank
    for name, cid in hostile.items():
        for extension in ("pdf", "json", "receipt.json"):
            header = credentials.content_disposition(bank, None, cid, extension, language)
            parts = _disposition_parts(header)
            plain = parts["filename"]
            assert plain.startswith('"')
            assert plain.endswith('"')
            assert re.fullmatch(r"[a-z0-9.-]+", plain[1:-1]), (name, plain)
            assert plain[1:-1].endswith("." + extension)
            assert len(plain) < 120
            if "filename*" in parts:
                encoded = parts["filename*"]
                assert encoded.startswith("UTF-8''")
                assert _TOKEN.fullmatch(encoded[len("UTF-8''") :].replace("%", "")), encoded
                readable = unquote(encoded[len("UTF-8''") :])
                assert not re.search(r'[\\/:*?"<>|\x00-\x1f\x7f\u200e\u200f\u202a-\u202e\u2066-\u2069]', readable)
                assert ".." not in readable.split("-")[0]
                assert readable.endswith("." + extension)
                assert len(readable) < 120


def test_an_open_graph_card_escapes_hostile_titles_and_names_no_holder(issued: Issued, hostile: dict[str, str]) -> None:
    bank, learner = issued.world.bank, issued.world.learner
    anonymous = issued.world.client.application.test_client()
    for name, cid in hostile.items():
        answer = anonymous.get(f"/v/{cid}")
        assert answer.status_code == 200
        raw = answer.get_data(as_text=True)
        assert "<img src=x" not in raw
        metas = re.findall(r"<meta [^>]*>", raw)
        assert all(meta.count('"') % 2 == 0 for meta in metas), name
        tags = dict(re.findall(r'<meta property="(og:[a-z_]+)" content="([^"]*)">', raw))
        assert {"og:title", "og:url", "og:description"} <= set(tags), name
        assert tags["og:url"].endswith(f"/v/{cid}")
        page = html.unescape(raw)
        for value in _personal(bank, learner):
            assert value not in page, (name, value)
    assert anonymous.get("/v/urn:uuid:00000000-0000-4000-8000-000000000000").status_code == 404
    assert anonymous.get("/v/" + "x" * 65).status_code == 404


def test_the_add_to_profile_link_carries_nothing_of_the_holder_nor_of_other_credentials(
    issued: Issued, hostile: dict[str, str]
) -> None:
    bank, learner = issued.world.bank, issued.world.learner
    for cid in [issued.credential_id, *hostile.values()]:
        link = credentials.linkedin_url(bank, cid)
        assert link is not None
        found = urlsplit(link)
        assert (found.scheme, found.netloc, found.path) == ("https", "www.linkedin.com", "/profile/add")
        query = parse_qs(found.query, strict_parsing=True)
        assert set(query) == {
            "startTask", "name", "organizationName", "issueYear", "issueMonth", "certUrl", "certId",
        }  # fmt: skip
        assert all(len(values) == 1 for values in query.values())  # a title with & or = adds no parameter
        assert query["certId"] == [cid]
        for value in _personal(bank, learner):
            assert value not in unquote(link)
    transcript = credentials.issue(bank, None, credentials.Request(learner, "transcript", None))["id"]
    assert credentials.linkedin_url(bank, transcript) is None
    # Its public page lists what the transcript holds, and still nothing of whom it is about.
    page = html.unescape(issued.world.client.application.test_client().get(f"/v/{transcript}").get_data(as_text=True))
    assert "数字素养基础" in page
    for value in _personal(bank, learner):
        assert value not in page, value


def test_a_revoked_certificate_offers_no_add_to_profile_link(issued: Issued, hostile: dict[str, str]) -> None:
    bank = issued.world.bank
    cid = hostile["semicolon"]
    credentials.change_status(bank, cid, "revoke", "issued in error")
    assert credentials.linkedin_url(bank, cid) is None
    page = html.unescape(_signed_in(issued).get("/me/documents").get_data(as_text=True))
    assert f"certId={cid}" not in page


def test_a_share_of_one_achievement_shows_that_one_and_nothing_of_the_person_beyond_the_name(
    issued: Issued, hostile: dict[str, str]
) -> None:
    client = _signed_in(issued)
    bank, learner = issued.world.bank, issued.world.learner
    from creditbank.services.learner_access import portal

    record = portal.record(bank, learner)
    (chosen,) = [item for item in record if item["record_id"] == "DL-101"]
    assert len(record) >= 2
    page = client.get("/me/share").get_data(as_text=True)
    made = client.post(
        "/me/share", data={"days": "30", "scope": "chosen", "achievement": chosen["id"], "csrf_token": csrf(page)}
    )
    assert made.status_code == 200
    link = re.search(r"/s/([A-Za-z0-9_-]{20,})", made.get_data(as_text=True))
    assert link
    anonymous = issued.world.client.application.test_client()
    shared = anonymous.get(f"/s/{link.group(1)}")
    assert shared.status_code == 200
    assert shared.headers["Cache-Control"] == "no-store"
    assert "ETag" not in shared.headers
    assert shared.headers["Referrer-Policy"] == "same-origin"
    text = html.unescape(shared.get_data(as_text=True))
    assert "数字素养基础" in text
    # The hostile certificates' achievements were not chosen.
    for other in ("Tai chi", "etc/passwd", "长长长"):
        assert other not in text, other
    for value in (BORN, NATIONAL_ID, learner, "1958"):
        assert value not in text
    # An achievement of someone else cannot be put in a share.
    page = client.get("/me/share").get_data(as_text=True)
    refused = client.post(
        "/me/share",
        data={"days": "30", "scope": "chosen", "achievement": "ach_aaaaaaaaaaaaaaaaaaaa", "csrf_token": csrf(page)},
    )
    assert refused.status_code == 400
    for token in ("x", "A" * 64, "A" * 65, link.group(1)[:-1]):
        assert anonymous.get(f"/s/{token}").status_code in (404, 410)


# -- caching --------------------------------------------------------------------------------------------------------


def test_a_304_never_answers_for_another_resource(issued: Issued) -> None:
    client = issued.world.client
    status_name = issued.bundle["credential"]["credentialStatus"]["statusListCredential"].rsplit("/", 1)[1]
    suspension = status_name.replace("revocation", "suspension")
    paths = ["/.well-known/did.json", f"/status/{suspension}", f"/status/{status_name}"]
    tags = {}
    for path in paths:
        answer = client.get(path)
        assert answer.status_code == 200, path
        tags[path] = answer.headers["ETag"]
        assert client.get(path, headers={"If-None-Match": tags[path]}).status_code == 304
    assert len(set(tags.values())) == len(paths)
    for path in paths:
        for other, tag in tags.items():
            if other != path:
                answer = client.get(path, headers={"If-None-Match": tag})
                assert answer.status_code == 200
                assert answer.data
    # A status list changed since is served whole to a client holding the old tag.
    before = tags[paths[1]]
    credentials.change_status(issued.world.bank, issued.credential_id, "suspend", "checking the tags")
    try:
        fresh = client.get(paths[1], headers={"If-None-Match": before})
        assert fresh.status_code == 200
        assert fresh.headers["ETag"] != before
    finally:
        credentials.change_status(issued.world.bank, issued.credential_id, "reinstate", "checked")


def test_no_personal_page_gets_an_etag_or_a_public_cache(issued: Issued) -> None:
    client = _signed_in(issued)
    cid = issued.credential_id
    for path in (
        "/me", "/me/documents", f"/me/documents/{cid}.json", f"/me/documents/{cid}/receipt.json", "/me/share",
        "/me/password", "/forgot", "/reset", "/login",
    ):  # fmt: skip
        answer = client.get(path, headers={"If-None-Match": "*"})
        assert answer.status_code in (200, 302), path
        assert answer.headers.get("Cache-Control") == "no-store", path
        assert "ETag" not in answer.headers, path
    keyed = issued.world.client.get(
        f"/api/v1/credentials/{cid}", headers={**issued.world.headers("uni-a"), "If-None-Match": "*"}
    )
    assert keyed.status_code == 200
    assert keyed.headers["Cache-Control"] == "no-store"


# -- password recovery ----------------------------------------------------------------------------------------------


@pytest.fixture
def enrolled(client: FlaskClient, bank: Bank) -> dict[str, str]:
    register(bank, "uni-a")
    key = {"Authorization": f"Bearer {api_keys.issue(bank, 'uni-a').token}"}
    answer = client.post("/api/v1/learners", json={"name": {"zh": "赵奶奶"}, "birth_date": BORN}, headers=key)
    assert answer.status_code == 201, answer.get_data(as_text=True)
    body: dict[str, str] = answer.get_json()
    accounts.activate(bank, body["activation_code"], BORN, PASSWORD, login_name="zhao.nainai")
    body["key"] = key["Authorization"]
    return body


def _post(client: FlaskClient, path: str, **form: str) -> Any:
    token = csrf(client.get(path).get_data(as_text=True))
    return client.post(path, data={**form, "csrf_token": token})


def _reset(client: FlaskClient, code: str, born: str = BORN, password: str = "a brand new password") -> Any:
    return _post(client, "/reset", code=code, birth_date=born, password=password, password_again=password)


def _logs_in(client: FlaskClient, password: str) -> bool:
    fresh = client.application.test_client()
    return bool(_post(fresh, "/login", login="zhao.nainai", password=password).status_code == 302)


class Hashes:
    """Counts scrypt hashes of new passwords (the real function still runs): the work a request made."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.count = 0
        real = passwords.hash_password

        def counted(password: str) -> str:
            self.count += 1
            return real(password)

        monkeypatch.setattr(passwords, "hash_password", counted)


def test_a_spent_reset_code_opens_nothing_again(client: FlaskClient, bank: Bank, enrolled: dict[str, str]) -> None:
    code = accounts.new_code(bank, enrolled["id"])
    assert _reset(client, code).status_code == 302
    assert _logs_in(client, "a brand new password")
    again = _reset(client.application.test_client(), code, password="the attacker's password")
    assert again.status_code == 400
    assert words("account_reset_code_used", "zh") in again.get_data(as_text=True)
    assert not _logs_in(client, "the attacker's password")
    assert _logs_in(client, "a brand new password")


def test_a_wrong_birth_date_answers_as_an_unknown_code_and_spends_nothing(
    client: FlaskClient, bank: Bank, enrolled: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    code = accounts.new_code(bank, enrolled["id"])
    hashes = Hashes(monkeypatch)
    wrong_born = _reset(client, code, born="1948-11-03")
    unknown = _reset(client, "AAAA-BBBB-CCCC")
    assert wrong_born.status_code == unknown.status_code == 400

    def visible(answer: Any) -> str:
        return re.sub(r'value="[^"]*"', "", answer.get_data(as_text=True))

    assert visible(wrong_born) == visible(unknown)
    assert hashes.count == 0
    with bank.db.reading() as session:
        assert session.scalars(select(ActivationCode).where(ActivationCode.used_at.is_(None))).first() is not None
    assert _reset(client, code).status_code == 302


def test_five_wrong_birth_dates_stop_the_code_even_for_its_holder(
    client: FlaskClient, bank: Bank, enrolled: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    code = accounts.new_code(bank, enrolled["id"])
    hashes = Hashes(monkeypatch)
    for day in range(1, 6):
        assert _reset(client, code, born=f"1950-01-0{day}").status_code == 400
    # Spelled differently, the same code shares the counter.
    stopped = _reset(client, code.lower().replace("-", " "))
    assert stopped.status_code == 429
    assert hashes.count == 0
    assert _logs_in(client, PASSWORD)


def test_guessing_codes_from_one_address_stops_before_any_password_is_hashed(
    client: FlaskClient, bank: Bank, enrolled: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    hashes = Hashes(monkeypatch)
    statuses = []
    for guess in range(accounts.MAX_ADDRESS_FAILURES + 2):
        statuses.append(_reset(client, f"AAAA-BBBB-{guess:04d}").status_code)
    assert statuses[: accounts.MAX_ADDRESS_FAILURES] == [400] * accounts.MAX_ADDRESS_FAILURES
    assert statuses[-1] == 429
    assert hashes.count == 0
    # The real code from this address now waits too: the guesser cannot tell it from a wrong one.
    code = accounts.new_code(bank, enrolled["id"])
    assert _reset(client, code).status_code == 429
    assert _logs_in(client, PASSWORD)


def test_a_code_for_a_learner_without_an_account_stays_unspent(client: FlaskClient, bank: Bank) -> None:
    register(bank, "uni-a")
    key = {"Authorization": f"Bearer {api_keys.issue(bank, 'uni-a').token}"}
    body = client.post("/api/v1/learners", json={"name": {"zh": "钱爷爷"}, "birth_date": BORN}, headers=key).get_json()
    refused = _reset(client, body["activation_code"])
    assert refused.status_code == 400
    assert words("account_reset_no_account", "zh") in refused.get_data(as_text=True)
    # A stranger with a wrong birth date hears only "unknown", so the answer above tells nothing to a guesser.
    stranger = _reset(client, body["activation_code"], born="1950-05-05")
    assert words("account_reset_no_account", "zh") not in stranger.get_data(as_text=True)
    with pytest.raises(Conflict):
        accounts.bank_reset_code(bank, body["id"])
    accounts.activate(bank, body["activation_code"], BORN, PASSWORD, login_name="qian.yeye")


def test_a_reset_signs_out_every_session_and_needs_the_form_s_token(
    client: FlaskClient, bank: Bank, enrolled: dict[str, str]
) -> None:
    holder = client.application.test_client()
    assert _post(holder, "/login", login="zhao.nainai", password=PASSWORD).status_code == 302
    assert holder.get("/me").status_code == 200
    code = accounts.new_code(bank, enrolled["id"])
    forged = client.application.test_client().post(
        "/reset",
        data={"code": code, "birth_date": BORN, "password": "x" * 12, "password_again": "x" * 12},
    )
    assert forged.status_code == 400
    assert holder.get("/me").status_code == 200
    assert _reset(client, code).status_code == 302
    left = holder.get("/me")
    assert left.status_code == 302
    assert "/login" in left.headers["Location"]


def test_the_forgot_page_asks_for_nothing_that_tells_whether_an_account_exists(client: FlaskClient) -> None:
    page = client.get("/forgot")
    assert page.status_code == 200
    body = page.get_data(as_text=True)
    assert "<form" not in body or 'method="post"' not in body.lower()
    assert 'name="login"' not in body
    assert 'name="email"' not in body
    assert client.post("/forgot").status_code in (405, 400)


def test_an_erased_learner_gets_no_reset_code_from_the_bank(
    client: FlaskClient, bank: Bank, enrolled: dict[str, str]
) -> None:
    code = accounts.new_code(bank, enrolled["id"])
    from creditbank.services.records import learners

    learners.erase(bank, enrolled["id"])
    with bank.db.reading() as session:
        learner = session.get(Learner, enrolled["id"])
        assert learner is not None
        assert learner.status == "erased"
    with pytest.raises(NotFound):
        accounts.bank_reset_code(bank, enrolled["id"])
    assert _reset(client, code).status_code == 400


# -- work before a refusal: PDFs ------------------------------------------------------------------------------------


def test_another_institution_or_learner_makes_the_bank_render_no_pdf(
    issued: Issued, monkeypatch: pytest.MonkeyPatch
) -> None:
    rendered = []
    real = credential_pages.render

    def counted(*args: Any, **kwargs: Any) -> bytes:
        rendered.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(credential_pages, "render", counted)
    client, world, cid = issued.world.client, issued.world, issued.credential_id
    for other in ("uni-b", "mooc-x"):
        assert client.get(f"/api/v1/credentials/{cid}/pdf", headers=world.headers(other)).status_code == 404
    assert client.get(f"/api/v1/credentials/{cid}/pdf").status_code == 401
    assert client.get(f"/api/v1/credentials/{cid}/pdf?lang=xx-yy", headers=world.headers("uni-a")).status_code == 422
    anonymous = client.application.test_client()
    assert anonymous.get(f"/me/documents/{cid}.pdf").status_code == 302
    assert rendered == []


def test_an_outdated_pdf_costs_one_render_per_request_and_is_never_handed_out(
    issued: Issued, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Measured: a transcript of four rows renders in 0.4 to 1.3 s, and a refused download costs that render too; the
    # portal and the API set no limit on how often a holder or an institution may ask.
    from creditbank.models import CredentialDocument

    bank, learner = issued.world.bank, issued.world.learner
    client = _signed_in(issued)
    transcript = credentials.issue(bank, None, credentials.Request(learner, "transcript", None, "zh-en"))["id"]
    with bank.db.writing() as session:
        stored = session.get(CredentialDocument, transcript)
        assert stored is not None
        assert stored.page_facts is not None
        kept = json.loads(stored.page_facts)
        kept["rows"][0]["title"] = {"zh": "另一种版式", "en": "Another layout"}
        stored.page_facts = json.dumps(kept, ensure_ascii=False)
    rendered: list[float] = []
    real = credential_pages.render

    def counted(*args: Any, **kwargs: Any) -> bytes:
        started = time.perf_counter()
        try:
            return real(*args, **kwargs)
        finally:
            rendered.append(time.perf_counter() - started)

    monkeypatch.setattr(credential_pages, "render", counted)
    for attempt in range(1, 4):
        refused = client.get(f"/me/documents/{transcript}.pdf")
        assert refused.status_code == 302
        assert not refused.data.startswith(b"%PDF")
        assert len(rendered) == attempt
    assert b"%PDF" not in client.get("/me/documents").data
