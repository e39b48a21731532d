"""The issuers this bank trusts as evidence for recognition."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, fields

from api.blueprint import Blueprint
from creditbank.runtime import current_bank
from creditbank.services.recognition import trust_list

blp = Blueprint(
    "trust", __name__, url_prefix="/api/v1", description="The issuers this bank trusts as evidence for recognition"
)


class TrustMappingSchema(Schema):
    achievement = fields.String(required=True, metadata={"description": 'the issuer\'s achievement id, or "*"'})
    framework = fields.String(required=True)
    outcome = fields.String(allow_none=True, metadata={"description": "an approved catalogue outcome, if any"})
    credits = fields.String(allow_none=True, metadata={"description": "fixed credits (decimal text)"})
    credits_ratio = fields.String(
        allow_none=True, metadata={"description": "times the credential's credits (decimal text)"}
    )
    level = fields.Integer(required=True)
    category = fields.String(required=True)


class TrustedIssuerSchema(Schema):
    did = fields.String(required=True)
    name = fields.String(required=True)
    valid_from = fields.String(required=True, metadata={"description": "first day trusted (YYYY-MM-DD, UTC)"})
    valid_until = fields.String(allow_none=True, metadata={"description": "last day trusted, or null"})
    mappings = fields.List(fields.Nested(TrustMappingSchema), required=True)
    seq = fields.Integer(required=True, metadata={"description": "seq of the trust.issuer_added entry in force"})
    added_at = fields.String(required=True)


class TrustListSchema(Schema):
    items = fields.List(fields.Nested(TrustedIssuerSchema), required=True)


@blp.route("/trust")
@blp.response(200, TrustListSchema)
def list_trusted() -> dict[str, Any]:
    """The trust list: every issuer whose credentials this bank accepts as evidence, and how they count."""
    return {"items": [issuer.view() for issuer in trust_list.list_issuers(current_bank())]}
