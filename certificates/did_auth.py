"""DID Authentication: a presentation a wallet signs with Ed25519Signature2020 to show it controls a ``did:key``.

A VC-API exchange asks the wallet for one (a ``DIDAuthentication`` query with a challenge and a domain); the wallet
answers with a ``VerifiablePresentation`` whose proof has purpose ``authentication`` and repeats both. The signed
data is that of every Linked Data signature suite: SHA-256 of the URDNA2015 form of the proof options (the proof
without ``proofValue``, under the document's ``@context``) followed by SHA-256 of the form of the document without
its proof; ``proofValue`` is the Ed25519 signature in multibase base58btc.

The presentation comes from whoever holds an exchange's address, so its size is bounded before any JSON-LD work: a
DID Authentication is a handful of objects, and a handful of blank nodes cannot make canonicalization slow. The DID
is resolved here, from the key its name carries (did:key, Ed25519), never over the network; contexts are the pinned
local ones (certificates.contexts) and the two a wallet adds, read from their npm packages and pinned below, each
named by URL: a presentation that defines terms of its own is refused.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any, Final

import rfc8785
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from certificates import contexts
from certificates.multibase import MultibaseError, decode_z, public_key_bytes
from certificates.proofs import ProofError, canonical

VC_V1: Final = "https://www.w3.org/2018/credentials/v1"
ED25519_2020: Final = "https://w3id.org/security/suites/ed25519-2020/v1"
PROOF_TYPE: Final = "Ed25519Signature2020"
PURPOSE: Final = "authentication"

_NODE_MODULES = Path(__file__).resolve().parent.parent / "node_modules"
# The wallet's contexts: each file from the npm package locked in package-lock.json, pinned by the SHA-256 of its
# JCS form like the contexts in certificates.context_pins.
_FILES: Final = {
    VC_V1: (
        _NODE_MODULES / "@digitalbazaar" / "credentials-context" / "contexts" / "v1.jsonld",
        "b01e671e873981f19a9102a9a57f666dbcaeb31b99e3e124378d143e71549247",
    ),
    ED25519_2020: (
        _NODE_MODULES / "ed25519-signature-2020-context" / "contexts" / "ed25519-signature-2020-v1.jsonld",
        "fb517f09d990829aed734c9bad8cbbb2ac3d5063b865c7e3d81f246074bf5691",
    ),
}

# Bounds on the presentation, counted on the parsed JSON before canonicalization. A wallet's DID Authentication has
# four objects (presentation, proof, and the two context arrays' neighbours) and a depth of three.
MAX_OBJECTS: Final = 12
MAX_DEPTH: Final = 5
MAX_STRING: Final = 2_048
# A wallet's clock may run a little ahead of the bank's.
CLOCK_SKEW: Final = timedelta(minutes=5)


# The signature covers the RDF graph, while challenge, domain and key are read from the JSON. A context of the
# presentation's own can make the two differ (a term aliased to @index, or to a blank-node property, drops the JSON's
# challenge from the graph while another term carries the challenge that was signed), so a presentation signed for
# one exchange would pass for any other. Published contexts are protected and give each of those terms its one
# meaning; only they are read, by URL.
_OWN_TERMS: Final = (
    "the presentation defines JSON-LD terms of its own (an inline @context): only published contexts, named by URL, "
    "are read, so that what its JSON says is what was signed"
)


class Refused(Exception):
    """The presentation does not authenticate its holder for this exchange; ``str()`` says why, in plain words."""


@cache
def _wallet_contexts() -> Mapping[str, Any]:
    documents: dict[str, Any] = {}
    for url, (path, pin) in _FILES.items():
        try:
            document = json.loads(path.read_bytes())
        except FileNotFoundError:
            raise contexts.ContextError(f"{path} is missing: run the set-up (`make setup`) to install it") from None
        if hashlib.sha256(rfc8785.dumps(document)).hexdigest() != pin:
            raise contexts.ContextError(f"the installed context {url} differs from the pinned one (sha256 {pin})")
        documents[url] = document
    return documents


def load(url: str, options: Any = None) -> dict[str, Any]:
    """A PyLD document loader for presentations: the pinned contexts of credentials and the wallet's two."""
    document = _wallet_contexts().get(url)
    if document is None:
        return contexts.load(url, options)
    return {"contextUrl": None, "documentUrl": url, "document": document, "tag": "static"}


def did_key_public(verification_method: str) -> tuple[str, bytes]:
    """The DID and raw Ed25519 public key of a ``did:key:z6Mk...#z6Mk...`` verification method, resolved locally."""
    did, _, fragment = verification_method.partition("#")
    if not did.startswith("did:key:") or fragment != did.removeprefix("did:key:"):
        raise Refused("the proof's verification method is not a did:key key (did:key:z6Mk…#z6Mk…)")
    try:
        return did, public_key_bytes(fragment)
    except MultibaseError:
        raise Refused("the did:key is not an Ed25519 public key (multicodec 0xed01)") from None


