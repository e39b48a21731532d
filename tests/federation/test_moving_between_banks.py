"""A learner moves from bank A to bank B with a CLR transcript, each bank a real process on its own database.

At A an institution enrolls the learner and records courses, and A issues a transcript, downloaded through A's API
as the `{credential, receipt}` file the learner carries. At B the same person is enrolled by B's institution, B
publishes a framework and a rule set that recognizes automatically, and puts A's did:web on its trust list with a
mapping. B's desk applies with the file and B recognizes it: credit lines in B's account name B's decision. Then
each wrong use is refused with the reason and nothing is recognized: the same file again, a copy with one credit
changed, someone else at B with A's file, the transcript after A revoked it, and any of A's files once A is off the
trust list.
"""

from __future__ import annotations

import json
import re
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from tests.federation.banks import Done, RunningBank, resident_id, size_of, wait_for
from tests.federation.conftest import INSTITUTIONS, Banks

FRAMEWORK = "cn-lifelong-example"
FRAMEWORK_FILE = Path(__file__).parents[2] / "creditbank" / "credits" / "data" / "frameworks" / "cn-example.toml"
PERSON = {
    "name": {"zh": "林晓梅", "latin": "Lin Xiaomei"},
    "birth_date": "1979-11-23",
    "national_id": {"country": "CN", "number": resident_id("44030419791123004")},
}
STRANGER = {
    "name": {"zh": "赵一鸣", "latin": "Zhao Yiming"},
    "birth_date": "1985-02-14",
    "national_id": {"country": "CN", "number": resident_id("31010419850214007")},
}
COURSES = [
    ("LIN-ACC-101", {"zh": "会计基础", "en": "Foundations of Accounting"}, 3, 48, 86),
    ("LIN-ACC-205", {"zh": "成本管理", "en": "Cost Management"}, 2, 32, 91),
]


def rules_document(label: str) -> str:
    """A bank's rule set for its own institution, by credits; B's also recognizes trusted credentials without a
    reviewer."""
    return f"""
version = "{label.lower()}-2026.1"
framework = "{FRAMEWORK}"
name = {{ zh = "{label} 行规则", en = "Bank {label} rules" }}

[defaults]
minimum_result = 60
rounding = 0.5
validity_years = 10
level = 2
category = "general"

[[institutions]]
id = "{INSTITUTIONS[label]}"
basis = "credits"
levels = {{ default = 3 }}
category = "general"

[recognition]
automatic = true
"""


def refused(done: Done, *words: str) -> str:
    """The command was refused (exit 1) with a message naming each of ``words``."""
    assert done.code == 1, done.output
    message = done.output.lower()
    for word in words:
        assert word.lower() in message, done.output
    return message


def apply(bank: RunningBank, learner: str, evidence: Path) -> Done:
    return bank.run(
        "recognition", "apply", "--learner", learner, "--evidence", str(evidence), "--framework", FRAMEWORK, "--json"
    )


def account(bank: RunningBank, learner: str) -> dict[str, Any]:
    shown: dict[str, Any] = json.loads(bank.cli("credits", "show", learner))
    return shown


def movements(node: Any) -> list[dict[str, Any]]:
    """Every statement line in an account as `creditbank credits show` prints it."""
    if isinstance(node, dict):
        if "seq" in node and "type" in node:
            return [node]
        return [found for value in node.values() for found in movements(value)]
    if isinstance(node, list):
        return [found for value in node for found in movements(value)]
    return []


def tree_size(bank: RunningBank) -> int:
    """The size of the bank's log: its checkpoint's, once the checkpoint has caught up with the last entry."""

    def settled() -> int | None:
        size = size_of(bank.checkpoint())
        return size if bank.get(f"/ledger/entries/{size}").status == 404 else None

    found: int = wait_for(settled, f"bank {bank.label}'s checkpoint to cover its log", bank)
    return found


