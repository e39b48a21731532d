"""Recognition by application: an institution applies on behalf of a learner it enrolled, follows its own
applications, withdraws one while it is open, and appeals a decision once.

Evidence files come base64-encoded inside the JSON body (see ``recognition_schemas``). An institution reads only the
applications it handed in; anything else is not found, whether it exists or not.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from flask import request

from api import auth, operations
from api.blueprint import Blueprint
from api.operations import IDEMPOTENCY, problems
from api.recognition_schemas import (
    RecognitionAppealInputSchema,
    RecognitionApplicationSchema,
    RecognitionApplyInputSchema,
    RecognitionListQuery,
    RecognitionListSchema,
    RecognitionWithdrawInputSchema,
)
from creditbank.errors import DomainError, NotFound
from creditbank.runtime import current_bank
from creditbank.services.recognition import applications, decisions
from creditbank.services.recognition.applications import Applicant
from creditbank.services.recognition.evidence_files import EvidenceFile
from creditbank.services.records import idempotency
from creditbank.services.records.idempotency import WriteResult

blp = Blueprint(
    "recognition",
    __name__,
    url_prefix="/api/v1",
    description="Recognition by application: applications, decisions and appeals",
)
_ID = "<string(maxlength=32):application_id>"
_APPLICATION_ID = re.compile(r"rap-[0-9a-z]{20}")
_INDEX = re.compile(r"\[(\d+)\]")


@contextmanager
def _field_paths() -> Iterator[None]:
    """The service names list places ``evidence[0].description``; the API names every place with dots, as
    marshmallow does (``evidence.0.content_base64``), so a client reads one style of path."""
    try:
        yield
    except DomainError as exc:
        if exc.errors:
            exc.errors = {_INDEX.sub(r".\1", str(place)): reason for place, reason in exc.errors.items()}
        raise


def _application_id(value: str) -> str:
    # Anything not shaped like an application id names nothing; refused before it reaches a query.
    if not _APPLICATION_ID.fullmatch(value):
        raise NotFound(f"no application {value!r}")
    return value


class _Unseen(Exception):
    """No answer is remembered under the request's Idempotency-Key."""


def _once(operation: str, run: Callable[[], dict[str, Any]], created: int) -> tuple[dict[str, Any], int]:
    """Answer a retried write with its first answer.

    The recognition use cases run their own transactions (evidence is checked between them, outside any lock), so
    the remembered answer is looked up before and stored after; two copies racing under one key are left to the
    service, which refuses the same evidence handed in twice while the first application is open."""
    if "Idempotency-Key" not in request.headers:
        return run(), created
    bank, owner = current_bank(), auth.principal().institution_id
    key = operations.retry(operation)

    def unseen(_session: Any) -> WriteResult:
        raise _Unseen

    try:
        prior = idempotency.once(bank, owner, key, unseen)
    except _Unseen:
        pass
    else:
        return prior.body, created if prior.created else 200
    body = run()
    kept = idempotency.once(bank, owner, key, lambda _session: WriteResult(created == 201, body))
    return kept.body, created if kept.created else 200


def _own(view: dict[str, Any], institution: str) -> dict[str, Any]:
    if view.get("institution") != institution:
        # What a learner wrote about their own documents is theirs; an institution reads only its own applications,
        # so this holds already, and stays true if that ever widens.
        view = {**view, "items": [{k: v for k, v in item.items() if k != "description"} for item in view["items"]]}
    return view


