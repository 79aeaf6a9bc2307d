"""The contract by machine: GET /api/v1/openapi.json is a valid OpenAPI document of every v1 route."""
from __future__ import annotations

from openapi_spec_validator import validate

import app as application


def test_openapi_document_is_valid_and_complete(chalice_client):
    # WHEN an integrator fetches the document (no token needed)
    response = chalice_client.http.get("/api/v1/openapi.json")
    assert response.status_code == 200
    document = response.json_body
    # THEN it validates as OpenAPI and lists every v1 route with its method
    validate(document)
    documented = {(path, method.upper()) for path, ops in document["paths"].items() for method in ops}
    routed = {(path, method) for path, methods in application.app.routes.items() for method in methods
              if path.startswith("/api/v1/") and path != "/api/v1/openapi.json"}
    assert documented == routed
    run_post = document["paths"]["/api/v1/runs"]["post"]
    assert run_post["requestBody"]["content"]["application/json"]["schema"]["$ref"].endswith("/RunPost")
    money = document["components"]["schemas"]["RunPost"]["properties"]["cost_usd"]
    assert money["type"] == "string" and money["pattern"] == r"^\d+\.\d{6}$"
