"""Institution directory (public) and the caller's own identity."""

from __future__ import annotations

from typing import Any

from api import auth
from api.blueprint import Blueprint
from api.operations import problems
from api.schemas import InstitutionSchema, WhoAmISchema
from creditbank.runtime import current_bank
from creditbank.services.records import institutions

blp = Blueprint("institutions", __name__, url_prefix="/api/v1", description="Institutions and API access")


@blp.route("/institutions")
@blp.response(200, InstitutionSchema(many=True))
def list_institutions() -> list[object]:  # the service's rows, which the schema serializes
    return institutions.list_all(current_bank())


@blp.route("/institutions/<string:institution_id>")
@blp.response(200, InstitutionSchema)
@problems(blp, 404)
def get_institution(institution_id: str) -> object:
    return institutions.get(current_bank(), institution_id)


@blp.route("/whoami")
@auth.requires()
@blp.response(200, WhoAmISchema)
@problems(blp, 401)
def whoami() -> dict[str, Any]:
    principal = auth.principal()
    return {"institution": principal.institution_id, "key_id": principal.key_id, "scopes": sorted(principal.scopes)}
