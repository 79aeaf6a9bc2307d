"""On the running stack, the stream pump feeds the aggregator: a posted run shows within 2 seconds."""
from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone

import pytest

pytestmark = pytest.mark.e2e


def test_posted_run_shows_in_by_assignee_within_two_seconds(stack, new_workspace):
    # GIVEN a workspace with a teammate and a task
    _, token = new_workspace
    assert stack.call("PUT", "/api/v1/members/maria", {"name": "Maria", "email": "m@example.com", "role": "owner"},
                      token=token).status_code == 201
    assert stack.call("PUT", "/api/v1/tasks/t1", {"title": "Invoices", "assignee_id": "maria", "status": "open"},
                      token=token).status_code == 201
    started = (datetime.now(timezone.utc) - timedelta(minutes=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    # WHEN a run is posted
    posted_at = time.monotonic()
    answer = stack.call("POST", "/api/v1/runs", {"run_id": "live-1", "task_id": "t1", "started_at": started,
                                                "model": "m", "input_tokens": 10, "output_tokens": 5,
                                                "cost_usd": "0.420000"}, token=token)
    assert answer.status_code == 201, answer.text
    # THEN by-assignee shows it within 2 seconds
    while True:
        body = stack.call("GET", "/api/v1/cost/by-assignee", token=token).json()
        if body["total_usd"] == "0.420000":
            break
        assert time.monotonic() - posted_at < 2.0, f"not aggregated within 2 s: {body}"
        time.sleep(0.05)
    elapsed = time.monotonic() - posted_at
    print(f"run visible in by-assignee after {elapsed:.2f} s")
    assert [(r["member_id"], r["cost_usd"]) for r in body["assignees"]] == [("maria", "0.420000")]
