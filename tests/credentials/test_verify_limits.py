"""The verify door bounds its work: each limit refuses its hostile input on every door (engine, API, page, command)
with the limit named, what passes the limits runs under a 2 s CPU budget in a child process, and the caches that
make honest verification fast leave every canonical form byte for byte as PyLD alone writes it."""

from __future__ import annotations

import io
import json
import time
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from benchmarks.verify_abuse import hostile_json, hostile_pdfs
from certificates import bounds, budget, contexts, proofs
from certificates.verify import Trust, did_document_trust, verify_bytes
from creditbank.cli import main
from creditbank.services import credentials
from creditbank.services.credentials import credential_keys
from tests.credentials.issued_world import Issued

# Each refused by counting; the clique with subtrees is within every count and only the budget stops it.
LIMITED = [
    "clique_8_blank_nodes", "proofs_1000", "nesting_40", "array_5000", "blank_tree_3_levels", "blank_nodes_2000",
    "containers_100k", "pdf_200_pages", "pdf_shared_stream", "pdf_flate_bomb",
]  # fmt: skip


def _trust(issued: Issued) -> Trust:
    return did_document_trust(credential_keys.did_document(issued.world.bank))


def _live_trust(issued: Issued) -> Trust:
    """The bank's own trust: its status lookup reads the database, so in a child it calls back to this process."""
    return credentials.trust(issued.world.bank)


def _hostile(issued: Issued) -> dict[str, tuple[bytes, str]]:
    return {**hostile_json(issued.bundle), **hostile_pdfs(issued.bundle)}


@pytest.mark.parametrize("name", LIMITED)
def test_the_engine_refuses_each_hostile_input_before_the_work_naming_the_limit(issued: Issued, name: str) -> None:
    data, limit = _hostile(issued)[name]
    # Built before the clock starts: the trust comes from the bank (its first use may open sealed key files), while
    # what is timed is the refusal of the upload alone.
    trust = _trust(issued)
    started = time.thread_time()
    with pytest.raises(bounds.LimitExceeded) as refused:
        verify_bytes(data, trust)
    assert refused.value.limit == limit
    assert f"limit {limit!r}" in str(refused.value)
    # Counting is cheap: the clique of eight took minutes to canonicalize before. Timed in this thread's CPU: the
    # engine refuses in the caller's thread, and other threads of the test process are not its cost.
    assert time.thread_time() - started < 0.5


@pytest.mark.parametrize("name", ["clique_8_blank_nodes", "proofs_1000", "containers_100k", "pdf_shared_stream"])
def test_the_api_answers_422_naming_the_limit(issued: Issued, name: str) -> None:
    data, limit = _hostile(issued)[name]
    response = issued.world.client.post("/api/v1/verify", data=data, content_type="application/octet-stream")
    assert response.status_code == 422, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
    problem = response.get_json()
    assert problem["type"].endswith("/verification-limit")
    assert f"limit {limit!r}" in problem["detail"]
    assert problem["errors"]["file"][0].startswith(f"limit {limit}:")


def test_the_verify_page_refuses_with_the_limit_in_the_visitors_language(issued: Issued) -> None:
    data, _ = _hostile(issued)["pdf_200_pages"]
    page = issued.world.client.post(
        "/verify", data={"file": (io.BytesIO(data), "c.pdf")}, content_type="multipart/form-data"
    )
    assert page.status_code == 422
    text = page.get_data(as_text=True)
    assert "超出验证的限制（pages：最多 20）" in text


def test_the_command_refuses_with_the_limit_and_exit_status_1(issued: Issued, tmp_path: Path) -> None:
    data, _ = _hostile(issued)["proofs_1000"]
    (tmp_path / "c.json").write_bytes(data)
    (tmp_path / "did.json").write_text(json.dumps(credential_keys.did_document(issued.world.bank)))
    result = CliRunner().invoke(main, ["verify", str(tmp_path / "c.json"), "--trust", str(tmp_path / "did.json")])
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    assert "NOT VALID" in result.output
    assert "limit 'proofs'" in result.output


