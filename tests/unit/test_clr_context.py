"""The project's own CLR 2.0 context must mean exactly what the published one means.

No package ships the CLR 2.0.1 context, so the project carries its own file under the published URL. Signatures made
with rdfc canonicalization cover the expanded meaning, so any difference, even an odd-looking one, would make the
project's signatures fail elsewhere (and other issuers' fail here). Each document is expanded and canonicalized once
with the published file and once with the project's, both served under the same URL, with no network.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from pyld import jsonld

from certificates.status_list import status_entry
from tests.vectors import vectors_dir

VC_V2 = "https://www.w3.org/ns/credentials/v2"
OB_V3 = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
CLR_V2 = "https://purl.imsglobal.org/spec/clr/v2p0/context-2.0.1.json"
CLR = "https://purl.imsglobal.org/spec/vc/clr/vocab.html#"

PROJECT_FILE = Path(__file__).resolve().parents[2] / "certificates" / "data" / "clr-2.0.json"
PUBLISHED_DIR = vectors_dir() / "contexts"

Loader = Callable[..., dict[str, Any]]


def read(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


PUBLISHED_CLR = read(PUBLISHED_DIR / "clr-2.0.1.json")
PROJECT_CLR = read(PROJECT_FILE)
OTHERS = {VC_V2: read(PUBLISHED_DIR / "credentials-v2.jsonld"), OB_V3: read(PUBLISHED_DIR / "ob-3.0.3.json")}


class UnknownContext(LookupError):
    pass


def static_loader(clr_document: Any) -> Loader:
    documents = {**OTHERS, CLR_V2: clr_document}

    # PyLD 3.3 calls documentLoader(url, options) positionally (jsonld.load_document); the default keeps older
    # single-argument callers working. A fresh copy each time because PyLD may rewrite context URLs in place.
    def loader(url: str, options: Any = None) -> dict[str, Any]:
        if url not in documents:
            raise UnknownContext(f"no local copy of {url}; this test never fetches")
        return {"contextUrl": None, "documentUrl": url, "document": copy.deepcopy(documents[url])}

    return loader


PUBLISHED = static_loader(PUBLISHED_CLR)
PROJECT = static_loader(PROJECT_CLR)


@pytest.fixture(autouse=True)
def no_default_loader() -> Iterator[None]:
    """Should a call here ever forget its documentLoader, PyLD's default would go to the network: make it fail."""

    def refuse(url: str, options: Any = None) -> dict[str, Any]:
        raise AssertionError(f"PyLD tried its default document loader for {url}")

    saved = jsonld.get_document_loader()
    jsonld.set_document_loader(refuse)
    try:
        yield
    finally:
        jsonld.set_document_loader(saved)


def expand(document: dict[str, Any], loader: Loader) -> Any:
    return jsonld.expand(copy.deepcopy(document), {"documentLoader": loader})


def canonical(document: dict[str, Any], loader: Loader) -> str:
    options = {"algorithm": "URDNA2015", "format": "application/n-quads", "documentLoader": loader}
    result: str = jsonld.normalize(copy.deepcopy(document), options)
    return result


# --- documents -------------------------------------------------------------------------------------------------------

ISSUER = {"id": "did:web:bank.example", "type": ["Profile"], "name": "Lifelong Learning Credit Bank"}


def data_integrity_proof(created: str, value: str) -> dict[str, Any]:
    return {
        "type": "DataIntegrityProof",
        "cryptosuite": "eddsa-rdfc-2022",
        "created": created,
        "verificationMethod": "did:web:bank.example#key-1",
        "proofPurpose": "assertionMethod",
        "proofValue": value,
    }


def achievement(number: int, name: str) -> dict[str, Any]:
    return {
        "id": f"https://bank.example/achievements/{number}",
        "type": ["Achievement"],
        "name": name,
        "description": f"Completed {name} with a passing grade.",
        "criteria": {"narrative": f"Pass the final assessment of {name}."},
        "achievementType": "Course",
        "creditsAvailable": 3.0,
        "fieldOfStudy": "Computer Science",
    }


def badge(number: int, name: str) -> dict[str, Any]:
    return {
        "@context": [VC_V2, OB_V3],
        "id": f"urn:uuid:00000000-0000-4000-8000-00000000000{number}",
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "issuer": ISSUER,
        "validFrom": "2024-06-30T00:00:00Z",
        "name": name,
        "credentialSubject": {
            "id": "did:example:learner-7",
            "type": ["AchievementSubject"],
            "achievement": achievement(number, name),
            "creditsEarned": 3.0,
            "result": [{"type": ["Result"], "value": "A"}],
        },
        "proof": [data_integrity_proof("2024-06-30T00:00:01Z", f"z3Badge{number}Signature")],
    }


