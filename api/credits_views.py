"""Frameworks, the outcome catalogue, conversion previews, credit accounts, progress and awards."""

from __future__ import annotations

from typing import Any

from flask import Response, jsonify

from api import auth
from api.blueprint import Blueprint
from api.credit_schemas import (
    AccountSchema,
    AwardInputSchema,
    AwardSchema,
    CatalogueQuery,
    FrameworkListSchema,
    FrameworkSchema,
    OutcomeInputSchema,
    OutcomeListSchema,
    PreviewInputSchema,
    PreviewSchema,
    ProgressQuery,
    ProgressSchema,
    ProposalSchema,
)
from api.operations import IDEMPOTENCY, answer, problems, retry
from creditbank.runtime import current_bank
from creditbank.services.credits import awards, conversion, credit_rules, statements

blp = Blueprint("credits", __name__, url_prefix="/api/v1", description="Frameworks, conversion and credit accounts")
_SLUG = "<string(maxlength=40):framework_id>"


@blp.route("/frameworks")
@blp.response(200, FrameworkListSchema)
def list_frameworks() -> dict[str, Any]:
    """The published qualifications frameworks (latest version of each), with levels and qualification types."""
    return {"items": credit_rules.list_frameworks(current_bank())}


@blp.route(f"/frameworks/{_SLUG}")
@blp.response(200, FrameworkSchema)
@problems(blp, 404)
def get_framework(framework_id: str) -> dict[str, Any]:
    """One framework, with its published rule sets and the active one."""
    return credit_rules.get_framework(current_bank(), framework_id)


@blp.route("/catalogue/outcomes", methods=["GET"])
@blp.arguments(CatalogueQuery(), location="query")
@blp.response(200, OutcomeListSchema)
@problems(blp, 422)
def list_outcomes(args: dict[str, Any]) -> dict[str, Any]:
    """The outcome catalogue: approved outcomes, or proposals awaiting review."""
    status = None if args["status"] == "all" else args["status"]
    return {"items": credit_rules.list_outcomes(current_bank(), status=status)}


@blp.route("/catalogue/outcomes", methods=["POST"])
@auth.requires("records:write")
@blp.arguments(OutcomeInputSchema())
@blp.response(201, ProposalSchema, description="proposed (a catalogue.outcome_proposed entry); a reviewer approves")
@blp.alt_response(200, schema=ProposalSchema, description="already proposed with this content; nothing appended")
@problems(blp, 400, 401, 403, 409, 413, 415, 422)
def propose_outcome(args: dict[str, Any]) -> tuple[dict[str, Any], int]:
    """Propose a learning outcome for the catalogue."""
    principal = auth.principal()
    (published,) = credit_rules.propose_outcomes(current_bank(), [args], actor=principal.actor, source="request")
    body = {"code": published.id, "seq": published.seq, "hash": published.hash, "status": "proposed"}
    return body, 201 if published.created else 200


@blp.route("/conversions/preview", methods=["POST"])
@auth.requires("records:read")
@blp.arguments(PreviewInputSchema())
@blp.response(200, PreviewSchema, description="what the achievement would convert to; nothing is appended")
@problems(blp, 400, 401, 403, 404, 413, 415, 422)
def preview_conversion(args: dict[str, Any]) -> dict[str, Any]:
    """Dry-run a conversion under the active rule sets, with the explanation of each step."""
    principal = auth.principal()
    return conversion.preview(current_bank(), principal, args["achievement"], args.get("framework"))


@blp.route("/learners/<pid:learner_id>/credits")
@auth.requires("records:read")
@blp.response(200, AccountSchema)
@problems(blp, 401, 403, 404)
def credit_account(learner_id: str) -> Response:
    """The learner's credit account: balances by framework, level and category, and the statement behind them."""
    principal = auth.principal()
    # The service already answers in the documented shape; dumping a statement of hundreds of lines through
    # marshmallow would cost several times the query itself.
    return jsonify(statements.account(current_bank(), principal, learner_id))


@blp.route("/learners/<pid:learner_id>/progress")
@auth.requires("records:read")
@blp.arguments(ProgressQuery(), location="query")
@blp.response(200, ProgressSchema)
@problems(blp, 401, 403, 404, 422)
def qualification_progress(args: dict[str, Any], learner_id: str) -> dict[str, Any]:
    """What is met and what is missing toward a qualification type."""
    principal = auth.principal()
    return statements.progress(current_bank(), principal, learner_id, args["qualification"])


@blp.route("/learners/<pid:learner_id>/qualifications", methods=["POST"])
@auth.requires("records:read", awards.AWARD_SCOPE)
@blp.arguments(AwardInputSchema())
@blp.response(201, AwardSchema, description="awarded (credits.redeemed and qualification.awarded entries)")
@blp.doc(parameters=[IDEMPOTENCY])
@problems(blp, 400, 401, 403, 404, 409, 413, 415, 422)
def award_qualification(args: dict[str, Any], learner_id: str) -> tuple[dict[str, Any], int]:
    """Award a qualification, consuming the credits its requirements use; 422 lists what is missing."""
    principal = auth.principal()
    again = retry(f"POST /learners/{learner_id}/qualifications")
    return answer(awards.award(current_bank(), principal, learner_id, args["qualification"], again))
