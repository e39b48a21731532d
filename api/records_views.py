"""Learners, achievements and signing keys: what institutions post every day.

Each view parses with a schema, calls one service and serializes its answer. Writes take an
optional ``Idempotency-Key``; a retry under it gets the first answer back, status and all.
"""

from __future__ import annotations

import base64
from datetime import date
from typing import Any

from flask import request

from api import auth, operations
from api.blueprint import Blueprint
from api.operations import IDEMPOTENCY, answer, problems
from api.record_schemas import (
    AchievementInputSchema,
    AchievementPageSchema,
    AchievementSchema,
    BatchInputSchema,
    BatchResultSchema,
    CorrectionInputSchema,
    LearnerEnrolledSchema,
    LearnerInputSchema,
    LearnerPageSchema,
    LearnerProfileSchema,
    PageQuery,
    RevocationInputSchema,
    SigningKeyInputSchema,
    SigningKeySchema,
)
from creditbank.runtime import current_bank
from creditbank.services.records import achievement_reads, achievements, learners, signing_keys
from creditbank.services.records.achievements import Submission
from creditbank.services.records.idempotency import RetryKey

blp = Blueprint("records", __name__, url_prefix="/api/v1", description="Learners and their achievements")


def retry(operation: str) -> RetryKey | None:
    """The request's retry key; without an ``Idempotency-Key`` header there is none, and the body (a batch of a
    thousand items, maybe) is not read a second time to find that out."""
    if "Idempotency-Key" not in request.headers:
        return None
    return operations.retry(operation)


def _submission(item: dict[str, Any]) -> Submission:
    data = dict(item)
    learner, record_id, signature = data.pop("learner"), data.pop("record_id"), data.pop("signature", None)
    signed = (signature["key"], base64.b64decode(signature["value"])) if signature else None
    return Submission(learner, record_id, data, signed)


# --- learners ------------------------------------------------------------------------------------


@blp.route("/learners", methods=["POST"])
@auth.requires("records:write")
@blp.arguments(LearnerInputSchema())
@blp.response(201, LearnerEnrolledSchema, description="a new learner, or a known one linked to this institution")
@blp.alt_response(200, schema=LearnerEnrolledSchema, description="already enrolled here; nothing appended")
@blp.doc(parameters=[IDEMPOTENCY])
@problems(blp, 400, 401, 403, 409, 413, 415, 422)
def enroll_learner(args: dict[str, Any]) -> tuple[dict[str, Any], int]:
    """Enroll a learner, or link one already known by national ID."""
    principal = auth.principal()
    name, national = args["name"], args.get("national_id") or {}
    data = learners.LearnerInput(
        birth_date=date.fromisoformat(args["birth_date"]),
        name_zh=name.get("zh"),
        name_latin=name.get("latin"),
        national_id_country=national.get("country"),
        national_id=national.get("number"),
        email=args.get("email"),
    )
    return answer(learners.enroll(current_bank(), principal, data, retry("POST /learners")))


@blp.route("/learners", methods=["GET"])
@auth.requires("records:read")
@blp.arguments(PageQuery(), location="query")
@blp.response(200, LearnerPageSchema)
@problems(blp, 400, 401, 403)
def list_learners(query: dict[str, Any]) -> Any:
    """Learners enrolled with the caller's institution, by enrollment order."""
    principal = auth.principal()
    return learners.page_for_institution(current_bank(), principal, query.get("cursor"), query["limit"])


@blp.route("/learners/<pid:learner_id>")
@auth.requires("records:read")
@blp.response(200, LearnerProfileSchema)
@problems(blp, 401, 403, 404)
def get_learner(learner_id: str) -> dict[str, Any]:
    """A learner's personal data, for an institution they are enrolled with; after erasure, only the pseudonym."""
    principal = auth.principal()
    return learners.profile(current_bank(), principal, learner_id)


@blp.route("/learners/<pid:learner_id>/achievements")
@auth.requires("records:read")
@blp.arguments(PageQuery(), location="query")
@blp.response(200, AchievementPageSchema)
@problems(blp, 400, 401, 403, 404)
def learner_achievements(query: dict[str, Any], learner_id: str) -> Any:
    """The achievements the caller recorded for this learner, oldest first."""
    principal = auth.principal()
    return achievement_reads.page_for_learner(
        current_bank(), principal, learner_id, query.get("cursor"), query["limit"]
    )


# --- achievements --------------------------------------------------------------------------------


