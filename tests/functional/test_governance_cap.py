"""The daily cap (contract §5, §7): warn at 80%, pause at 100% inline with aggregation, resume, re-arm."""
from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from chalicelib import timeutil
from chalicelib.alerts.governance import run_tick
from tests.conftest import run_body
from tests.functional.conftest_governance import deliver, minutes_ago, open_workspace

pytest_plugins = ["tests.functional.conftest_governance"]


@pytest.fixture
def capped(admin, chalice_client):
    """(workspace_id, api) of a workspace with a $10 daily cap, where it is about noon."""
    return open_workspace(admin, chalice_client, daily_cap_usd="10.000000")


def spend(api, tap, run_id: str, usd: str) -> None:
    """Post one run that started a minute ago and hand the stream to the aggregator."""
    answer = api.post("/api/v1/runs", run_body(run_id, usd, started_at=minutes_ago(1)))
    assert answer.status == 201, answer.body
    deliver(tap.take())


CAP_ALERTS = ("cost_cap_warning", "cost_cap_reached", "desk_resumed")


def cap_alerts(api) -> list[dict]:
    """The cap's alerts (not the spike's), newest first."""
    return [a for a in api.get("/api/v1/alerts?limit=100").body["alerts"] if a["type"] in CAP_ALERTS]


def alert_types(api) -> list[str]:
    """The cap's alert types, oldest first."""
    return [a["type"] for a in reversed(cap_alerts(api))]


def local_time(api, hour: int, minute: int, days_ahead: int) -> datetime:
    """An instant at hour:minute local time, `days_ahead` local days from today."""
    zone = timeutil.zone(api.get("/api/v1/workspace").body["timezone"])
    day = timeutil.now_utc().astimezone(zone).date() + timedelta(days=days_ahead)
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=zone)


def pause(api, tap) -> None:
    spend(api, tap, "r1", "10.000000")
    assert api.get("/api/v1/workspace").body["status"] == "paused"


def test_crossing_80_then_100_percent_fires_one_warning_then_one_reached(capped, tap, store):
    workspace_id, api = capped
    # GIVEN runs that take today to 85% and then to 105% of the cap, each aggregated as it arrives
    spend(api, tap, "r1", "8.500000")
    spend(api, tap, "r2", "2.000000")
    # WHEN the stream is delivered again and the schedule checks as well
    api.post("/api/v1/runs", run_body("r3", "0.100000", started_at=minutes_ago(1)))
    deliver(tap.take())
    run_tick(store, timeutil.now_utc(), workspace_id)
    run_tick(store, timeutil.now_utc())
    # THEN there is exactly one warning and one reached alert, in that order
    assert alert_types(api) == ["cost_cap_warning", "cost_cap_reached"]


def test_warning_carries_the_cap_figures(capped, tap):
    # GIVEN a $10 cap
    _, api = capped
    # WHEN a run takes today to $8.50
    spend(api, tap, "r1", "8.500000")
    # THEN the warning says 85% of the $10 cap, and the desk stays active
    alert = cap_alerts(api)[0]
    assert alert["type"] == "cost_cap_warning"
    assert alert["data"]["used_usd"] == "8.500000" and alert["data"]["daily_cap_usd"] == "10.000000"
    assert alert["data"]["used_percent"] == 85.0
    assert "85.0% of the $10.00 daily cap" in alert["text"]
    assert api.get("/api/v1/workspace").body["status"] == "active"


def test_reaching_the_cap_pauses_the_desk_in_the_same_step(capped, tap):
    # GIVEN a $10 cap
    _, api = capped
    # WHEN one aggregated run reaches it exactly
    spend(api, tap, "r1", "10.000000")
    # THEN the desk is paused by that very aggregation (no schedule has run), and says why
    workspace = api.get("/api/v1/workspace").body
    assert workspace["status"] == "paused"
    assert workspace["paused_reason"].startswith("cost_cap_reached")
    assert api.get("/api/v1/cost/summary").body["cap"]["state"] == "reached"


