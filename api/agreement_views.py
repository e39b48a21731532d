"""Mutual recognition agreements: published documents anyone may read, published by the recognizing institution."""

from __future__ import annotations

from typing import Any

from marshmallow import INCLUDE, Schema, fields

from api import auth
from api.blueprint import Blueprint
from api.operations import problems
from creditbank.runtime import current_bank
from creditbank.services.credits import agreements

blp = Blueprint("agreement", __name__, url_prefix="/api/v1", description="Mutual recognition agreements")
_ID = "<string(maxlength=64):agreement_id>"


class _Bilingual(Schema):
    zh = fields.String(required=True)
    en = fields.String(required=True)


class AgreementTermSchema(Schema):
    from_ = fields.String(
        attribute="from", data_key="from", required=True, metadata={"description": "<institution>:<course code>"}
    )
    outcome = fields.String(required=True, metadata={"description": "approved catalogue outcome code"})
    credits = fields.Float(required=True)
    completed_from = fields.String(required=True, metadata={"format": "date"})
    completed_until = fields.String(required=True, metadata={"format": "date"})


class AgreementVersionSchema(Schema):
    version = fields.String(required=True)
    hash = fields.String(required=True)
    seq = fields.Integer(required=True)


class AgreementSchema(Schema):
    id = fields.String(required=True)
    version = fields.String(required=True)
    name = fields.Nested(_Bilingual, required=True)
    parties = fields.List(fields.String(), required=True)
    recognizing = fields.String(required=True, metadata={"description": "the party that recognizes"})
    hash = fields.String(required=True, metadata={"description": "SHA-256 of the document's canonical JSON"})
    seq = fields.Integer(required=True, metadata={"description": "seq of the agreement.published entry"})
    published_by = fields.String(required=True)
    terms = fields.List(fields.Nested(AgreementTermSchema), required=True)
    versions = fields.List(fields.Nested(AgreementVersionSchema))


class AgreementListSchema(Schema):
    items = fields.List(fields.Nested(AgreementSchema), required=True)


class AgreementInputSchema(Schema):
    """The agreement document itself; the service checks every field and names each faulty place."""

    class Meta:
        unknown = INCLUDE

    id = fields.Raw(required=True)
    version = fields.Raw(required=True)


class PublicationSchema(Schema):
    id = fields.String(required=True)
    version = fields.String(required=True)
    hash = fields.String(required=True)
    seq = fields.Integer(required=True)
    reevaluated = fields.Integer(
        required=True, metadata={"description": "standing achievements that now convert by the agreement"}
    )


@blp.route("/agreements", methods=["GET"])
@blp.response(200, AgreementListSchema)
def list_agreements() -> dict[str, Any]:
    """Every published agreement version, oldest first (public: agreements are published documents)."""
    return {"items": agreements.list_agreements(current_bank())}


@blp.route(f"/agreements/{_ID}", methods=["GET"])
@blp.response(200, AgreementSchema)
@problems(blp, 404)
def get_agreement(agreement_id: str) -> dict[str, Any]:
    """The latest version of an agreement, with the versions it has had."""
    return agreements.get_agreement(current_bank(), agreement_id)


@blp.route("/agreements", methods=["POST"])
@auth.requires("records:write")
@blp.arguments(AgreementInputSchema())
@blp.response(201, PublicationSchema, description="published (an agreement.published entry)")
@blp.alt_response(200, schema=PublicationSchema, description="already published with this content; nothing appended")
@problems(blp, 400, 401, 403, 409, 413, 415, 422)
def publish_agreement(args: dict[str, Any]) -> tuple[dict[str, Any], int]:
    """Publish an agreement; the caller must be its recognizing party. Covered achievements convert by it."""
    principal = auth.principal()
    published = agreements.publish(
        current_bank(), args, source="request", actor=principal.actor, institution=principal.institution_id
    )
    body = {
        "id": published.id,
        "version": published.version,
        "hash": published.hash,
        "seq": published.seq,
        "reevaluated": published.reevaluated,
    }
    return body, 201 if published.created else 200
