"""A bank with one learner's achievements, converted, and credentials issued for them — shared by a module."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from creditbank.runtime import bank_of
from creditbank.services import credentials
from tests.conftest import BACKENDS, configuration, database_url, running_app
from tests.integration.credit_world import CreditWorld, build


@dataclass
class Issued:
    world: CreditWorld
    achievement: str
    credential_id: str
    bundle: dict[str, Any]
    pdf: bytes

    def post_verify(self, data: bytes, content_type: str = "application/octet-stream", **query: str) -> Any:
        response = self.world.client.post("/api/v1/verify", data=data, content_type=content_type, query_string=query)
        assert response.status_code == 200, response.get_data(as_text=True)
        return response.get_json()


def checks(report: dict[str, Any]) -> dict[str, str]:
    return {item["check"]: item["result"] for item in report["checks"]}


@pytest.fixture(scope="module", params=BACKENDS)
def issued(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Issued]:
    folder = tmp_path_factory.mktemp("credentials")
    config = configuration(database_url(request.param, request, folder), folder)
    config["CREDITBANK_PUBLIC_URL"] = "http://localhost:5000"
    with running_app(config) as application:
        world = build(application.test_client(), bank_of(application))
        recorded = world.record("uni-a", "DL-101", title={"zh": "数字素养基础", "en": "Digital basics"}, credits=2)
        response = world.client.post(
            f"/api/v1/learners/{world.learner}/credentials",
            json={"kind": "achievement", "achievement": recorded["id"]},
            headers=world.headers("uni-a"),
        )
        assert response.status_code == 201, response.get_data(as_text=True)
        credential_id = response.get_json()["id"]
        bank = world.bank
        yield Issued(
            world,
            recorded["id"],
            credential_id,
            credentials.bundle(bank, None, credential_id),
            credentials.pdf(bank, None, credential_id),
        )