def test_runs_posted_while_paused_are_stored_and_aggregated(capped, tap):
    # GIVEN a paused desk
    _, api = capped
    pause(api, tap)
    # WHEN a run that was already under way is posted, and the stream delivered
    answer = api.post("/api/v1/runs", run_body("r2", "1.250000", started_at=minutes_ago(1)))
    deliver(tap.take())
    # THEN it is stored and counted in today's spend
    assert answer.status == 201, answer.body
    assert api.get("/api/v1/runs/r2").status == 200
    assert api.get("/api/v1/cost/summary").body["today"]["cost_usd"] == "11.250000"


def test_resume_by_hand_makes_the_desk_active_and_says_so(capped, tap):
    # GIVEN a paused desk
    _, api = capped
    pause(api, tap)
    # WHEN the owner resumes it
    answer = api.post("/api/v1/workspace/resume")
    # THEN it is active, admits again, and a desk_resumed alert (by hand) is on record
    assert answer.status == 200, answer.body
    assert answer.body["status"] == "active" and answer.body["paused_reason"] is None
    assert api.post("/api/v1/runs/admit", {"estimated_cost_usd": "0.000000"}).status == 200
    resumed = cap_alerts(api)[0]
    assert resumed["type"] == "desk_resumed" and resumed["data"]["reason"] == "manual"


def test_desk_resumed_by_hand_is_not_paused_again_that_day(capped, tap, store):
    # GIVEN a desk resumed by hand after it reached its cap
    workspace_id, api = capped
    pause(api, tap)
    api.post("/api/v1/workspace/resume")
    # WHEN more runs are aggregated and the schedule checks
    spend(api, tap, "r2", "1.000000")
    run_tick(store, timeutil.now_utc(), workspace_id)
    # THEN it stays active: the cap rule fired once today already
    assert api.get("/api/v1/workspace").body["status"] == "active"
    assert alert_types(api).count("cost_cap_reached") == 1


def test_paused_desk_resumes_at_the_next_local_midnight(capped, tap, store):
    # GIVEN a paused desk
    workspace_id, api = capped
    pause(api, tap)
    # WHEN the schedule checks one minute after the next local midnight
    run_tick(store, local_time(api, 0, 1, days_ahead=1))
    # THEN the desk is active and a desk_resumed alert says it resumed at midnight
    assert api.get("/api/v1/workspace").body["status"] == "active"
    resumed = cap_alerts(api)[0]
    assert resumed["type"] == "desk_resumed" and resumed["data"]["reason"] == "midnight"
    assert resumed["text"].endswith("the desk has resumed at local midnight")


def test_paused_desk_stays_paused_until_local_midnight(capped, tap, store):
    # GIVEN a paused desk
    workspace_id, api = capped
    pause(api, tap)
    # WHEN the schedule checks a minute before local midnight
    run_tick(store, local_time(api, 23, 59, days_ahead=0), workspace_id)
    # THEN it is still paused and nothing resumed it
    assert api.get("/api/v1/workspace").body["status"] == "paused"
    assert "desk_resumed" not in alert_types(api)


def test_raising_the_cap_rearms_the_warning_for_the_day(capped, tap, store):
    # GIVEN a warning already fired today at 85% of a $10 cap
    workspace_id, api = capped
    spend(api, tap, "r1", "8.500000")
    # WHEN the cap is raised to $10.50 (today is now 81% of it) and the schedule checks
    assert api.patch("/api/v1/workspace", {"daily_cap_usd": "10.500000"}).status == 200
    run_tick(store, timeutil.now_utc(), workspace_id)
    # THEN a second warning fires, for the new cap
    alerts = cap_alerts(api)
    assert [a["type"] for a in alerts] == ["cost_cap_warning", "cost_cap_warning"]
    assert alerts[0]["data"]["daily_cap_usd"] == "10.500000"


def test_same_cap_does_not_warn_twice_in_a_day(capped, tap, store):
    # GIVEN a warning already fired today at 85% of a $10 cap
    workspace_id, api = capped
    spend(api, tap, "r1", "8.500000")
    # WHEN more spend is aggregated (90%) and the schedule checks
    spend(api, tap, "r2", "0.500000")
    run_tick(store, timeutil.now_utc(), workspace_id)
    # THEN there is still just the one warning
    assert alert_types(api) == ["cost_cap_warning"]
