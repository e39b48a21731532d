"""Schemas for frameworks, the catalogue, conversions, credit accounts, progress and awards."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from api.fields import Pattern
from api.record_schemas import AchievementDataSchema


class BilingualSchema(Schema):
    zh = fields.String(required=True)
    en = fields.String(required=True)


def _bilingual(**kwargs: object) -> fields.Nested:
    return fields.Nested(BilingualSchema, **kwargs)  # type: ignore[arg-type]


# --- frameworks ----------------------------------------------------------------------------------


class CreditUnitSchema(Schema):
    name = _bilingual(required=True)
    hours_per_credit = fields.Float(required=True, metadata={"description": "notional learning hours per credit"})
    hours_per_credit_max = fields.Float(allow_none=True)
    full_time_year = fields.Float(allow_none=True, metadata={"description": "credits in one full-time year"})


class LevelSchema(Schema):
    number = fields.Integer(required=True)
    name = _bilingual(required=True)
    knowledge = _bilingual(required=True)
    skills = _bilingual(required=True)
    competence = _bilingual(required=True)


class LevelFloorSchema(Schema):
    level = fields.Integer(required=True)
    credits = fields.Float(required=True)


class QualificationTypeSchema(Schema):
    id = fields.String(required=True)
    name = _bilingual(required=True)
    level = fields.Integer(required=True)
    total = fields.Float(required=True, metadata={"description": "credits required in all"})
    min_at_or_above = fields.Nested(LevelFloorSchema, allow_none=True)
    per_category = fields.Dict(keys=fields.String(), values=fields.Float())
    required_outcomes = fields.List(fields.String())


class CategorySchema(Schema):
    id = fields.String(required=True)
    name = _bilingual(required=True)


class RuleSetRefSchema(Schema):
    version = fields.String(required=True)
    hash = fields.String(required=True)
    seq = fields.Integer(required=True)


class FrameworkSchema(Schema):
    id = fields.String(required=True)
    version = fields.String(required=True)
    example = fields.Boolean(required=True, metadata={"description": "an illustrative configuration to adapt"})
    name = _bilingual(required=True)
    description = _bilingual(required=True)
    credit_unit = fields.Nested(CreditUnitSchema, required=True)
    categories = fields.List(fields.Nested(CategorySchema))
    levels = fields.List(fields.Nested(LevelSchema))
    qualifications = fields.List(fields.Nested(QualificationTypeSchema))
    published_seq = fields.Integer(metadata={"description": "seq of the framework.published entry"})
    hash = fields.String(metadata={"description": "SHA-256 of the framework document's canonical JSON"})
    rule_sets = fields.List(fields.Nested(RuleSetRefSchema))
    active_rules = fields.String(allow_none=True)


class FrameworkListSchema(Schema):
    items = fields.List(fields.Nested(FrameworkSchema), required=True)


# --- catalogue -----------------------------------------------------------------------------------


class OutcomeInputSchema(Schema):
    code = Pattern(r"[A-Z0-9][A-Z0-9-]{1,23}", message="2-24 upper-case letters, digits, hyphens", required=True)
    framework = Pattern(r"[a-z0-9][a-z0-9-]{0,39}", message="a published framework id", required=True)
    level = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=20))
    credits = fields.Float(required=True, validate=validate.Range(min=0, min_inclusive=False, max=100000))
    category = Pattern(r"[a-z][a-z0-9_]{0,39}", message="a category of the framework", required=True)
    name = _bilingual(required=True)
    description = _bilingual(required=True)


class OutcomeSchema(OutcomeInputSchema):
    status = fields.String(required=True, validate=validate.OneOf(("proposed", "approved", "rejected")))
    proposed_seq = fields.Integer(required=True)
    proposed_by = fields.String(required=True)
    approved_seq = fields.Integer(allow_none=True)


class OutcomeListSchema(Schema):
    items = fields.List(fields.Nested(OutcomeSchema), required=True)


class CatalogueQuery(Schema):
    status = fields.String(
        load_default="approved", validate=validate.OneOf(("approved", "proposed", "rejected", "all"))
    )


class ProposalSchema(Schema):
    code = fields.String(required=True)
    seq = fields.Integer(required=True, metadata={"description": "seq of the catalogue.outcome_proposed entry"})
    hash = fields.String(required=True)
    status = fields.String(required=True)


# --- conversions ---------------------------------------------------------------------------------


class PreviewInputSchema(Schema):
    achievement = fields.Nested(AchievementDataSchema, required=True)
    framework = Pattern(r"[a-z0-9][a-z0-9-]{0,39}", message="a framework id")


class ConversionSchema(Schema):
    framework = fields.String(required=True)
    rules = fields.String(required=True, metadata={"description": "the rule set version applied"})
    rules_hash = fields.String(required=True)
    institution = fields.String(required=True)
    as_of = fields.String(required=True)
    credits = fields.Float(required=True)
    level = fields.Integer(required=True)
    category = fields.String(required=True)
    source = fields.String(required=True, metadata={"description": "the source label caps refer to"})
    outcome = fields.String(allow_none=True, metadata={"description": "catalogue outcome, via an equivalence"})
    explanation = fields.List(_bilingual(), required=True, metadata={"description": "each step, in zh and en"})


class PreviewSchema(Schema):
    conversions = fields.List(fields.Nested(ConversionSchema), required=True)


# --- accounts ------------------------------------------------------------------------------------


class BalanceSchema(Schema):
    level = fields.Integer(required=True)
    category = fields.String(required=True)
    earned = fields.Float(required=True)
    redeemed = fields.Float(required=True)
    available = fields.Float(required=True)
    conversions = fields.List(fields.Integer(), metadata={"description": "seqs of the conversions behind it"})


class MovementSchema(Schema):
    seq = fields.Integer(required=True)
    time = fields.String(required=True)
    type = fields.String(required=True, validate=validate.OneOf(("converted", "reversed", "redeemed")))
    credits = fields.Float(required=True)
    level = fields.Integer()
    category = fields.String()
    source = fields.String()
    institution = fields.String()
    achievement = fields.String()
    source_seq = fields.Integer()
    rules = fields.String()
    outcome = fields.String()
    reverses = fields.Integer()
    reversed_by = fields.Integer()
    conversion = fields.Integer()
    award = fields.String()
    qualification = fields.String()
    explanation = fields.List(_bilingual())


class FrameworkAccountSchema(Schema):
    framework = fields.String(required=True)
    earned = fields.Float(required=True)
    redeemed = fields.Float(required=True)
    available = fields.Float(required=True)
    balances = fields.List(fields.Nested(BalanceSchema), required=True)
    statement = fields.List(fields.Nested(MovementSchema), required=True)


class UsedSchema(Schema):
    conversion = fields.Integer(required=True)
    credits = fields.Float(required=True)


class AwardSchema(Schema):
    id = fields.String(required=True)
    learner = fields.String()
    qualification = fields.String(required=True)
    framework = fields.String(required=True)
    rules = fields.String(required=True)
    credits = fields.Float(required=True)
    awarded_seq = fields.Integer(required=True)
    redeemed_seq = fields.Integer(required=True)
    awarded_by = fields.String(required=True)
    time = fields.String(required=True)
    used = fields.List(fields.Nested(UsedSchema))


class AccountSchema(Schema):
    learner = fields.String(required=True)
    accounts = fields.List(fields.Nested(FrameworkAccountSchema), required=True)
    awards = fields.List(fields.Nested(AwardSchema), required=True)


class RequirementSchema(Schema):
    requirement = fields.String(required=True)
    needed = fields.Float(required=True)
    counted = fields.Float(required=True)
    missing = fields.Float(required=True)
    met = fields.Boolean(required=True)
    description = _bilingual(required=True)


class ProgressSchema(Schema):
    qualification = fields.String(required=True)
    framework = fields.String(required=True)
    name = _bilingual(required=True)
    level = fields.Integer(required=True)
    rules = fields.String(allow_none=True)
    met = fields.Boolean(required=True)
    requirements = fields.List(fields.Nested(RequirementSchema), required=True)
    limits = fields.List(_bilingual(), metadata={"description": "the caps that applied"})
    would_use = fields.List(fields.Nested(UsedSchema))
    counted = fields.String(
        validate=validate.OneOf(("all", "own")),
        metadata={
            "description": "all: every line of the learner (an awarding body of this qualification, or with the "
            "learner's credits consent); own: only the caller's own lines"
        },
    )


class ProgressQuery(Schema):
    qualification = Pattern(r"[a-z0-9][a-z0-9-]{0,39}", message="a qualification type id", required=True)


class AwardInputSchema(Schema):
    qualification = Pattern(r"[a-z0-9][a-z0-9-]{0,39}", message="a qualification type id", required=True)
