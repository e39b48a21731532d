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
from frozendict import frozendict
from pyld import canon, jsonld
from pyld.context_resolver import ContextResolver

from certificates import bounds, contexts
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


# Active contexts PyLD derived from the pinned contexts, kept between documents. PyLD keys its own cache of processed
# contexts on a fresh random id for every type-scoped context it applies, so each document re-processed the scoped
# contexts of OpenBadgeCredential, Achievement, Alignment... — most of a verification's time. An entry here is keyed
# on the identity of the (immutable) active context it was derived from and on the local context: URLs, or mappings
# that are part of a pinned context document. Contexts a document carries inline are never kept, so an upload cannot
# fill this with its own data. The entry holds the active context, so its id cannot be reused while the entry lives.
# Plain dicts, emptied when full: their single operations are atomic under the GIL, and a lookup here is most of
# what a hit costs (a lost entry costs one recomputation, never a wrong answer).
_MEMO_SIZE = 4096
_memo: dict[tuple[Any, ...], tuple[Any, Any]] = {}
_pinned: tuple[Mapping[str, Any], frozenset[int]] | None = None
# Term and IRI expansions per active context, for the same reason: a credential expands the same few dozen terms
# against the same few active contexts.
_IRI_MEMO_SIZE = 65_536
_IRI_MAX_LENGTH = 200
_iri_memo: dict[tuple[int, str, Any, bool], tuple[Any, Any]] = {}


def _pinned_ids() -> frozenset[int]:
    """The ids of every mapping and list inside the pinned context documents (alive as long as those are)."""
    global _pinned
    documents = contexts.known()
    if _pinned is None or _pinned[0] is not documents:
        ids: set[int] = set()
        pending: list[Any] = list(documents.values())
        while pending:
            item = pending.pop()
            if isinstance(item, dict):
                ids.add(id(item))
                pending.extend(item.values())
            elif isinstance(item, list):
                ids.add(id(item))
                pending.extend(item)
        _memo.clear()
        _iri_memo.clear()
        # Holding the documents keeps the ids above from being reused by other objects.
        _pinned = (documents, frozenset(ids))
    return _pinned[1]


def _local_key(local: Any, pinned: frozenset[int]) -> Any:
    if isinstance(local, str):
        return local
    if isinstance(local, dict | frozendict):
        return ("pinned", id(local)) if id(local) in pinned else None
    if isinstance(local, list) and local:
        keys = tuple(_local_key(item, pinned) for item in local)
        return None if any(key is None for key in keys) else keys
    return None