@blp.route("/achievements", methods=["POST"])
@auth.requires("records:write")
@blp.arguments(AchievementInputSchema())
@blp.response(201, AchievementSchema, description="recorded")
@blp.alt_response(200, schema=AchievementSchema, description="the same record id and values were already recorded")
@blp.doc(parameters=[IDEMPOTENCY])
@problems(blp, 400, 401, 403, 409, 413, 415, 422)
def record_achievement(item: dict[str, Any]) -> tuple[dict[str, Any], int]:
    """Record one achievement (an ``achievement.recorded`` entry)."""
    principal = auth.principal()
    outcome = achievements.record(
        current_bank(), principal, [_submission(item)], retry("POST /achievements"), batch=False
    )
    return answer(outcome)


@blp.route("/achievements/batch", methods=["POST"])
@auth.requires("records:write")
@blp.arguments(BatchInputSchema())
@blp.response(201, BatchResultSchema, description="every item recorded (or already held with the same values)")
@blp.alt_response(200, schema=BatchResultSchema, description="every item was already recorded; nothing appended")
@blp.doc(parameters=[IDEMPOTENCY])
@problems(blp, 400, 401, 403, 409, 413, 415, 422)
def record_batch(args: dict[str, Any]) -> tuple[dict[str, Any], int]:
    """Record up to 1,000 achievements atomically: one invalid item rejects the batch with per-item errors."""
    principal = auth.principal()
    items = [_submission(item) for item in args["items"]]
    return answer(achievements.record(current_bank(), principal, items, retry("POST /achievements/batch"), batch=True))


@blp.route("/achievements/<pid:achievement_id>")
@auth.requires("records:read")
@blp.response(200, AchievementSchema)
@problems(blp, 401, 403, 404)
def get_achievement(achievement_id: str) -> dict[str, Any]:
    """An achievement's current state and its full history, each version with its ledger seq."""
    principal = auth.principal()
    return achievement_reads.get(current_bank(), principal, achievement_id)


@blp.route("/achievements/<pid:achievement_id>/corrections", methods=["POST"])
@auth.requires("records:write")
@blp.arguments(CorrectionInputSchema())
@blp.response(201, AchievementSchema, description="corrected (an achievement.corrected entry)")
@blp.alt_response(200, schema=AchievementSchema, description="the values were already these; nothing appended")
@blp.doc(parameters=[IDEMPOTENCY])
@problems(blp, 400, 401, 403, 404, 409, 413, 415, 422)
def correct_achievement(args: dict[str, Any], achievement_id: str) -> tuple[dict[str, Any], int]:
    """Correct an achievement's values, with a reason; the earlier versions stay in its history."""
    principal = auth.principal()
    again = retry(f"POST /achievements/{achievement_id}/corrections")
    outcome = achievements.correct(current_bank(), principal, achievement_id, args["changes"], args["reason"], again)
    return answer(outcome)


@blp.route("/achievements/<pid:achievement_id>/revocation", methods=["POST"])
@auth.requires("records:write")
@blp.arguments(RevocationInputSchema())
@blp.response(201, AchievementSchema, description="revoked (an achievement.revoked entry)")
@blp.doc(parameters=[IDEMPOTENCY])
@problems(blp, 400, 401, 403, 404, 409, 413, 415, 422)
def revoke_achievement(args: dict[str, Any], achievement_id: str) -> tuple[dict[str, Any], int]:
    """Revoke an achievement, with a reason."""
    principal = auth.principal()
    again = retry(f"POST /achievements/{achievement_id}/revocation")
    return answer(achievements.revoke(current_bank(), principal, achievement_id, args["reason"], again))


# --- signing keys --------------------------------------------------------------------------------


@blp.route("/signing-keys", methods=["POST"])
@auth.requires("records:write")
@blp.arguments(SigningKeyInputSchema())
@blp.response(201, SigningKeySchema, description="registered (an institution.key_added entry)")
@blp.alt_response(200, schema=SigningKeySchema, description="already registered")
@blp.doc(parameters=[IDEMPOTENCY])
@problems(blp, 400, 401, 403, 409, 413, 415, 422)
def add_signing_key(args: dict[str, Any]) -> tuple[dict[str, Any], int]:
    """Register an Ed25519 key the institution will sign its submissions with."""
    principal = auth.principal()
    return answer(signing_keys.add(current_bank(), principal, args["public_key"], retry("POST /signing-keys")))


@blp.route("/signing-keys", methods=["GET"])
@auth.requires("records:read")
@blp.response(200, SigningKeySchema(many=True))
@problems(blp, 401, 403)
def list_signing_keys() -> list[dict[str, Any]]:
    """The caller's registered signing keys."""
    return signing_keys.list_keys(current_bank(), auth.principal())
