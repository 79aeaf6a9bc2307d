"""Shared fixtures: AWS credentials, moto, the app's Client, tokens and a stream event factory."""
from __future__ import annotations

import json
import os
from dataclasses import dataclass
from typing import Any

import pytest

os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")
os.environ.setdefault("AWS_SESSION_TOKEN", "testing")
os.environ["AWS_DEFAULT_REGION"] = "us-east-1"
os.environ["AWS_ACCOUNT_ID_ENDPOINT_MODE"] = "disabled"
os.environ.pop("AWS_ENDPOINT_URL", None)

from chalicelib import auth  # noqa: E402

ADMIN_TOKEN = auth.new_token(auth.ADMIN_PREFIX)


@pytest.fixture
def aws():
    from moto import mock_aws

    with mock_aws():
        yield


@pytest.fixture
def settings():
    from chalicelib.config import Settings

    return Settings.from_env({
        "LOOPDESK_STAGE": "test",
        "LOOPDESK_ADMIN_TOKEN_SHA256": auth.digest(ADMIN_TOKEN),
        "AWS_DEFAULT_REGION": "us-east-1",
        "LOOPDESK_SIGNING_SECRET": "test-signing-secret",
    })


@pytest.fixture
def store(aws, settings):
    import boto3

    import app as application
    from chalicelib.store.db import connect
    from chalicelib.store.tables import create_tables

    create_tables(boto3.client("dynamodb", region_name="us-east-1"), settings)
    handle = connect(settings)
    application.reset_store(handle)
    yield handle
    application.reset_store(None)


@dataclass
class Answer:
    status: int
    body: Any
    headers: dict[str, str]


class ApiClient:
    """JSON calls through chalice.test.Client with a bearer token."""

    def __init__(self, client: Any, token: str | None = None):
        self._client = client
        self.token = token

    def call(self, method: str, path: str, body: Any = None, *, token: str | None = None,
             raw: bytes | None = None, headers: dict[str, str] | None = None) -> Answer:
        sent = {"Content-Type": "application/json", **(headers or {})}
        bearer = token if token is not None else self.token
        if bearer:
            sent["Authorization"] = f"Bearer {bearer}"
        payload = raw if raw is not None else (json.dumps(body) if body is not None else None)
        response = getattr(self._client.http, method.lower())(path, headers=sent, body=payload)
        text = response.body.decode() if isinstance(response.body, bytes) else response.body
        parsed = json.loads(text) if text else None
        return Answer(response.status_code, parsed, dict(response.headers))

    def get(self, path: str, **kw: Any) -> Answer:
        return self.call("GET", path, **kw)

    def post(self, path: str, body: Any = None, **kw: Any) -> Answer:
        return self.call("POST", path, body, **kw)

    def put(self, path: str, body: Any = None, **kw: Any) -> Answer:
        return self.call("PUT", path, body, **kw)

    def patch(self, path: str, body: Any = None, **kw: Any) -> Answer:
        return self.call("PATCH", path, body, **kw)

    def delete(self, path: str, **kw: Any) -> Answer:
        return self.call("DELETE", path, **kw)


@pytest.fixture
def chalice_client(store):
    from chalice.test import Client

    import app as application

    with Client(application.app) as client:
        yield client


@pytest.fixture
def admin(chalice_client):
    return ApiClient(chalice_client, ADMIN_TOKEN)


def make_workspace(admin_client: ApiClient, name: str = "Acme", timezone: str = "Europe/Berlin",
                   **extra: Any) -> tuple[str, str]:
    answer = admin_client.post("/api/v1/admin/workspaces", {"name": name, "timezone": timezone, **extra})
    assert answer.status == 201, answer.body
    return answer.body["workspace_id"], answer.body["token"]


@pytest.fixture
def workspace(admin, chalice_client):
    """A fresh workspace: (workspace_id, ApiClient with its all-scopes token)."""
    workspace_id, token = make_workspace(admin)
    return workspace_id, ApiClient(chalice_client, token)


@pytest.fixture
def api(workspace):
    return workspace[1]


def run_body(run_id: str, cost: Any = "1.000000", task_id: str | None = "t1",
             started_at: str = "2026-12-04T10:00:00Z", **extra: Any) -> dict[str, Any]:
    body = {"run_id": run_id, "task_id": task_id, "started_at": started_at, "model": "gpt-test",
            "input_tokens": 100, "output_tokens": 50, "cost_usd": cost}
    body.update(extra)
    return body
