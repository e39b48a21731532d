"""Credentials: issuing, fetching (JSON and PDF), verifying, the DID document and the status lists."""

from __future__ import annotations

from typing import Any

from flask import Response, jsonify, request

from api import auth
from api.blueprint import Blueprint
from api.credential_schemas import CredentialQuery, IssuedSchema, IssueInputSchema, ReportSchema
from api.operations import problems
from creditbank import verify_input
from creditbank.errors import InvalidInput
from creditbank.runtime import current_bank
from creditbank.services import credentials
from creditbank.services.credentials import credential_keys

blp = Blueprint("credentials", __name__, url_prefix="/api/v1", description="Verifiable credentials and verification")
public = Blueprint("credential_documents", __name__, description="did:web document and status lists")
_ID = "<string(maxlength=64):credential_id>"
CREDENTIAL_MEDIA_TYPE = credentials.CREDENTIAL_MEDIA_TYPE
# A DID document as DID Core's JSON-LD representation.
DID_MEDIA_TYPE = "application/did+ld+json"
_JSON_OBJECT = {"content": {"application/json": {"schema": {"type": "object"}}}}
_LANGUAGE_ORDER = {
    "in": "query",
    "name": "lang",
    "required": False,
    "schema": {"type": "string", "enum": list(credentials.LANGUAGE_ORDERS)},
    "description": "which of the document's two languages comes first: one starting zh puts Chinese first, any "
    "other the second language (default: the order chosen at issuance; the languages themselves stay as issued)",
}


@blp.route("/learners/<pid:learner_id>/credentials", methods=["POST"])
@auth.requires(credentials.ISSUE_SCOPE)
@blp.arguments(IssueInputSchema())
@blp.response(201, IssuedSchema, description="issued and recorded (a credential.issued entry)")
@problems(blp, 400, 401, 403, 404, 409, 413, 415, 422, 429)
def issue_credential(args: dict[str, Any], learner_id: str) -> tuple[dict[str, Any], int]:
    """Issue a signed credential for an achievement this institution recorded, or a transcript of them."""
    principal = auth.principal()
    if args["kind"] == "achievement" and not args.get("achievement"):
        raise InvalidInput(
            "name the achievement to issue for", errors={"achievement": ["required for kind achievement"]}
        )
    wanted = credentials.Request(learner_id, args["kind"], args.get("achievement"), args["language_order"])
    credentials.spend_render(current_bank(), "institution", principal.institution_id)
    return credentials.issue(current_bank(), principal, wanted), 201


@blp.route(f"/credentials/{_ID}")
@auth.requires("records:read")
@blp.arguments(CredentialQuery(), location="query")
@blp.doc(
    responses={
        "200": {
            "description": "the signed credential (or, with receipt=true, the credential and its receipt)",
            "content": {
                CREDENTIAL_MEDIA_TYPE: {"schema": {"type": "object"}},
                "application/json": {"schema": {"type": "object"}},
            },
        }
    },
)
@problems(blp, 401, 403, 404, 422)
def get_credential(args: dict[str, Any], credential_id: str) -> Response:
    """A credential this institution issued."""
    principal = auth.principal()
    bank = current_bank()
    if args["receipt"]:
        return jsonify(credentials.bundle(bank, principal, credential_id))
    response = jsonify(credentials.document(bank, principal, credential_id))
    response.mimetype = CREDENTIAL_MEDIA_TYPE
    return response


@blp.route(f"/credentials/{_ID}/receipt")
@auth.requires("records:read")
@blp.doc(
    responses={"200": {"description": "the credential's receipt: its ledger entry and the proof of it", **_JSON_OBJECT}}
)
@problems(blp, 401, 403, 404)
def get_credential_receipt(credential_id: str) -> Response:
    """The receipt of a credential this institution issued, as a file of its own beside the credential."""
    bundle = credentials.bundle(current_bank(), auth.principal(), credential_id)
    return jsonify(bundle["receipt"])


