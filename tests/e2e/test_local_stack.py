"""The local stack over HTTP: dev.json, the demo workspace, the contract's 404, the outbox, Ctrl-C."""
from __future__ import annotations

import json
import re
import socket
import stat
from datetime import datetime, timezone

import pytest

from chalicelib.devstack import demo
from tests.e2e.conftest import Stack, start_stack, stop_stack_process

pytestmark = pytest.mark.e2e

NOT_FOUND = {"error": {"code": "not_found", "message": "No such route."}}
MONEY = re.compile(r"^\d+\.\d{6}$")


def test_dev_json_describes_the_running_stack(stack: Stack) -> None:
    # GIVEN a started stack WHEN reading its dev.json
    info = json.loads(stack.dev_file.read_text())
    # THEN it has exactly the four fields, and only its owner may read it (it holds the admin token)
    assert set(info) == {"api_url", "admin_token", "workspace_id", "token"}
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+", info["api_url"])
    assert info["admin_token"].startswith("ldkop_")
    assert info["token"].startswith("ldk_") and info["workspace_id"]
    assert stat.S_IMODE(stack.dev_file.stat().st_mode) == 0o600


def test_the_stack_serves_the_v1_api_with_the_demo_token(stack: Stack) -> None:
    answer = stack.call("GET", "/api/v1/workspace")
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["workspace_id"] == stack.workspace_id
    assert (body["name"], body["timezone"], body["daily_cap_usd"]) == ("Demo Bakery", "America/New_York", "40.000000")


def test_the_admin_token_creates_workspaces(new_workspace: tuple[str, str], stack: Stack) -> None:
    workspace_id, token = new_workspace
    answer = stack.call("GET", "/api/v1/workspace", token=token)
    assert answer.status_code == 200, answer.text
    assert answer.json()["workspace_id"] == workspace_id


def test_demo_workspace_has_three_members(stack: Stack) -> None:
    answer = stack.call("GET", "/api/v1/members")
    assert answer.status_code == 200, answer.text
    members = {m["member_id"]: m for m in answer.json()["members"]}
    assert set(members) == {"maria", "leo", "sam"}
    assert members["maria"]["role"] == "owner"
    assert {members["leo"]["role"], members["sam"]["role"]} == {"operator"}
    assert all(m["email"].endswith("@demo.example") for m in members.values())


def test_demo_workspace_has_its_tasks(stack: Stack) -> None:
    # GIVEN the demo's dozen tasks, a couple unassigned and a couple closed
    assert len(demo.TASKS) == 12
    assert sum(t.assignee_id is None for t in demo.TASKS) >= 2
    assert sum(t.status == "closed" for t in demo.TASKS) >= 2
    # THEN each one is served as seeded
    for task in demo.TASKS:
        answer = stack.call("GET", f"/api/v1/tasks/{task.task_id}")
        assert answer.status_code == 200, answer.text
        body = answer.json()
        assert (body["title"], body["status"], body["assignee_id"]) == (task.title, task.status, task.assignee_id)


def test_demo_workspace_has_two_weeks_of_past_runs(stack: Stack) -> None:
    # WHEN paging through every run, newest first
    runs, cursor = [], None
    while True:
        answer = stack.call("GET", "/api/v1/runs", params={"limit": 100, **({"cursor": cursor} if cursor else {})})
        assert answer.status_code == 200, answer.text
        runs.extend(answer.json()["runs"])
        cursor = answer.json()["next_cursor"]
        if cursor is None:
            break
    # THEN there are two weeks of them, all started in the past, with exact money strings
    now = datetime.now(timezone.utc)
    started = [datetime.fromisoformat(r["started_at"].replace("Z", "+00:00")) for r in runs]
    assert len(runs) > 150
    assert all(moment <= now for moment in started)
    assert (max(started) - min(started)).days >= 12
    assert all(MONEY.match(r["cost_usd"]) for r in runs)
    assert len({r["run_id"] for r in runs}) == len(runs)
    assert all(r["run_id"].startswith("demo-") for r in runs)


@pytest.mark.parametrize("method, path", [
    ("GET", "/nope"),
    ("GET", "/api/v1/no/such/route"),
    ("POST", "/api/v1/nope"),
    ("DELETE", "/"),
])
def test_an_unknown_route_answers_404_in_the_error_shape(stack: Stack, method: str, path: str) -> None:
    # GIVEN a bearer token (chalice local would answer 403 "Authorization header requires ...")
    answer = stack.call(method, path, {"x": 1} if method == "POST" else None)
    assert answer.status_code == 404
    assert answer.headers["Content-Type"] == "application/json"
    assert answer.json() == NOT_FOUND


def test_the_outbox_lists_sent_mail(stack: Stack) -> None:
    answer = stack.call("GET", "/dev/outbox", token="")
    assert answer.status_code == 200, answer.text
    messages = answer.json()["messages"]
    assert isinstance(messages, list)
    for message in messages:
        assert set(message) == {"to", "subject", "text", "html"}


def test_the_outbox_is_read_only(stack: Stack) -> None:
    answer = stack.call("POST", "/dev/outbox", {})
    assert answer.status_code == 405
    assert answer.json()["error"]["code"] == "method_not_allowed"


def test_ctrl_c_stops_the_stack_cleanly(tmp_path_factory: pytest.TempPathFactory) -> None:
    # GIVEN a short-lived stack without demo data
    bare = start_stack(tmp_path_factory.mktemp("ctrl-c"), LOOPDESK_DEMO="0")
    try:
        info = json.loads(bare.dev_file.read_text())
        assert (info["workspace_id"], info["token"]) == (None, None)
        created = bare.call("POST", "/api/v1/admin/workspaces", {"name": "Bare", "timezone": "UTC"},
                            token=bare.admin_token)
        assert created.status_code == 201, created.text
    finally:
        # WHEN it gets SIGINT, as from Ctrl-C
        code = stop_stack_process(bare.process, timeout=10)
    # THEN it exits 0 within 10 s, takes its dev.json with it and frees the port
    assert code == 0, bare.output()[-4000:]
    assert not bare.dev_file.exists()
    port = int(bare.api_url.rsplit(":", 1)[1])
    with socket.socket() as probe:
        assert probe.connect_ex(("127.0.0.1", port)) != 0
