"""Data Integrity proofs with the eddsa-rdfc-2022 cryptosuite (W3C VC Data Integrity EdDSA Cryptosuites v1.0).

The signature covers SHA-256 of the RDFC-1.0 (URDNA2015) canonical form of the proof options followed by SHA-256 of
the canonical form of the document without its proof. Canonicalization runs in "safe" mode: a property that the
contexts do not define would be silently dropped from the signed graph, so it is refused instead — otherwise text
could be added to a signed credential without breaking its signature.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from cachetools import LRUCache
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from pyld import jsonld
from pyld.context_resolver import ContextResolver

from certificates import contexts
from certificates.multibase import MultibaseError, decode_z, encode_z

PROOF_TYPE = "DataIntegrityProof"
CRYPTOSUITE = "eddsa-rdfc-2022"

Loader = Callable[[str, Any], dict[str, Any]]
# Resolves a verification method URL to its raw Ed25519 public key, or None when it is not trusted.
KeyResolver = Callable[[str], bytes | None]

# Our own cache, not PyLD's process-wide one: a test loader serving another document under the same URL must not
# change what the production loader's contexts mean.
_resolved: LRUCache[str, Any] = LRUCache(maxsize=64)


class ProofError(Exception):
    """The document cannot be canonicalized or signed as given."""


def canonical(document: Mapping[str, Any], loader: Loader = contexts.load) -> str:
    def dropped(term: str | None) -> None:
        raise ProofError(f"the property {term or 'with an undefined name'} is not defined by the credential's contexts")

    options = {
        "algorithm": "URDNA2015",
        "format": "application/n-quads",
        "documentLoader": loader,
        "contextResolver": ContextResolver(_resolved if loader is contexts.load else LRUCache(maxsize=16), loader),
    }
    try:
        result = jsonld.JsonLdProcessor(on_property_dropped=dropped).normalize(dict(document), options)
    except ProofError:
        raise
    except contexts.ContextError:
        raise
    except jsonld.JsonLdError as exc:
        raise ProofError(_reason(exc)) from None
    except (RecursionError, TypeError, ValueError, KeyError, AttributeError) as exc:
        raise ProofError(f"not a JSON-LD document: {exc.__class__.__name__}") from None
    return str(result)


def _reason(error: jsonld.JsonLdError) -> str:
    # PyLD wraps the loader's and the safe-mode handler's exceptions; surface the innermost plain message.
    cause: BaseException | None = error
    while cause is not None:
        if isinstance(cause, ProofError | contexts.ContextError):
            return str(cause)
        cause = getattr(cause, "cause", None) or cause.__cause__
    return f"JSON-LD processing failed: {error.type if hasattr(error, 'type') else error}"


def hash_data(document: Mapping[str, Any], proof_options: Mapping[str, Any], loader: Loader = contexts.load) -> bytes:
    unsigned = {key: value for key, value in document.items() if key != "proof"}
    options = {key: value for key, value in proof_options.items() if key != "proofValue"}
    options["@context"] = document.get("@context")
    return (
        hashlib.sha256(canonical(options, loader).encode()).digest()
        + hashlib.sha256(canonical(unsigned, loader).encode()).digest()
    )


def proof_options(verification_method: str, created: str, purpose: str = "assertionMethod") -> dict[str, Any]:
    return {
        "type": PROOF_TYPE,
        "cryptosuite": CRYPTOSUITE,
        "created": created,
        "verificationMethod": verification_method,
        "proofPurpose": purpose,
    }


def create_proof(
    document: Mapping[str, Any],
    key: Ed25519PrivateKey,
    verification_method: str,
    created: str,
    loader: Loader = contexts.load,
) -> dict[str, Any]:
    options = proof_options(verification_method, created)
    signature = key.sign(hash_data(document, options, loader))
    return {**options, "proofValue": encode_z(signature)}


def sign(
    document: Mapping[str, Any],
    key: Ed25519PrivateKey,
    verification_method: str,
    created: str,
    loader: Loader = contexts.load,
) -> dict[str, Any]:
    """The document with one more proof in its `proof` array (OB 3.0 wants an array even for one proof)."""
    existing = document.get("proof", [])
    proofs = list(existing) if isinstance(existing, list) else [existing]
    proof = create_proof(document, key, verification_method, created, loader)
    return {**{k: v for k, v in document.items() if k != "proof"}, "proof": [*proofs, proof]}


@dataclass(frozen=True)
class ProofCheck:
    ok: bool
    reason: str
    verification_method: str | None = None
    created: str | None = None


def verify(document: Mapping[str, Any], resolve: KeyResolver, loader: Loader = contexts.load) -> list[ProofCheck]:
    """One check per proof; an empty list means the document carries no proof at all."""
    proofs = document.get("proof")
    if proofs is None:
        return []
    items = proofs if isinstance(proofs, list) else [proofs]
    return [_verify_one(document, proof, resolve, loader) for proof in items]


def _verify_one(document: Mapping[str, Any], proof: Any, resolve: KeyResolver, loader: Loader) -> ProofCheck:
    if not isinstance(proof, dict):
        return ProofCheck(False, "the proof is not an object")
    method = proof.get("verificationMethod")
    created = proof.get("created")
    method = method if isinstance(method, str) else None
    created = created if isinstance(created, str) else None
    if proof.get("type") != PROOF_TYPE or proof.get("cryptosuite") != CRYPTOSUITE:
        return ProofCheck(False, f"unsupported proof type {proof.get('type')!r}/{proof.get('cryptosuite')!r}", method)
    if proof.get("proofPurpose") != "assertionMethod":
        return ProofCheck(False, "the proof purpose is not assertionMethod", method, created)
    if method is None:
        return ProofCheck(False, "the proof names no verification method", None, created)
    value = proof.get("proofValue")
    try:
        signature = decode_z(value) if isinstance(value, str) else b""
    except MultibaseError:
        signature = b""
    if len(signature) != 64:
        return ProofCheck(False, "the proof value is not a base58btc Ed25519 signature", method, created)
    public = resolve(method)
    if public is None:
        return ProofCheck(False, f"the key {method} is not one of the trusted issuer's keys", method, created)
    unsigned = {key: value for key, value in document.items() if key != "proof"}
    try:
        data = hash_data(unsigned, proof, loader)
    except (ProofError, contexts.ContextError) as exc:
        return ProofCheck(False, str(exc), method, created)
    try:
        Ed25519PublicKey.from_public_bytes(public).verify(signature, data)
    except (InvalidSignature, ValueError):
        return ProofCheck(False, "the signature does not match the credential's content", method, created)
    return ProofCheck(True, f"signed by {method}", method, created)
