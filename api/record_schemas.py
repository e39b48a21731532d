"""Schemas for learners, achievements and signing keys: field types, lengths and ranges.

Rules that tie several values together (dates in order, a score inside its scale) live in
``creditbank.achievement_rules`` so every door applies the same ones.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Callable
from datetime import date
from typing import Any, ClassVar, TypeVar

from marshmallow import EXCLUDE, RAISE, Schema, ValidationError, fields, missing, pre_load, validate, validates_schema

from api.fields import DATE_FORM, IsoDate, Number, Pattern, QueryInteger, StrictBoolean, Text, text_ok
from creditbank.services.records.achievements import ACHIEVEMENT_KINDS, MAX_BATCH

LEARNER_ID = r"lrn_[0-9a-z]{20}"
ACHIEVEMENT_ID = r"ach_[0-9a-z]{20}"
MODES = ("online", "in_person", "blended")
RESULT_TYPES = ("score", "grade", "pass_fail")


# --- learners ------------------------------------------------------------------------------------


class PersonNameSchema(Schema):
    zh = Text(max_length=100, metadata={"description": "name in Chinese characters"})
    latin = Text(max_length=200, metadata={"description": "name in latin letters (pinyin or native)"})


class NationalIdSchema(Schema):
    country = Pattern(r"[A-Z]{2}", message="an ISO 3166-1 alpha-2 code, upper case", load_default="CN")
    number = Text(max_length=40, required=True)


class LearnerInputSchema(Schema):
    name = fields.Nested(PersonNameSchema, required=True, metadata={"minProperties": 1})
    birth_date = IsoDate(required=True)
    national_id = fields.Nested(
        NationalIdSchema, metadata={"description": "matched by keyed HMAC only; never stored in clear"}
    )
    email = fields.Email(validate=validate.Length(max=254))


class LearnerEnrolledSchema(Schema):
    id = fields.String(required=True, metadata={"description": "the learner's pseudonymous id"})
    status = fields.String(
        required=True,
        validate=validate.OneOf(("enrolled", "linked", "already_enrolled")),
        metadata={"description": "new learner, existing learner newly linked, or already enrolled here"},
    )
    seq = fields.Integer(required=True, metadata={"description": "ledger seq of the learner.enrolled entry"})
    activation_code = fields.String(
        metadata={
            "description": "one-time code the learner uses at /activate to set a password (only while the learner "
            "has no portal account); hand it to the learner, it is not shown again: a retry under the same "
            "Idempotency-Key answers activation_code_issued instead"
        }
    )
    activation_code_issued = fields.Boolean(
        metadata={
            "description": "true in a replayed answer whose first copy carried an activation_code; the code itself "
            "is never stored, so it is not repeated (`creditbank learners activation` issues a new one)"
        }
    )


class LearnerProfileSchema(Schema):
    id = fields.String(required=True)
    status = fields.String(required=True, validate=validate.OneOf(("active", "erased")))
    enrolled_seq = fields.Integer(
        metadata={"description": "seq of the caller's own learner.enrolled entry; absent for a reader by consent"}
    )
    erased_seq = fields.Integer()
    name = fields.Nested(PersonNameSchema)
    birth_date = fields.String()
    email = fields.String()
    national_id = fields.Dict(metadata={"description": "country and the number's last four characters"})


class LearnerSummarySchema(Schema):
    id = fields.String(required=True)
    status = fields.String(required=True)
    enrolled_seq = fields.Integer(required=True)


class LearnerPageSchema(Schema):
    items = fields.List(fields.Nested(LearnerSummarySchema), required=True)
    next_cursor = fields.String(allow_none=True, required=True)


class PageQuery(Schema):
    cursor = fields.String(metadata={"description": "next_cursor of the previous page"})
    limit = QueryInteger(load_default=50, validate=validate.Range(min=1, max=200))


# --- achievements --------------------------------------------------------------------------------


class TitleSchema(Schema):
    zh = Text(max_length=500)
    en = Text(max_length=500)


class ResultSchema(Schema):
    type = fields.String(required=True, validate=validate.OneOf(RESULT_TYPES))
    score = Number(minimum=-1e6, maximum=1e6)
    min = Number(minimum=-1e6, maximum=1e6, metadata={"description": "bottom of the score scale (default 0)"})
    max = Number(minimum=-1e6, maximum=1e6, metadata={"description": "top of the score scale"})
    pass_mark = Number(minimum=-1e6, maximum=1e6)
    grade = Text(max_length=32)
    scale = Text(max_length=64, metadata={"description": "grading scheme, e.g. A-F"})
    passed = StrictBoolean()

    _NEEDS: ClassVar[dict[str, tuple[str, ...]]] = {
        "score": ("score", "max"),
        "grade": ("grade",),
        "pass_fail": ("passed",),
    }
    _ALLOWS: ClassVar[dict[str, set[str]]] = {
        "score": {"type", "score", "min", "max", "pass_mark"},
        "grade": {"type", "grade", "scale", "passed"},
        "pass_fail": {"type", "passed"},
    }

    @validates_schema
    def _fits_type(self, data: dict[str, Any], **_: Any) -> None:
        kind = data.get("type")
        if kind not in self._NEEDS:
            return
        errors: dict[str, list[str]] = {}
        for name in self._NEEDS[kind]:
            if name not in data:
                errors[name] = [f"required for a {kind} result"]
        for name in set(data) - self._ALLOWS[kind]:
            errors[name] = [f"not used by a {kind} result"]
        if errors:
            raise ValidationError(errors)


class EvidenceSchema(Schema):
    # "url" is no JSON Schema format: documented as the standard "uri", limited to the schemes accepted.
    url = fields.Url(
        required=True,
        schemes={"http", "https"},
        validate=validate.Length(max=2000),
        metadata={"format": "uri", "pattern": "^https?://"},
    )
    sha256 = Pattern(r"[0-9a-f]{64}", message="64 lower-case hex digits", required=True)


# null means "remove this field" in a correction; a new record simply leaves the field out.
_NO_NULL = {"null": "leave the field out rather than sending null"}


class AchievementDataSchema(Schema):
    kind = fields.String(required=True, validate=validate.OneOf(ACHIEVEMENT_KINDS))
    title = fields.Nested(TitleSchema, required=True, metadata={"minProperties": 1})
    code = Text(
        max_length=64, error_messages=_NO_NULL, metadata={"description": "the institution's course or unit code"}
    )
    level = Text(max_length=100, error_messages=_NO_NULL, metadata={"description": "the institution's own level"})
    credits = Number(
        minimum=0,
        maximum=1000,
        error_messages=_NO_NULL,
        metadata={"description": "in the institution's native credit unit"},
    )
    hours = Number(
        minimum=0, maximum=100000, error_messages=_NO_NULL, metadata={"description": "notional learning hours"}
    )
    result = fields.Nested(ResultSchema, error_messages=_NO_NULL)
    started = IsoDate(error_messages=_NO_NULL)
    completed = IsoDate(required=True)
    mode = fields.String(validate=validate.OneOf(MODES), error_messages=_NO_NULL)
    evidence = fields.List(fields.Nested(EvidenceSchema), validate=validate.Length(max=20), error_messages=_NO_NULL)
    outcomes = fields.List(
        Text(max_length=1000, multiline=True), validate=validate.Length(max=100), error_messages=_NO_NULL
    )
    language = Pattern(
        r"[a-zA-Z]{2,3}(-[a-zA-Z0-9]{2,8}){0,3}", message="a BCP 47 language tag, e.g. zh-CN", error_messages=_NO_NULL
    )


F = TypeVar("F", bound=fields.Field)


def _removable(field: F) -> F:
    """The field as a correction reads it, where null removes it."""
    nullable = copy.deepcopy(field)
    nullable.allow_none = True
    return nullable


class SignatureSchema(Schema):
    key = Pattern(r"ed25519:[0-9a-f]{32}", message="a signing key id from /api/v1/signing-keys", required=True)
    value = Pattern(r"[A-Za-z0-9+/]{86}==", message="64-byte Ed25519 signature in base64", required=True)


class AchievementInputSchema(AchievementDataSchema):
    learner = Pattern(LEARNER_ID, message="a learner id (lrn_…)", required=True)
    record_id = Text(max_length=128, required=True, metadata={"description": "unique per institution"})
    signature = fields.Nested(
        SignatureSchema,
        metadata={"description": "Ed25519 over the JCS bytes of this item without its signature member"},
    )

    def load(self, data: Any, *, many: bool | None = None, partial: Any = None, unknown: Any = None) -> Any:
        if _plain(self, many, partial, unknown):
            quick = _quick_item(data)
            if quick is not None:
                return quick
        return super().load(data, many=many, partial=partial, unknown=unknown)


class BatchInputSchema(Schema):
    items = fields.List(fields.Nested(AchievementInputSchema), required=True)

    @pre_load
    def _bounded(self, data: Any, **_: Any) -> Any:
        # Refuse oversized batches before validating a thousand items' fields.
        items = data.get("items") if isinstance(data, dict) else None
        if isinstance(items, list) and not 1 <= len(items) <= MAX_BATCH:
            raise ValidationError({"items": [f"a batch holds 1-{MAX_BATCH} items; this one has {len(items)}"]})
        return data

    def load(self, data: Any, *, many: bool | None = None, partial: Any = None, unknown: Any = None) -> Any:
        if _plain(self, many, partial, unknown) and type(data) is dict and data.keys() == {"items"}:
            items = data["items"]
            # The bound comes first here too; an oversized batch goes to the schema, which refuses it.
            if type(items) is list and 1 <= len(items) <= MAX_BATCH:
                loaded = _quick_items(items)
                if loaded is not None:
                    return {"items": loaded}
        return super().load(data, many=many, partial=partial, unknown=unknown)


# --- the quick path for achievements -------------------------------------------------------------
#
# Marshmallow costs most of a batch's parsing. Valid items, the usual case, are accepted here by checks built from the
# very fields declared above and loaded the way marshmallow loads them (a new dict, keys in declaration order). Any
# item these checks do not accept in full (a fault, or a field they do not cover, such as evidence URLs) goes to
# marshmallow, so every error answer still comes from the schema itself.

_Check = Callable[[Any], Any]  # the loaded value, or _NO when the quick path does not accept the value
_NO = object()


def _plain(schema: Schema, many: bool | None, partial: Any, unknown: Any) -> bool:
    """A load with the schema's own settings: no many, partial, only, exclude or other unknown policy."""
    return (
        not many
        and not schema.many
        and not partial
        and not schema.partial
        and unknown in (None, RAISE)
        and schema.unknown == RAISE
        and schema.only is None
        and not schema.exclude
    )