def _check_text(text: str) -> None:
    # JSON may escape half a UTF-16 pair ("\ud800"); no UTF-8 form exists to canonicalize, compare or sign.
    if not text.isascii():
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            raise Refused("the presentation holds a lone surrogate (such as \\ud800), which is no text") from None


def _check_shape(document: Any) -> None:
    objects = 0
    level: list[Any] = [document]
    depth = 0
    while level:
        depth += 1
        if depth > MAX_DEPTH:
            raise Refused(f"the presentation is nested deeper than {MAX_DEPTH} levels")
        below: list[Any] = []
        for item in level:
            if isinstance(item, dict):
                objects += 1
                if depth > 1 and "@context" in item:
                    raise Refused(_OWN_TERMS)
                for key in item:
                    _check_text(key)
                below.extend(item.values())
            elif isinstance(item, list):
                below.extend(item)
            elif isinstance(item, str):
                if len(item) > MAX_STRING:
                    raise Refused(f"the presentation holds a value longer than {MAX_STRING} characters")
                _check_text(item)
        if objects > MAX_OBJECTS:
            raise Refused(f"the presentation holds more than {MAX_OBJECTS} objects: only DID authentication is asked")
        level = below


def _moment(value: Any, name: str) -> datetime:
    if not isinstance(value, str) or not value.endswith("Z") or "T" not in value:
        raise Refused(f"the proof's {name} is not a UTC date and time (…T…Z)")
    try:
        moment = datetime.fromisoformat(value[:-1] + "+00:00")
    except ValueError:
        raise Refused(f"the proof's {name} is not a date and time") from None
    return moment


def verify(presentation: Any, *, challenge: str, domain: str, now: datetime | None = None) -> str:
    """The holder DID the presentation authenticates, after checking its shape, challenge, domain, dates and
    signature; :class:`Refused` otherwise."""
    now = now or datetime.now(UTC)
    if not isinstance(presentation, dict):
        raise Refused("the presentation is not a JSON object")
    _check_shape(presentation)
    context = presentation.get("@context")
    if not isinstance(context, list) or not context or context[0] not in (VC_V1, contexts.VC_V2):
        raise Refused("the presentation's @context does not start with a Verifiable Credentials context")
    if not all(isinstance(item, str) for item in context):
        raise Refused(_OWN_TERMS)
    kinds = presentation.get("type")
    if kinds != "VerifiablePresentation" and not (isinstance(kinds, list) and "VerifiablePresentation" in kinds):
        raise Refused("the presentation's type is not VerifiablePresentation")
    if "verifiableCredential" in presentation:
        raise Refused("the presentation carries credentials: only DID authentication is asked")
    proof = presentation.get("proof")
    if isinstance(proof, list):
        if len(proof) != 1:
            raise Refused("the presentation must carry exactly one proof")
        proof = proof[0]
    if proof is None:
        raise Refused("the presentation is not signed")
    if not isinstance(proof, dict):
        raise Refused("the presentation's proof is not an object")
    if proof.get("type") != PROOF_TYPE:
        raise Refused(f"the proof is not an {PROOF_TYPE} proof")
    if proof.get("proofPurpose") != PURPOSE:
        raise Refused("the proof's purpose is not authentication")
    sent_challenge, sent_domain = proof.get("challenge"), proof.get("domain")
    if not isinstance(sent_challenge, str) or not hmac.compare_digest(sent_challenge.encode(), challenge.encode()):
        raise Refused("the proof does not answer this exchange's challenge")
    if sent_domain != domain:
        raise Refused("the proof names another domain than this bank's")
    method = proof.get("verificationMethod")
    if not isinstance(method, str):
        raise Refused("the proof names no verification method")
    did, public = did_key_public(method)
    if presentation.get("holder") not in (None, did):
        raise Refused("the presentation's holder is not the DID that signed it")
    if _moment(proof.get("created"), "created") > now + CLOCK_SKEW:
        raise Refused("the proof was created in the future")
    if "expires" in proof and _moment(proof["expires"], "expires") <= now:
        raise Refused("the proof has expired")
    value = proof.get("proofValue")
    try:
        signature = decode_z(value) if isinstance(value, str) else b""
    except MultibaseError:
        signature = b""
    if len(signature) != 64:
        raise Refused("the proof value is not a base58btc Ed25519 signature")
    unsigned = {key: item for key, item in presentation.items() if key != "proof"}
    options = {key: item for key, item in proof.items() if key != "proofValue"}
    options["@context"] = context
    try:
        data = (
            hashlib.sha256(canonical(options, load).encode()).digest()
            + hashlib.sha256(canonical(unsigned, load).encode()).digest()
        )
    except ProofError as exc:
        raise Refused(f"the presentation cannot be read as JSON-LD: {exc}") from None
    try:
        Ed25519PublicKey.from_public_bytes(public).verify(signature, data)
    except InvalidSignature:
        raise Refused("the signature does not verify with the holder's key") from None
    return did
