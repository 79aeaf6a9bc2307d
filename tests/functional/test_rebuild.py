"""The rebuild command recomputes a workspace's aggregates from its source items."""
from __future__ import annotations

import app as application
from chalicelib.aggregation.rebuild import rebuild_workspace
from tests.conftest import run_body
from tests.streams import StreamTap, stream_event


def test_rebuild_repairs_damaged_aggregates(api, store, workspace):
    # GIVEN aggregates kept by the stream handler
    workspace_id, _ = workspace
    tap = StreamTap(store)
    api.put("/api/v1/members/maria", {"name": "Maria", "email": "m@example.com", "role": "owner"})
    api.put("/api/v1/tasks/t1", {"title": "Invoices", "assignee_id": "maria", "status": "open"})
    for n, cost in enumerate(["1.250000", "0.000001", "3.000000"]):
        api.post("/api/v1/runs", run_body(f"r{n}", cost, "t1" if n else None))
    records = tap.take()
    application.aggregate_costs(stream_event(records), None)
    healthy = api.get("/api/v1/cost/by-assignee").body
    # WHEN a bug damages them (here: a lost assignee row and a wrong total)
    store.state.delete_item(Key={"pk": f"WS#{workspace_id}", "sk": "AGG#ASSIGNEE#maria"})
    store.state.update_item(Key={"pk": f"WS#{workspace_id}", "sk": "AGG#TOTAL"},
                            UpdateExpression="SET cost_micros = :x", ExpressionAttributeValues={":x": 1})
    assert api.get("/api/v1/cost/by-assignee").body != healthy
    progress = []
    counts = rebuild_workspace(store, workspace_id, lambda done, total: progress.append((done, total)))
    # THEN the figures are back, to the micro-dollar, and the progress reached its end
    repaired = api.get("/api/v1/cost/by-assignee").body
    assert {k: v for k, v in repaired.items() if k != "as_of"} == {k: v for k, v in healthy.items() if k != "as_of"}
    assert progress[-1][0] == progress[-1][1] and counts["markers"] == 3
    # and redelivering the old stream after the rebuild changes nothing (markers were rebuilt too)
    application.aggregate_costs(stream_event(records), None)
    assert api.get("/api/v1/cost/by-assignee").body["total_usd"] == healthy["total_usd"]