def _text(field: Text) -> _Check:
    limit, multiline = field.max_length, field.multiline
    return lambda value: value if text_ok(value, max_length=limit, multiline=multiline) else _NO


def _pattern(field: Pattern) -> _Check:
    match = field.regex.fullmatch
    return lambda value: value if type(value) is str and match(value) else _NO


def _iso_date(value: Any) -> Any:
    if type(value) is not str or not DATE_FORM.fullmatch(value):
        return _NO
    try:
        date.fromisoformat(value)
    except ValueError:
        return _NO
    return value


def _number(field: Number) -> _Check:
    low, high = field.minimum, field.maximum

    def check(value: Any) -> Any:
        kind = type(value)
        if kind is int or (kind is float and math.isfinite(value)):
            return value if low <= value <= high else _NO
        return _NO

    return check


def _strict_boolean(value: Any) -> Any:
    return value if type(value) is bool else _NO


def _one_of(field: fields.String) -> _Check | None:
    choices: list[frozenset[Any]] = []
    for validator in field.validators:
        if not isinstance(validator, validate.OneOf):
            return None
        choices.append(frozenset(validator.choices))
    return lambda value: value if type(value) is str and all(value in c for c in choices) else _NO


def _list(field: fields.List[Any]) -> _Check | None:
    inner = _check_for(field.inner)
    longest: int | None = None
    for validator in field.validators:
        if not isinstance(validator, validate.Length) or validator.min is not None or validator.equal is not None:
            return None
        longest = validator.max
    if inner is None:
        return None

    def check(values: Any) -> Any:
        if type(values) is not list or (longest is not None and len(values) > longest):
            return _NO
        loaded = []
        for value in values:
            item = inner(value)
            if item is _NO:
                return _NO
            loaded.append(item)
        return loaded

    return check


