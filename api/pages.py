"""A docs page rendered on the server from the OpenAPI document: works offline, no CDN."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, render_template

from api.errors import PROBLEM_BASE, problem_kinds

bp = Blueprint("api_docs", __name__, template_folder="templates")


def _ref_name(schema: dict[str, Any] | None) -> str | None:
    if not schema:
        return None
    if "$ref" in schema:
        return str(schema["$ref"]).rsplit("/", 1)[-1]
    if schema.get("type") == "array":
        inner = _ref_name(schema.get("items"))
        return f"{inner}[]" if inner else None
    return None


def _body_schema(operation: dict[str, Any]) -> str | None:
    content = operation.get("requestBody", {}).get("content", {})
    return _ref_name(next(iter(content.values()), {}).get("schema"))


def _responses(operation: dict[str, Any]) -> list[dict[str, Any]]:
    rows = []
    for status, response in sorted(operation.get("responses", {}).items()):
        content = response.get("content", {})
        schema = _ref_name(next(iter(content.values()), {}).get("schema")) if content else None
        rows.append({"status": status, "description": response.get("description", ""), "schema": schema})
    return rows


def _properties(schema: dict[str, Any]) -> list[dict[str, Any]]:
    required = set(schema.get("required", []))
    rows = []
    for name, prop in schema.get("properties", {}).items():
        kind = _ref_name(prop) or prop.get("type", "")
        if prop.get("enum"):
            kind += " (" + " | ".join(str(v) for v in prop["enum"] if v is not None) + ")"
        rows.append(
            {"name": name, "type": kind, "required": name in required, "description": prop.get("description", "")}
        )
    return rows


@bp.route("/api/docs")
@bp.route("/api/v1/docs")
def docs() -> str:
    spec: dict[str, Any] = current_app.extensions["creditbank.api"].spec.to_dict()
    operations = [
        {
            "method": method.upper(),
            "path": path,
            "summary": op.get("summary") or op.get("description") or "",
            "tag": (op.get("tags") or [""])[0],
            "parameters": op.get("parameters", []),
            "body": _body_schema(op),
            "responses": _responses(op),
        }
        for path, item in sorted(spec.get("paths", {}).items())
        for method, op in item.items()
        if method in {"get", "post", "put", "patch", "delete"}
    ]
    schemas = [
        {"name": name, "properties": _properties(schema)}
        for name, schema in sorted(spec.get("components", {}).get("schemas", {}).items())
    ]
    return render_template(
        "api_docs.html", spec=spec, operations=operations, schemas=schemas, problems=problem_kinds(), base=PROBLEM_BASE
    )
