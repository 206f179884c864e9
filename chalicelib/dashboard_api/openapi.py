"""The OpenAPI 3.1 document of ``/api/``, generated from the route table and its schemas."""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from chalicelib.dashboard_api.schemas import ErrorOut

if TYPE_CHECKING:
    from chalicelib.dashboard_api.routes import Operation

_REF = "#/components/schemas/{model}"
_ERRORS = {
    "400": "Invalid input (the message names the field)",
    "401": "Not signed in, or the session expired or was revoked",
    "404": "Not found (or not yours)",
    "429": "Too many attempts (see Retry-After)",
}


def document(operations: Sequence[Operation]) -> dict[str, Any]:
    """The whole document (built once per container)."""
    return _document(tuple(operations))


@functools.cache
def _document(operations: tuple[Operation, ...]) -> dict[str, Any]:
    models: list[tuple[type[BaseModel], Literal["validation", "serialization"]]] = [
        (ErrorOut, "serialization")
    ]
    for op in operations:
        if op.body is not None:
            models.append((op.body, "validation"))
        if op.response is not None:
            models.append((op.response, "serialization"))
    keys, defs = models_json_schema(list(dict.fromkeys(models)), ref_template=_REF)
    paths: dict[str, dict[str, Any]] = {}
    for op in operations:
        item = paths.setdefault(op.path, {})
        item[op.method.lower()] = _operation(op, keys)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Nezuko operator API",
            "version": "1",
            "description": "REST API of the Nezuko dashboard. Every error is "
            '{"error": {"code", "message"}}. Lists page with `cursor` / `next_cursor`.',
        },
        "paths": paths,
        "components": {
            "schemas": defs.get("$defs", {}),
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
    }


def _operation(op: Operation, keys: dict[Any, Any]) -> dict[str, Any]:
    error_ref = keys[(ErrorOut, "serialization")]
    out: dict[str, Any] = {
        "operationId": op.name,
        "summary": op.summary,
        "tags": [op.tag],
        "parameters": _parameters(op),
        "responses": {
            code: {"description": text, "content": {"application/json": {"schema": error_ref}}}
            for code, text in _ERRORS.items()
        },
    }
    if not op.public:
        out["security"] = [{"bearer": []}]
    if op.body is not None:
        out["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": keys[(op.body, "validation")]}},
        }
    if op.produces == "text/csv":
        success: dict[str, Any] = {
            "description": "CSV; X-Next-Cursor is set when more rows remain",
            "content": {"text/csv": {"schema": {"type": "string"}}},
        }
    elif op.response is not None:
        success = {
            "description": "OK",
            "content": {"application/json": {"schema": keys[(op.response, "serialization")]}},
        }
    elif op.status == 204:
        success = {"description": "Done"}
    else:
        success = {"description": "OK", "content": {"application/json": {"schema": {}}}}
    out["responses"][str(op.status)] = success
    return out


def _parameters(op: Operation) -> list[dict[str, Any]]:
    params: list[dict[str, Any]] = [
        {"name": name, "in": "path", "required": True, "schema": {"type": "integer"}}
        for name in re.findall(r"{(\w+)}", op.path)
    ]
    if op.query is not None:
        schema = op.query.model_json_schema(ref_template=_REF)
        required = set(schema.get("required", []))
        for name, prop in schema.get("properties", {}).items():
            params.append(
                {
                    "name": name,
                    "in": "query",
                    "required": name in required,
                    "schema": {k: v for k, v in prop.items() if k != "description"},
                    **({"description": prop["description"]} if "description" in prop else {}),
                }
            )
    return params