def _check_for(field: fields.Field[Any]) -> _Check | None:
    """A quick check equivalent to ``field``'s, or None where the field is left to marshmallow."""
    if (
        field.data_key is not None
        or field.attribute is not None
        or field.allow_none
        or field.dump_only
        or field.load_default is not missing
    ):
        return None
    kind = type(field)
    if kind is fields.Nested:
        nested: Any = field
        plain = nested.only is None and not nested.exclude and nested.unknown is None and not nested.many
        return _schema_check(nested.nested) if plain and isinstance(nested.nested, type) else None
    if kind is fields.List:
        return _list(field)  # type: ignore[arg-type]
    if kind is fields.String:
        return _one_of(field)  # type: ignore[arg-type]
    if field.validators:
        return None
    if kind is Text:
        return _text(field)  # type: ignore[arg-type]
    if kind is Pattern:
        return _pattern(field)  # type: ignore[arg-type]
    if kind is IsoDate:
        return _iso_date
    if kind is Number:
        return _number(field)  # type: ignore[arg-type]
    if kind is StrictBoolean:
        return _strict_boolean
    return None


def _result_fits(loaded: dict[str, Any]) -> bool:
    """:meth:`ResultSchema._fits_type`, as a yes or no."""
    kind = loaded["type"]
    return all(name in loaded for name in ResultSchema._NEEDS[kind]) and loaded.keys() <= ResultSchema._ALLOWS[kind]


