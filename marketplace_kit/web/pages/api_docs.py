"""``/api/docs``: the API reference rendered on the server from the OpenAPI document.

No JavaScript and no external assets: the same spec as ``/api/v1/openapi.json``,
grouped by tag, with parameters, bodies, responses and schemas.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, render_template

from ...app import state

bp = Blueprint("api_docs", __name__)
METHODS = ("get", "post", "put", "patch", "delete")


def type_label(schema: dict[str, Any] | None) -> str:
    """A short human label: ``Listing``, ``array of Listing``, ``string (email)``."""
    if not schema:
        return ""
    if "$ref" in schema:
        return schema["$ref"].rsplit("/", 1)[-1]
    if schema.get("type") == "array":
        return f"array of {type_label(schema.get('items'))}"
    label = schema.get("type", "object")
    if schema.get("format"):
        label += f" ({schema['format']})"
    if schema.get("enum"):
        label += ": " + " | ".join(str(v) for v in schema["enum"])
    return label


def body_schema(content: dict[str, Any] | None) -> tuple[str, str]:
    for media_type, media in (content or {}).items():
        return media_type, type_label(media.get("schema"))
    return "", ""


def build_reference(spec: dict[str, Any]) -> dict[str, Any]:
    tags = {
        t["name"]: {"name": t["name"], "description": t.get("description", ""), "ops": []}
        for t in spec.get("tags", [])
    }
    responses = spec.get("components", {}).get("responses", {})
    for path, item in spec.get("paths", {}).items():
        for method in METHODS:
            op = item.get(method)
            if op is None:
                continue
            resp_rows = []
            for status, resp in op.get("responses", {}).items():
                if "$ref" in resp:
                    resp = responses.get(resp["$ref"].rsplit("/", 1)[-1], {})
                media_type, schema = body_schema(resp.get("content"))
                resp_rows.append(
                    {
                        "status": status,
                        "description": resp.get("description", ""),
                        "media_type": media_type,
                        "schema": schema,
                    }
                )
            media_type, request_schema = body_schema(op.get("requestBody", {}).get("content"))
            params = [
                {
                    "name": p.get("name"),
                    "in": p.get("in"),
                    "required": p.get("required", False),
                    "type": type_label(p.get("schema")),
                    "description": p.get("description", ""),
                }
                for p in op.get("parameters", []) + item.get("parameters", [])
                if "$ref" not in p
            ]
            entry = {
                "id": f"{method}-{path}".replace("/", "-").replace("{", "").replace("}", ""),
                "method": method.upper(),
                "path": path,
                "summary": op.get("summary", ""),
                "description": op.get("description", ""),
                "secured": bool(op.get("security")),
                "params": params,
                "request": {"media_type": media_type, "schema": request_schema}
                if request_schema
                else None,
                "responses": resp_rows,
            }
            for tag in op.get("tags", ["other"]):
                tags.setdefault(tag, {"name": tag, "description": "", "ops": []})["ops"].append(
                    entry
                )
    schemas = []
    for name, schema in sorted(spec.get("components", {}).get("schemas", {}).items()):
        required = set(schema.get("required", []))
        schemas.append(
            {
                "name": name,
                "fields": [
                    {
                        "name": field,
                        "type": type_label(prop),
                        "required": field in required,
                        "read_only": prop.get("readOnly", False),
                        "description": prop.get("description", ""),
                    }
                    for field, prop in schema.get("properties", {}).items()
                ],
            }
        )
    return {
        "tags": [t for t in tags.values() if t["ops"]],
        "schemas": schemas,
        "info": spec.get("info", {}),
    }


@bp.get("/api/docs")
def api_reference():
    api = state(current_app).api
    reference = build_reference(api.document().to_dict())
    return render_template("api/docs.html", ref=reference)
