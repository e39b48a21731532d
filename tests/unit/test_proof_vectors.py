"""eddsa-rdfc-2022 against the W3C and 1EdTech signing vectors, and the Multikey encoding."""

from __future__ import annotations

import copy
import hashlib
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from certificates import multibase, proofs
from certificates.contexts import ContextError
from tests.vectors import load_json, vectors_dir

W3C = "w3c-vc-di-eddsa"
METHOD = "did:key:z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2#z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2"
EXAMPLES = {
    "https://www.w3.org/ns/credentials/v2": "contexts/credentials-v2.jsonld",
    "https://www.w3.org/ns/credentials/examples/v2": "contexts/w3c-examples-v2.jsonld",
}


def loader(url: str, options: Any = None) -> dict[str, Any]:
    if url not in EXAMPLES:
        raise ContextError(f"unknown context {url}")
    return {"contextUrl": None, "documentUrl": url, "document": load_json(EXAMPLES[url])}


def text(relative: str) -> str:
    return (vectors_dir() / relative).read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def key() -> Ed25519PrivateKey:
    pair = load_json(f"{W3C}/keyPair.json")
    return Ed25519PrivateKey.from_private_bytes(multibase.private_key_bytes(pair["privateKeyMultibase"]))


def public() -> bytes:
    return multibase.public_key_bytes(load_json(f"{W3C}/keyPair.json")["publicKeyMultibase"])


def test_the_document_canonicalizes_to_the_vectors_n_quads() -> None:
    assert proofs.canonical(load_json(f"{W3C}/unsigned.json"), loader) == text(
        f"{W3C}/eddsa-rdfc-2022/canonDocDataInt.txt"
    )


def test_the_proof_options_canonicalize_and_hash_as_in_the_vector() -> None:
    options = load_json(f"{W3C}/eddsa-rdfc-2022/proofConfigDataInt.json")
    canonical = proofs.canonical(options, loader)
    assert canonical == text(f"{W3C}/eddsa-rdfc-2022/proofCanonDataInt.txt")
    assert hashlib.sha256(canonical.encode()).hexdigest() == text(f"{W3C}/eddsa-rdfc-2022/proofHashDataInt.txt").strip()


def test_signing_reproduces_the_w3c_proof_value(key: Ed25519PrivateKey) -> None:
    document = load_json(f"{W3C}/unsigned.json")
    proof = proofs.create_proof(document, key, METHOD, "2023-02-24T23:36:38Z", loader)
    assert proof["proofValue"] == text(f"{W3C}/eddsa-rdfc-2022/sigBTC58DataInt.txt").strip()
    signed = proofs.sign(document, key, METHOD, "2023-02-24T23:36:38Z", loader)
    assert isinstance(signed["proof"], list)
    assert signed["proof"][0] == {**load_json(f"{W3C}/eddsa-rdfc-2022/signedDataInt.json")["proof"]}


def test_the_w3c_signed_credential_verifies_and_a_changed_copy_does_not() -> None:
    signed = load_json(f"{W3C}/eddsa-rdfc-2022/signedDataInt.json")
    resolve = {METHOD: public()}.get
    assert [check.ok for check in proofs.verify(signed, resolve, loader)] == [True]
    changed = copy.deepcopy(signed)
    changed["credentialSubject"]["alumniOf"] = "Another School"
    (check,) = proofs.verify(changed, resolve, loader)
    assert not check.ok
    assert "does not match" in check.reason
    (unknown,) = proofs.verify(signed, {}.get, loader)
    assert not unknown.ok
    assert "not one of the trusted" in unknown.reason


@pytest.mark.parametrize("suite", ["obv3p0", "clrv2p0"])
def test_the_1edtech_examples_sign_to_their_expected_proof_values(suite: str) -> None:
    # 1EdTech gives the canonical forms; the signature is over SHA-256(proof) ‖ SHA-256(document).
    keys = load_json("1edtech-ob3/keys.json")
    key = Ed25519PrivateKey.from_private_bytes(bytes.fromhex(keys["secret_key_hex"]))
    data = b"".join(
        hashlib.sha256(text(f"1edtech-ob3/{suite}/{name}").encode()).digest()
        for name in ("proof-canon.txt", "document-canon.txt")
    )
    assert multibase.encode_z(key.sign(data)) == keys["expected_proofValue"][suite]
    raw = bytes.fromhex(keys["public_key_hex"])
    assert multibase.public_multikey(raw) == keys["public_key_multibase"]


def test_a_property_the_contexts_do_not_define_is_refused_not_dropped() -> None:
    document = load_json(f"{W3C}/unsigned.json")
    document["@context"] = ["https://www.w3.org/ns/credentials/v2"]
    document["credentialSubject"] = {"id": "did:example:abc", "notAWord": "hidden text"}
    with pytest.raises(proofs.ProofError, match="not defined"):
        proofs.canonical(document, loader)


def test_an_unknown_context_is_an_error_not_a_fetch() -> None:
    document = {"@context": ["https://example.com/not-pinned"], "name": "x"}
    with pytest.raises((ContextError, proofs.ProofError), match="unknown"):
        proofs.canonical(document, loader)


@pytest.mark.parametrize("raw", [b"", b"\0", b"\0\0\1", bytes(range(32)), b"\xff" * 40])
def test_base58_round_trips_including_leading_zero_bytes(raw: bytes) -> None:
    assert multibase.b58decode(multibase.b58encode(raw)) == raw


@pytest.mark.parametrize("bad", ["6Mk", "z0OIl", "zabc", ""])
def test_malformed_multikeys_are_refused(bad: str) -> None:
    with pytest.raises(multibase.MultibaseError):
        multibase.public_key_bytes(bad)
