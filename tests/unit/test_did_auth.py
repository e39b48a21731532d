"""DID authentication as the bank checks it (certificates.did_auth), on presentations signed by DCC's wallet
libraries: both VC context versions verify, and each way a presentation can fail to authenticate its holder is
refused with its own reason, before any JSON-LD work where the shape alone decides."""

from __future__ import annotations

import copy
import json
import shutil
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from certificates import did_auth
from certificates.multibase import encode_z

WALLET = Path(__file__).resolve().parents[1] / "interop" / "wallet_play.mjs"
DOMAIN = "bank.example"
CHALLENGE = "c-6Zq2xk0bQ5"


def _signed(*extra: str) -> dict[str, Any]:
    node = shutil.which("node")
    assert node is not None, "node is missing: run make setup"
    done = subprocess.run(
        [node, str(WALLET), "sign", CHALLENGE, DOMAIN, *extra], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr
    found: dict[str, Any] = json.loads(done.stdout)
    return found


@pytest.fixture(scope="module")
def wallet() -> dict[str, Any]:
    return _signed()


def _refused(presentation: Any, reason: str, **options: Any) -> None:
    with pytest.raises(did_auth.Refused) as refused:
        did_auth.verify(
            presentation, challenge=options.get("challenge", CHALLENGE), domain=DOMAIN, now=options.get("now")
        )
    assert reason in str(refused.value)


def test_both_context_versions_verify(wallet: dict[str, Any]) -> None:
    assert did_auth.verify(wallet["presentation"], challenge=CHALLENGE, domain=DOMAIN) == wallet["holder"]
    older = _signed("--v1")
    assert older["presentation"]["@context"][0] == did_auth.VC_V1
    assert did_auth.verify(older["presentation"], challenge=CHALLENGE, domain=DOMAIN) == older["holder"]


def test_the_key_must_be_an_ed25519_did_key(wallet: dict[str, Any]) -> None:
    method = wallet["presentation"]["proof"]["verificationMethod"]
    did = method.split("#")[0]
    assert did_auth.did_key_public(method)[0] == did
    with pytest.raises(did_auth.Refused, match="not a did:key"):
        did_auth.did_key_public("did:web:bank.example#key-1")
    with pytest.raises(did_auth.Refused, match="not a did:key"):
        did_auth.did_key_public(did + "#other")
    # A well-formed did:key of another curve (multicodec 0xe7, secp256k1) is not accepted.
    other = encode_z(b"\xe7\x01" + b"\x02" * 33)
    with pytest.raises(did_auth.Refused, match="not an Ed25519"):
        did_auth.did_key_public(f"did:key:{other}#{other}")


def test_a_proof_out_of_date_or_for_someone_else_is_refused(wallet: dict[str, Any]) -> None:
    presentation = wallet["presentation"]
    _refused(presentation, "challenge", challenge="another")
    expired = copy.deepcopy(presentation)
    expired["proof"]["expires"] = "2020-01-01T00:00:00Z"
    _refused(expired, "expired")
    _refused(presentation, "future", now=datetime.now(UTC) - timedelta(hours=1))
    holder = copy.deepcopy(presentation)
    holder["holder"] = "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK"
    _refused(holder, "holder")
    purpose = copy.deepcopy(presentation)
    purpose["proof"]["proofPurpose"] = "assertionMethod"
    _refused(purpose, "purpose")


def test_shapes_that_are_no_did_authentication_are_refused_before_canonicalization(wallet: dict[str, Any]) -> None:
    presentation = wallet["presentation"]
    two = {**presentation, "proof": [presentation["proof"], presentation["proof"]]}
    _refused(two, "exactly one proof")
    carrying = {**presentation, "verifiableCredential": [{"id": "urn:x"}]}
    _refused(carrying, "carries credentials")
    wide = {**presentation, "extra": [{"n": index} for index in range(did_auth.MAX_OBJECTS)]}
    _refused(wide, "objects")
    long = {**presentation, "id": "urn:" + "x" * did_auth.MAX_STRING}
    _refused(long, "longer")
    _refused({**presentation, "@context": ["https://example.org/other"]}, "@context")
    _refused({**presentation, "type": ["VerifiableCredential"]}, "type")
    _refused([presentation], "JSON object")


def test_a_property_no_context_defines_is_refused(wallet: dict[str, Any]) -> None:
    # Safe mode: an undefined term would drop out of the signed graph, so text could be added unsigned.
    _refused({**wallet["presentation"], "nickname": "Ann"}, "not defined")