def minimal_clr() -> dict[str, Any]:
    return {
        "@context": [VC_V2, CLR_V2],
        "id": "https://bank.example/clr/1",
        "type": ["VerifiableCredential", "ClrCredential"],
        "issuer": "did:web:bank.example",
        "validFrom": "2025-01-15T09:00:00Z",
        "name": "Transcript",
        "credentialSubject": {"type": ["ClrSubject"], "verifiableCredential": [badge(1, "Algorithms")]},
    }


def full_clr() -> dict[str, Any]:
    first, second = badge(1, "Algorithms"), badge(2, "Databases")
    return {
        "@context": [VC_V2, CLR_V2, OB_V3],
        "id": "https://bank.example/clr/2",
        "type": ["VerifiableCredential", "ClrCredential"],
        "issuer": ISSUER,
        "validFrom": "2025-01-15T09:00:00Z",
        "validUntil": "2035-01-15T09:00:00Z",
        "name": "Comprehensive learner record",
        "description": "Courses recognised by the credit bank so far.",
        "partial": True,
        "credentialSubject": {
            "id": "did:example:learner-7",
            "type": ["ClrSubject"],
            "identifier": [
                {
                    "type": "IdentityObject",
                    "hashed": False,
                    "identityHash": "2024-000123",
                    "identityType": "studentId",
                }
            ],
            "achievement": [achievement(1, "Algorithms"), achievement(2, "Databases")],
            "verifiableCredential": [first, second],
            "association": [
                {
                    "type": "Association",
                    "associationType": "precedes",
                    "sourceId": "https://bank.example/achievements/1",
                    "targetId": "https://bank.example/achievements/2",
                }
            ],
        },
        "credentialStatus": status_entry("https://bank.example/status/1", 4242, "revocation"),
        "credentialSchema": [
            {
                "id": "https://purl.imsglobal.org/spec/clr/v2p0/schema/json/clr_v2p0_clrcredential_schema.json",
                "type": "1EdTechJsonSchemaValidator2019",
            }
        ],
        "proof": [data_integrity_proof("2025-01-15T09:00:01Z", "z5ClrSignature")],
    }


def every_term_clr() -> dict[str, Any]:
    """Each CLR term at least once, and each type-coerced property also with a bare string, where coercion bites."""
    document = full_clr()
    subject = document["credentialSubject"]
    subject["identifier"].append("2024-000123")
    subject["achievement"].append("https://bank.example/achievements/3")
    subject["verifiableCredential"].append("https://bank.example/credentials/elsewhere")
    subject["association"] += [
        {
            "id": "urn:uuid:00000000-0000-4000-8000-0000000000a2",
            "type": ["Association"],
            "associationType": "isChildOf",
            "sourceId": "https://bank.example/achievements/2",
            "targetId": "https://bank.example/achievements/3",
        },
        "urn:uuid:00000000-0000-4000-8000-0000000000a3",
    ]
    # The two prefixes the ClrSubject context declares, used the way an extension would use them.
    subject["obi:extensionNote"] = "recognised under the credit bank rules of 2025"
    subject["cred:holderNote"] = "exported by the learner"
    return document


