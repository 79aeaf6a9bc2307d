"""A paused desk comes back as soon as it may: after local midnight (even before the next tick) or a raised cap."""
from __future__ import annotations

from datetime import timedelta

from chalicelib import models, timeutil
from chalicelib.errors import DeskPaused
from chalicelib.ingest.admission import admit
from tests.conftest import run_body
from tests.functional.conftest_governance import deliver, minutes_ago, open_workspace

pytest_plugins = ["tests.functional.conftest_governance"]


def reach_the_cap(api, tap):
    api.post("/api/v1/runs", run_body("r1", "1.500000", None, started_at=minutes_ago(1)))
    deliver(tap.take())
    assert api.get("/api/v1/workspace").body["status"] == "paused"


def resumed_reasons(api):
    return [a["data"]["reason"] for a in api.get("/api/v1/alerts").body["alerts"] if a["type"] == "desk_resumed"]


def test_admission_after_midnight_resumes_before_the_tick(admin, chalice_client, store, tap):
    # GIVEN a desk paused today by its $1 cap
    workspace_id, api = open_workspace(admin, chalice_client, daily_cap_usd="1")
    reach_the_cap(api, tap)
    # WHEN a desk asks for admission the next local day, before any scheduled check
    tomorrow = timeutil.now_utc() + timedelta(days=1)
    answer = admit(store, workspace_id, models.AdmitRequest(estimated_cost_usd="0.10"), tomorrow)
    # THEN it is admitted, the desk is active again and says so once
    assert answer.admitted
    assert api.get("/api/v1/workspace").body["status"] == "active"
    assert resumed_reasons(api) == ["midnight"]


def test_admission_the_same_day_stays_refused(admin, chalice_client, store, tap):
    workspace_id, api = open_workspace(admin, chalice_client, daily_cap_usd="1")
    reach_the_cap(api, tap)
    try:
        admit(store, workspace_id, models.AdmitRequest(estimated_cost_usd="0.10"), timeutil.now_utc())
        raise AssertionError("admitted while paused")
    except DeskPaused as exc:
        assert exc.code == "desk_paused"
    assert resumed_reasons(api) == []


def test_raising_the_cap_above_todays_spend_resumes(admin, chalice_client, tap):
    # GIVEN a desk paused by its $1 cap after spending $1.50
    _, api = open_workspace(admin, chalice_client, daily_cap_usd="1")
    reach_the_cap(api, tap)
    # WHEN the cap is raised, but not above today's spend THEN it stays paused
    assert api.patch("/api/v1/workspace", {"daily_cap_usd": "1.20"}).body["status"] == "paused"
    # WHEN it is raised above today's spend THEN it resumes and says why
    answer = api.patch("/api/v1/workspace", {"daily_cap_usd": "5"})
    assert answer.status == 200 and answer.body["status"] == "active"
    assert resumed_reasons(api) == ["cap_raised"]
    texts = [a["text"] for a in api.get("/api/v1/alerts").body["alerts"] if a["type"] == "desk_resumed"]
    assert texts[0].endswith("the desk has resumed after the daily cap was raised")


def test_removing_the_cap_resumes(admin, chalice_client, tap):
    _, api = open_workspace(admin, chalice_client, daily_cap_usd="1")
    reach_the_cap(api, tap)
    assert api.patch("/api/v1/workspace", {"daily_cap_usd": None}).body["status"] == "active"
