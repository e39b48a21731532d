"""Recognition by application, end to end on both databases: applying with evidence, assignment, decisions with a
reason per item, partial recognition, the one appeal to another reviewer, withdrawal, revocation and erasure."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from creditbank.errors import Conflict, Forbidden, InvalidInput, NotFound
from creditbank.models import CreditLine, LedgerBody, LedgerEntry, RecognitionEvidence, StaffAccount
from creditbank.projections import replay
from creditbank.runtime import Bank
from creditbank.services.recognition import applications, decisions
from creditbank.services.recognition.applications import Applicant
from creditbank.services.recognition.decisions import Recognize, Refuse, Reviewer
from creditbank.services.recognition.evidence_files import EvidenceFile
from creditbank.services.records import learners
from creditbank.services.records.api_keys import Principal
from creditbank.services.staff import accounts
from tests.integration.credit_world import CreditWorld, build

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
SCAN = b"%PDF-1.7\n" + b"1 0 obj << >> endobj\n" * 4 + b"%%EOF\n"


@pytest.fixture
def world(client: FlaskClient, bank: Bank) -> CreditWorld:
    return build(client, bank)


def reviewer(bank: Bank, login: str, affiliation: str | None = None) -> Reviewer:
    created = accounts.add(bank, login, "reviewer", None, created_by="test", affiliation=affiliation)
    with bank.db.writing() as session:
        # Set up as if the person had chosen a password: only reviewers who can sign in are given applications.
        account = session.get(StaffAccount, created.staff.id)
        assert account is not None
        account.password_hash = "set"
    return decisions.reviewer_by_id(bank, created.staff.id)


def scans(*descriptions: str) -> list[EvidenceFile]:
    return [EvidenceFile(PNG + text.encode(), f"scan{n}.png", text) for n, text in enumerate(descriptions)]


def uni_a() -> Principal:
    return Principal("test", "uni-a", frozenset({"records:read", "records:write"}))


def kinds(bank: Bank, prefix: str) -> list[tuple[str, str, dict[str, Any]]]:
    with bank.db.reading() as session:
        rows = session.execute(
            select(LedgerEntry.kind, LedgerEntry.actor, LedgerBody.body)
            .join(LedgerBody, LedgerBody.seq == LedgerEntry.seq)
            .where(LedgerEntry.kind.startswith(prefix))
            .order_by(LedgerEntry.seq)
        ).all()
    return [(kind, actor, json.loads(body)) for kind, actor, body in rows]


def standing(bank: Bank, learner: str) -> list[tuple[int, str | None, int]]:
    with bank.db.reading() as session:
        return [
            (line.cents, line.learning, line.source_seq)
            for line in session.scalars(
                select(CreditLine).where(
                    CreditLine.learner_id == learner,
                    CreditLine.application_id.is_not(None),
                    CreditLine.reverses.is_(None),
                    CreditLine.reversed_seq.is_(None),
                )
            )
        ]


def test_a_reviewed_application_is_partly_recognized_with_reasons_and_feeds_the_account(world: CreditWorld) -> None:
    bank = world.bank
    alice = reviewer(bank, "alice")
    before = world.available()
    view = applications.apply(
        bank, Applicant.learner(), world.learner, scans("Evening course in spreadsheets, 40 hours", "Choir, 2 years")
    )
    assert view["state"] == "under_review"
    assert view["reviewer"] == alice.staff_id
    assert [item["description"] for item in view["items"]] == [
        "Evening course in spreadsheets, 40 hours",
        "Choir, 2 years",
    ]
    decided = decisions.decide(
        bank,
        view["id"],
        alice,
        [Recognize(1, Decimal("4"), "Matches DL-1 in content and hours", outcome="DL-1")],
        [Refuse(2, "No assessment of learning outcomes")],
    )
    assert decided["state"] == "decided"
    given = decided["decision"]["recognized"][0]
    assert (given["credits"], given["level"], given["category"], given["outcome"]) == (4, 2, "digital_literacy", "DL-1")
    assert given["transferValue"] == {"value": 4, "unit": "credit"}
    assert decided["decision"]["refused"] == [
        {"item": 2, "learning": view["items"][1]["key"], "reason": "No assessment of learning outcomes"}
    ]
    assert decided["decision"]["reviewer"] == alice.staff_id
    assert standing(bank, world.learner) == [(400, view["items"][0]["key"], decided["decision"]["seq"])]
    assert world.available() == before + 4
    steps = [kind for kind, _actor, _body in kinds(bank, "recognition.")]
    assert steps == ["recognition.applied", "recognition.assigned", "recognition.decided"]
    # No personal data in any body: the learner only by pseudonym, the files only by hash.
    for _kind, _actor, body in kinds(bank, "recognition."):
        text = json.dumps(body, ensure_ascii=False)
        assert "李娟" not in text
        assert "1958-03-04" not in text
        assert "Choir" not in text


def test_an_appeal_goes_to_another_reviewer_whose_decision_is_final(world: CreditWorld) -> None:
    bank = world.bank
    alice = reviewer(bank, "alice")
    view = applications.apply(bank, Applicant.learner(), world.learner, scans("Tai chi instructor certificate"))
    decisions.decide(bank, view["id"], alice, [], [Refuse(1, "Not at a level this framework recognizes")])
    with pytest.raises(Conflict):  # decided: only an appeal reopens it
        decisions.decide(bank, view["id"], alice, [Recognize(1, Decimal(1), "x")], [])
    bob = reviewer(bank, "bob")
    appealed = decisions.appeal(
        bank, view["id"], Applicant.learner(), "The certificate includes 60 assessed hours", learner_id=world.learner
    )
    assert appealed["state"] == "appealed"
    assert appealed["reviewer"] == bob.staff_id  # never the first reviewer, though she has fewer open cases
    with pytest.raises(Forbidden):
        decisions.decide(bank, view["id"], alice, [Recognize(1, Decimal(2), "fine")], [])
    final = decisions.decide(bank, view["id"], bob, [Recognize(1, Decimal("2.5"), "Assessed hours shown")], [])
    assert final["state"] == "final"
    assert final["appeal"]["decision"]["recognized"][0]["credits"] == 2.5
    assert standing(bank, world.learner) == [(250, view["items"][0]["key"], final["appeal"]["decision"]["seq"])]
    with pytest.raises(Conflict) as second:
        decisions.appeal(bank, view["id"], Applicant.learner(), "again", learner_id=world.learner)
    assert "final" in second.value.detail


def test_an_appeal_replaces_the_first_decisions_credits_and_revoking_reverses_them(world: CreditWorld) -> None:
    bank = world.bank
    alice = reviewer(bank, "alice")
    view = applications.apply(bank, Applicant.learner(), world.learner, scans("Photography club"))
    first = decisions.decide(bank, view["id"], alice, [Recognize(1, Decimal(3), "Portfolio reviewed")], [])
    assert first["reviewer"] == alice.staff_id
    bob = reviewer(bank, "bob")
    decisions.appeal(bank, view["id"], Applicant.learner(), "Worth more", learner_id=world.learner)
    final = decisions.decide(bank, view["id"], bob, [Recognize(1, Decimal(5), "Two portfolios")], [])
    lines = final["lines"]
    assert [(line["credits"], line["reverses"] is not None) for line in lines] == [(3, False), (-3, True), (5, False)]
    assert standing(bank, world.learner) == [(500, view["items"][0]["key"], final["appeal"]["decision"]["seq"])]
    revoked = decisions.revoke(bank, view["id"], "The club's records were found to be wrong")
    assert revoked["state"] == "revoked"
    assert standing(bank, world.learner) == []


def test_refusals_name_what_is_wrong_and_append_nothing(world: CreditWorld) -> None:
    bank = world.bank
    alice = reviewer(bank, "alice", affiliation="uni-a")
    with bank.db.reading() as session:
        size = session.query(LedgerEntry).count()
    cases: list[tuple[Any, type[Exception], str]] = [
        (lambda: applications.apply(bank, Applicant.learner(), world.learner, []), InvalidInput, "evidence"),
        (
            lambda: applications.apply(bank, Applicant.learner(), world.learner, [EvidenceFile(PNG, "a.png", " ")]),
            InvalidInput,
            "evidence[0].description",
        ),
        (
            lambda: applications.apply(bank, Applicant.learner(), world.learner, [EvidenceFile(b"GIF89a", "a.gif")]),
            InvalidInput,
            "evidence[0]",
        ),
        (
            lambda: applications.apply(bank, Applicant.learner(), world.learner, scans("x"), framework="nope"),
            InvalidInput,
            "framework",
        ),
        (
            lambda: applications.apply(bank, Applicant.learner(), world.learner, scans("x"), qualification="nope"),
            InvalidInput,
            "qualification",
        ),
        (lambda: applications.apply(bank, Applicant.learner(), "lrn-nobody", scans("x")), NotFound, ""),
        (
            lambda: applications.apply(bank, Applicant.learner(), world.learner, scans(*"abcdef")),
            InvalidInput,
            "evidence",
        ),
    ]
    for call, error, field in cases:
        with pytest.raises(error) as refused:
            call()
        if field:
            assert field in (refused.value.errors or {}), refused.value.errors  # type: ignore[attr-defined]
    with bank.db.reading() as session:
        assert session.query(LedgerEntry).count() == size
    # The affiliated reviewer is never assigned the institution's application, nor may decide it.
    on_behalf = Applicant.for_institution(uni_a())
    view = applications.apply(bank, on_behalf, world.learner, scans("Course"), principal=uni_a())
    assert view["reviewer"] is None
    assert view["state"] == "submitted"
    with pytest.raises(Forbidden):
        decisions.decide(bank, view["id"], alice, [Recognize(1, Decimal(1), "ok")], [])
    bob = reviewer(bank, "bob")
    for recognize, refuse, field in (
        ([], [], "items"),
        ([Recognize(1, Decimal(1), "ok"), Recognize(1, Decimal(1), "ok")], [], "items"),
        ([Recognize(2, Decimal(1), "ok")], [], "items"),
        ([Recognize(1, Decimal(0), "ok")], [], "recognize[1].credits"),
        ([Recognize(1, Decimal("0.001"), "ok")], [], "recognize[1].credits"),
        ([Recognize(1, Decimal(1), "  ")], [], "recognize[1].reason"),
        ([Recognize(1, Decimal(1), "ok", level=99)], [], "recognize[1].level"),
        ([Recognize(1, Decimal(1), "ok", category="nope")], [], "recognize[1].category"),
        ([Recognize(1, Decimal(1), "ok", outcome="XX-9")], [], "recognize[1].outcome"),
        ([], [Refuse(1, "The learner 李娟 did not attend")], "refuse[1].reason"),
        ([], [Refuse(1, "ID 1101 0519 4912 3100 2X is wrong")], "refuse[1].reason"),
    ):
        with pytest.raises(InvalidInput) as refused:
            decisions.decide(bank, view["id"], bob, recognize, refuse)
        assert field in (refused.value.errors or {}), (field, refused.value.errors)


def test_the_same_learning_is_never_counted_twice(world: CreditWorld) -> None:
    bank = world.bank
    alice = reviewer(bank, "alice")
    files = scans("Ceramics, 30 hours")
    view = applications.apply(bank, Applicant.learner(), world.learner, files)
    with pytest.raises(Conflict) as waiting:
        applications.apply(bank, Applicant.learner(), world.learner, files)
    assert waiting.value.errors == {"evidence": "already applied for"}
    decisions.decide(bank, view["id"], alice, [Recognize(1, Decimal(3), "Hours shown")], [])
    with pytest.raises(Conflict) as counted:
        applications.apply(bank, Applicant.learner(), world.learner, files)
    assert counted.value.errors == {"evidence": "already counted"}
    # A refused piece of learning counts nothing, so it may be handed in again (with better evidence, say).
    other = applications.apply(bank, Applicant.learner(), world.learner, scans("Gardening"))
    decisions.decide(bank, other["id"], alice, [], [Refuse(1, "No hours given")])
    again = applications.apply(bank, Applicant.learner(), world.learner, scans("Gardening"))
    assert again["state"] == "under_review"


def test_withdrawing_and_who_may_see_or_act(world: CreditWorld) -> None:
    bank = world.bank
    alice = reviewer(bank, "alice")
    view = applications.apply(bank, Applicant.for_institution(uni_a()), world.learner, scans("x"), principal=uni_a())
    uni_b = Applicant("inst:uni-b", "uni-b")
    with pytest.raises(NotFound):
        applications.withdraw(bank, view["id"], uni_b)
    with pytest.raises(NotFound):
        applications.get(bank, view["id"], applicant=Applicant.learner(), learner_id="lrn-someone-else")
    assert applications.get(bank, view["id"], applicant=Applicant.learner(), learner_id=world.learner)["id"]
    withdrawn = applications.withdraw(bank, view["id"], Applicant.learner(), learner_id=world.learner)
    assert withdrawn["state"] == "withdrawn"
    with pytest.raises(Conflict):
        decisions.decide(bank, view["id"], alice, [Recognize(1, Decimal(1), "ok")], [])
    with pytest.raises(Conflict):
        applications.withdraw(bank, view["id"], Applicant.learner(), learner_id=world.learner)


def test_the_appeal_period_is_kept(world: CreditWorld) -> None:
    bank = world.bank
    alice = reviewer(bank, "alice")
    view = applications.apply(bank, Applicant.learner(), world.learner, scans("x"))
    decided = decisions.decide(bank, view["id"], alice, [], [Refuse(1, "No evidence of assessment")])
    late = datetime.now(UTC) + timedelta(days=31)
    with pytest.raises(Conflict) as refused:
        decisions.appeal(bank, view["id"], Applicant.learner(), "late", learner_id=world.learner, now=late)
    assert decided["appeal_until"] in refused.value.detail


def test_erasure_deletes_the_evidence_and_replay_rebuilds_the_applications(world: CreditWorld) -> None:
    bank = world.bank
    alice = reviewer(bank, "alice")
    view = applications.apply(bank, Applicant.learner(), world.learner, scans("Knitting"))
    decisions.decide(bank, view["id"], alice, [Recognize(1, Decimal(1), "Shown")], [])
    pending = applications.apply(bank, Applicant.learner(), world.learner, scans("Chess"))
    before = applications.list_applications(bank, learner_id=world.learner)
    with bank.db.writing() as session:
        replay(session)
    assert applications.list_applications(bank, learner_id=world.learner) == before
    learners.erase(bank, world.learner)
    with bank.db.reading() as session:
        assert session.scalars(select(RecognitionEvidence)).all() == []
    with pytest.raises(Conflict):
        decisions.decide(bank, pending["id"], alice, [Recognize(1, Decimal(1), "ok")], [])
    # The application stays, without what the files showed.
    shown = applications.get(bank, view["id"])
    assert shown["items"][0]["description"] is None


def test_a_learner_has_a_bounded_number_of_open_applications(world: CreditWorld) -> None:
    bank = world.bank
    for number in range(applications.MAX_OPEN):
        applications.apply(bank, Applicant.learner(), world.learner, scans(f"Course {number}"))
    with pytest.raises(Conflict) as refused:
        applications.apply(bank, Applicant.learner(), world.learner, scans("One more"))
    assert refused.value.errors == {"learner": "too many open applications"}


def test_learning_recorded_here_that_converted_to_nothing_may_be_recognized_by_review(world: CreditWorld) -> None:
    from creditbank.services import credentials

    bank = world.bank
    alice = reviewer(bank, "alice")
    failed = world.record("uni-a", "NET-9", credits=3, result={"type": "pass_fail", "passed": False})
    passed = world.record("uni-a", "NET-10", credits=3)
    files = []
    for achievement in (failed, passed):
        issued = credentials.issue(bank, None, credentials.Request(world.learner, "achievement", achievement["id"]))
        files.append(json.dumps(credentials.bundle(bank, None, issued["id"])).encode())
    # Counted already (3 credits by the rule set): refused, the same learning is never counted twice.
    with pytest.raises(Conflict) as counted:
        applications.apply(bank, Applicant.learner(), world.learner, [EvidenceFile(files[1], "c.json")])
    assert counted.value.errors == {"evidence": "already counted"}
    view = applications.apply(bank, Applicant.learner(), world.learner, [EvidenceFile(files[0], "c.json")])
    assert view["items"][0]["key"] == f"ach:{failed['id']}"
    assert view["items"][0]["kind"] == "credential"
    assert view["state"] == "under_review"  # this bank's own credential maps to nothing: a reviewer decides
    decided = decisions.decide(bank, view["id"], alice, [Recognize(1, Decimal(2), "Resit passed elsewhere")], [])
    with bank.db.reading() as session:
        held = session.scalars(
            select(CreditLine).where(
                CreditLine.achievement_id == failed["id"],
                CreditLine.reverses.is_(None),
                CreditLine.reversed_seq.is_(None),
            )
        ).all()
    # One standing line for the learning: the decision's; the conversion of nothing was reversed in its favour.
    assert [(line.cents, line.application_id, line.source_seq) for line in held] == [
        (200, view["id"], decided["decision"]["seq"])
    ]


def test_the_appeal_reason_reaches_the_reviewer_and_lists_open_no_seals(world: CreditWorld) -> None:
    bank = world.bank
    alice = reviewer(bank, "alice")
    view = applications.apply(bank, Applicant.learner(), world.learner, scans("Pottery, 20 hours"))
    decisions.decide(bank, view["id"], alice, [], [Refuse(1, "No hours shown")])
    decisions.appeal(bank, view["id"], Applicant.learner(), "The second page lists 20 hours", learner_id=world.learner)
    assert applications.get(bank, view["id"])["appeal"]["reason"] == "The second page lists 20 hours"
    (listed,) = applications.list_applications(bank, learner_id=world.learner)
    assert listed["items"][0]["description"] == "Pottery, 20 hours"  # the learner's own list
    (queued,) = applications.list_applications(bank, state="appealed")
    assert "description" not in queued["items"][0]  # a queue across learners opens no seals
    assert applications.get(bank, view["id"])["items"][0]["description"] == "Pottery, 20 hours"


def test_another_learners_identical_scan_is_neither_refused_nor_revealed(world: CreditWorld) -> None:
    bank = world.bank
    alice = reviewer(bank, "alice")
    person = {"name": {"zh": "赵六"}, "birth_date": "1960-06-06"}
    other = world.client.post("/api/v1/learners", json=person, headers=world.headers()).get_json()["id"]
    sheet = [EvidenceFile(PNG + b"shared attendance sheet", "sheet.png", "Choir, 2025 term")]
    first = applications.apply(bank, Applicant.learner(), world.learner, sheet)
    decisions.decide(bank, first["id"], alice, [Recognize(1, Decimal(1), "Attendance shown")], [])
    second = applications.apply(bank, Applicant.learner(), other, sheet)
    assert second["state"] == "under_review"
    with pytest.raises(Conflict):  # but the first learner's own page counts only once
        applications.apply(bank, Applicant.learner(), world.learner, sheet)