def onedtech_vector_clr() -> dict[str, Any]:
    """A CLR whose canonical N-Quads are 1EdTech's published test vector (clrv2p0/document-canon.txt)."""
    university = {"id": "https://example.edu/issuers/565049", "type": ["Profile"], "name": "Example University"}
    subject = "did:example:ebfeb1f712ebc6f1c276e12ec21"
    validator = "https://purl.imsglobal.org/spec/vccs/v1p0/context.json#1EdTechJsonSchemaValidator2019"
    signature = "z45QnLySMt2mWuW787G6cf3SLkP97ZkMZxLeXH5yaaTQPCtTup4GCV95tU8HEnQJSyGCokSj3AvUhmJtvveTmN4Vu"

    def sample(uuid: str, label: str) -> dict[str, Any]:
        return {
            "id": f"urn:uuid:{uuid}",
            "type": ["Achievement"],
            "criteria": {"id": f"https://example.edu/achievements/{uuid}/criteria"},
            "creator": university,
            "image": {"id": "https://example.edu/achievements/sample.png", "type": "Image"},
            "description": label,
            "name": label,
        }

    first = sample("a7467ef6-56cb-11ec-bf63-0242ac130002", "Achievement 1")
    second = sample("dd887f0a-56cb-11ec-bf63-0242ac130002", "Achievement 2")
    return {
        "@context": [VC_V2, CLR_V2, OB_V3],
        "id": "http://example.edu/credentials/3732",
        "type": ["VerifiableCredential", "ClrCredential"],
        "issuer": university,
        "validFrom": "2010-01-01T00:00:00Z",
        "name": "Sample Transcript",
        "credentialSubject": {
            "id": subject,
            "type": ["ClrSubject"],
            "verifiableCredential": [
                {
                    "@context": [VC_V2, OB_V3],
                    "id": "urn:uuid:91537dba-56cb-11ec-bf63-0242ac130002",
                    "type": ["VerifiableCredential", "OpenBadgeCredential"],
                    "issuer": university,
                    "validFrom": "2010-01-01T00:00:00Z",
                    "name": "Example University Degree",
                    "credentialSubject": {"id": subject, "type": ["AchievementSubject"], "achievement": first},
                    "credentialSchema": [
                        {
                            "id": "https://purl.imsglobal.org/spec/ob/v3p0/schema/json/ob_v3p0_achievementcredential_schema.json",
                            "type": validator,
                        }
                    ],
                    "proof": [
                        {
                            "type": "DataIntegrityProof",
                            "created": "2010-01-01T19:23:24Z",
                            "verificationMethod": "https://example.edu/issuers/565049#z6MkjZRZv3aez3r18pB1RBFJR1kwUVJ5jHt92JmQwXbd5hwi",
                            "cryptosuite": "eddsa-rdfc-2022",
                            "proofPurpose": "assertionMethod",
                            "proofValue": signature,
                        }
                    ],
                }
            ],
            "achievement": [first, second],
            "association": [
                {
                    "type": "Association",
                    "associationType": "isParentOf",
                    "sourceId": first["id"],
                    "targetId": second["id"],
                }
            ],
        },
        "credentialSchema": [
            {
                "id": "https://purl.imsglobal.org/spec/clr/v2p0/schema/json/clr_v2p0_clrcredential_schema.json",
                "type": validator,
            }
        ],
    }


DOCUMENTS = {
    "minimal": minimal_clr,
    "full": full_clr,
    "every-term": every_term_clr,
    "1edtech-vector": onedtech_vector_clr,
}


# --- walking context definitions -------------------------------------------------------------------------------------


def _expand_iri(value: Any, prefixes: dict[str, str]) -> Any:
    if not isinstance(value, str) or value.startswith("@") or ":" not in value:
        return value
    prefix, suffix = value.split(":", 1)
    if prefix in prefixes and not suffix.startswith("//"):
        return prefixes[prefix] + suffix
    return value


def definitions(
    context: dict[str, Any], scope: tuple[str, ...] = (), inherited: dict[str, str] | None = None
) -> dict[tuple[str, ...], Any]:
    """Every term (and context keyword such as @protected) by scope path, with compact IRIs expanded.

    Scoped contexts are walked too, keyed by the path of terms that carry them, so a term that moves to another
    scope, or disappears from one, shows up as a difference.
    """
    prefixes = dict(inherited or {})
    prefixes.update(
        {term: iri for term, iri in context.items() if isinstance(iri, str) and iri.endswith(("#", "/", ":"))}
    )
    found: dict[tuple[str, ...], Any] = {}
    for term, value in context.items():
        if term.startswith("@"):
            found[(*scope, term)] = value
            continue
        definition = {"@id": value} if isinstance(value, str) else dict(value)
        scoped = definition.pop("@context", None)
        found[(*scope, term)] = {
            key: _expand_iri(item, prefixes) if key in ("@id", "@type", "@reverse") else item
            for key, item in definition.items()
        }
        if scoped is not None:
            assert isinstance(scoped, dict), f"{term}: only inline scoped contexts are expected"
            found.update(definitions(scoped, (*scope, term), prefixes))
    return found


PUBLISHED_TERMS = definitions(PUBLISHED_CLR["@context"])
PROJECT_TERMS = definitions(PROJECT_CLR["@context"])


# --- tests -----------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("make", DOCUMENTS.values(), ids=DOCUMENTS.keys())
def test_expansion_is_identical(make: Callable[[], dict[str, Any]]) -> None:
    document = make()
    published = expand(document, PUBLISHED)
    assert expand(document, PROJECT) == published
    assert CLR + "ClrSubject" in json.dumps(published)


@pytest.mark.parametrize("make", DOCUMENTS.values(), ids=DOCUMENTS.keys())
def test_canonical_nquads_are_identical(make: Callable[[], dict[str, Any]]) -> None:
    document = make()
    published = canonical(document, PUBLISHED)
    assert f"<{CLR}ClrCredential>" in published
    assert canonical(document, PROJECT) == published


