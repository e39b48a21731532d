"""Schemas for issuing credentials and for verification reports."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from api.fields import Text


class IssueInputSchema(Schema):
    kind = fields.String(required=True, validate=validate.OneOf(("achievement", "transcript")))
    achievement = Text(max_length=32, metadata={"description": "the achievement id (kind achievement)"})
    language_order = fields.String(load_default="zh-en", validate=validate.OneOf(("zh-en", "en-zh")))


class IssuedSchema(Schema):
    id = fields.String(required=True, metadata={"description": "the credential id (urn:uuid:…)"})
    seq = fields.Integer(required=True, metadata={"description": "ledger seq of the credential.issued entry"})
    kind = fields.String(required=True)
    credential = fields.Dict(required=True, metadata={"description": "the signed OB 3.0 / CLR 2.0 credential"})


class CredentialQuery(Schema):
    receipt = fields.Boolean(
        load_default=False, metadata={"description": "answer {credential, receipt} for offline verification"}
    )


class CheckSchema(Schema):
    check = fields.String(required=True)
    result = fields.String(required=True, validate=validate.OneOf(("pass", "fail", "skip")))
    reason = fields.String(required=True)


class ReportSchema(Schema):
    valid = fields.Boolean(
        required=True, metadata={"description": "true only when the verdict is valid; false for the other two"}
    )
    verdict = fields.String(
        required=True,
        validate=validate.OneOf(("valid", "invalid", "authentic_unchecked")),
        metadata={
            "description": "valid: every check passed; invalid: a check failed; authentic_unchecked: nothing failed "
            "but a decisive check (status, say) could not be made, so the credential is authentic but not shown valid"
        },
    )
    kind = fields.String(allow_none=True)
    credential_id = fields.String(allow_none=True)
    source = fields.String(required=True, metadata={"description": "pdf or json"})
    checks = fields.List(fields.Nested(CheckSchema), required=True)
