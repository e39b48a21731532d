# ruff: noqa: F811  (the two-bank fixtures are imported, then named as test arguments)
"""Probes against recognition by application, as an outside attacker would try them: counting the same learning
twice, applying as someone else, reviewers outside their rules, hostile evidence files, personal data in the
ledger, work done before a cheap refusal, SSRF through issuers' documents, and replay.

Each probe asserts the correct behaviour; the holes these probes found were fixed, and the probes stay as their guard.
"""

from __future__ import annotations

import copy
import json
import threading
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select, text

from certificates import pdf_read
from creditbank.errors import Conflict, DomainError, Forbidden, InvalidInput, NotFound
from creditbank.models import CreditLine, RecognitionApplication, RecognitionEvidence
from creditbank.projections import replay
from creditbank.runtime import Bank
from creditbank.services import credentials
from creditbank.services.recognition import applications, decisions, evidence_files, remote, trust_list
from creditbank.services.recognition.applications import Applicant
from creditbank.services.recognition.decisions import Recognize, Refuse, Reviewer
from creditbank.services.recognition.evidence_files import EvidenceFile
from creditbank.services.records import learners
from creditbank.services.records.api_keys import Principal
from creditbank.services.records.learners import LearnerInput
from creditbank.services.staff import accounts
from tests.attack.recognition_world import (
    PNG,
    assert_counted_once,
    bodies,
    recorder,
    reviewer,
    scans,
    size,
    standing_cents,
)
from tests.credentials import resign
from tests.integration.credit_world import CreditWorld, build
from tests.integration.test_evidence import Pair, pair  # noqa: F401  (the two-bank fixture)
from tests.integration.test_recognition_between_banks import bank_b  # noqa: F401  (B's learner and reviewer)

UNI_A = Principal("test", "uni-a", frozenset({"records:read", "records:write"}))
UNI_B = Principal("test", "uni-b", frozenset({"records:read", "records:write"}))
NAME, BORN, NATIONAL_ID = "李娟", "1958-03-04", "11010519491231002X"


@pytest.fixture
def world(client: FlaskClient, bank: Bank) -> CreditWorld:
    return build(client, bank)


def own_credential(world: CreditWorld, record_id: str, **data: Any) -> tuple[str, bytes]:
    """An achievement recorded here and this bank's credential for it (the {credential, receipt} download)."""
    recorded = world.record("uni-a", record_id, **data)
    issued = credentials.issue(world.bank, None, credentials.Request(world.learner, "achievement", recorded["id"]))
    return recorded["id"], json.dumps(credentials.bundle(world.bank, None, issued["id"])).encode()


def refused(bank: Bank, call: Any, error: type[Exception] = DomainError) -> DomainError:
    """``call`` is refused with ``error`` and appends nothing."""
    held = size(bank)
    with pytest.raises(error) as caught:
        call()
    assert size(bank) == held
    assert isinstance(caught.value, DomainError)
    return caught.value


# -- double counting ---------------------------------------------------------------------------------------------


