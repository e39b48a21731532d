"""A docs page rendered on the server from the OpenAPI document: works offline, no CDN, no script.

Its own words are in the ``apidocs`` area of the public pages' catalogues, in the visitor's language; what comes
from the code's docstrings (summaries, field descriptions) stays as written there, with its RST literals shown as
code. Each operation that takes a body shows a request made from its schema (:mod:`api.request_examples`).
"""

from __future__ import annotations

import re
from typing import Any

from flask import Blueprint, current_app, render_template
from markupsafe import Markup, escape

from api.errors import PROBLEM_BASE, problem_kinds
from api.request_examples import request_example
from creditbank.languages import i18n

bp = Blueprint("api_docs", __name__, template_folder="templates")

METHODS = ("get", "post", "put", "patch", "delete")
# RST's ``literal`` and Markdown's `literal`: docstrings use both, and a reader should see neither kind of tick.
LITERAL = re.compile(r"``(.+?)``|`([^`]+)`")


def prose(text: object) -> Markup:
    """Docstring text as HTML: escaped, with its literals as <code>."""
    source = "" if text is None else str(text)
    out, last = [], 0
    for match in LITERAL.finditer(source):
        out.append(escape(source[last : match.start()]))
        out.append(Markup("<code>{}</code>").format(match.group(1) or match.group(2)))
        last = match.end()
    out.append(escape(source[last:]))
    return Markup("").join(out)


# Where a parameter goes, in the page's words; a place OpenAPI may add later shows as its own name, never a key.
PLACES = {"path": "apidocs_in_path", "query": "apidocs_in_query", "header": "apidocs_in_header"}


def where(place: str) -> str:
    return i18n.translate(PLACES[place]) if place in PLACES else place


def code(text: str) -> Markup:
    return Markup("<code>{}</code>").format(text)


def codes(*texts: str) -> Markup:
    return Markup(", ").join(code(text) for text in texts)


def words(key: str, **values: Markup) -> Markup:
    """A translated sentence with code in it: the sentence is escaped, the values are already HTML."""
    return escape(i18n.translate(key)).format(**values)


def _ref_name(schema: dict[str, Any] | None) -> str | None:
    if not schema:
        return None
    if "$ref" in schema:
        return str(schema["$ref"]).rsplit("/", 1)[-1]
    if len(schema.get("allOf") or []) == 1:
        return _ref_name(schema["allOf"][0])
    if schema.get("type") == "array":
        inner = _ref_name(schema.get("items"))
        return f"{inner}[]" if inner else None
    return None


def _body_schema(operation: dict[str, Any]) -> str | None:
    content: dict[str, Any] = operation.get("requestBody", {}).get("content", {})
    first: dict[str, Any] = next(iter(content.values()), {})
    return _ref_name(first.get("schema"))


def _responses(operation: dict[str, Any], shared: dict[str, Any]) -> list[dict[str, Any]]:
    rows = []
    response: dict[str, Any]
    for status, response in sorted(operation.get("responses", {}).items()):
        if "$ref" in response:
            response = shared.get(str(response["$ref"]).rsplit("/", 1)[-1], {})
        content: dict[str, Any] = response.get("content", {})
        first: dict[str, Any] = next(iter(content.values()), {})
        schema = _ref_name(first.get("schema"))
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


def _operations(spec: dict[str, Any], base_url: str) -> list[dict[str, Any]]:
    components = spec.get("components", {})
    schemas, shared = components.get("schemas", {}), components.get("responses", {})
    found = []
    for path, item in sorted(spec.get("paths", {}).items()):
        for method in METHODS:
            op = item.get(method)
            if op is None:
                continue
            # Path parameters are written once on the path; a reader needs them on each operation.
            parameters = [*item.get("parameters", []), *op.get("parameters", [])]
            found.append(
                {
                    "id": re.sub(r"[^\w-]+", "-", f"{method}-{path}").strip("-"),
                    "method": method.upper(),
                    "path": path,
                    "summary": op.get("summary") or op.get("description") or "",
                    "tag": (op.get("tags") or [""])[0],
                    "parameters": parameters,
                    "secured": bool(op.get("security")),
                    "body": _body_schema(op),
                    "example": request_example(base_url, method, path, op, schemas),
                    "responses": _responses(op, shared),
                }
            )
    return found


def _sections(spec: dict[str, Any], operations: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Operations by tag, in the order the document lists its tags; untagged ones last."""
    tags = [(tag["name"], tag.get("description", "")) for tag in spec.get("tags", [])]
    known = {name for name, _ in tags}
    tags += sorted({(op["tag"], "") for op in operations if op["tag"] not in known})
    sections = []
    for name, description in tags:
        members = [op for op in operations if op["tag"] == name]
        if members:
            sections.append(
                {
                    "id": "tag-" + (re.sub(r"[^\w-]+", "-", name) or "other"),
                    "name": name,
                    "description": description,
                    "operations": members,
                }
            )
    return sections


@bp.route("/api/docs")
@bp.route("/api/v1/docs")
def docs() -> str:
    spec: dict[str, Any] = current_app.extensions["creditbank.api"].spec.to_dict()
    base_url = str(current_app.config.get("CREDITBANK_PUBLIC_URL") or "").rstrip("/")
    operations = _operations(spec, base_url)
    schemas = [
        {"name": name, "description": schema.get("description", ""), "properties": _properties(schema)}
        for name, schema in sorted(spec.get("components", {}).get("schemas", {}).items())
    ]
    return render_template(
        "api_docs.html",
        spec=spec,
        sections=_sections(spec, operations),
        operations=operations,
        schemas=schemas,
        schema_names={schema["name"] for schema in schemas},
        problems=problem_kinds(),
        base=PROBLEM_BASE,
        base_url=base_url,
        prose=prose,
        words=words,
        code=code,
        codes=codes,
        where=where,
    )
