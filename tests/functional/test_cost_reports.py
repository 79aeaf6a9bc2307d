"""Contract §6 details: solo, percent rounding, ordering, the unassigned row, top-cost and the summary."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

import app as application
from tests.conftest import run_body
from tests.functional.conftest_governance import noon_timezone
from tests.streams import StreamTap, stream_event


@pytest.fixture
def tap(store):
    return StreamTap(store)


def member(api, member_id, name):
    assert api.put(f"/api/v1/members/{member_id}", {"name": name, "email": f"{member_id}@x.example",
                                                    "role": "operator"}).status == 201


def task(api, task_id, assignee, status="open"):
    assert api.put(f"/api/v1/tasks/{task_id}", {"title": f"Task {task_id}", "assignee_id": assignee,
                                                "status": status}).status in (200, 201)


def spend(api, tap, *runs, started_at=None):
    started_at = started_at or (datetime.now(timezone.utc) - timedelta(minutes=5)).strftime("%Y-%m-%dT%H:%M:%SZ")
    for run_id, cost, task_id in runs:
        assert api.post("/api/v1/runs", run_body(run_id, cost, task_id, started_at=started_at)).status == 201
    application.aggregate_costs(stream_event(tap.take()), None)


def test_solo_with_one_named_member(api, tap):
    member(api, "maria", "Maria")
    task(api, "t1", "maria")
    spend(api, tap, ("r1", "1", "t1"), ("r2", "1", None))
    body = api.get("/api/v1/cost/by-assignee").body
    assert body["solo"] is True and [a["member_id"] for a in body["assignees"]] == ["maria"]


def test_not_solo_with_two_and_ordering_cost_then_member_id(api, tap):
    for m in ("zoe", "amy", "bob"):
        member(api, m, m.title())
    task(api, "t1", "zoe")
    task(api, "t2", "amy")
    task(api, "t3", "bob")
    spend(api, tap, ("r1", "1.000000", "t1"), ("r2", "1.000000", "t2"), ("r3", "1.000000", "t3"))
    body = api.get("/api/v1/cost/by-assignee").body
    assert body["solo"] is False
    assert [a["member_id"] for a in body["assignees"]] == ["amy", "bob", "zoe"]
    # one third each: 33.3% each (one decimal, half up); the unassigned row is there with zeros
    assert [a["percent"] for a in body["assignees"]] == [33.3, 33.3, 33.3]
    assert body["unassigned"] == {"cost_usd": "0.000000", "percent": 0.0, "tokens": 0, "tasks": 0}
    assert body["currency"] == "USD" and body["total_usd"] == "3.000000" and body["total_tokens"] == 450


def test_percent_rounds_half_up_and_rows_reconcile(api, tap):
    member(api, "a", "A")
    member(api, "b", "B")
    task(api, "t1", "a")
    task(api, "t2", "b")
    spend(api, tap, ("r1", "2.000000", "t1"), ("r2", "1.000000", "t2"), ("r3", "0.000001", None))
    body = api.get("/api/v1/cost/by-assignee").body
    assert [(a["member_id"], a["percent"]) for a in body["assignees"]] == [("a", 66.7), ("b", 33.3)]
    assert body["unassigned"]["percent"] == 0.0 and body["unassigned"]["cost_usd"] == "0.000001"
    total = sum(int(a["cost_usd"].replace(".", "")) for a in body["assignees"])
    assert total + int(body["unassigned"]["cost_usd"].replace(".", "")) == int(body["total_usd"].replace(".", ""))


def test_top_cost_orders_filters_and_limits(api, tap):
    member(api, "a", "A")
    task(api, "t1", "a")
    task(api, "t2", "a", "closed")
    task(api, "t3", None)
    spend(api, tap, ("r1", "1.000000", "t1"), ("r2", "3.000000", "t2"), ("r3", "1.000000", "t3"),
          ("r4", "0.500000", "t-later"))
    every = api.get("/api/v1/tasks/top-cost").body["tasks"]
    assert [t["task_id"] for t in every] == ["t2", "t1", "t3", "t-later"]
    assert every[0]["assignee"] == {"member_id": "a", "name": "A"} and every[2]["assignee"] is None
    assert every[3]["title"] is None  # a task not known yet
    assert [t["task_id"] for t in api.get("/api/v1/tasks/top-cost?status=open").body["tasks"]] == ["t1", "t3",
                                                                                                   "t-later"]
    assert [t["task_id"] for t in api.get("/api/v1/tasks/top-cost?status=closed&limit=1").body["tasks"]] == ["t2"]
    assert api.get("/api/v1/tasks/top-cost?status=done").status == 400


def test_summary_days_average_projection_and_cap(api, tap):
    # a fixed-offset zone where it is about noon now: no run lands across local midnight
    assert api.patch("/api/v1/workspace", {"daily_cap_usd": "10", "timezone": noon_timezone()}).status == 200
    now = datetime.now(timezone.utc)
    for days_ago in range(1, 8):  # $7 spread over the 7 days before today: $1.000000 a day
        started = (now - timedelta(days=days_ago)).strftime("%Y-%m-%dT%H:%M:%SZ")
        spend(api, tap, (f"old{days_ago}", "1.000000", None), started_at=started)
    spend(api, tap, ("today", "8.500000", None))
    body = api.get("/api/v1/cost/summary").body
    assert len(body["days"]) == 30 and body["days"][-1]["date"] == body["today"]["date"]
    assert [d["date"] for d in body["days"]] == sorted(d["date"] for d in body["days"])
    assert body["days"][0]["cost_usd"] == "0.000000"
    assert body["today"]["cost_usd"] == "8.500000" and body["today"]["runs"] == 1
    assert body["yesterday"]["cost_usd"] == "1.000000"
    assert body["trailing_7d_avg_usd"] == "1.000000" and body["projection_30d_usd"] == "30.000000"
    assert body["ratio_to_trailing"] == 8.5
    assert body["cap"] == {"daily_cap_usd": "10.000000", "used_usd": "8.500000", "reserved_usd": "0.000000",
                           "used_percent": 85.0, "state": "warning"}
    assert body["total_usd"] == "15.500000"


def test_summary_without_history(api):
    body = api.get("/api/v1/cost/summary").body
    assert body["ratio_to_trailing"] is None and body["cap"]["state"] == "none" and body["total_usd"] == "0.000000"