def test_two_threads_applying_with_the_same_scan_at_once_make_one_application(world: CreditWorld) -> None:
    bank = world.bank
    reviewer(bank, "alice")
    files = scans("Pottery course, 30 hours, assessed")
    outcomes: list[object] = []
    barrier = threading.Barrier(4)

    def run() -> None:
        barrier.wait()
        try:
            outcomes.append(applications.apply(bank, Applicant.learner(), world.learner, files)["id"])
        except Conflict as exc:
            outcomes.append(exc)

    threads = [threading.Thread(target=run) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    made = [item for item in outcomes if isinstance(item, str)]
    assert len(outcomes) == 4
    assert len(made) == 1, outcomes
    with bank.db.reading() as session:
        assert len(session.scalars(select(RecognitionApplication)).all()) == 1
        assert len(session.scalars(select(RecognitionEvidence)).all()) == 1


def test_two_reviewers_deciding_two_applications_of_one_learning_at_once_count_it_once(world: CreditWorld) -> None:
    # The second application can only exist once the first was refused; then an appeal reopens the first while the
    # second is decided: the appeal decision and the second decision race for the same learning.
    bank = world.bank
    alice = reviewer(bank, "alice")
    files = scans("Watercolour, 20 hours")
    first = applications.apply(bank, Applicant.learner(), world.learner, files)
    decisions.decide(bank, first["id"], alice, [], [Refuse(1, "No assessment shown")])
    second = applications.apply(bank, Applicant.learner(), world.learner, files)
    assert second["reviewer"] == alice.staff_id
    bob = reviewer(bank, "bob")
    appealed = decisions.appeal(bank, first["id"], Applicant.learner(), "Assessed on page 2", learner_id=world.learner)
    assert appealed["reviewer"] == bob.staff_id
    outcomes: list[object] = []
    barrier = threading.Barrier(2)

    def run(application: str, who: Reviewer) -> None:
        barrier.wait()
        try:
            decisions.decide(bank, application, who, [Recognize(1, Decimal(2), "Assessment shown")], [])
            outcomes.append("decided")
        except Conflict as exc:
            outcomes.append(exc)

    threads = [
        threading.Thread(target=run, args=(first["id"], bob)),
        threading.Thread(target=run, args=(second["id"], alice)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert sorted(map(str, outcomes)).count("decided") == 1, outcomes
    assert_counted_once(bank)


def test_an_own_credential_for_an_achievement_converted_here_is_already_counted(world: CreditWorld) -> None:
    bank = world.bank
    reviewer(bank, "alice")
    achievement, data = own_credential(world, "PY-1", title={"en": "Programming"}, credits=3)
    assert standing_cents(bank, world.learner) > 0
    error = refused(bank, lambda: applications.apply(bank, Applicant.learner(), world.learner, [EvidenceFile(data)]))
    assert isinstance(error, Conflict)
    assert error.errors == {"evidence": "already counted"}
    # The same achievement inside this bank's transcript is the same learning too.
    made = credentials.issue(bank, None, credentials.Request(world.learner, "transcript"))
    clr = json.dumps(credentials.bundle(bank, None, made["id"])).encode()
    error = refused(bank, lambda: applications.apply(bank, Applicant.learner(), world.learner, [EvidenceFile(clr)]))
    assert isinstance(error, Conflict)
    # And its PDF certificate.
    pdf = credentials.pdf(bank, None, json.loads(data)["credential"]["id"])
    error = refused(bank, lambda: applications.apply(bank, Applicant.learner(), world.learner, [EvidenceFile(pdf)]))
    assert isinstance(error, Conflict)
    assert_counted_once(bank)
    assert achievement


def test_an_own_credential_after_its_achievement_is_corrected_is_still_counted_once(world: CreditWorld) -> None:
    bank = world.bank
    reviewer(bank, "alice")
    achievement, data = own_credential(world, "PY-2", title={"en": "Programming 2"}, credits=3)
    answer = world.client.post(
        f"/api/v1/achievements/{achievement}/corrections",
        json={"changes": {"credits": 4}, "reason": "credits were mistyped"},
        headers=world.headers(),
    )
    assert answer.status_code == 201, answer.get_data(as_text=True)
    refused(bank, lambda: applications.apply(bank, Applicant.learner(), world.learner, [EvidenceFile(data)]), Conflict)
    assert_counted_once(bank)


def test_an_own_credential_for_a_revoked_achievement_is_refused(world: CreditWorld) -> None:
    bank = world.bank
    reviewer(bank, "alice")
    achievement, data = own_credential(world, "PY-3", title={"en": "Programming 3"}, credits=3)
    answer = world.client.post(
        f"/api/v1/achievements/{achievement}/revocation", json={"reason": "never attended"}, headers=world.headers()
    )
    assert answer.status_code == 201, answer.get_data(as_text=True)
    assert standing_cents(bank, world.learner) == 0
    refused(bank, lambda: applications.apply(bank, Applicant.learner(), world.learner, [EvidenceFile(data)]))


def test_an_achievement_revoked_while_its_application_waits_cannot_be_recognized(world: CreditWorld) -> None:
    bank = world.bank
    alice = reviewer(bank, "alice")
    # Zero credits by the rule set (no credits stated, no hours), so the learner may ask a reviewer.
    recorded = world.record("uni-b", "ART-1", title={"en": "Art history"})
    issued = credentials.issue(bank, None, credentials.Request(world.learner, "achievement", recorded["id"]))
    data = json.dumps(credentials.bundle(bank, None, issued["id"])).encode()
    view = applications.apply(bank, Applicant.learner(), world.learner, [EvidenceFile(data)])
    assert view["items"][0]["key"] == f"ach:{recorded['id']}"
    answer = world.client.post(
        f"/api/v1/achievements/{recorded['id']}/revocation", json={"reason": "issued in error"},
        headers=world.headers("uni-b"),
    )  # fmt: skip
    assert answer.status_code == 201, answer.get_data(as_text=True)
    refused(bank, lambda: decisions.decide(bank, view["id"], alice, [Recognize(1, Decimal(2), "Seen")], []))
    assert standing_cents(bank, world.learner) == 0


def test_an_appeal_cannot_recognize_what_a_later_application_recognized(world: CreditWorld) -> None:
    bank = world.bank
    alice = reviewer(bank, "alice")
    files = scans("Calligraphy, 40 hours")
    first = applications.apply(bank, Applicant.learner(), world.learner, files)
    decisions.decide(bank, first["id"], alice, [], [Refuse(1, "No hours shown")])
    second = applications.apply(bank, Applicant.learner(), world.learner, files)
    decisions.decide(bank, second["id"], alice, [Recognize(1, Decimal(2), "Hours shown now")], [])
    bob = reviewer(bank, "bob")
    decisions.appeal(bank, first["id"], Applicant.learner(), "The hours were on page 2", learner_id=world.learner)
    error = refused(bank, lambda: decisions.decide(bank, first["id"], bob, [Recognize(1, Decimal(3), "ok")], []))
    assert isinstance(error, Conflict)
    assert "recognize[1]" in (error.errors or {})
    assert_counted_once(bank)


def test_revoke_then_reapply_loops_never_leave_two_standing_lines(world: CreditWorld) -> None:
    bank = world.bank
    alice = reviewer(bank, "alice")
    files = scans("Sign language, level 1")
    for round_ in range(3):
        view = applications.apply(bank, Applicant.learner(), world.learner, files)
        decisions.decide(bank, view["id"], alice, [Recognize(1, Decimal(round_ + 1), "Assessed")], [])
        assert_counted_once(bank)
        refused(bank, lambda: applications.apply(bank, Applicant.learner(), world.learner, files), Conflict)
        decisions.revoke(bank, view["id"], "Found wrong on audit")
    assert_counted_once(bank)


def test_a_scan_changed_by_one_byte_is_other_learning_to_the_bank(world: CreditWorld) -> None:
    # Documented limit, not a hole: a scan's key is its hash, so the reviewer is the one who sees it is the same.
    bank = world.bank
    alice = reviewer(bank, "alice")
    first = applications.apply(bank, Applicant.learner(), world.learner, scans("Ceramics"))
    decisions.decide(bank, first["id"], alice, [Recognize(1, Decimal(1), "ok")], [])
    padded = [EvidenceFile(PNG + b"Ceramics" + b"\x00", "scan.png", "Ceramics")]
    assert applications.apply(bank, Applicant.learner(), world.learner, padded)["state"] == "under_review"


# -- identity ----------------------------------------------------------------------------------------------------


def test_someone_elses_own_credential_is_refused_without_naming_them(world: CreditWorld) -> None:
    bank = world.bank
    _, data = own_credential(world, "ZERO-1", title={"en": "Zero"})
    other = learners.enroll(bank, UNI_A, LearnerInput(date(1980, 1, 1), name_zh="王伟")).body["id"]
    error = refused(bank, lambda: applications.apply(bank, Applicant.learner(), other, [EvidenceFile(data)]))
    assert isinstance(error, InvalidInput)
    assert NAME not in error.detail
    # Even by an institution that enrolled both.
    refused(bank, lambda: applications.apply(bank, Applicant.for_institution(UNI_A), other, [EvidenceFile(data)],
                                              principal=UNI_A), InvalidInput)  # fmt: skip


def test_an_institution_cannot_apply_for_read_or_act_on_what_is_not_its_own(world: CreditWorld) -> None:
    bank = world.bank
    alice = reviewer(bank, "alice")
    stranger = learners.enroll(bank, UNI_A, LearnerInput(date(1990, 5, 5), name_zh="赵敏")).body["id"]
    refused(bank, lambda: applications.apply(bank, Applicant.for_institution(UNI_B), stranger, scans("x"),
                                              principal=UNI_B), (Forbidden, NotFound))  # fmt: skip
    mine = applications.apply(bank, Applicant.for_institution(UNI_A), world.learner, scans("Course A"),
                              principal=UNI_A)  # fmt: skip
    own = applications.apply(bank, Applicant.learner(), world.learner, scans("Course L"))
    by_b = Applicant.for_institution(UNI_B)
    for application in (mine["id"], own["id"]):
        refused(bank, lambda a=application: applications.get(bank, a, applicant=by_b), NotFound)
        refused(bank, lambda a=application: applications.withdraw(bank, a, by_b), NotFound)
    # A learner is not another learner.
    refused(bank, lambda: applications.withdraw(bank, own["id"], Applicant.learner(), learner_id=stranger), NotFound)
    decisions.decide(bank, own["id"], alice, [], [Refuse(1, "No assessment")])
    decisions.decide(bank, mine["id"], alice, [], [Refuse(1, "No assessment")])
    for application in (mine["id"], own["id"]):
        refused(bank, lambda a=application: decisions.appeal(bank, a, by_b, "Please look again"), NotFound)
    # The applying institution may not appeal the learner's own application either.
    refused(bank, lambda: decisions.appeal(bank, own["id"], Applicant.for_institution(UNI_A), "again"), NotFound)


# -- reviewer rules ----------------------------------------------------------------------------------------------


def test_reviewers_outside_their_rules_are_refused(world: CreditWorld) -> None:
    bank = world.bank
    alice = reviewer(bank, "alice")
    view = applications.apply(bank, Applicant.learner(), world.learner, scans("Drawing"))
    assert view["reviewer"] == alice.staff_id
    bob = reviewer(bank, "bob")
    refused(bank, lambda: decisions.decide(bank, view["id"], bob, [Recognize(1, Decimal(1), "ok")], []), Forbidden)
    # Staff who are no reviewers cannot be made into one.
    accounts.add(bank, "adm", "admin", None, created_by="test")
    accounts.add(bank, "reg", "registrar", "uni-a", created_by="test")
    for login in ("adm", "reg"):
        refused(bank, lambda who=login: decisions.reviewer_by_login(bank, who), Forbidden)
    # A disabled reviewer is no reviewer.
    accounts.disable(bank, "bob")
    refused(bank, lambda: decisions.reviewer_by_id(bank, bob.staff_id), Forbidden)
    refused(bank, lambda: decisions.reviewer_by_login(bank, "bob"), NotFound)
    decisions.decide(bank, view["id"], alice, [], [Refuse(1, "Not assessed")])
    refused(bank, lambda: decisions.decide(bank, view["id"], alice, [], [Refuse(1, "again")]), Conflict)
    carol = reviewer(bank, "carol")
    decisions.appeal(bank, view["id"], Applicant.learner(), "Assessed after all", learner_id=world.learner)
    # The first reviewer: neither deciding nor being assigned the appeal.
    refused(bank, lambda: decisions.decide(bank, view["id"], alice, [Recognize(1, Decimal(1), "ok")], []), Forbidden)
    refused(bank, lambda: applications.assign(bank, view["id"], "alice"), Forbidden)
    decisions.decide(bank, view["id"], carol, [], [Refuse(1, "Still not assessed")])
    refused(bank, lambda: decisions.appeal(bank, view["id"], Applicant.learner(), "x", learner_id=world.learner),
            Conflict)  # fmt: skip
    refused(bank, lambda: decisions.decide(bank, view["id"], carol, [], [Refuse(1, "again")]), Conflict)


def test_an_affiliated_reviewer_neither_decides_nor_is_assigned(world: CreditWorld) -> None:
    bank = world.bank
    dan = reviewer(bank, "dan", affiliation="uni-a")
    view = applications.apply(bank, Applicant.for_institution(UNI_A), world.learner, scans("Course"), principal=UNI_A)
    assert view["reviewer"] is None
    refused(bank, lambda: decisions.decide(bank, view["id"], dan, [Recognize(1, Decimal(1), "ok")], []), Forbidden)
    refused(bank, lambda: applications.assign(bank, view["id"], "dan"), Forbidden)


def test_decide_rechecks_the_reviewer_account_in_its_own_transaction(world: CreditWorld) -> None:
    bank = world.bank
    alice = reviewer(bank, "alice")
    view = applications.apply(bank, Applicant.learner(), world.learner, scans("Sculpture"))
    accounts.disable(bank, "alice")  # e.g. between the console's reviewer_by_id and decide
    refused(bank, lambda: decisions.decide(bank, view["id"], alice, [Recognize(1, Decimal(1), "ok")], []), Forbidden)


def test_erased_withdrawn_revoked_and_late_are_refused(world: CreditWorld) -> None:
    bank = world.bank
    alice = reviewer(bank, "alice")
    withdrawn = applications.apply(bank, Applicant.learner(), world.learner, scans("One"))
    applications.withdraw(bank, withdrawn["id"], Applicant.learner(), learner_id=world.learner)
    refused(bank, lambda: decisions.appeal(bank, withdrawn["id"], Applicant.learner(), "x", learner_id=world.learner),
            Conflict)  # fmt: skip
    revoked = applications.apply(bank, Applicant.learner(), world.learner, scans("Two"))
    decisions.decide(bank, revoked["id"], alice, [Recognize(1, Decimal(1), "ok")], [])
    decisions.revoke(bank, revoked["id"], "Wrong")
    refused(bank, lambda: decisions.appeal(bank, revoked["id"], Applicant.learner(), "x", learner_id=world.learner),
            Conflict)  # fmt: skip
    refused(bank, lambda: decisions.revoke(bank, revoked["id"], "again"), Conflict)
    late = applications.apply(bank, Applicant.learner(), world.learner, scans("Three"))
    decisions.decide(bank, late["id"], alice, [], [Refuse(1, "No")])
    after = datetime.now(UTC) + timedelta(days=400)
    refused(bank, lambda: decisions.appeal(bank, late["id"], Applicant.learner(), "x", learner_id=world.learner,
                                           now=after), Conflict)  # fmt: skip
    pending = applications.apply(bank, Applicant.learner(), world.learner, scans("Four"))
    learners.erase(bank, world.learner)
    refused(bank, lambda: decisions.decide(bank, pending["id"], alice, [Recognize(1, Decimal(1), "ok")], []), Conflict)
    refused(bank, lambda: applications.apply(bank, Applicant.learner(), world.learner, scans("Five")), Conflict)


# -- between two banks (bank A issues, bank B recognizes; A served over loopback) --------------------------------


@pytest.fixture
def at_b(pair: Pair, bank_b: dict[str, str]) -> Iterator[dict[str, str]]:
    """B's side, cleaned after each probe: every application at B closed, A off the trust list, no kept answers."""
    remote.forget()
    pair.switch.down.clear()
    pair.switch.forged.clear()
    yield bank_b
    for view in applications.list_applications(pair.b):
        if view["state"] in ("decided", "final"):
            decisions.revoke(pair.b, view["id"], "probe over")
        elif view["state"] in applications.OPEN_STATES:
            applications.withdraw(pair.b, view["id"], Applicant.bank())
    pair.untrust_a()
    remote.forget()


MAP_ALL = [{"achievement": "*", "framework": "test-fw", "credits_ratio": 1, "level": 3, "category": "general"}]


def bundle_of(pair: Pair, credential_id: str) -> bytes:
    return json.dumps(credentials.bundle(pair.a, None, credential_id)).encode()


def test_two_transcripts_from_one_bank_count_its_learning_once(pair: Pair, at_b: dict[str, str]) -> None:
    b = pair.b
    pair.trust_a(mappings=MAP_ALL)
    first = applications.apply(b, Applicant.learner(), at_b["learner"], [EvidenceFile(pair.data)])
    assert first["state"] == "decided"
    counted = standing_cents(b, at_b["learner"])
    second = bundle_of(pair, pair.spare)  # the same learner's second download of the same record at A
    try:
        refused(b, lambda: applications.apply(b, Applicant.learner(), at_b["learner"], [EvidenceFile(second)]),
                Conflict)  # fmt: skip
    finally:
        assert standing_cents(b, at_b["learner"]) == counted, "the same courses at A were counted twice at B"


def test_an_achievement_credential_and_a_transcript_wrapping_it_count_once(pair: Pair, at_b: dict[str, str]) -> None:
    b = pair.b
    pair.trust_a(mappings=MAP_ALL)
    applications.apply(b, Applicant.learner(), at_b["learner"], [EvidenceFile(pair.data)])
    single = bundle_of(pair, pair.own_credential)  # DL-101, which the transcript wraps too
    refused(b, lambda: applications.apply(b, Applicant.learner(), at_b["learner"], [EvidenceFile(single)]), Conflict)


@pytest.fixture
def fetches(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every URL the evidence check fetches in this process (the DID document is fetched here, before the engine)."""
    seen: list[str] = []
    real = remote._get

    def counting(url: str, limit: int, timeout: float) -> bytes:
        seen.append(url)
        return real(url, limit, timeout)

    monkeypatch.setattr(remote, "_get", counting)
    return seen


def test_cheap_refusals_come_before_any_fetch(pair: Pair, at_b: dict[str, str], fetches: list[str]) -> None:
    b = pair.b
    pair.trust_a(mappings=MAP_ALL)
    good = EvidenceFile(pair.data)
    nobody = Principal("test", "uni-nobody", frozenset({"records:write"}))
    calls = [
        lambda: applications.apply(b, Applicant.learner(), at_b["learner"], []),
        lambda: applications.apply(b, Applicant.learner(), "lrn_00000000000000000000", [good]),
        lambda: applications.apply(b, Applicant.for_institution(nobody), at_b["learner"], [good], principal=nobody),
        lambda: applications.apply(b, Applicant.learner(), at_b["learner"], [good] * 6),
        lambda: applications.apply(b, Applicant.learner(), at_b["learner"], [good, EvidenceFile(b"")]),
        lambda: applications.apply(b, Applicant.learner(), at_b["learner"], [good, EvidenceFile(PNG, "a.png", "")]),
        lambda: applications.apply(b, Applicant.learner(), at_b["learner"], [good], framework="nope"),
    ]
    for call in calls:
        refused(b, call)
    assert fetches == []


def test_too_many_open_applications_is_refused_before_any_fetch(
    pair: Pair, at_b: dict[str, str], fetches: list[str]
) -> None:
    b = pair.b
    for number in range(applications.MAX_OPEN):
        applications.apply(b, Applicant.learner(), at_b["learner"], scans(f"Course {number}"))
    pair.trust_a(mappings=MAP_ALL)
    refused(b, lambda: applications.apply(b, Applicant.learner(), at_b["learner"], [EvidenceFile(pair.data)]),
            Conflict)  # fmt: skip
    assert fetches == []


def test_someone_elses_transcript_is_refused_before_any_fetch(
    pair: Pair, at_b: dict[str, str], fetches: list[str]
) -> None:
    b = pair.b
    pair.trust_a(mappings=MAP_ALL)
    refused(b, lambda: applications.apply(b, Applicant.learner(), at_b["other"], [EvidenceFile(pair.data)]),
            InvalidInput)  # fmt: skip
    assert fetches == []


def test_a_status_list_on_another_host_is_never_fetched(pair: Pair, at_b: dict[str, str]) -> None:
    # A signs and records a credential whose status list sits on another loopback host: everything checks but the
    # status, which must not be fetched from there (SSRF), so the credential cannot be recognized automatically.
    b = pair.b
    pair.trust_a(mappings=MAP_ALL)
    with recorder(status=200) as elsewhere:
        source = credentials.bundle(pair.a, None, pair.own_credential)["credential"]
        url = f"{elsewhere.origin}/status/1-revocation"
        slot = resign.fresh_slot()
        entry = {"id": f"{url}#{slot[1]}", "type": "BitstringStatusListEntry", "statusPurpose": "revocation",
                 "statusListIndex": str(slot[1]), "statusListCredential": url}  # fmt: skip
        document = resign.variant(source, credentialStatus=entry)
        issued = SimpleNamespace(world=pair.world)
        made = resign.record(issued, resign.sign_with(pair.a, document), slot=slot)  # type: ignore[arg-type]
        data = json.dumps(made).encode()
        # Signed and recorded by A, so only the status entry is wrong: refused at the status check, and the list
        # it names was never fetched.
        error = refused(b, lambda: applications.apply(b, Applicant.learner(), at_b["learner"], [EvidenceFile(data)]),
                        InvalidInput)  # fmt: skip
        assert "status check failed" in error.detail
        assert elsewhere.paths == []


def test_a_trusted_did_whose_host_redirects_is_refused_without_following(pair: Pair, at_b: dict[str, str]) -> None:
    b = pair.b
    with (
        recorder(status=200, body=b'{"id": "did:web:evil"}') as target,
        recorder(status=302, headers={"Location": f"{target.origin}/.well-known/did.json"}) as moved,
    ):
        trust_list.add_issuer(b, moved.did, "Moved bank")
        try:
            forged = copy.deepcopy(pair.transcript)
            forged["credential"]["issuer"]["id"] = moved.did
            error = refused(b, lambda: applications.apply(
                b, Applicant.learner(), at_b["learner"], [EvidenceFile(json.dumps(forged).encode())]
            ), InvalidInput)  # fmt: skip
            assert "could not be fetched" in error.detail
            assert moved.paths == ["/.well-known/did.json"]
            assert target.paths == []
        finally:
            trust_list.remove_issuer(b, moved.did, "probe over")


def test_an_issuer_did_spelt_another_way_is_not_the_trusted_one(pair: Pair, at_b: dict[str, str]) -> None:
    b = pair.b
    pair.trust_a(mappings=MAP_ALL)
    for spelling in (pair.a.did.replace("%3A", "%3a"), pair.a.did.upper(), pair.a.did.replace("%3A", ":"),
                     pair.a.did + ":", pair.a.did.replace("127.0.0.1", "localhost")):  # fmt: skip
        forged = copy.deepcopy(pair.transcript)
        forged["credential"]["issuer"]["id"] = spelling
        forged["credential"] = resign.sign_with(pair.a, forged["credential"])
        refused(b, lambda f=forged: applications.apply(
            b, Applicant.learner(), at_b["learner"], [EvidenceFile(json.dumps(f).encode())]
        ), InvalidInput)  # fmt: skip
    assert_counted_once(b)


# -- hostile evidence --------------------------------------------------------------------------------------------


def test_hostile_files_are_refused_at_their_place_with_nothing_appended(world: CreditWorld) -> None:
    bank = world.bank
    _, good = own_credential(world, "ZERO-2", title={"en": "Zero two"})
    text = good.decode()
    duplicated = text.replace('{"credential": {', '{"credential": {"issuer": "did:web:evil.example", ', 1)
    big = evidence_files.MAX_FILE_BYTES
    cases: list[tuple[list[EvidenceFile], str]] = [
        ([EvidenceFile(b"")], "evidence[0]"),
        (scans(*"abcdef"), "evidence"),
        ([EvidenceFile(PNG + b"\x00" * big, "big.png", "x")], "evidence[0]"),
        ([EvidenceFile(PNG + b"\x00" * (6 * 1024 * 1024), "p.png", "x")] * 3, "evidence"),
        ([EvidenceFile(PNG, "a.png", "bell \x07 here")], "evidence[0].description"),
        ([EvidenceFile(PNG, "a.png", "x" * (10 * 1024 * 1024))], "evidence[0].description"),
        ([EvidenceFile(duplicated.encode())], "evidence[0]"),
        ([EvidenceFile(b"{" * 200_000)], "evidence[0]"),
        ([EvidenceFile(b'{"a": "' + b"\xff\xfe" * 10 + b'"}')], "evidence[0]"),
        ([EvidenceFile(b'{"a": [' + b"1," * 3_000_000 + b"1]}")], "evidence[0]"),
        ([EvidenceFile(b"GIF89a" + b"\x00" * 16, "a.gif", "x")], "evidence[0]"),
        ([EvidenceFile(b"[" + good + b"]")], "evidence[0]"),
    ]
    for number, (files, place) in enumerate(cases):
        try:
            error = refused(bank, lambda f=files: applications.apply(bank, Applicant.learner(), world.learner, f))
        except BaseException as exc:
            raise AssertionError(f"case {number} ({place}) was not refused: {exc!r}"[:400]) from None
        assert isinstance(error, InvalidInput | DomainError)
        assert place in (error.errors or {}) or error.__class__.__name__ == "VerificationLimit", (place, error)
    # A PNG with a credential appended is a picture to a reviewer, never a verified credential.
    polyglot = applications.apply(
        bank, Applicant.learner(), world.learner, [EvidenceFile(PNG + good, "p.png", "A certificate photo")]
    )
    assert [item["kind"] for item in polyglot["items"]] == ["document"]
    assert polyglot["state"] == "submitted" or polyglot["state"] == "under_review"


def test_hostile_files_over_the_api_are_problems_never_500s(world: CreditWorld) -> None:
    import base64

    bank = world.bank
    _, good = own_credential(world, "ZERO-3", title={"en": "Zero three"})

    def post(evidence: Any) -> Any:
        return world.client.post(
            "/api/v1/recognition/applications", json={"learner": world.learner, "evidence": evidence},
            headers=world.headers(),
        )  # fmt: skip

    def b64(data: bytes) -> str:
        return base64.b64encode(data).decode()

    held = size(bank)
    for evidence in (
        [],
        [{"content_base64": "not base64!"}],
        [{"content_base64": b64(good)}] * 6,
        [{"content_base64": b64(b"{" * 100_000)}],
        [{"content_base64": b64(b"")}],
        [{"content_base64": b64(PNG), "description": "bell \x07"}],
        [{"content_base64": b64(good.replace(b'"credential"', b'"credential": 1, "credential"', 1))}],
        [{"content_base64": 5}],
        {"content_base64": b64(good)},
    ):
        answer = post(evidence)
        assert 400 <= answer.status_code < 500, (answer.status_code, answer.get_data(as_text=True)[:300])
        assert answer.content_type == "application/problem+json"
        assert "Traceback" not in answer.get_data(as_text=True)
    assert size(bank) == held


def renamed_attachment(pdf: bytes) -> bytes:
    """The PDF with its credential.json attachment renamed certificate.json (an incremental save is not needed:
    the file is written anew, as any PDF tool would)."""
    import io

    from pypdf import PdfReader, PdfWriter
    from pypdf.generic import NameObject, TextStringObject

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf)))
    tree = writer._root_object["/Names"]["/EmbeddedFiles"]["/Names"]
    for index in range(0, len(tree), 2):
        if str(tree[index]) == "credential.json":
            tree[index] = TextStringObject("certificate.json")
            spec = tree[index + 1].get_object()
            for key in ("/F", "/UF"):
                if key in spec:
                    spec[NameObject(key)] = TextStringObject("certificate.json")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def test_a_certificate_pdf_with_its_credential_hidden_is_not_taken_as_a_scan(world: CreditWorld) -> None:
    bank = world.bank
    reviewer(bank, "alice")
    _, data = own_credential(world, "ZERO-4", title={"en": "Zero four"})
    pdf = credentials.pdf(bank, None, json.loads(data)["credential"]["id"])
    hidden = renamed_attachment(pdf)
    with pytest.raises(pdf_read.PdfError):
        pdf_read.embedded_credential(hidden)
    assert pdf_read.embedded_file(hidden, "certificate.json") is not None
    refused(bank, lambda: applications.apply(
        bank, Applicant.learner(), world.learner, [EvidenceFile(hidden, "scan.pdf", "My certificate")]
    ), InvalidInput)  # fmt: skip


@pytest.mark.parametrize("description", ["\u200b\u200b", "40 hours \u202eon video only\u202c"])
def test_a_description_of_invisible_or_reordering_characters_is_refused(world: CreditWorld, description: str) -> None:
    bank = world.bank
    refused(bank, lambda: applications.apply(
        bank, Applicant.learner(), world.learner, [EvidenceFile(PNG, "a.png", description)]
    ), InvalidInput)  # fmt: skip


# -- personal data -----------------------------------------------------------------------------------------------

CHEN = LearnerInput(date(1971, 6, 9), name_zh="陈静", name_latin="Chen Jing", email="chen.jing@example.org")


def decided_for_chen(world: CreditWorld) -> tuple[str, str, Reviewer]:
    bank = world.bank
    alice = reviewer(bank, "alice")
    chen = learners.enroll(bank, UNI_A, CHEN).body["id"]
    view = applications.apply(bank, Applicant.learner(), chen, scans("Book-keeping"))
    decisions.decide(bank, view["id"], alice, [], [Refuse(1, "No assessment")])
    return chen, view["id"], alice


def test_reasons_naming_the_learner_are_refused_at_every_step(world: CreditWorld) -> None:
    bank = world.bank
    chen, application, alice = decided_for_chen(world)
    traces = ["陈静", "陈 静", "CHEN JING", "chen jing's record", "Chen.Jing@Example.org", "1971-06-09", "1971年6月9日",
              "1971/6/9"]  # fmt: skip
    for trace in traces:
        reason = f"See {trace} please"
        error = refused(bank, lambda r=reason: decisions.appeal(bank, application, Applicant.learner(), r,
                                                                learner_id=chen), InvalidInput)  # fmt: skip
        assert error.errors == {"reason": "names the learner"}, (trace, error.errors)
        refused(bank, lambda r=reason: decisions.revoke(bank, application, r), InvalidInput)
    other = applications.apply(bank, Applicant.learner(), chen, scans("Accounting"))
    for trace in traces[:3]:
        refused(bank, lambda t=trace: decisions.decide(bank, other["id"], alice, [], [Refuse(1, f"{t} absent")]),
                InvalidInput)  # fmt: skip
        refused(bank, lambda t=trace: decisions.decide(bank, other["id"], alice,
                                                       [Recognize(1, Decimal(1), f"{t} did well")], []),
                InvalidInput)  # fmt: skip


@pytest.mark.parametrize(
    "trace",
    [
        pytest.param("陈\u200b静", id="zero-width-space-in-name"),
        pytest.param("1971年06月09日", id="zero-padded-chinese-date"),
        pytest.param("09.06.1971", id="day-month-year-date"),
        pytest.param("Chen\u200bJing", id="zero-width-space-in-latin-name"),
    ],
)
def test_reasons_carrying_the_learner_in_other_forms_are_refused(world: CreditWorld, trace: str) -> None:
    bank = world.bank
    chen, application, _ = decided_for_chen(world)
    refused(bank, lambda: decisions.appeal(bank, application, Applicant.learner(), f"I am {trace}", learner_id=chen),
            InvalidInput)  # fmt: skip


def test_no_personal_data_in_any_recognition_trust_or_agreement_body(world: CreditWorld) -> None:
    bank = world.bank
    alice = reviewer(bank, "alice")
    chen = learners.enroll(bank, UNI_A, CHEN).body["id"]
    view = applications.apply(bank, Applicant.for_institution(UNI_A), chen, scans("Chen's evening class, 30 hours"),
                              principal=UNI_A)  # fmt: skip
    decisions.decide(bank, view["id"], alice, [Recognize(1, Decimal(2), "Hours shown")], [])
    bob = reviewer(bank, "bob")
    decisions.appeal(bank, view["id"], Applicant.learner(), "More hours were assessed", learner_id=chen)
    decisions.decide(bank, view["id"], bob, [Recognize(1, Decimal(3), "All hours")], [])
    decisions.revoke(bank, view["id"], "Audit found the class unaccredited")
    found = bodies(bank, "recognition.", "trust.", "agreement.", "credits.converted")
    assert any(kind == "recognition.applied" for kind, _ in found)
    for kind, body in found:
        written = json.dumps(body, ensure_ascii=False)
        for trace in ("陈静", "Chen Jing", "chen.jing", "1971-06-09", "evening class"):
            assert trace not in written, (kind, trace)
    for kind, body in found:
        if kind.startswith("recognition."):
            assert body.get("learner") in (None, chen)


def test_erasure_removes_the_evidence_rows_and_their_bytes(world: CreditWorld) -> None:
    bank = world.bank
    reviewer(bank, "alice")
    marker = b"EVIDENCE-MARKER-" + bytes(range(32, 127))
    view = applications.apply(bank, Applicant.learner(), world.learner,
                              [EvidenceFile(PNG + marker, "s.png", "Marker scan")])  # fmt: skip
    with bank.db.reading() as session:
        sealed = session.scalars(select(RecognitionEvidence.sealed)).one()
    learners.erase(bank, world.learner)
    with bank.db.reading() as session:
        assert session.scalars(select(RecognitionEvidence)).all() == []
    if bank.db.dialect == "sqlite":
        path = str(bank.db.engine.url.database)
        for name in (path, path + "-wal"):
            try:
                with open(name, "rb") as handle:
                    content = handle.read()
            except FileNotFoundError:
                continue
            assert bytes(sealed)[:64] not in content, name
    assert applications.get(bank, view["id"])["items"][0]["description"] is None


def test_erasure_scrubs_the_evidence_table_where_old_rows_linger(world: CreditWorld) -> None:
    bank = world.bank
    reviewer(bank, "alice")
    applications.apply(bank, Applicant.learner(), world.learner, scans("Scan to erase"))
    with bank.db.reading() as session:
        sealed = bytes(session.scalars(select(RecognitionEvidence.sealed)).one())
    learners.erase(bank, world.learner)
    if bank.db.dialect == "sqlite":
        # secure_delete zeroes freed cells; the scrub's TRUNCATE checkpoint empties the WAL.
        with bank.db.reading() as session:
            assert session.execute(text("PRAGMA secure_delete")).scalar() == 1
        path = str(bank.db.engine.url.database)
        with open(path, "rb") as handle:
            assert sealed[:48] not in handle.read()
        return
    query = text(
        "SELECT relname, last_vacuum FROM pg_stat_user_tables "
        "WHERE relname IN ('learner_personal_data', 'recognition_evidence')"
    )
    with bank.db.engine.connect() as connection:
        vacuumed = {row[0]: row[1] for row in connection.execute(query)}
    assert vacuumed["learner_personal_data"] is not None  # the scrub ran
    assert vacuumed["recognition_evidence"] is not None  # and so was the evidence, dead tuples and all


# -- replay ------------------------------------------------------------------------------------------------------


def _rows(bank: Bank) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    with bank.db.reading() as session:
        apps = [tuple(row) for row in session.execute(
            select(RecognitionApplication.__table__).order_by(RecognitionApplication.id))]  # fmt: skip
        lines = [tuple(row) for row in session.execute(select(CreditLine.__table__).order_by(CreditLine.seq))]
    return apps, lines


def test_replay_rebuilds_applications_and_credit_lines_exactly(world: CreditWorld) -> None:
    bank = world.bank
    alice = reviewer(bank, "alice")
    staff: dict[str, Reviewer] = {alice.staff_id: alice}

    def by(view: dict[str, Any]) -> Reviewer:
        return staff[applications.get(bank, view["id"])["reviewer"]]

    partly = applications.apply(bank, Applicant.learner(), world.learner, scans("One", "Two"))
    decisions.decide(bank, partly["id"], alice, [Recognize(1, Decimal("1.5"), "ok", outcome="DL-1")],
                     [Refuse(2, "no")])  # fmt: skip
    bob = reviewer(bank, "bob")
    staff[bob.staff_id] = bob
    decisions.appeal(bank, partly["id"], Applicant.learner(), "Two was assessed", learner_id=world.learner)
    decisions.decide(bank, partly["id"], bob, [Recognize(1, Decimal(2), "ok"), Recognize(2, Decimal(1), "ok")], [])
    gone = applications.apply(bank, Applicant.learner(), world.learner, scans("Three"))
    applications.withdraw(bank, gone["id"], Applicant.learner(), learner_id=world.learner)
    wrong = applications.apply(bank, Applicant.for_institution(UNI_A), world.learner, scans("Four"), principal=UNI_A)
    decisions.decide(bank, wrong["id"], by(wrong), [Recognize(1, Decimal(1), "ok")], [])
    decisions.revoke(bank, wrong["id"], "Audit")
    spent = applications.apply(bank, Applicant.learner(), world.learner, scans("Five"))
    decisions.decide(bank, spent["id"], by(spent), [], [Refuse(1, "no")])
    decisions.appeal(bank, spent["id"], Applicant.learner(), "Please", learner_id=world.learner)
    applications.withdraw(bank, spent["id"], Applicant.learner(), learner_id=world.learner)
    applications.apply(bank, Applicant.learner(), world.learner, scans("Six"))
    _, data = own_credential(world, "ZERO-5", title={"en": "Zero five"})
    own = applications.apply(bank, Applicant.learner(), world.learner, [EvidenceFile(data)])
    decisions.decide(bank, own["id"], by(own), [Recognize(1, Decimal(1), "ok")], [])
    before = _rows(bank)
    with bank.db.writing() as session:
        replay(session)
    assert _rows(bank) == before
    assert_counted_once(bank)


# -- agreements and decisions --------------------------------------------------------------------------------------


def test_an_agreement_published_around_decisions_never_counts_their_learning_again(world: CreditWorld) -> None:
    from creditbank.services.credits import agreements

    bank = world.bank
    alice = reviewer(bank, "alice")
    apps = []
    for number in (1, 2):
        recorded = world.record("uni-b", f"NET-{number}", code="NET1", title={"en": "Networks"})
        issued = credentials.issue(bank, None, credentials.Request(world.learner, "achievement", recorded["id"]))
        data = json.dumps(credentials.bundle(bank, None, issued["id"])).encode()
        apps.append(applications.apply(bank, Applicant.learner(), world.learner, [EvidenceFile(data)]))
    decisions.decide(bank, apps[0]["id"], alice, [Recognize(1, Decimal(2), "Comparable unit")], [])
    document = {
        "id": "ab-probe",
        "version": "1",
        "name": {"zh": "探测协议", "en": "Probe agreement"},
        "parties": ["uni-a", "uni-b"],
        "recognizing": "uni-a",
        "terms": [{"from": "uni-b:NET1", "outcome": "DL-1", "credits": 3.5, "completed_from": "2026-01-01",
                   "completed_until": "2026-06-30"}],
    }  # fmt: skip
    published = agreements.publish(bank, document, source="probe")
    assert published.decided >= 1
    assert_counted_once(bank)
    # The pending one is counted by the agreement now: a decision on it must not count it again.
    refused(bank, lambda: decisions.decide(bank, apps[1]["id"], alice, [Recognize(1, Decimal(2), "ok")], []), Conflict)
    assert_counted_once(bank)
