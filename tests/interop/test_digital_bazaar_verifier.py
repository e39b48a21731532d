"""Credentials issued here, checked by Digital Bazaar's JavaScript verifier (installed from npm by the set-up).

That stack shares no code with the Python signer, so a canonicalization or encoding mistake on our side cannot hide
behind the same mistake in our own verifier.
"""

from __future__ import annotations

import copy
import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from certificates.contexts import CLR_V2
from creditbank.services import credentials
from creditbank.services.credentials import credential_keys
from tests.credentials.issued_world import Issued

ROOT = Path(__file__).resolve().parents[2]
HARNESS = ROOT / "tests" / "interop" / "verify_credential.mjs"
CLR_FILE = ROOT / "certificates" / "data" / "clr-2.0.json"


def third_party(folder: Path, credential: dict[str, Any], did_document: dict[str, Any], *status: dict[str, Any]) -> Any:
    (folder / "credential.json").write_text(json.dumps(credential))
    (folder / "did.json").write_text(json.dumps(did_document))
    args = ["node", str(HARNESS)]
    for index, document in enumerate(status):
        path = folder / f"status-{index}.json"
        path.write_text(json.dumps(document))
        args += ["--status", str(path)]
    args += [str(folder / "credential.json"), str(folder / "did.json"), f"{CLR_V2}={CLR_FILE}"]
    done = subprocess.run(args, capture_output=True, text=True, timeout=120, cwd=ROOT, check=False)
    assert done.returncode in (0, 1), done.stderr + done.stdout
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["verified"] == (done.returncode == 0)
    return result


def test_an_achievement_credential_verifies_with_the_third_party_stack(issued: Issued, tmp_path: Path) -> None:
    did = credential_keys.did_document(issued.world.bank)
    result = third_party(tmp_path, issued.bundle["credential"], did)
    assert result == {"verified": True, "errors": []}


def test_a_tampered_copy_fails_there_too(issued: Issued, tmp_path: Path) -> None:
    tampered = copy.deepcopy(issued.bundle["credential"])
    tampered["credentialSubject"]["creditsEarned"] = 30
    result = third_party(tmp_path, tampered, credential_keys.did_document(issued.world.bank))
    assert result["verified"] is False
    assert result["errors"]


def test_the_status_list_is_signed_and_read_by_the_third_party_stack(issued: Issued, tmp_path: Path) -> None:
    credential = issued.bundle["credential"]
    name = credential["credentialStatus"]["statusListCredential"].rsplit("/", 1)[1]
    status = credentials.status_list(issued.world.bank, name)
    result = third_party(tmp_path, credential, credential_keys.did_document(issued.world.bank), status)
    assert result["verified"] is True, result


def test_a_transcript_verifies_with_the_third_party_stack(issued: Issued, tmp_path: Path) -> None:
    world = issued.world
    world.record("uni-a", "DL-202", title={"zh": "数据分析", "en": "Data analysis"}, credits=3)
    made = credentials.issue(world.bank, None, credentials.Request(world.learner, "transcript", None, "en-zh"))
    result = third_party(tmp_path, made["credential"], credential_keys.did_document(world.bank))
    assert result == {"verified": True, "errors": []}


@pytest.mark.slow
def test_the_harness_rejects_forgeries_of_its_own() -> None:
    # The harness signs and forges its own credentials (changed fields, wrong key, bad status list) and must
    # reject each; without this, a harness that accepted everything would make the tests above meaningless.
    done = subprocess.run(
        ["node", str(ROOT / "tests" / "interop" / "selftest.mjs")],
        capture_output=True, text=True, timeout=300, cwd=ROOT, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    assert " 0 failed" in done.stdout


def test_a_compromised_key_is_refused_by_the_third_party_stack(issued: Issued, tmp_path: Path) -> None:
    # Routine rotation leaves a key in assertionMethod (what it signed stays good everywhere); a compromise takes it
    # out, so a standard verifier refuses everything it signed, while the bank's own verifier still dates each one.
    world = issued.world
    made = credentials.issue(world.bank, None, credentials.Request(world.learner, "achievement", issued.achievement))
    key = made["credential"]["proof"][0]["verificationMethod"].rsplit("#", 1)[1]
    assert third_party(tmp_path, made["credential"], credential_keys.did_document(world.bank))["verified"] is True
    credentials.compromise_key(world.bank, key, "2026-01-01T00:00:00Z", "interop")
    result = third_party(tmp_path, made["credential"], credential_keys.did_document(world.bank))
    assert result["verified"] is False
    assert result["errors"]
    fresh = credentials.issue(world.bank, None, credentials.Request(world.learner, "achievement", issued.achievement))
    assert third_party(tmp_path, fresh["credential"], credential_keys.did_document(world.bank))["verified"] is True
