"""Each rule fires at most once a day, and each delivery is sent once, however many checks race.

Every racer has its own connection (as separate Lambda containers do); `serialized_moto` makes each
moto request atomic, as DynamoDB's are (see its docstring for what in-process moto does otherwise).
"""
from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import timedelta
from typing import Any, Callable

import pytest

from chalicelib import timeutil
from chalicelib.alerts.governance import resume_by_hand, run_tick
from chalicelib.store.db import Store
from tests.conftest import run_body
from tests.functional.conftest_governance import connections, deliver, minutes_ago, open_workspace

pytest_plugins = ["tests.functional.conftest_governance", "tests.receivers"]


@pytest.fixture
def settings(settings):
    """The local stack's setting: Slack and webhooks may point at the loopback receivers."""
    return replace(settings, allow_private_urls=True)


def race(racers: list[Callable[[], Any]]) -> list[Any]:
    """Start every racer at the same instant; return their results (re-raising the first error)."""
    start = threading.Barrier(len(racers))

    def run(racer: Callable[[], Any]) -> Any:
        start.wait()
        return racer()

    with ThreadPoolExecutor(len(racers)) as pool:
        return list(pool.map(run, racers))


def alert_types(api) -> list[str]:
    return sorted(a["type"] for a in api.get("/api/v1/alerts?limit=100").body["alerts"])


def test_eight_concurrent_checks_send_one_slack_message_and_one_post_per_endpoint(
        store, admin, chalice_client, tap, make_receiver, serialized_moto):
    # GIVEN a spike ($2 today, nothing before), Slack and two webhook endpoints on loopback
    workspace_id, api = open_workspace(admin, chalice_client)
    slack, first, second = make_receiver(), make_receiver(), make_receiver()
    api.patch("/api/v1/workspace", {"slack_webhook_url": slack.url})
    for receiver in (first, second):
        assert api.post("/api/v1/webhooks", {"url": receiver.url, "events": ["*"]}).status == 201
    api.post("/api/v1/runs", run_body("r1", "2.000000", started_at=minutes_ago(1)))
    deliver(tap.take())
    now = timeutil.now_utc()
    # WHEN eight scheduled checks run at once
    race([lambda handle=handle: run_tick(handle, now, workspace_id) for handle in connections(store, 8)])
    # THEN one spike alert exists, and Slack and each endpoint received exactly one POST
    assert alert_types(api) == ["cost_spike"]
    assert (len(slack.requests), len(first.requests), len(second.requests)) == (1, 1, 1)


def test_cap_fires_once_when_the_aggregator_and_checks_race(store, admin, chalice_client, tap, serialized_moto):
    # GIVEN a run that takes today past a $1 cap, stored but not yet aggregated
    workspace_id, api = open_workspace(admin, chalice_client, daily_cap_usd="1.000000")
    api.patch("/api/v1/workspace", {"spike_min_usd": "1000000"})  # only the cap rules in play
    api.post("/api/v1/runs", run_body("r1", "1.500000", started_at=minutes_ago(1)))
    records = tap.take()
    now = timeutil.now_utc()
    handles = connections(store, 10)
    # WHEN the stream handler (with its inline cap check) races five scheduled checks, and five more follow
    race([lambda: deliver(records)] + [lambda h=h: run_tick(h, now, workspace_id) for h in handles[:5]])
    race([lambda h=h: run_tick(h, now, workspace_id) for h in handles[5:]])
    # THEN exactly one warning and one reached alert fired, and the desk is paused
    assert alert_types(api) == ["cost_cap_reached", "cost_cap_warning"]
    assert api.get("/api/v1/workspace").body["status"] == "paused"


def test_manual_and_midnight_resume_racing_resume_once(store, admin, chalice_client, tap, serialized_moto):
    # GIVEN a desk paused by its cap
    workspace_id, api = open_workspace(admin, chalice_client, daily_cap_usd="1.000000")
    api.post("/api/v1/runs", run_body("r1", "1.000000", started_at=minutes_ago(1)))
    deliver(tap.take())
    assert api.get("/api/v1/workspace").body["status"] == "paused"
    handles: list[Store] = connections(store, 6)
    now = timeutil.now_utc()
    # WHEN three owners press resume while three checks run after the next local midnight
    racers: list[Callable[[], Any]] = [lambda h=h: resume_by_hand(h, workspace_id, now) for h in handles[:3]]
    racers += [lambda h=h: run_tick(h, now + timedelta(days=1), workspace_id) for h in handles[3:]]
    race(racers)
    # THEN the desk is active and one desk_resumed alert says so
    assert api.get("/api/v1/workspace").body["status"] == "active"
    assert alert_types(api).count("desk_resumed") == 1
