"""Marshmallow schemas for the HTTP edge: what requests may carry and what responses promise."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from api.fields import QueryInteger
from creditbank.services.records.institutions import INSTITUTION_TYPES


class InclusionQuery(Schema):
    seq = QueryInteger(required=True, validate=validate.Range(min=0))
    size = QueryInteger(required=True, validate=validate.Range(min=1))


class ConsistencyQuery(Schema):
    from_ = QueryInteger(required=True, data_key="from", validate=validate.Range(min=1))
    to = QueryInteger(required=True, validate=validate.Range(min=1))


class PublicEntrySchema(Schema):
    seq = fields.Integer(required=True)
    kind = fields.String(required=True)
    time = fields.String(required=True)
    actor = fields.String(required=True)
    commitment = fields.String(required=True, metadata={"description": "base64 SHA-256(salt ‖ JCS(body))"})


class EntryResponse(Schema):
    seq = fields.Integer(required=True)
    entry = fields.Nested(PublicEntrySchema, required=True)
    leaf_hash = fields.String(required=True, metadata={"description": "base64 SHA-256(0x00 ‖ JCS(entry))"})
    body = fields.Dict(metadata={"description": "private body, only for the institution that wrote the entry"})
    salt = fields.String(metadata={"description": "base64 commitment salt, with the body"})


class InclusionResponse(Schema):
    seq = fields.Integer(required=True)
    size = fields.Integer(required=True)
    leaf_hash = fields.String(required=True)
    proof = fields.List(fields.String(), required=True)


class ConsistencyResponse(Schema):
    # The service answers with the key "from"; without `attribute`, dumping would look for "from_" and drop it.
    from_ = fields.Integer(required=True, data_key="from", attribute="from")
    to = fields.Integer(required=True)
    proof = fields.List(fields.String(), required=True)


class CreditUnitSchema(Schema):
    name = fields.String(required=True)
    hours_per_unit = fields.Float(required=True)


class InstitutionSchema(Schema):
    id = fields.String(required=True)
    type = fields.String(required=True, validate=validate.OneOf(INSTITUTION_TYPES))
    name_en = fields.String(required=True)
    name_zh = fields.String(allow_none=True)
    parent = fields.String(allow_none=True, attribute="parent_id")
    credit_unit = fields.Method("_credit_unit", allow_none=True)
    status = fields.String(required=True)
    registered_seq = fields.Integer(required=True)

    def _credit_unit(self, obj: object) -> dict[str, object] | None:
        unit = getattr(obj, "credit_unit", None)
        if unit is None:
            return None
        return {"name": unit, "hours_per_unit": getattr(obj, "hours_per_unit", None)}


class WhoAmISchema(Schema):
    institution = fields.String(required=True)
    key_id = fields.String(required=True)
    scopes = fields.List(fields.String(), required=True)


class HealthSchema(Schema):
    status = fields.String(required=True, metadata={"example": "ok"})


class ReadinessCheckSchema(Schema):
    ok = fields.Boolean(required=True)
    detail = fields.String()
    tree_size = fields.Integer()
    signed_size = fields.Integer()
    age_seconds = fields.Float()
    checked_at = fields.String(metadata={"description": "when the audit or monitor result was recorded (UTC)"})


class ReadinessSchema(Schema):
    ready = fields.Boolean(required=True)
    checks = fields.Dict(
        keys=fields.String(),
        values=fields.Nested(ReadinessCheckSchema),
        required=True,
        metadata={
            "description": "database, migrations, checkpoint, and what the last full audit and the checkpoint "
            "monitor found, each with ok and why not"
        },
    )
