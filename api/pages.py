"""A docs page rendered on the server from the OpenAPI document: works offline, no CDN."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, render_template

bp = Blueprint("api_docs", __name__, template_folder="templates")


@bp.route("/")
def home() -> str:
    return render_template("home.html")


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
            "responses": sorted(op.get("responses", {})),
        }
        for path, item in sorted(spec.get("paths", {}).items())
        for method, op in item.items()
        if method in {"get", "post", "put", "patch", "delete"}
    ]
    return render_template("api_docs.html", spec=spec, operations=operations)
