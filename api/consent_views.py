"""Consent as an institution sees it: which learners let it read more than it recorded, what, and until when."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, fields, validate

from api import auth
from api.blueprint import Blueprint
from api.operations import problems
from creditbank.runtime import current_bank
from creditbank.services.records import consent

blp = Blueprint("consent", __name__, url_prefix="/api/v1", description="Learners' consent to read further")


class ConsentSchema(Schema):
    seq = fields.Integer(required=True, metadata={"description": "ledger seq of the consent.granted entry"})
    learner = fields.String(required=True, metadata={"description": "the learner's pseudonymous id"})
    institution = fields.String(required=True)
    scope = fields.String(
        required=True,
        validate=validate.OneOf(sorted(consent.SCOPES)),
        metadata={"description": "; ".join(f"{name}: {what}" for name, what in sorted(consent.SCOPES.items()))},
    )
    granted_at = fields.String(required=True)
    expires_at = fields.String(required=True)
    state = fields.String(required=True, validate=validate.OneOf(("active", "expired", "withdrawn")))
    withdrawn_seq = fields.Integer()


class ConsentListSchema(Schema):
    items = fields.List(fields.Nested(ConsentSchema), required=True)


@blp.route("/consents")
@auth.requires("records:read")
@blp.response(200, ConsentListSchema)
@problems(blp, 401, 403)
def list_consents() -> dict[str, Any]:
    """The live consent grants learners gave the caller (learners give and withdraw them in the portal)."""
    return {"items": consent.for_institution(current_bank(), auth.principal().institution_id)}