@blp.route(f"/credentials/{_ID}/pdf")
@auth.requires("records:read")
@blp.doc(
    parameters=[_LANGUAGE_ORDER],
    responses={
        "200": {
            "description": "the PDF certificate or transcript, with the credential and receipt attached",
            "content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}},
        }
    },
)
# 409: the PDF prints the holder's name, which is gone once the learner is erased (and a credential issued before the
# PDF's rows were kept is drawn from the record as it stands, which a revoked achievement no longer offers); the
# signed credential itself stays available.
@problems(blp, 401, 403, 404, 409, 422, 429)
def get_credential_pdf(credential_id: str) -> Response:
    """The credential as a bilingual PDF (PDF/A-3b)."""
    principal = auth.principal()
    order = request.args.get("lang")
    if order is not None and order not in credentials.LANGUAGE_ORDERS:
        raise InvalidInput(
            "lang must be a language order such as zh-en or fr-zh", errors={"lang": ["not a language order"]}
        )
    credentials.spend_render(current_bank(), "institution", principal.institution_id)
    data = credentials.pdf(current_bank(), principal, credential_id, order)
    named = credentials.content_disposition(current_bank(), principal, credential_id, "pdf", disposition="inline")
    return Response(data, mimetype="application/pdf", headers={"Content-Disposition": named})


_HOLDER = [
    {
        "in": "query",
        "name": name,
        "required": False,
        "schema": {"type": "string"},
        "description": f"{what} (also a form field, or the {header} header); give both or neither",
    }
    for name, what, header in (
        ("name", "the holder's name, to compare with the credential", "X-Holder-Name"),
        ("birth_date", "the holder's birth date (1952-10-03 or 1952年10月3日)", "X-Holder-Birth-Date"),
    )
]
_UPLOAD = {
    "required": True,
    "description": "the PDF certificate, JSON credential or baked badge (PNG, SVG), at most "
    f"{verify_input.LIMIT // (1024 * 1024)} MiB",
    "content": {
        "application/pdf": {"schema": {"type": "string", "format": "binary"}},
        # A baked Open Badge: the signed credential inside the picture.
        "image/png": {"schema": {"type": "string", "format": "binary"}},
        "image/svg+xml": {"schema": {"type": "string", "format": "binary"}},
        # Any bytes are taken: what is not a credential is reported (200) as a failed format check, not refused.
        "application/json": {"schema": {}},
        "application/octet-stream": {"schema": {"type": "string", "format": "binary"}},
        "multipart/form-data": {
            "schema": {
                "type": "object",
                "properties": {
                    "file": {"type": "string", "format": "binary"},
                    "json": {"type": "string", "description": "the credential pasted as text (when no file)"},
                    "name": {"type": "string"},
                    "birth_date": {"type": "string"},
                },
            }
        },
    },
}


@blp.route("/verify", methods=["POST"])
@blp.doc(parameters=_HOLDER, requestBody=_UPLOAD)
@blp.response(200, ReportSchema, description="the report: valid or not, and every check with its reason")
@problems(blp, 400, 413, 422)
def verify_credential() -> dict[str, Any]:
    """Verify a credential — a PDF or JSON, as multipart `file` or the raw body. No account needed."""
    upload = verify_input.read(request)
    return credentials.verify(current_bank(), upload.data, upload.identity, refuse_duplicate_keys=True)


@public.route("/.well-known/did.json")
@public.doc(
    responses={
        "200": {
            "description": "the bank's did:web document: credential keys (current and retired), log key",
            "content": {DID_MEDIA_TYPE: {"schema": {"type": "object"}}},
        }
    }
)
def did_document() -> Response:
    response = jsonify(credential_keys.did_document(current_bank()))
    # The JSON-LD representation of a DID document has its own media type (DID Core); resolvers fetch it often, so
    # it may be cached for minutes and revalidated cheaply: keys change rarely and a rotation can wait that long.
    response.mimetype = DID_MEDIA_TYPE
    response.headers["Cache-Control"] = "public, max-age=300"
    return _conditional(response)


@public.route("/status/<string(maxlength=40):name>")
@public.doc(
    responses={
        "200": {
            "description": "a signed BitstringStatusListCredential",
            "content": {CREDENTIAL_MEDIA_TYPE: {"schema": {"type": "object"}}},
        },
        "304": {"description": "not modified since the ETag given in If-None-Match"},
    }
)
@problems(public, 404)
def status_list(name: str) -> Response:
    response = jsonify(credentials.status_list(current_bank(), name))
    response.mimetype = CREDENTIAL_MEDIA_TYPE
    # A minute: a revocation reaches verifiers that soon, and one that polls revalidates with its ETag for free.
    response.headers["Cache-Control"] = "public, max-age=60"
    return _conditional(response)


def _conditional(response: Response) -> Response:
    """A strong ETag of the exact bytes, and 304 Not Modified for an If-None-Match that names it."""
    response.add_etag()
    return response.make_conditional(request)
