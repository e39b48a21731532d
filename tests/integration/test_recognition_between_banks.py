"""A learner moves from bank A to bank B with A's CLR transcript: B recognizes it through its trust list's mapping at
once, or by review when nothing maps; the same transcript never counts twice; refused evidence appends nothing.

Both banks are real instances with their own folders, databases and keys; B reaches A over loopback HTTP (the
fixture of ``test_evidence``). The two-process version of this journey is in ``tests/federation``.
"""

from __future__ import annotations

import copy
import json
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import func, select

from creditbank.errors import Conflict, InvalidInput
from creditbank.models import CreditLine, LedgerEntry, StaffAccount
from creditbank.runtime import Bank
from creditbank.services.credits import credit_rules
from creditbank.services.recognition import applications, decisions
from creditbank.services.recognition.applications import Applicant
from creditbank.services.recognition.decisions import Recognize, Refuse
from creditbank.services.recognition.evidence_files import EvidenceFile
from creditbank.services.records import learners
from creditbank.services.records.api_keys import Principal
from creditbank.services.records.learners import LearnerInput
from creditbank.services.staff import accounts
from tests.helpers import register
from tests.integration.credit_world import rules
from tests.integration.test_evidence import COURSES, Pair, fresh, pair  # noqa: F401  (fixtures)

ZED = Principal("test", "uni-z", frozenset({"records:read", "records:write"}))


@pytest.fixture(scope="module")
def bank_b(pair: Pair) -> dict[str, str]:  # noqa: F811
    """B's side: an institution, the same person enrolled there, another person, a rule set, a reviewer."""
    b = pair.b
    register(b, "uni-z")
    credit_rules.publish_rules(
        b, rules("b-1", institutions=[], equivalences=[], caps=[], awarding={}), source="test"
    )  # fmt: skip
    same = learners.enroll(b, ZED, LearnerInput(date(1958, 3, 4), name_zh="李娟", national_id="11010519491231002X"))
    other = learners.enroll(b, ZED, LearnerInput(date(1980, 1, 1), name_zh="王伟"))
    created = accounts.add(b, "carol", "reviewer", None, created_by="test")
    with b.db.writing() as session:
        account = session.get(StaffAccount, created.staff.id)
        assert account is not None
        account.password_hash = "set"
    return {"learner": same.body["id"], "other": other.body["id"], "reviewer": created.staff.id}


def size(bank: Bank) -> int:
    with bank.db.reading() as session:
        return int(session.scalar(select(func.count()).select_from(LedgerEntry)) or 0)


def standing_cents(bank: Bank, learner: str) -> int:
    with bank.db.reading() as session:
        return int(
            session.scalar(
                select(func.coalesce(func.sum(CreditLine.cents), 0)).where(
                    CreditLine.learner_id == learner,
                    CreditLine.reverses.is_(None),
                    CreditLine.reversed_seq.is_(None),
                )
            )
            or 0
        )


def transcript(pair: Pair) -> list[EvidenceFile]:  # noqa: F811
    return [EvidenceFile(pair.data, "transcript.json")]


def test_a_mapped_transcript_from_a_trusted_bank_is_recognized_at_once_and_only_once(
    pair: Pair,  # noqa: F811
    bank_b: dict[str, str],
) -> None:
    b = pair.b
    pair.trust_a(mappings=[{"achievement": "*", "framework": "test-fw", "credits_ratio": 1, "level": 3,
                            "category": "general"}])  # fmt: skip
    before = standing_cents(b, bank_b["learner"])
    view = applications.apply(b, Applicant.for_institution(ZED), bank_b["learner"], transcript(pair), principal=ZED)
    assert view["state"] == "decided"
    assert view["decision"]["basis"] == "trust_list"
    assert view["decision"]["reviewer"] == "automatic"
    assert len(view["items"]) == COURSES
    assert all(item["key"].startswith("ext:") for item in view["items"])
    # Each wrapped credential carries the credits A converted it to; the mapping gives them 1:1.
    declared = [Decimal(item["credits"]) for item in view["items"]]
    assert [Decimal(str(given["credits"])) for given in view["decision"]["recognized"]] == declared
    assert standing_cents(b, bank_b["learner"]) == before + int(sum(declared) * 100)
    assert {line["decision_seq"] for line in view["lines"]} == {view["decision"]["seq"]}
    # The same file again, for the same learner or anyone else: refused, nothing appended.
    held = size(b)
    with pytest.raises(Conflict) as again:
        applications.apply(b, Applicant.learner(), bank_b["learner"], transcript(pair))
    assert again.value.errors == {"evidence": "already counted"}
    with pytest.raises(InvalidInput) as stolen:
        applications.apply(b, Applicant.learner(), bank_b["other"], transcript(pair))
    assert "evidence[0]" in (stolen.value.errors or {})
    assert size(b) == held
    # Revoking the decision reverses what it gave; the learning may then be handed in again.
    decisions.revoke(b, view["id"], "The mapping for this bank was found too generous")
    assert standing_cents(b, bank_b["learner"]) == before


def test_unmapped_or_tampered_transcripts(pair: Pair, bank_b: dict[str, str]) -> None:  # noqa: F811
    b = pair.b
    held = size(b)
    with pytest.raises(InvalidInput) as untrusted:
        applications.apply(b, Applicant.learner(), bank_b["learner"], transcript(pair))
    assert "trust list" in untrusted.value.detail
    assert size(b) == held
    pair.trust_a()  # trusted, but nothing maps: it goes to a reviewer
    held = size(b)
    tampered: dict[str, Any] = copy.deepcopy(pair.transcript)
    inner = tampered["credential"]["credentialSubject"]["verifiableCredential"][0]
    inner["credentialSubject"]["achievement"]["name"] = "Something grander"
    with pytest.raises(InvalidInput) as changed:
        applications.apply(b, Applicant.learner(), bank_b["learner"], [EvidenceFile(json.dumps(tampered).encode())])
    assert "signature" in changed.value.detail
    assert size(b) == held
    view = applications.apply(b, Applicant.learner(), bank_b["learner"], transcript(pair))
    assert view["state"] == "under_review"
    assert view["reviewer"] == bank_b["reviewer"]
    reviewer = decisions.reviewer_by_id(b, bank_b["reviewer"])
    recognize = [Recognize(n, Decimal(1), "Comparable course at bank A") for n in range(1, COURSES)]
    decided = decisions.decide(b, view["id"], reviewer, recognize, [Refuse(COURSES, "Outside this framework")])
    assert len(decided["decision"]["recognized"]) == COURSES - 1
    assert decided["decision"]["refused"][0]["item"] == COURSES
    decisions.revoke(b, view["id"], "Test over")
