"""Schemas for recognition by application: what an institution hands in, and the application as it reads it back.

Evidence travels inside the JSON body, base64-encoded, because every write under ``/api/v1`` is JSON (one body
reader, one duplicate-key check, one size limit); the body limit bounds the files together.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

from marshmallow import Schema, ValidationError, fields, validate

from api.fields import Pattern, QueryInteger
from api.record_schemas import LEARNER_ID
from creditbank.services.recognition import evidence_files

STATES = ("submitted", "under_review", "decided", "appealed", "final", "withdrawn", "revoked")
ITEM_KINDS = ("credential", "pdf", "document")
FRAMEWORK_ID = r"[a-z0-9][a-z0-9._-]{0,39}"


class Base64Bytes(fields.String):
    """Standard base64 (RFC 4648 §4, padded), decoded strictly: a stray character is refused, not skipped."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.metadata.setdefault("format", "byte")

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> bytes:
        if not isinstance(value, str):
            raise self.make_error("invalid")
        try:
            return base64.b64decode(value.encode("ascii"), validate=True)
        except (binascii.Error, UnicodeEncodeError):
            raise ValidationError("is not standard base64 (A-Z a-z 0-9 + /, padded with =)") from None


class RecognitionEvidenceInputSchema(Schema):
    content_base64 = Base64Bytes(
        required=True,
        metadata={
            "description": "the file: a credential (JSON, or the bank's {credential, receipt} bundle), a PDF "
            "certificate carrying its credential, or a scanned document (PDF, PNG or JPEG, told by its bytes); "
            f"at most {evidence_files.MAX_FILE_BYTES // (1024 * 1024)} MiB, within the request body limit"
        },
    )
    filename = fields.String(validate=validate.Length(max=255), metadata={"description": "for people; not trusted"})
    description = fields.String(
        validate=validate.Length(max=evidence_files.DESCRIPTION_LIMIT),
        metadata={"description": "required for a scanned document: the learning it shows (hours, assessment, when)"},
    )


class RecognitionApplyInputSchema(Schema):
    learner = Pattern(LEARNER_ID, message="a learner id (lrn_ and 20 characters)", required=True)
    framework = Pattern(
        FRAMEWORK_ID,
        message="a framework id",
        metadata={"description": "where the learning should count; required when more than one has active rules"},
    )
    qualification = Pattern(
        FRAMEWORK_ID, message="a qualification id", metadata={"description": "the qualification the learner aims at"}
    )
    evidence = fields.List(
        fields.Nested(RecognitionEvidenceInputSchema),
        required=True,
        validate=validate.Length(min=1, max=evidence_files.MAX_FILES),
    )


class RecognitionAppealInputSchema(Schema):
    reason = fields.String(
        required=True,
        validate=validate.Length(min=1, max=1000),
        metadata={"description": "why the decision should change; must not name the learner (it is kept for good)"},
    )


class RecognitionWithdrawInputSchema(Schema):
    """An empty object: withdrawing takes no values."""


class RecognitionListQuery(Schema):
    state = fields.String(validate=validate.OneOf(STATES))
    limit = QueryInteger(load_default=50, validate=validate.Range(min=1, max=200))


class RecognitionItemSchema(Schema):
    number = fields.Integer(required=True)
    evidence = fields.Integer(required=True, metadata={"description": "which evidence file (from 1) named it"})
    kind = fields.String(required=True, validate=validate.OneOf(ITEM_KINDS))
    key = fields.String(required=True, metadata={"description": "what identifies the learning, so it counts once"})
    title = fields.Dict(keys=fields.String(), values=fields.String())
    issuer = fields.String(allow_none=True)
    issuer_name = fields.String(allow_none=True)
    achievement_type = fields.String(allow_none=True)
    completed = fields.String(allow_none=True)
    credits = fields.String(
        allow_none=True, metadata={"description": "the credits the credential states, as decimal text (3.5)"}
    )
    mapping = fields.Dict(allow_none=True, metadata={"description": "the trust list's mapping, when one applies"})
    verdict = fields.String(allow_none=True, metadata={"description": "the credential's verification verdict"})
    description = fields.String(allow_none=True, metadata={"description": "a scanned document's description"})


