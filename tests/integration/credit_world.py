"""A small credit bank for the database tests: a framework, an approved outcome, a rule set, four institutions
(two universities, a MOOC platform, a senior college) with keys, and one learner enrolled at all of them."""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

from flask.testing import FlaskClient

from creditbank.runtime import Bank
from creditbank.services.credits import credit_rules
from creditbank.services.records import api_keys
from tests.helpers import register


def _text(zh: str, en: str) -> dict[str, str]:
    return {"zh": zh, "en": en}


def _level(number: int) -> dict[str, Any]:
    return {
        "number": number,
        "name": _text(f"第{number}级", f"Level {number}"),
        "knowledge": _text("知识", "knowledge"),
        "skills": _text("技能", "skills"),
        "competence": _text("能力", "competence"),
    }


FRAMEWORK: dict[str, Any] = {
    "id": "test-fw",
    "version": "1",
    "example": True,
    "name": _text("测试框架", "Test framework"),
    "description": _text("测试用。", "For tests."),
    "credit_unit": {"name": _text("学分", "credit"), "hours_per_credit": 10},
    "categories": [
        {"id": "general", "name": _text("通识", "General")},
        {"id": "professional", "name": _text("专业", "Professional")},
        {"id": "digital_literacy", "name": _text("数字素养", "Digital literacy")},
    ],
    "levels": [_level(n) for n in range(1, 6)],
    "qualifications": [
        {
            "id": "test-cert",
            "name": _text("证书", "Certificate"),
            "level": 3,
            "total": 10,
            "per_category": {"digital_literacy": 2},
            "required_outcomes": ["DL-1"],
        },
        {
            "id": "test-diploma",
            "name": _text("文凭", "Diploma"),
            "level": 4,
            "total": 20,
            "min_at_or_above": {"level": 4, "credits": 6},
        },
    ],
}

OUTCOME: dict[str, Any] = {
    "code": "DL-1",
    "framework": "test-fw",
    "level": 2,
    "credits": 2,
    "category": "digital_literacy",
    "name": _text("数字素养一", "Digital literacy 1"),
    "description": _text("会用手机。", "Uses a phone."),
}

RULES: dict[str, Any] = {
    "version": "t-1",
    "framework": "test-fw",
    "name": _text("测试规则", "Test rules"),
    "defaults": {"minimum_result": 60, "rounding": 0.5, "validity_years": 10, "level": 3, "category": "general"},
    "institutions": [
        {"id": "uni-a", "basis": "credits", "levels": {"default": 4}, "category": "professional"},
        {"id": "uni-b", "basis": "credits", "ratio": 2, "levels": {"default": 4}, "category": "professional"},
        {"id": "mooc-x", "basis": "hours", "levels": {"default": 3}},
        {"id": "senior-c", "basis": "hours", "levels": {"default": 2}},
    ],
    "equivalences": [{"from": "uni-b:DIG1", "to": "uni-a:DL100"}, {"from": "uni-a:DL100", "to": "DL-1"}],
    "caps": [{"source": "mooc", "max_share": 0.3}],
    "awarding": {"test-cert": ["uni-a"], "test-diploma": ["uni-a"]},
}


def rules(version: str, **changes: Any) -> dict[str, Any]:
    document = copy.deepcopy(RULES)
    document["version"] = version
    document.update(changes)
    return document


@dataclass
class CreditWorld:
    client: FlaskClient
    bank: Bank
    tokens: dict[str, str]
    learner: str

    def headers(self, institution: str = "uni-a", **extra: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[institution]}", **extra}

    def record(self, institution: str, record_id: str, **data: Any) -> dict[str, Any]:
        item = {
            "learner": self.learner,
            "record_id": record_id,
            "kind": "course",
            "title": {"en": record_id},
            "completed": "2026-01-10",
            **data,
        }
        response = self.client.post("/api/v1/achievements", json=item, headers=self.headers(institution))
        assert response.status_code == 201, response.get_data(as_text=True)
        body: dict[str, Any] = response.get_json()
        return body

    def account(self, institution: str = "uni-a") -> dict[str, Any]:
        response = self.client.get(f"/api/v1/learners/{self.learner}/credits", headers=self.headers(institution))
        assert response.status_code == 200, response.get_data(as_text=True)
        body: dict[str, Any] = response.get_json()
        return body

    def available(self) -> float:
        accounts = self.account()["accounts"]
        return float(accounts[0]["available"]) if accounts else 0.0


def build(client: FlaskClient, bank: Bank) -> CreditWorld:
    register(bank, "uni-a", credit_unit="credit", hours_per_unit=16)
    register(bank, "uni-b")
    register(bank, "mooc-x", type="mooc_platform")
    register(bank, "senior-c", type="senior_college")
    credit_rules.publish_framework(bank, FRAMEWORK, source="test")
    credit_rules.propose_outcomes(bank, [OUTCOME], actor="bank", source="test")
    credit_rules.approve_outcome(bank, "DL-1", "reviewer-1")
    credit_rules.publish_rules(bank, RULES, source="test")
    tokens = {name: api_keys.issue(bank, name).token for name in ("uni-a", "uni-b", "mooc-x", "senior-c")}
    person = {"name": {"zh": "李娟"}, "birth_date": "1958-03-04", "national_id": {"number": "11010519491231002X"}}
    learner = ""
    for name in tokens:
        answer = client.post("/api/v1/learners", json=person, headers={"Authorization": f"Bearer {tokens[name]}"})
        assert answer.status_code == 201, answer.get_data(as_text=True)
        learner = answer.get_json()["id"]
    return CreditWorld(client, bank, tokens, learner)
