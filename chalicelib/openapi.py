"""An OpenAPI 3.1 document of the v1 routes, generated from the routes' models."""
from __future__ import annotations

import re
from typing import Any

from pydantic.json_schema import models_json_schema

from chalicelib.models import ErrorBody

ERRORS = {"400": "Invalid input", "401": "No, unknown or revoked token", "403": "Token lacks the scope",
          "404": "Unknown resource (or another workspace's)", "409": "Conflict", "413": "Body too large"}


def openapi_document(app: Any) -> dict[str, Any]:
    docs = []
    for path, methods in sorted(app.routes.items()):
        for method, entry in sorted(methods.items()):
            contract = getattr(entry.view_function, "contract", None)
            if contract is not None:
                docs.append((path, method, contract))
    requests = {doc.body for _, _, doc in docs if doc.body is not None}
    responses = {doc.response for _, _, doc in docs if doc.response is not None} | {ErrorBody}
    inputs = [(m, "validation") for m in sorted(requests, key=lambda m: m.__name__)]
    inputs += [(m, "serialization") for m in sorted(responses, key=lambda m: m.__name__)]
    _, schema = models_json_schema(inputs, ref_template="#/components/schemas/{model}")
    paths: dict[str, Any] = {}
    for path, method, doc in docs:
        operation: dict[str, Any] = {
            "summary": doc.summary,
            "operationId": f"{method.lower()}_{re.sub(r'[^a-z0-9]+', '_', path.lower()).strip('_')}",
            "parameters": [{"name": name, "in": "path", "required": True,
                            "schema": {"type": "string", "pattern": "^[A-Za-z0-9._:-]{1,128}$"}}
                           for name in re.findall(r"{(\w+)}", path)],
            "responses": {str(doc.status): _content(doc.response) if doc.response else {"description": "No content"}},
        }
        operation["responses"][str(doc.status)].setdefault("description", "Success")
        for status, text in ERRORS.items():
            operation["responses"][status] = {"description": text, **_content(ErrorBody)}
        if doc.query is not None:
            for name, field in doc.query.model_fields.items():
                operation["parameters"].append({"name": name, "in": "query", "required": field.is_required(),
                                                "schema": {"type": "string"}})
        if doc.body is not None:
            operation["requestBody"] = {"required": True, **_content(doc.body)}
        operation["security"] = [{"bearer": []}]
        if doc.scope:
            operation["x-scope"] = doc.scope
        paths.setdefault(path, {})[method.lower()] = operation
    return {
        "openapi": "3.1.0",
        "info": {"title": "Loop Desk Cost API", "version": "1.0.0",
                 "description": "The v1 cost API. Money is an exact USD string with 6 fractional digits."},
        "paths": paths,
        "components": {"schemas": schema.get("$defs", {}),
                       "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}}},
    }


def _content(model: type) -> dict[str, Any]:
    return {"content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{model.__name__}"}}}}