@pytest.fixture(scope="module")
def moved(banks: Banks, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The learner's transcript from A, and B ready to receive it."""
    a, b = banks
    folder = tmp_path_factory.mktemp("moving")
    for bank in banks:
        (folder / f"{bank.label}-rules.toml").write_text(rules_document(bank.label), encoding="utf-8")
    mappings = folder / "mappings.json"
    mapping = {"achievement": "*", "framework": FRAMEWORK, "level": 3, "category": "general", "credits_ratio": 1}
    mappings.write_text(json.dumps({"mappings": [mapping]}), encoding="utf-8")

    def rules_at(bank: RunningBank) -> None:
        bank.cli("frameworks", "publish", str(FRAMEWORK_FILE))
        bank.cli("rules", "publish", str(folder / f"{bank.label}-rules.toml"))

    with ThreadPoolExecutor(2) as pool:
        # A converts what it records (the transcript then states credits); B names the framework in its mapping,
        # so its trust list entry waits for the framework.
        rules = {bank.label: pool.submit(rules_at, bank) for bank in banks}
        rules["A"].result()
        at_a = a.api("POST", "/api/v1/learners", PERSON, expect=201)["id"]
        for record_id, title, credits, hours, score in COURSES:
            a.api(
                "POST",
                "/api/v1/achievements",
                {
                    "learner": at_a,
                    "record_id": record_id,
                    "kind": "course",
                    "title": title,
                    "credits": credits,
                    "hours": hours,
                    "result": {"type": "score", "score": score, "max": 100},
                    "completed": "2026-01-10",
                },
                expect=201,
            )
        issued = a.api("POST", f"/api/v1/learners/{at_a}/credentials", {"kind": "transcript"}, expect=201)
        bundle = a.api("GET", f"/api/v1/credentials/{issued['id']}?receipt=true")
        transcript = folder / "transcript.json"
        transcript.write_text(json.dumps(bundle, ensure_ascii=False), encoding="utf-8")

        # At B: the same person, and a stranger, enrolled by B's institution.
        at_b = b.api("POST", "/api/v1/learners", PERSON, expect=201)["id"]
        stranger = b.api("POST", "/api/v1/learners", STRANGER, expect=201)["id"]
        rules["B"].result()
        entry = json.loads(b.cli("trust", "add", a.did, "--name", "Bank A", "--mappings", str(mappings), "--json"))
    assert entry["did"] == a.did
    return {
        "transcript": transcript,
        "bundle": bundle,
        "credential": issued["id"],
        "at_a": at_a,
        "at_b": at_b,
        "stranger": stranger,
        "folder": folder,
    }


def test_the_transcript_names_a_by_its_did_with_the_port_encoded(banks: Banks, moved: dict[str, Any]) -> None:
    a = banks.a
    did = a.get("/.well-known/did.json").json()
    assert did["id"] == a.did == f"did:web:127.0.0.1%3A{a.port}"
    credential = moved["bundle"]["credential"]
    assert "ClrCredential" in credential["type"]
    assert credential["issuer"]["id"] == a.did
    # Every address of A's in it is A's public URL, port included (contexts and vocabularies are others'), and
    # every DID is A's.
    text = json.dumps(credential)
    urls = set(re.findall(r'"(https?://127\.0\.0\.1[^"]*)"', text))
    assert len(urls) > 3, urls
    assert all(url == a.base_url or url.startswith(a.base_url + "/") for url in urls), urls
    assert {did.split("#")[0] for did in re.findall(r'"(did:[^"]*)"', text)} == {a.did}
    assert credential["credentialStatus"]["statusListCredential"].startswith(f"{a.base_url}/status/")
    assert all(method["controller"] == a.did for method in did["verificationMethod"])
    assert credential["proof"][0]["verificationMethod"].startswith(a.did + "#")


def test_b_recognizes_the_transcript_and_refuses_every_misuse(banks: Banks, moved: dict[str, Any]) -> None:
    a, b = banks
    transcript: Path = moved["transcript"]
    done = apply(b, moved["at_b"], transcript)
    assert done.code == 0, done.output
    application = json.loads(done.stdout)
    assert application["state"] in ("decided", "final"), json.dumps(application, indent=1)
    assert application["framework"] == FRAMEWORK
    assert {item["issuer"] for item in application["items"]} == {a.did}
    assert all(item["mapping"] is not None for item in application["items"])
    decision = application["decision"]
    assert decision is not None
    earned = sorted(
        float(inner["credentialSubject"]["creditsEarned"])
        for inner in moved["bundle"]["credential"]["credentialSubject"]["verifiableCredential"]
    )
    assert len(earned) == len(COURSES)
    assert sorted(float(given["credits"]) for given in decision["recognized"]) == earned
    assert decision["refused"] == []

    # The decision's credit lines name it, and B's account states them as conversions of that decision.
    lines = application["lines"]
    assert sorted(float(line["credits"]) for line in lines) == earned
    assert {line["decision_seq"] for line in lines} == {decision["seq"]}
    for line in lines:
        public = b.get(f"/ledger/entries/{line['seq']}").json()["entry"]
        assert public["kind"] == "credits.converted"
    size = tree_size(b)
    tampered = json.loads(transcript.read_text(encoding="utf-8"))
    _change_one_credit_value(tampered["credential"])
    tampered_file = moved["folder"] / "tampered.json"
    tampered_file.write_text(json.dumps(tampered, ensure_ascii=False), encoding="utf-8")
    with ThreadPoolExecutor(4) as pool:
        shown = pool.submit(account, b, moved["at_b"])
        # Three misuses at once: none of them writes anything.
        again = pool.submit(apply, b, moved["at_b"], transcript)
        changed = pool.submit(apply, b, moved["at_b"], tampered_file)
        someone_else = pool.submit(apply, b, moved["stranger"], transcript)
        refused(again.result(), "already counted")
        refused(changed.result(), "signature")
        refused(someone_else.result(), "identity does not match")
        statement = {movement["seq"]: movement for movement in movements(shown.result())}
    for line in lines:
        assert statement[line["seq"]]["type"] == "converted"
        assert statement[line["seq"]]["source_seq"] == decision["seq"]
        assert float(statement[line["seq"]]["credits"]) == float(line["credits"])

    # A revokes the transcript: B, checking A's status list, refuses it.
    a.cli("credentials", "revoke", moved["credential"], "--reason", "issued in error")
    refused(apply(b, moved["at_b"], transcript), "revoked")

    # A leaves B's trust list: a fresh transcript from A is refused as untrusted.
    fresh = a.api("POST", f"/api/v1/learners/{moved['at_a']}/credentials", {"kind": "transcript"}, expect=201)
    fresh_file = moved["folder"] / "fresh.json"
    fresh_file.write_text(json.dumps(a.api("GET", f"/api/v1/credentials/{fresh['id']}?receipt=true")))
    b.cli("trust", "remove", a.did, "--reason", "agreement with bank A ended")
    refused(apply(b, moved["at_b"], fresh_file), "trust list")
    # Of all that, B's ledger holds only the trust list's change.
    assert tree_size(b) == size + 1, "a refused application wrote to B's ledger"


def _change_one_credit_value(credential: dict[str, Any]) -> None:
    """Raise the first creditsEarned (or creditsAvailable) found anywhere in the credential by one."""

    def walk(node: Any) -> bool:
        if isinstance(node, dict):
            for key in ("creditsEarned", "creditsAvailable"):
                if isinstance(node.get(key), int | float):
                    node[key] = node[key] + 1
                    return True
            return any(walk(value) for value in node.values())
        if isinstance(node, list):
            return any(walk(value) for value in node)
        return False

    assert walk(credential), "the transcript carries no credit value to change"