# Schemas whose only hook is one the quick path repeats.
_SCHEMA_RULES: dict[type[Schema], Callable[[dict[str, Any]], bool]] = {ResultSchema: _result_fits}


def _schema_check(schema: type[Schema]) -> _Check | None:
    rule = _SCHEMA_RULES.get(schema)
    hooks = [name for name, found in schema._hooks.items() if found]
    if (hooks and (rule is None or hooks != ["validates_schema"])) or schema.opts.unknown != RAISE:
        return None
    order, checks, slow, required = _field_checks(schema)
    return None if slow else _object_check(order, checks, slow, required, rule)


def _field_checks(schema: type[Schema]) -> tuple[list[str], dict[str, _Check], frozenset[str], frozenset[str]]:
    """Per field of ``schema``, in its order: the quick check, the fields left to marshmallow, the required ones."""
    checks: dict[str, _Check] = {}
    slow: set[str] = set()
    required: set[str] = set()
    fields_ = schema().load_fields
    for name, field in fields_.items():
        check = _check_for(field)
        if check is None:
            slow.add(name)
        else:
            checks[name] = check
        if field.required:
            required.add(name)
    return list(fields_), checks, frozenset(slow), frozenset(required)


def _object_check(
    order: list[str],
    checks: dict[str, _Check],
    slow: frozenset[str],
    required: frozenset[str],
    rule: Callable[[dict[str, Any]], bool] | None = None,
) -> _Check:
    """An object of known fields, each loaded by its check in the schema's order; one naming a field in ``slow``,
    a field it does not know, or missing a required one, is left to marshmallow."""
    known = frozenset(order)

    def load(value: Any) -> Any:
        if type(value) is not dict:
            return _NO
        keys = value.keys()
        if not keys <= known or not keys >= required or not slow.isdisjoint(keys):
            return _NO
        loaded = {}
        for name in order:
            if name in value:
                item = checks[name](value[name])
                if item is _NO:
                    return _NO
                loaded[name] = item
        if rule is not None and not rule(loaded):
            return _NO
        return loaded

    return load


def _item_check() -> _Check:
    order, checks, slow, required = _field_checks(AchievementInputSchema)
    if any(AchievementInputSchema._hooks.values()):
        slow = slow | frozenset(checks)  # a hook of its own: every item goes to marshmallow
    return _object_check(order, checks, slow, required)


_ITEM_CHECK = _item_check()


def _quick_item(value: Any) -> dict[str, Any] | None:
    """The item as marshmallow would load it, or None when marshmallow must look at it."""
    loaded = _ITEM_CHECK(value)
    return None if loaded is _NO else loaded