def _copy(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _copy(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_copy(item) for item in value]
    return value


class _Json(dict[str, Any]):
    """A JSON document for PyLD, which deep-copies its input first: copy.deepcopy's generality (memo, reductions)
    costs a tenth of a verification, and a document parsed from JSON holds only dicts, lists and scalars."""

    def __deepcopy__(self, memo: Any) -> dict[str, Any]:
        copied: dict[str, Any] = _copy(dict(self))
        return copied


class _Canonicalizer(canon.URDNA2015):  # type: ignore[misc]  # PyLD ships no types
    def modify_first_degree_component(self, id_: str, component: dict[str, Any], key: str) -> dict[str, Any]:
        # PyLD deep-copies the component (a flat dict of strings) just to change one value: a few percent of a
        # verification. A shallow copy is the same copy.
        if component["type"] != "blank node":
            return component
        return {**component, "value": "_:a" if component["value"] == id_ else "_:z"}


class _Processor(jsonld.JsonLdProcessor):  # type: ignore[misc]  # PyLD ships no types
    def normalize(self, input_: Any, options: dict[str, Any]) -> Any:
        """PyLD's normalize for what canonical() asks (JSON-LD in, URDNA2015, N-Quads out), with the canonicalizer
        above."""
        options = {**options}
        options.setdefault("base", "")
        options.setdefault("extractAllScripts", True)
        options.setdefault("processingMode", "json-ld-1.1")
        options.pop("identifierIssuer", None)
        to_rdf = {key: value for key, value in options.items() if key != "format"}
        to_rdf["produceGeneralizedRdf"] = False
        try:
            dataset = self.to_rdf(input_, to_rdf)
        except jsonld.JsonLdError as cause:
            raise jsonld.JsonLdError(
                "Could not convert input to RDF dataset before normalization.", "jsonld.NormalizeError"
            ) from cause
        return _Canonicalizer().main(dataset, options)

    def _process_context(
        self,
        active_ctx: Any,
        local_ctx: Any,
        options: dict[str, Any],
        override_protected: bool = False,
        propagate: bool = True,
        validate_scoped: bool = True,
        cycles: set[str] | None = None,
    ) -> Any:
        arguments = (active_ctx, local_ctx, options, override_protected, propagate, validate_scoped, cycles)
        local = _local_key(local_ctx, _pinned_ids()) if isinstance(active_ctx, frozendict) else None
        if local is None:
            return super()._process_context(*arguments)
        key = (id(active_ctx), local, override_protected, propagate, validate_scoped, options.get("base"),
               options.get("processingMode"))  # fmt: skip
        hit = _memo.get(key)
        if hit is not None and hit[0] is active_ctx:
            return hit[1]
        result = super()._process_context(*arguments)
        if isinstance(result, frozendict):
            if len(_memo) >= _MEMO_SIZE:
                _memo.clear()
            _memo[key] = (active_ctx, result)
        return result

    def _expand_iri(
        self,
        active_ctx: Any,
        value: Any,
        base: Any = None,
        vocab: bool = False,
        local_ctx: Any = None,
        defined: Any = None,
    ) -> Any:
        # During context processing (local_ctx given) expansion defines terms as a side effect: not cacheable.
        if local_ctx or defined is not None or not isinstance(value, str) or not isinstance(active_ctx, frozendict):
            return super()._expand_iri(active_ctx, value, base, vocab, local_ctx, defined)
        # Terms are short; a long string is some upload's, and keeping it would let uploads fill memory.
        if len(value) > _IRI_MAX_LENGTH:
            return super()._expand_iri(active_ctx, value, base, vocab, local_ctx, defined)
        key = (id(active_ctx), value, base, vocab)
        hit = _iri_memo.get(key)
        if hit is not None and hit[0] is active_ctx:
            return hit[1]
        result = super()._expand_iri(active_ctx, value, base, vocab, local_ctx, defined)
        if len(_iri_memo) >= _IRI_MEMO_SIZE:
            _iri_memo.clear()
        _iri_memo[key] = (active_ctx, result)
        return result


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
        processor = _Processor if loader is contexts.load else jsonld.JsonLdProcessor
        result = processor(on_property_dropped=dropped).normalize(_Json(document), options)
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
    if len(items) > bounds.MAX_PROOFS:
        raise bounds.LimitExceeded("proofs", bounds.MAX_PROOFS)
    unsigned = {key: value for key, value in document.items() if key != "proof"}
    # The document's half of the signed data is the same for every proof on it: canonicalized once.
    document_hash: list[bytes] = []

    def hash_document() -> bytes:
        if not document_hash:
            document_hash.append(hashlib.sha256(canonical(unsigned, loader).encode()).digest())
        return document_hash[0]

    return [_verify_one(unsigned, proof, resolve, loader, hash_document) for proof in items]


def _verify_one(
    unsigned: Mapping[str, Any], proof: Any, resolve: KeyResolver, loader: Loader, hash_document: Callable[[], bytes]
) -> ProofCheck:
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
    options = {key: value for key, value in proof.items() if key != "proofValue"}
    options["@context"] = unsigned.get("@context")
    try:
        data = hashlib.sha256(canonical(options, loader).encode()).digest() + hash_document()
    except (ProofError, contexts.ContextError) as exc:
        return ProofCheck(False, str(exc), method, created)
    except UnicodeEncodeError:
        # JSON may escape a lone surrogate (\ud800); it has no UTF-8 form, so no signature can cover it.
        return ProofCheck(False, "a string in the credential holds a lone surrogate", method, created)
    try:
        Ed25519PublicKey.from_public_bytes(public).verify(signature, data)
    except (InvalidSignature, ValueError):
        return ProofCheck(False, "the signature does not match the credential's content", method, created)
    return ProofCheck(True, f"signed by {method}", method, created)