@blp.route("/recognition/applications", methods=["POST"])
@auth.requires("records:write")
@blp.arguments(RecognitionApplyInputSchema())
@blp.response(201, RecognitionApplicationSchema, description="handed in (recognized at once, or sent to review)")
@blp.alt_response(200, schema=RecognitionApplicationSchema, description="a retry: the first answer, nothing appended")
@blp.doc(parameters=[IDEMPOTENCY])
@problems(blp, 400, 401, 403, 404, 409, 413, 415, 422)
def apply_for_recognition(args: dict[str, Any]) -> tuple[dict[str, Any], int]:
    """Apply for recognition on behalf of a learner enrolled with the caller.

    The body is JSON; each evidence file is ``content_base64`` (a credential, a PDF certificate, or a scanned
    document with its ``description``). Credentials are verified; a valid one from a trusted, mapped issuer may be
    recognized at once, anything else goes to a reviewer with a due date. 404: the learner is not enrolled here."""
    principal = auth.principal()
    files = [
        EvidenceFile(item["content_base64"], item.get("filename", ""), item.get("description", ""))
        for item in args["evidence"]
    ]

    # The key is held in the service's own write transaction, so two copies racing under one key (two workers)
    # write one application and both answer with it.
    with _field_paths():
        outcome = applications.apply_once(
            current_bank(), Applicant.for_institution(principal), args["learner"], files,
            framework=args.get("framework"), qualification=args.get("qualification"), principal=principal,
            retry=operations.retry("POST /recognition/applications"),
        )  # fmt: skip
    return outcome.body, 201 if outcome.created else 200


@blp.route("/recognition/applications", methods=["GET"])
@auth.requires("records:read")
@blp.arguments(RecognitionListQuery(), location="query")
@blp.response(200, RecognitionListSchema)
@problems(blp, 400, 401, 403, 422)
def list_recognition_applications(query: dict[str, Any]) -> dict[str, Any]:
    """The applications the caller handed in, newest first, at most ``limit`` (narrowed by ``state``)."""
    institution = auth.principal().institution_id
    found = applications.list_applications(
        current_bank(), institution=institution, state=query.get("state"), limit=query["limit"]
    )
    return {"items": [_own(view, institution) for view in found]}


@blp.route(f"/recognition/applications/{_ID}", methods=["GET"])
@auth.requires("records:read")
@blp.response(200, RecognitionApplicationSchema)
@problems(blp, 401, 403, 404)
def get_recognition_application(application_id: str) -> dict[str, Any]:
    """One of the caller's applications, with its decisions, appeal and credit lines."""
    principal = auth.principal()
    view = applications.get(
        current_bank(), _application_id(application_id), applicant=Applicant.for_institution(principal)
    )
    return _own(view, principal.institution_id)


@blp.route(f"/recognition/applications/{_ID}/withdraw", methods=["POST"])
@auth.requires("records:write")
@blp.arguments(RecognitionWithdrawInputSchema())
@blp.response(200, RecognitionApplicationSchema, description="withdrawn (a recognition.withdrawn entry)")
@blp.doc(parameters=[IDEMPOTENCY])
@problems(blp, 400, 401, 403, 404, 409, 413, 415, 422)
def withdraw_recognition_application(_args: dict[str, Any], application_id: str) -> tuple[dict[str, Any], int]:
    """Withdraw an open application (or an appeal not yet decided); the body is an empty JSON object."""
    principal = auth.principal()
    wanted = _application_id(application_id)

    def run() -> dict[str, Any]:
        return applications.withdraw(current_bank(), wanted, Applicant.for_institution(principal))

    return _once(f"POST /recognition/applications/{wanted}/withdraw", run, 200)


@blp.route(f"/recognition/applications/{_ID}/appeal", methods=["POST"])
@auth.requires("records:write")
@blp.arguments(RecognitionAppealInputSchema())
@blp.response(200, RecognitionApplicationSchema, description="appealed (a recognition.appealed entry)")
@blp.doc(parameters=[IDEMPOTENCY])
@problems(blp, 400, 401, 403, 404, 409, 413, 415, 422)
def appeal_recognition_decision(args: dict[str, Any], application_id: str) -> tuple[dict[str, Any], int]:
    """Appeal the decision once, within its appeal period; another reviewer decides, finally."""
    principal = auth.principal()
    wanted = _application_id(application_id)

    def run() -> dict[str, Any]:
        with _field_paths():
            return decisions.appeal(current_bank(), wanted, Applicant.for_institution(principal), args["reason"])

    return _once(f"POST /recognition/applications/{wanted}/appeal", run, 200)