def test_the_1edtech_canonical_vector_is_reproduced() -> None:
    expected = (vectors_dir() / "1edtech-ob3" / "clrv2p0" / "document-canon.txt").read_text(encoding="utf-8")
    assert canonical(onedtech_vector_clr(), PROJECT) == expected


def test_every_published_term_is_defined_alike() -> None:
    mismatched = {
        ".".join(path): (definition, PROJECT_TERMS.get(path, "missing"))
        for path, definition in PUBLISHED_TERMS.items()
        if PROJECT_TERMS.get(path) != definition
    }
    assert not mismatched, f"terms the project's CLR context defines differently or not at all: {mismatched}"
    # Walking finds the scoped terms too, not just the three type names at the top.
    assert ("ClrSubject", "verifiableCredential") in PUBLISHED_TERMS
    assert ("Association", "targetId") in PUBLISHED_TERMS


def test_the_project_defines_nothing_extra() -> None:
    extra = sorted(".".join(path) for path in PROJECT_TERMS.keys() - PUBLISHED_TERMS.keys())
    assert not extra, f"terms the published CLR context does not define: {extra}"


def processed(context: dict[str, Any]) -> dict[tuple[str, ...], dict[str, Any]]:
    """PyLD's own term definitions, scope by scope: a second opinion on the hand-written walk above."""
    processor = jsonld.JsonLdProcessor()
    # Called directly, PyLD assumes JSON-LD 1.0, which has no scoped contexts; expand() defaults to 1.1.
    options = {"documentLoader": PROJECT, "processingMode": "json-ld-1.1"}
    found: dict[tuple[str, ...], dict[str, Any]] = {}

    def walk(active: dict[str, Any], local: dict[str, Any], scope: tuple[str, ...]) -> None:
        current = processor.process_context(active, local, options)
        for term in local:
            if term.startswith("@"):
                continue
            mapping = dict(current["mappings"][term])
            scoped = mapping.pop("@context", None)
            found[(*scope, term)] = mapping
            if scoped is not None:
                walk(current, scoped, (*scope, term))

    walk(processor.process_context(None, None, options), context, ())
    return found


def test_pyld_sees_the_same_definitions() -> None:
    assert processed(PROJECT_CLR["@context"]) == processed(PUBLISHED_CLR["@context"])


MUTABLE = sorted(
    path for path, definition in PROJECT_TERMS.items() if isinstance(definition, dict) and "@" not in definition["@id"]
)


@pytest.mark.parametrize("path", MUTABLE, ids=[".".join(path) for path in MUTABLE])
def test_every_term_document_exercises_each_term(path: tuple[str, ...]) -> None:
    """Changing any one IRI in the project's file must change the expansion, else the documents above prove little."""
    mutant = copy.deepcopy(PROJECT_CLR)
    context = mutant["@context"]
    for step in path[:-1]:
        context = context[step]["@context"]
    term = path[-1]
    if isinstance(context[term], str):
        context[term] += "-mutated"
    else:
        context[term]["@id"] += "-mutated"
    document = every_term_clr()
    assert expand(document, static_loader(mutant)) != expand(document, PUBLISHED)


def test_published_quirks_are_kept() -> None:
    """Odd-looking parts of the published file that a tidier context would silently change.

    The published context never binds an ``xsd`` prefix, so ``xsd:boolean`` and ``xsd:anyURI`` stay literal IRIs
    with the scheme "xsd" (1EdTech's own canonical vector contains ``^^<xsd:anyURI>``). Writing the full XML Schema
    IRIs instead would read better and break every signature over a CLR that uses partial, sourceId or targetId.
    """
    nquads = canonical(every_term_clr(), PROJECT)
    assert f'<{CLR}partial> "true"^^<xsd:boolean>' in nquads
    assert f'<{CLR}sourceId> "https://bank.example/achievements/1"^^<xsd:anyURI>' in nquads
    assert f"<{CLR}identifier-1>" in nquads
    assert f"<{CLR}AssociationType>" in nquads


def test_an_unknown_context_is_refused_not_fetched() -> None:
    document = {"@context": [VC_V2, "https://contexts.example/unknown.jsonld"], "name": "x"}
    with pytest.raises(jsonld.JsonLdError) as raised:
        expand(document, PROJECT)
    causes = []
    error: BaseException | None = raised.value
    while error is not None:
        causes.append(error)
        error = error.__cause__ or error.__context__
    assert any(isinstance(cause, UnknownContext) for cause in causes)


def test_the_project_context_stands_alone() -> None:
    document = {
        "@context": CLR_V2,
        "type": "Association",
        "associationType": "exactMatchOf",
        "sourceId": "urn:example:a",
        "targetId": "urn:example:b",
    }
    assert expand(document, PROJECT) == expand(document, PUBLISHED)