def test_a_few_proofs_are_within_the_limit_and_each_is_checked(issued: Issued) -> None:
    credential = issued.bundle["credential"]
    doubled = {**issued.bundle, "credential": {**credential, "proof": credential["proof"] * bounds.MAX_PROOFS}}
    report = verify_bytes(json.dumps(doubled).encode(), _trust(issued))
    assert {check.check: check.outcome for check in report.checks}["signature"] == "pass", report.to_json()


def test_input_within_the_limits_but_too_expensive_is_stopped_at_the_cpu_budget(issued: Issued) -> None:
    data, limit = _hostile(issued)["clique_4_with_subtrees"]
    assert limit == "cpu_seconds"
    bounds.check_credential(json.loads(data)["credential"])  # within every count
    client = issued.world.client
    started = time.monotonic()
    response = client.post("/api/v1/verify", data=data, content_type="application/octet-stream")
    elapsed = time.monotonic() - started
    assert response.status_code == 422, response.get_data(as_text=True)
    assert "more than the 2 s CPU budget" in response.get_json()["detail"]
    assert response.get_json()["errors"] == {"file": ["limit cpu_seconds: at most 2"]}
    # 2 s of CPU: the wall time is bounded by it (with room for a loaded machine), far from the minutes it took.
    assert elapsed < 15
    # The child that ran it was replaced; the process and the next verification are fine.
    honest = client.post("/api/v1/verify", data=json.dumps(issued.bundle), content_type="application/json")
    assert honest.status_code == 200
    assert honest.get_json()["valid"] is True
    assert client.get("/health").status_code == 200


def test_the_budget_stops_the_engine_in_its_child_and_the_pool_carries_on(issued: Issued) -> None:
    data, _ = _hostile(issued)["clique_4_with_subtrees"]
    trust = _live_trust(issued)
    with pytest.raises(budget.BudgetExceeded):
        budget.run(verify_bytes, data, trust)
    assert budget.run(verify_bytes, json.dumps(issued.bundle).encode(), trust).valid


def test_lookups_run_in_the_caller_and_their_errors_come_back(issued: Issued) -> None:
    asked: list[Any] = []

    def receipt_lookup(credential: Any) -> Any:
        asked.append(credential["id"])
        return issued.bundle["receipt"]

    bare = json.dumps(issued.bundle["credential"]).encode()
    report = budget.run(verify_bytes, bare, _live_trust(issued), receipt_lookup=receipt_lookup)
    assert report.valid
    assert asked == [issued.credential_id]

    def broken(_credential: Any) -> Any:
        raise LookupError("the database is away")

    with pytest.raises(LookupError, match="database is away"):
        budget.run(verify_bytes, bare, _trust(issued), receipt_lookup=broken)


def test_kept_contexts_change_no_canonical_form(issued: Issued) -> None:
    """The memo for pinned contexts against PyLD without it (a loader that is not the pinned one gets no memo)."""

    def plain_loader(url: str, options: Any = None) -> dict[str, Any]:
        return contexts.load(url, options)

    credential = {k: v for k, v in issued.bundle["credential"].items() if k != "proof"}
    proof_options = {**{k: v for k, v in issued.bundle["credential"]["proof"][0].items() if k != "proofValue"}}
    proof_options["@context"] = credential["@context"]
    with_evidence = {**credential, "evidence": [{"http://example.org/p": {"http://example.org/p": "x"}}] * 20}
    # Blank nodes that only their links tell apart: the canonicalizer's tie-breaking paths run.
    link = "http://example.org/link"
    tied = [{"id": f"_:n{i}", link: [{"id": f"_:n{j}"} for j in range(3) if j != i] + [{link: "x"}]} for i in range(3)]
    documents = [credential, proof_options, with_evidence, {**credential, "evidence": tied}]
    for _ in range(2):  # cold, then with everything kept
        for document in documents:
            assert proofs.canonical(document) == proofs.canonical(document, plain_loader)
