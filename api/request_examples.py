"""Request examples for the docs page, made from the OpenAPI document's own schemas.

An example written by hand drifts from the schema it illustrates; one made from the schema cannot say anything the
schema does not. Each example holds the required members only (enough of them where an object needs a minimum),
values drawn from the schema's enums, defaults, formats, bounds and patterns; free text is a ``<name>``
placeholder wherever the schema accepts one, so a reader sees what to fill in rather than a made-up value.
"""

from __future__ import annotations

import base64
import json
import re
from re import _constants as sre_constants  # type: ignore[attr-defined]
from re import _parser as sre_parse  # type: ignore[attr-defined]
from typing import Any

# Stand-ins for formats a pattern cannot describe: plain, obviously illustrative, and valid for the format.
FORMATS = {
    "date": "2026-06-30",
    "date-time": "2026-06-30T09:00:00Z",
    "email": "learner@example.org",
    "uri": "https://example.org/evidence",
    "uuid": "00000000-0000-4000-8000-000000000000",
}
_MAX_DEPTH = 12


def _resolve(schema: dict[str, Any], components: dict[str, Any]) -> dict[str, Any]:
    """One schema with its ``$ref`` and single ``allOf`` followed, the outer keywords (``minProperties``) kept."""
    merged = dict(schema)
    while True:
        if "$ref" in merged:
            target = components[str(merged.pop("$ref")).rsplit("/", 1)[-1]]
            merged = {**target, **merged}
        elif merged.get("allOf"):
            parts = merged.pop("allOf")
            for part in parts:
                merged = {**_resolve(part, components), **merged}
        elif merged.get("anyOf") or merged.get("oneOf"):
            options = merged.pop("anyOf", None) or merged.pop("oneOf")
            # The first option that is more than a bare nullable object: the shape a client would send.
            chosen = next((o for o in options if "$ref" in o or o.get("properties")), options[0])
            merged = {**_resolve(chosen, components), **merged}
        else:
            return merged


def _from_pattern(pattern: str) -> str | None:
    """The shortest string the regular expression's parse tree spells, or None where it cannot tell."""
    try:
        tree = sre_parse.parse(pattern)
    except re.error:
        return None
    made = _spell(list(tree))
    return made if made is not None and re.search(pattern, made) else None


def _spell(items: list[tuple[Any, Any]]) -> str | None:
    out = []
    for op, value in items:
        if op is sre_constants.LITERAL:
            out.append(chr(value))
        elif op is sre_constants.NOT_LITERAL or op is sre_constants.ANY:
            out.append("a" if value != ord("a") else "b")
        elif op is sre_constants.IN:
            char = _one_of(value)
            if char is None:
                return None
            out.append(char)
        elif op in (sre_constants.MAX_REPEAT, sre_constants.MIN_REPEAT):
            low, _high, inner = value
            part = _spell(list(inner))
            if part is None:
                return None
            out.append(part * low)
        elif op is sre_constants.SUBPATTERN:
            part = _spell(list(value[-1]))
            if part is None:
                return None
            out.append(part)
        elif op is sre_constants.BRANCH:
            part = _spell(list(value[1][0]))
            if part is None:
                return None
            out.append(part)
        elif op is sre_constants.AT:
            continue
        else:  # look-arounds, back-references: not worth spelling
            return None
    return "".join(out)


def _one_of(items: list[tuple[Any, Any]]) -> str | None:
    if items and items[0][0] is sre_constants.NEGATE:
        refused = "".join(chr(v) for op, v in items[1:] if op is sre_constants.LITERAL)
        return next((c for c in "ax0" if c not in refused), None)
    for op, value in items:
        if op is sre_constants.LITERAL:
            return chr(value)
        if op is sre_constants.RANGE:
            return chr(value[0])
        if op is sre_constants.CATEGORY:
            return {"CATEGORY_DIGIT": "0", "CATEGORY_SPACE": " "}.get(str(value), "a")
    return None