class RecognitionGivenSchema(Schema):
    item = fields.Integer(required=True)
    learning = fields.String()
    credits = fields.Raw(required=True, metadata={"type": "number"})
    level = fields.Integer()
    category = fields.String()
    outcome = fields.String(allow_none=True)
    reason = fields.String(required=True)
    rule = fields.String(allow_none=True)
    transferValue = fields.Dict()  # noqa: N815 - the name CLR 2.0 gives it
    transferValueFor = fields.Dict()  # noqa: N815
    transferValueFrom = fields.Dict()  # noqa: N815


class RecognitionRefusedSchema(Schema):
    item = fields.Integer(required=True)
    learning = fields.String()
    reason = fields.String(required=True)


class RecognitionDecisionSchema(Schema):
    seq = fields.Integer(allow_none=True, metadata={"description": "ledger seq of the decision"})
    basis = fields.String(metadata={"description": "review, or trust_list for an automatic recognition"})
    reviewer = fields.String(metadata={"description": "the reviewer's pseudonym, or automatic"})
    rules = fields.String()
    rules_hash = fields.String()
    recognized = fields.List(fields.Nested(RecognitionGivenSchema), required=True)
    refused = fields.List(fields.Nested(RecognitionRefusedSchema), required=True)
    appeal_until = fields.String(metadata={"format": "date"})
    final = fields.Boolean()
    replaces = fields.Integer()
    appeal = fields.Integer(metadata={"description": "ledger seq of the appeal this decides"})


class RecognitionAppealSchema(Schema):
    seq = fields.Integer(required=True, metadata={"description": "ledger seq of the appeal"})
    reviewer = fields.String(allow_none=True)
    decision = fields.Nested(RecognitionDecisionSchema, allow_none=True, metadata={"description": "final"})


class RecognitionLineSchema(Schema):
    seq = fields.Integer(required=True)
    credits = fields.Raw(required=True, metadata={"type": "number"})
    level = fields.Integer(allow_none=True)
    category = fields.String(allow_none=True)
    outcome = fields.String(allow_none=True)
    learning = fields.String(allow_none=True)
    reverses = fields.Integer(allow_none=True)
    reversed_by = fields.Integer(allow_none=True)
    decision_seq = fields.Integer(allow_none=True)


class RecognitionApplicationSchema(Schema):
    id = fields.String(required=True)
    learner = fields.String(required=True, metadata={"description": "the learner's pseudonymous id"})
    framework = fields.String(required=True)
    qualification = fields.String(allow_none=True)
    institution = fields.String(allow_none=True, metadata={"description": "the institution that applied"})
    state = fields.String(required=True, validate=validate.OneOf(STATES))
    applied_seq = fields.Integer(required=True)
    applied_at = fields.String(required=True)
    rules = fields.String(allow_none=True)
    reviewer = fields.String(allow_none=True, metadata={"description": "the assigned reviewer's pseudonym"})
    due = fields.String(allow_none=True, metadata={"format": "date", "description": "when the review is due"})
    items = fields.List(fields.Nested(RecognitionItemSchema), required=True)
    decision = fields.Nested(RecognitionDecisionSchema, allow_none=True)
    appeal_until = fields.String(allow_none=True, metadata={"format": "date"})
    appeal = fields.Nested(RecognitionAppealSchema, allow_none=True)
    lines = fields.List(
        fields.Nested(RecognitionLineSchema), metadata={"description": "the credit lines the decisions wrote"}
    )


class RecognitionListSchema(Schema):
    items = fields.List(fields.Nested(RecognitionApplicationSchema), required=True)
