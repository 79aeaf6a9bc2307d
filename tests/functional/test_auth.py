"""Tokens: format, checksum before any read, revocation, scopes, and the tenant wall."""
from __future__ import annotations

import pytest

from chalicelib import auth
from tests.conftest import ADMIN_TOKEN, ApiClient, make_workspace, run_body


@pytest.fixture
def dynamodb_calls(store):
    """Every DynamoDB operation the app makes, by name."""
    calls: list[str] = []
    store.client.meta.events.register("before-call.dynamodb.*", lambda model, **_: calls.append(model.name))
    return calls


def test_no_token_is_401(api):
    answer = api.get("/api/v1/workspace", token="")
    assert answer.status == 401 and answer.body["error"]["code"] == "missing_token"


@pytest.mark.parametrize("token", ["hello", "Bearer", "ldk_short_abcdef", "ldk_" + "a" * 40])
def test_malformed_token_is_401(api, token):
    assert api.get("/api/v1/workspace", token=token).status == 401


def test_bad_checksum_is_refused_before_any_read(api, dynamodb_calls):
    # GIVEN a well-shaped token whose checksum is wrong
    token = api.token
    forged = token[:-6] + ("AAAAAA" if not token.endswith("AAAAAA") else "BBBBBB")
    dynamodb_calls.clear()
    # WHEN it is used
    answer = api.get("/api/v1/workspace", token=forged)
    # THEN it is refused with no table read at all
    assert answer.status == 401 and answer.body["error"]["code"] == "invalid_token"
    assert dynamodb_calls == []


def test_well_formed_unknown_token_is_401(api):
    assert api.get("/api/v1/workspace", token=auth.new_token()).status == 401


def test_token_is_stored_only_as_digest(api, store):
    items = store.state.scan()["Items"]
    assert not any(api.token in str(item) for item in items)
    assert any(item["pk"] == f"TOKEN#{auth.digest(api.token)}" for item in items)


def test_revoked_token_is_401(admin, chalice_client, workspace):
    workspace_id, api = workspace
    created = admin.post(f"/api/v1/admin/workspaces/{workspace_id}/tokens", {"scopes": ["cost:read"], "label": "bi"})
    assert created.status == 201
    reader = ApiClient(chalice_client, created.body["token"])
    assert reader.get("/api/v1/workspace").status == 200
    assert admin.delete(f"/api/v1/admin/workspaces/{workspace_id}/tokens/{created.body['token_id']}").status == 204
    answer = reader.get("/api/v1/workspace")
    assert answer.status == 401 and answer.body["error"]["code"] == "revoked_token"
    assert api.get("/api/v1/workspace").status == 200


def test_missing_scope_is_403_and_writes_nothing(admin, chalice_client, workspace):
    workspace_id, api = workspace
    token = admin.post(f"/api/v1/admin/workspaces/{workspace_id}/tokens",
                       {"scopes": ["cost:read"], "label": "read only"}).body["token"]
    reader = ApiClient(chalice_client, token)
    answer = reader.post("/api/v1/runs", run_body("r1"))
    assert answer.status == 403 and answer.body["error"]["code"] == "insufficient_scope"
    assert reader.patch("/api/v1/workspace", {"name": "x"}).status == 403
    assert api.get("/api/v1/runs").body["runs"] == []


def test_admin_token_only_on_admin_routes(admin, api):
    assert api.get("/api/v1/workspace", token=ADMIN_TOKEN).status == 401
    assert admin.post("/api/v1/admin/workspaces", {"name": "X", "timezone": "UTC"}, token=api.token).status == 401
    assert admin.post("/api/v1/admin/workspaces", {"name": "X", "timezone": "UTC"}, token="").status == 401


def test_admin_unknown_workspace_is_404(admin):
    answer = admin.post("/api/v1/admin/workspaces/ws_nope/tokens", {"scopes": ["cost:read"], "label": "x"})
    assert answer.status == 404
    assert admin.delete("/api/v1/admin/workspaces/ws_nope/tokens/tok_nope").status == 404


def test_tenant_wall(admin, chalice_client, workspace):
    # GIVEN workspace B with a member, a task and a run
    _, b = workspace
    b.put("/api/v1/members/maria", {"name": "Maria", "email": "m@example.com", "role": "owner"})
    b.put("/api/v1/tasks/t1", {"title": "Secret", "assignee_id": "maria", "status": "open"})
    b.post("/api/v1/runs", run_body("r1", "5.000000", "t1"))
    _, a_token = make_workspace(admin, "A")
    a = ApiClient(chalice_client, a_token)
    # WHEN workspace A's token names B's ids
    assert a.get("/api/v1/tasks/t1").status == 404
    assert a.get("/api/v1/runs/r1").status == 404
    assert a.get("/api/v1/runs?task_id=t1").body["runs"] == []
    assert a.get("/api/v1/members").body["members"] == []
    assert a.put("/api/v1/tasks/t2", {"title": "x", "assignee_id": "maria", "status": "open"}).status == 400
    # THEN nothing of B leaked and nothing of B changed
    assert b.get("/api/v1/tasks/t1").body["title"] == "Secret"
    assert b.get("/api/v1/runs/r1").body["cost_usd"] == "5.000000"
    assert a.get("/api/v1/tasks/t2").status == 404
    # and the same run_id in A is A's own, not a conflict with B's
    assert a.post("/api/v1/runs", run_body("r1", "1.000000")).status == 201
    assert b.get("/api/v1/runs/r1").body["cost_usd"] == "5.000000"


def test_run_idempotency(api):
    assert api.post("/api/v1/runs", run_body("r1", "1.5")).status == 201
    assert api.post("/api/v1/runs", run_body("r1", "1.500000")).status == 200
    conflict = api.post("/api/v1/runs", run_body("r1", "2.0"))
    assert conflict.status == 409 and conflict.body["error"]["code"] == "run_conflict"
    page = api.get("/api/v1/runs").body["runs"]
    assert [(r["run_id"], r["cost_usd"]) for r in page] == [("r1", "1.500000")]