def _string(path: str, schema: dict[str, Any]) -> str:
    name = path.rsplit(".", 1)[-1]
    if schema.get("format") == "byte":
        # Base64 of a placeholder: the reader sees where the file's bytes go.
        return base64.b64encode(f"<{path}>".encode()).decode("ascii")
    if schema.get("format") in FORMATS:
        return FORMATS[str(schema["format"])]
    pattern = schema.get("pattern")
    candidates = [f"<{path}>", name, name.replace("_", "-"), name.upper()]
    for candidate in candidates:
        fits = len(candidate) >= int(schema.get("minLength", 0)) and len(candidate) <= int(
            schema.get("maxLength", 10**6)
        )
        if fits and (pattern is None or re.search(str(pattern), candidate)):
            return candidate
    spelled = _from_pattern(str(pattern)) if pattern else None
    return spelled if spelled is not None else f"<{path}>"


def _number(schema: dict[str, Any], whole: bool) -> int | float:
    low, high = schema.get("minimum"), schema.get("maximum")
    value = low if low is not None and low > 0 else 1
    if high is not None and value > high:
        value = high
    return int(value) if whole else value


def example(schema: dict[str, Any], components: dict[str, Any], path: str = "", depth: int = 0) -> Any:
    """A value ``schema`` accepts: the required members of an object, one item of an array, and so on. ``path``
    names the value in placeholders (``<title.zh>``)."""
    schema = _resolve(schema, components)
    if "example" in schema:
        return schema["example"]
    if schema.get("enum"):
        return next(value for value in schema["enum"] if value is not None)
    if "default" in schema:
        return schema["default"]
    kind = schema.get("type") or ("object" if "properties" in schema else None)
    if kind == "object" or kind is None:
        properties: dict[str, Any] = schema.get("properties", {})
        if depth >= _MAX_DEPTH:
            return {}
        wanted = [key for key in properties if key in set(schema.get("required", []))]
        # An object sent with nothing in it says nothing: at least one member where it has any.
        for key in properties:
            if len(wanted) >= max(1, int(schema.get("minProperties", 0))):
                break
            if key not in wanted:
                wanted.append(key)
        if kind is None and not properties:
            return f"<{path}>"
        return {key: example(properties[key], components, f"{path}.{key}".lstrip("."), depth + 1) for key in wanted}
    if kind == "array":
        count = max(1, int(schema.get("minItems", 1)))
        count = min(count, int(schema.get("maxItems", count)))
        return [example(schema.get("items", {}), components, path, depth + 1) for _ in range(count)]
    if kind == "string":
        return _string(path or "value", schema)
    if kind == "integer":
        return _number(schema, whole=True)
    if kind == "number":
        return _number(schema, whole=False)
    if kind == "boolean":
        return True
    return f"<{path}>"


def _shell_variable(name: str) -> str:
    return "$" + re.sub(r"\W", "_", name).upper()


def _quoted(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def request_example(
    base_url: str, method: str, path: str, operation: dict[str, Any], components: dict[str, Any]
) -> dict[str, Any] | None:
    """A curl command (and the JSON body it sends, when it sends JSON) for an operation that takes a body; None for
    one that does not. Path parameters and the API key are shell variables the reader sets."""
    content: dict[str, Any] = operation.get("requestBody", {}).get("content", {})
    if not content:
        return None
    url = base_url.rstrip("/") + re.sub(r"\{(\w+)\}", lambda m: _shell_variable(m.group(1)), path)
    lines = [f"curl -X {method.upper()} {_quoted(url)}"]
    if operation.get("security"):
        lines.append("-H " + _quoted("Authorization: Bearer $API_KEY"))
    body: Any = None
    json_schema = (content.get("application/json") or {}).get("schema") or {}
    form_schema = (content.get("multipart/form-data") or {}).get("schema") or {}
    if json_schema:
        body = example(json_schema, components)
        lines.append('-H "Content-Type: application/json"')
        lines.append("--data-binary @- <<'JSON'")
    elif form_schema:
        for field, field_schema in form_schema.get("properties", {}).items():
            if field_schema.get("format") == "binary":
                lines.append(f'-F "{field}=@{_shell_variable(field)}"')
                break
    else:
        media_type = next(iter(content))
        lines.append(f'-H "Content-Type: {media_type}"')
        lines.append('--data-binary "@$FILE"')
    command = " \\\n  ".join(lines)
    text = json.dumps(body, ensure_ascii=False, indent=2) if body is not None else None
    return {"command": command, "body": text}
