"""The OpenAPI 3.1 document, built from the route declarations and their pydantic
models. Pure: no aiohttp, no I/O."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import JsonSchemaMode, models_json_schema

from crm_core.api.routing import Route

_PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)(?::[^}]*)?\}")
_REF = "#/components/schemas/{model}"
_ERROR_REF = {"$ref": "#/components/schemas/Error"}

ERROR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["error_id", "message", "details"],
    "properties": {
        "error_id": {"type": "string", "description": "stable, for programs"},
        "message": {"type": "string", "description": "for people"},
        "details": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["field", "message"],
                "properties": {
                    "field": {"type": "string"},
                    "message": {"type": "string"},
                },
            },
        },
    },
}

_ERRORS = {
    "401": "not signed in, or the token or session is not valid",
    "403": "the actor lacks the permission (or the CSRF token is missing)",
    "404": "no such record",
    "422": "invalid input; one entry in `details` per bad field",
}


def openapi_document(
    routes: Sequence[Route], *, title: str = "Contact centre CRM API"
) -> dict[str, Any]:
    schemas, refs = _schemas(routes)
    paths: dict[str, dict[str, Any]] = {}
    operation_ids: set[str] = set()
    for route in routes:
        path = _PLACEHOLDER.sub(r"{\1}", route.full_path)
        operation = _operation(route, refs)
        op_id = getattr(route.handler, "__name__", "operation")
        while op_id in operation_ids:
            op_id += "_"
        operation_ids.add(op_id)
        operation["operationId"] = op_id
        paths.setdefault(path, {})[route.method.lower()] = operation
    return {
        "openapi": "3.1.0",
        "info": {"title": title, "version": "1"},
        "paths": paths,
        "components": {
            "schemas": {**schemas, "Error": ERROR_SCHEMA},
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer"},
                "session": {"type": "apiKey", "in": "cookie", "name": "cc_session"},
            },
        },
        "security": [{"bearer": []}, {"session": []}],
    }


Refs = dict[tuple[Any, str], Any]


def _schemas(routes: Sequence[Route]) -> tuple[dict[str, Any], Refs]:
    wanted: list[tuple[type[BaseModel], JsonSchemaMode]] = []
    for route in routes:
        if route.body is not None:
            wanted.append((route.body, "validation"))
        if route.response is not None:
            wanted.append((route.response, "serialization"))
    unique = list(dict.fromkeys(wanted))
    if not unique:
        return {}, {}
    refs, defs = models_json_schema(unique, ref_template=_REF)
    found: Refs = {}
    for key, schema in refs.items():
        found[key] = schema
    return dict(defs.get("$defs", {})), found


def _operation(route: Route, refs: Refs) -> dict[str, Any]:
    needs = (
        "public: no credentials needed"
        if route.public
        else f"Requires the permission `{route.permission}`."
        if route.permission is not None
        else "Any signed-in user."
    )
    operation: dict[str, Any] = {
        "tags": [route.tag],
        "summary": route.summary,
        "description": "\n\n".join(p for p in (route.description, needs) if p),
        "parameters": _parameters(route),
        "responses": _responses(route, refs),
    }
    if route.public:
        operation["security"] = []
    if route.body is not None:
        operation["requestBody"] = {
            "required": True,
            "content": {
                "application/json": {"schema": refs[(route.body, "validation")]}
            },
        }
    return operation


def _parameters(route: Route) -> list[dict[str, Any]]:
    parameters: list[dict[str, Any]] = [
        {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
        for name in _PLACEHOLDER.findall(route.path)
    ]
    if route.paged:
        parameters += [
            {"name": "limit", "in": "query", "required": False,
             "schema": {"type": "integer", "minimum": 1, "default": 50}},
            {"name": "after", "in": "query", "required": False,
             "description": "the `next` cursor of the previous page",
             "schema": {"type": "string"}},
        ]  # fmt: skip
    if route.query is not None:
        schema = route.query.model_json_schema()
        required = set(schema.get("required", ()))
        for name, prop in schema.get("properties", {}).items():
            parameters.append(
                {"name": name, "in": "query", "required": name in required,
                 "schema": prop}
            )  # fmt: skip
    return parameters


def _responses(route: Route, refs: Refs) -> dict[str, Any]:
    ok: dict[str, Any] = {"description": route.summary}
    if route.response is not None:
        schema = refs[(route.response, "serialization")]
        if route.paged:
            schema = {
                "type": "object",
                "required": ["items", "next"],
                "properties": {
                    "items": {"type": "array", "items": schema},
                    "next": {"type": ["string", "null"]},
                },
            }
        ok["content"] = {"application/json": {"schema": schema}}
    responses: dict[str, Any] = {str(route.status): ok}
    codes = [] if route.public else ["401", "403"]
    if _PLACEHOLDER.search(route.path):
        codes.append("404")
    if route.body or route.query or route.paged or _PLACEHOLDER.search(route.path):
        codes.append("422")
    for code in codes:
        responses[code] = {
            "description": _ERRORS[code],
            "content": {"application/json": {"schema": _ERROR_REF}},
        }
    return responses
