"""Schemas for issuing credentials and for verification reports.

The verify answer is dumped through ReportSchema, so the OpenAPI document describes what is sent; a field the
engine's report gains must be added here (tests/credentials/test_verify_report_schema.py fails until it is).
"""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, fields, validate

from api.fields import Text
from creditbank.services.credentials import CHECKS, LANGUAGE_ORDERS


class IssueInputSchema(Schema):
    kind = fields.String(required=True, validate=validate.OneOf(("achievement", "transcript")))
    achievement = Text(max_length=32, metadata={"description": "the achievement id (kind achievement)"})
    language_order = fields.String(
        load_default="zh-en",
        validate=validate.OneOf(LANGUAGE_ORDERS),
        metadata={
            "description": "the document's two languages in page order: Chinese and one of en, fr, ru, es, ar "
            "(zh-fr prints Chinese first, fr-zh French first)"
        },
    )


class IssuedSchema(Schema):
    id = fields.String(required=True, metadata={"description": "the credential id (urn:uuid:…)"})
    seq = fields.Integer(required=True, metadata={"description": "ledger seq of the credential.issued entry"})
    kind = fields.String(required=True)
    credential = fields.Dict(required=True, metadata={"description": "the signed OB 3.0 / CLR 2.0 credential"})


class CredentialQuery(Schema):
    receipt = fields.Boolean(
        load_default=False, metadata={"description": "answer {credential, receipt} for offline verification"}
    )


class _Number(fields.Float):
    """A JSON number dumped as it is: credits of 2 stay 2, not 2.0."""

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> Any:
        if isinstance(value, int | float) and not isinstance(value, bool):
            return value
        return super()._serialize(value, attr, obj, **kwargs)


class CheckSchema(Schema):
    check = fields.String(
        required=True,
        validate=validate.OneOf(CHECKS),
        metadata={"description": "identity: the holder comparison, made only when name and birth_date are given"},
    )
    result = fields.String(required=True, validate=validate.OneOf(("pass", "fail", "skip")))
    reason = fields.String(required=True)


class ClaimSchema(Schema):
    title = fields.String(allow_none=True, metadata={"description": "the achievement's or qualification's name"})
    achievement_type = fields.String(allow_none=True, metadata={"description": "OB 3.0 achievementType"})
    qualification = fields.Boolean(metadata={"description": "an awarded qualification rather than an achievement"})
    code = fields.String(allow_none=True, metadata={"description": "the institution's course code (humanCode)"})
    institution = fields.String(allow_none=True, metadata={"description": "the institution that awarded it"})
    credits = _Number(allow_none=True, metadata={"description": "credits earned"})
    level = fields.String(allow_none=True, metadata={"description": "the framework level's name"})
    level_code = fields.String(allow_none=True, metadata={"description": "the framework level's number"})
    framework = fields.String(allow_none=True, metadata={"description": "the qualifications framework"})
    completed = fields.String(allow_none=True, metadata={"description": "completion date (YYYY-MM-DD)"})
    credential_id = fields.String(
        allow_none=True, metadata={"description": "in a transcript: the wrapped credential's id"}
    )


class SummarySchema(Schema):
    id = fields.String(allow_none=True, metadata={"description": "the credential id"})
    transcript = fields.Boolean(metadata={"description": "a CLR transcript wrapping achievement credentials"})
    title = fields.String(allow_none=True)
    issuer = fields.String(allow_none=True)
    valid_from = fields.String(allow_none=True)
    valid_until = fields.String(allow_none=True, metadata={"description": "null: does not expire"})
    ledger_seq = fields.Integer(
        allow_none=True,
        metadata={"description": "seq of the credential.issued entry, once the ledger check proved it; else null"},
    )
    ledger_time = fields.String(allow_none=True, metadata={"description": "when the ledger recorded it"})
    achievements = fields.List(fields.Nested(ClaimSchema))


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
    kind = fields.String(
        allow_none=True,
        validate=validate.OneOf(("OpenBadgeCredential", "ClrCredential")),
        metadata={"description": "null when the file is no credential of either kind"},
    )
    credential_id = fields.String(allow_none=True)
    source = fields.String(
        required=True,
        validate=validate.OneOf(("pdf", "json", "png", "svg")),
        metadata={"description": "pdf, json, or a badge image (png, svg) with the credential baked in"},
    )
    checks = fields.List(fields.Nested(CheckSchema), required=True)
    identity = fields.String(
        required=True,
        validate=validate.OneOf(("matches", "does_not_match", "not_checked")),
        metadata={
            "description": "the holder comparison (name and birth_date given), apart from the verdict: "
            "does_not_match is about what was entered, not the credential"
        },
    )
    summary = fields.Nested(
        SummarySchema,
        allow_none=True,
        metadata={"description": "what the credential says, as sent (believe it only as far as the verdict goes)"},
    )