def _quick_items(items: list[Any]) -> list[dict[str, Any]] | None:
    """Every item loaded, or None when one of them is invalid (the schema then reports on the whole batch)."""
    schema: AchievementInputSchema | None = None
    loaded = []
    for item in items:
        quick = _quick_item(item)
        if quick is None:
            schema = schema or AchievementInputSchema()
            try:
                quick = schema.load(item)
            except ValidationError:
                return None
        loaded.append(quick)
    return loaded


class AchievementChangesSchema(AchievementDataSchema):
    """The same fields, each optional; null removes an optional field."""

    code = _removable(AchievementDataSchema._declared_fields["code"])
    level = _removable(AchievementDataSchema._declared_fields["level"])
    credits = _removable(AchievementDataSchema._declared_fields["credits"])
    hours = _removable(AchievementDataSchema._declared_fields["hours"])
    result = _removable(AchievementDataSchema._declared_fields["result"])
    started = _removable(AchievementDataSchema._declared_fields["started"])
    mode = _removable(AchievementDataSchema._declared_fields["mode"])
    evidence = _removable(AchievementDataSchema._declared_fields["evidence"])
    outcomes = _removable(AchievementDataSchema._declared_fields["outcomes"])
    language = _removable(AchievementDataSchema._declared_fields["language"])


class CorrectionInputSchema(Schema):
    changes = fields.Nested(
        AchievementChangesSchema(partial=True),
        required=True,
        metadata={"description": "fields to change; null removes an optional field"},
    )
    reason = Text(max_length=2000, multiline=True, required=True)


class RevocationInputSchema(Schema):
    reason = Text(max_length=2000, multiline=True, required=True)


class VersionSchema(Schema):
    version = fields.Integer(required=True)
    seq = fields.Integer(required=True, metadata={"description": "ledger seq of this version's entry"})
    change = fields.String(required=True, validate=validate.OneOf(("recorded", "corrected", "revoked")))
    time = fields.String(required=True)
    data = fields.Nested(AchievementDataSchema)
    reason = fields.String()


class AchievementSchema(Schema):
    id = fields.String(required=True)
    learner = fields.String(required=True)
    institution = fields.String(required=True)
    record_id = fields.String(required=True)
    status = fields.String(required=True, validate=validate.OneOf(("active", "revoked")))
    version = fields.Integer(required=True)
    recorded_seq = fields.Integer(required=True)
    last_seq = fields.Integer(required=True)
    signed_by = fields.String(allow_none=True)
    data = fields.Nested(AchievementDataSchema, required=True)
    history = fields.List(fields.Nested(VersionSchema))


class AchievementPageSchema(Schema):
    items = fields.List(fields.Nested(AchievementSchema), required=True)
    next_cursor = fields.String(allow_none=True, required=True)


class BatchItemResultSchema(Schema):
    index = fields.Integer(required=True)
    id = fields.String(required=True)
    record_id = fields.String(required=True)
    seq = fields.Integer(required=True)
    status = fields.String(required=True, validate=validate.OneOf(("created", "existing")))


class BatchResultSchema(Schema):
    count = fields.Integer(required=True)
    appended = fields.Integer(required=True)
    items = fields.List(fields.Nested(BatchItemResultSchema), required=True)


# --- signing keys --------------------------------------------------------------------------------


class SigningKeyInputSchema(Schema):
    public_key = fields.String(required=True, metadata={"description": "raw 32-byte Ed25519 key, base64"})


class SigningKeySchema(Schema):
    id = fields.String(required=True)
    algorithm = fields.String(required=True)
    public_key = fields.String(required=True)
    added_seq = fields.Integer(required=True)


class ProblemSchema(Schema):
    class Meta:
        unknown = EXCLUDE

    type = fields.String(required=True, metadata={"description": "stable URI naming the error kind"})
    title = fields.String(required=True)
    status = fields.Integer(required=True)
    detail = fields.String(required=True)
    instance = fields.String()
    errors = fields.Dict(
        keys=fields.String(),
        values=fields.List(fields.String()),
        metadata={"description": "field path (dotted, items.<index>. for batches) → messages"},
    )
