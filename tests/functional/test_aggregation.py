"""The stream-triggered aggregator on real moto stream records."""
from __future__ import annotations

import pytest

import app as application
from chalicelib.aggregation.handler import handle_stream_event, parked_records
from tests.conftest import run_body
from tests.streams import StreamTap, stream_event


@pytest.fixture
def tap(store):
    return StreamTap(store)


def deliver(records):
    return application.aggregate_costs(stream_event(records), None)


def by_assignee(api):
    answer = api.get("/api/v1/cost/by-assignee")
    assert answer.status == 200, answer.body
    return answer.body


def seed(api):
    api.put("/api/v1/members/maria", {"name": "Maria", "email": "m@example.com", "role": "owner"})
    api.put("/api/v1/members/leo", {"name": "Leo", "email": "l@example.com", "role": "operator"})
    api.put("/api/v1/tasks/t1", {"title": "Invoices", "assignee_id": "maria", "status": "open"})
    api.put("/api/v1/tasks/t2", {"title": "Payroll", "assignee_id": "leo", "status": "open"})


def test_runs_are_counted_once_per_assignee(api, tap):
    # GIVEN two teammates with a task each and three runs, one posted before its task exists
    seed(api)
    api.post("/api/v1/runs", run_body("r1", "1.500000", "t1"))
    api.post("/api/v1/runs", run_body("r2", "0.250000", "t2"))
    api.post("/api/v1/runs", run_body("r3", "2.000000", "t9"))
    # WHEN the stream is delivered twice
    records = tap.take()
    deliver(records)
    deliver(records)
    # THEN every figure is counted once and reconciles
    body = by_assignee(api)
    assert body["total_usd"] == "3.750000"
    rows = {row["member_id"]: row["cost_usd"] for row in body["assignees"]}
    assert rows == {"maria": "1.500000", "leo": "0.250000"}
    assert body["unassigned"]["cost_usd"] == "2.000000"


def test_task_arriving_later_moves_its_cost(api, tap):
    seed(api)
    api.post("/api/v1/runs", run_body("r1", "2.000000", "t9"))
    deliver(tap.take())
    api.put("/api/v1/tasks/t9", {"title": "Late", "assignee_id": "leo", "status": "open"})
    deliver(tap.take())
    body = by_assignee(api)
    assert body["unassigned"]["cost_usd"] == "0.000000"
    assert {r["member_id"]: r["cost_usd"] for r in body["assignees"]}["leo"] == "2.000000"


def test_reassignment_moves_whole_cost_and_stale_redelivery_does_not_undo_it(api, tap):
    seed(api)
    api.post("/api/v1/runs", run_body("r1", "3.000000", "t1"))
    first = tap.take()
    deliver(first)
    api.put("/api/v1/tasks/t1", {"title": "Invoices", "assignee_id": "leo", "status": "open"})
    deliver(tap.take())
    deliver(first)  # an old batch delivered again
    rows = {r["member_id"]: r["cost_usd"] for r in by_assignee(api)["assignees"]}
    assert rows == {"leo": "3.000000", "maria": "0.000000"} or rows == {"leo": "3.000000"}


def test_poison_record_is_parked_and_the_rest_applied_once(api, tap, store):
    # GIVEN a batch with a poison record in the middle
    seed(api)
    api.post("/api/v1/runs", run_body("r1", "1.000000", "t1"))
    api.post("/api/v1/runs", run_body("r2", "2.000000", "t2"))
    records = tap.take()
    poison = {"eventID": "poison-1", "eventName": "INSERT", "dynamodb": {"NewImage": {"entity": {"S": "run"},
                                                                                      "cost_micros": {"S": "x"}}}}
    batch = records[:-1] + [poison] + records[-1:]
    # WHEN it is delivered, and delivered again
    assert deliver(batch) == {"batchItemFailures": []}
    deliver(batch)
    # THEN the good records count once and the bad one is parked with its error
    assert by_assignee(api)["total_usd"] == "3.000000"
    parked = parked_records(store)
    assert [p["sk"] for p in parked] == ["PARKED#poison-1"]
    assert "invalid run item" in parked[0]["error"]


def test_handler_returns_counts(store, api, tap):
    seed(api)
    api.post("/api/v1/runs", run_body("r1", "1.000000", "t1"))
    result = handle_stream_event(store, stream_event(tap.take()))
    assert result.applied.runs == 1 and result.applied.tasks == 2 and result.parked == 0
