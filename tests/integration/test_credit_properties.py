"""Properties of credit accounts over random histories (SQLite): the balance always equals converted minus
redeemed, is never negative, and replaying the ledger reproduces every account exactly."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from creditbank.projections import replay
from creditbank.runtime import bank_of
from tests.conftest import configuration, running_app
from tests.integration.credit_world import build

operations = st.lists(
    st.one_of(
        st.tuples(st.just("record"), st.sampled_from(["uni-a", "uni-b", "mooc-x", "senior-c"]), st.integers(0, 60)),
        st.tuples(st.just("correct"), st.integers(0, 20), st.integers(0, 60)),
        st.tuples(st.just("revoke"), st.integers(0, 20), st.just(0)),
        st.tuples(st.just("award"), st.sampled_from(["test-cert", "test-diploma"]), st.just(0)),
    ),
    min_size=1,
    max_size=14,
)


def _check(account: dict[str, Any]) -> None:
    for framework in account["accounts"]:
        assert framework["available"] >= 0
        assert abs(framework["earned"] - framework["redeemed"] - framework["available"]) < 1e-9
        for balance in framework["balances"]:
            assert 0 <= balance["available"] <= balance["earned"]
        redeemed = -sum(m["credits"] for m in framework["statement"] if m["type"] == "redeemed")
        assert abs(redeemed - sum(a["credits"] for a in account["awards"])) < 1e-9


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(operations)
def test_random_histories_keep_accounts_consistent(steps: list[tuple[str, Any, int]]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        config = configuration(f"sqlite:///{Path(folder) / 'bank.sqlite3'}", Path(folder))
        with running_app(config) as app:
            world = build(app.test_client(), bank_of(app))
            recorded: list[tuple[str, str]] = []
            for number, (action, what, amount) in enumerate(steps):
                if action == "record":
                    field = "credits" if what.startswith("uni") else "hours"
                    body = world.record(what, f"R{number}", code="DIG1" if amount % 7 == 0 else "C", **{field: amount})
                    recorded.append((what, body["id"]))
                elif action in ("correct", "revoke") and recorded:
                    institution, achievement = recorded[what % len(recorded)]
                    url = f"/api/v1/achievements/{achievement}/" + (
                        "corrections" if action == "correct" else "revocation"
                    )
                    field = "credits" if institution.startswith("uni") else "hours"
                    payload = {"changes": {field: amount}, "reason": "r"} if action == "correct" else {"reason": "r"}
                    status = world.client.post(url, json=payload, headers=world.headers(institution)).status_code
                    assert status in (200, 201, 409)
                elif action == "award":
                    response = world.client.post(
                        f"/api/v1/learners/{world.learner}/qualifications",
                        json={"qualification": what},
                        headers=world.headers(),
                    )
                    assert response.status_code in (201, 422), response.get_data(as_text=True)
                _check(world.account())
            live = world.account()
            with world.bank.db.writing() as session:
                replay(session)
            assert world.account() == live
