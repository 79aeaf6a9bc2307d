"""The four cost endpoints read aggregates: their DynamoDB reads do not grow with the number of runs."""
from __future__ import annotations

from datetime import timedelta

import pytest

from chalicelib import models, timeutil
from chalicelib.aggregation.rebuild import rebuild_workspace
from chalicelib.ingest import members, runs, tasks
from tests.conftest import ApiClient, make_workspace

ENDPOINTS = ["/api/v1/cost/by-assignee", "/api/v1/tasks/top-cost?limit=10", "/api/v1/runs?limit=25",
             "/api/v1/cost/summary"]


def seed(store, workspace_id, run_count):
    """3 members, 10 tasks, `run_count` runs over the last 10 days; aggregates rebuilt from them."""
    now = timeutil.now_utc()
    for m in ("maria", "leo", "sam"):
        members.put_member(store, workspace_id, m, models.MemberPut(name=m.title(), email=f"{m}@x.example",
                                                                     role="operator"), now)
    for t in range(10):
        tasks.put_task(store, workspace_id, f"t{t}", models.TaskPut(
            title=f"Task {t}", assignee_id=("maria", "leo", "sam", None)[t % 4], status="open"), now)
    with store.source.batch_writer() as batch:
        for n in range(run_count):
            started = now - timedelta(days=n % 10, minutes=1)  # the same 10 local dates for any run count
            run = models.RunPost(run_id=f"r{n}", task_id=f"t{n % 10}", started_at=started, model="m",
                                 input_tokens=10, output_tokens=5, cost_usd="0.010000")
            batch.put_item(Item=runs.run_item(workspace_id, run, now, "Europe/Berlin"))
    rebuild_workspace(store, workspace_id)


def measure(store, api):
    """Per endpoint: (DynamoDB operations, items read)."""
    counts = {}
    current = {"ops": 0, "items": 0}

    def count(parsed, **_):
        current["ops"] += 1
        current["items"] += len(parsed.get("Items", [])) + (1 if parsed.get("Item") else 0)
        current["items"] += sum(len(v) for v in parsed.get("Responses", {}).values())

    store.client.meta.events.register("after-call.dynamodb.*", count)
    for path in ENDPOINTS:
        current.update(ops=0, items=0)
        answer = api.get(path)
        assert answer.status == 200, answer.body
        counts[path] = (current["ops"], current["items"])
    store.client.meta.events.unregister("after-call.dynamodb.*", count)
    return counts


@pytest.mark.timeout_heavy
def test_reads_do_not_grow_with_runs(store, admin, chalice_client):
    # GIVEN two workspaces alike but for 100 and 5,000 runs
    small_id, small_token = make_workspace(admin, "Small")
    large_id, large_token = make_workspace(admin, "Large")
    seed(store, small_id, 100)
    seed(store, large_id, 5000)
    small = ApiClient(chalice_client, small_token)
    large = ApiClient(chalice_client, large_token)
    assert large.get("/api/v1/cost/by-assignee").body["total_usd"] == "50.000000"
    # WHEN every cost endpoint is read THEN each does the same reads for both
    small_counts, large_counts = measure(store, small), measure(store, large)
    print("reads per endpoint (operations, items), 100 runs vs 5,000 runs:")
    for path in ENDPOINTS:
        print(f"  {path}: {small_counts[path]} vs {large_counts[path]}")
    assert small_counts == large_counts
