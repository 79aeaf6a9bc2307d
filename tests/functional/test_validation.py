"""Bad input answers with the contract's error shape and changes nothing."""
from __future__ import annotations

import json

import pytest

from tests.conftest import run_body


def assert_error(answer, status, code, field=None):
    assert answer.status == status, answer.body
    assert set(answer.body) == {"error"}
    assert answer.body["error"]["code"] == code
    assert isinstance(answer.body["error"]["message"], str) and answer.body["error"]["message"]
    if field is not None:
        assert answer.body["error"]["field"] == field


def assert_no_runs(api):
    assert api.get("/api/v1/runs").body["runs"] == []


@pytest.mark.parametrize("cost", ["-1", -0.5, "NaN", "Infinity", "1.0000001", 0.1234567, "1000000.000001",
                                  10**7, "1e400", "", "abc", True, None, [1]])
def test_bad_cost_is_refused(api, cost):
    # GIVEN a run whose cost is negative, not a number, too precise or too large
    answer = api.post("/api/v1/runs", run_body("r1", cost))
    # THEN it is refused on cost_usd and nothing is stored
    assert answer.status == 400
    assert answer.body["error"]["field"] == "cost_usd"
    assert_no_runs(api)


def test_nan_literal_in_json_is_refused(api):
    raw = json.dumps(run_body("r1", "1.0")).replace('"1.0"', "NaN").encode()
    assert_error(api.post("/api/v1/runs", raw=raw), 400, "invalid_json")
    assert_no_runs(api)


@pytest.mark.parametrize("cost,stored", [("4.2", "4.200000"), (4.2, "4.200000"), (0, "0.000000"),
                                         ("1000000", "1000000.000000"), (0.000001, "0.000001")])
def test_good_cost_is_exact(api, cost, stored):
    assert api.post("/api/v1/runs", run_body("r1", cost)).status == 201
    assert api.get("/api/v1/runs/r1").body["cost_usd"] == stored


@pytest.mark.parametrize("started_at", ["yesterday", "2026-12-04", "2026-12-04T10:00:00", "2026-13-04T10:00:00Z",
                                        1733300000, "2026-12-04T10:00:00+25:00"])
def test_malformed_started_at_is_refused(api, started_at):
    assert_error(api.post("/api/v1/runs", run_body("r1", started_at=started_at)), 400, "invalid_instant", "started_at")
    assert_no_runs(api)


def test_future_started_at_is_refused(api):
    answer = api.post("/api/v1/runs", run_body("r1", started_at="2099-01-01T00:00:00Z"))
    assert_error(answer, 400, "started_at_in_future", "started_at")
    assert_no_runs(api)


def test_unknown_field_is_refused(api):
    assert_error(api.post("/api/v1/runs", run_body("r1", cost_usdd="1")), 400, "unknown_field", "cost_usdd")
    assert_no_runs(api)
    answer = api.put("/api/v1/members/m1", {"name": "M", "email": "m@example.com", "role": "owner", "nmae": "x"})
    assert_error(answer, 400, "unknown_field", "nmae")
    assert api.get("/api/v1/members").body["members"] == []


@pytest.mark.parametrize("run_id", ["", "has space", "x" * 129, "slash/inside", "émoji"])
def test_invalid_run_id_is_refused(api, run_id):
    answer = api.post("/api/v1/runs", run_body(run_id))
    assert_error(answer, 400, "invalid_input", "run_id")
    assert_no_runs(api)


def test_invalid_path_id_is_refused(api):
    answer = api.put("/api/v1/members/bad%20id", {"name": "M", "email": "m@example.com", "role": "owner"})
    assert_error(answer, 400, "invalid_id", "member_id")
    assert api.get("/api/v1/members").body["members"] == []


def test_unknown_assignee_is_refused(api):
    answer = api.put("/api/v1/tasks/t1", {"title": "T", "assignee_id": "ghost", "status": "open"})
    assert_error(answer, 400, "unknown_member", "assignee_id")
    assert api.get("/api/v1/tasks/t1").status == 404


def test_invalid_timezone_is_refused(admin, api):
    assert_error(admin.post("/api/v1/admin/workspaces", {"name": "X", "timezone": "Mars/Olympus"}), 400,
                 "invalid_timezone", "timezone")
    before = api.get("/api/v1/workspace").body
    assert_error(api.patch("/api/v1/workspace", {"timezone": "Not/AZone"}), 400, "invalid_timezone", "timezone")
    assert api.get("/api/v1/workspace").body == before


def test_body_over_256_kib_is_413(api):
    raw = json.dumps(run_body("r1", model="m" * (300 * 1024))).encode()
    assert_error(api.post("/api/v1/runs", raw=raw), 413, "payload_too_large")
    assert_no_runs(api)


def test_batch_of_101_runs_is_refused_whole(api):
    answer = api.post("/api/v1/runs/batch", {"runs": [run_body(f"r{i}") for i in range(101)]})
    assert_error(answer, 400, "invalid_input", "runs")
    assert_no_runs(api)


def test_batch_reports_each_run(api):
    # GIVEN a batch with a good run, a replay, a conflict and an invalid run
    api.post("/api/v1/runs", run_body("r0"))
    runs = [run_body("r1"), run_body("r0"), run_body("r0", "9.000000"), run_body("r3", "-1")]
    answer = api.post("/api/v1/runs/batch", {"runs": runs})
    assert answer.status == 200
    statuses = [(r["run_id"], r["status"]) for r in answer.body["results"]]
    assert statuses == [("r1", 201), ("r0", 200), ("r0", 409), ("r3", 400)]
    assert answer.body["results"][2]["error"]["code"] == "run_conflict"
    assert answer.body["results"][3]["error"]["field"] == "cost_usd"


def test_not_json_and_not_object(api):
    assert_error(api.post("/api/v1/runs", raw=b"{not json"), 400, "invalid_json")
    assert_error(api.post("/api/v1/runs", raw=b"[1,2]"), 400, "invalid_json")


def test_patch_validates_every_field(api):
    assert_error(api.patch("/api/v1/workspace", {}), 400, "empty_patch")
    assert_error(api.patch("/api/v1/workspace", {"spike_multiplier": 1}), 400, "invalid_input", "spike_multiplier")
    assert_error(api.patch("/api/v1/workspace", {"digest_hour": 24}), 400, "invalid_input", "digest_hour")
    assert_error(api.patch("/api/v1/workspace", {"name": None}), 400, "invalid_input")


def test_patch_changes_settings(api):
    answer = api.patch("/api/v1/workspace", {"daily_cap_usd": "25", "digest_hour": 7, "spike_multiplier": 3})
    assert answer.status == 200, answer.body
    assert (answer.body["daily_cap_usd"], answer.body["digest_hour"], answer.body["spike_multiplier"]) == (
        "25.000000", 7, 3.0)
    assert api.patch("/api/v1/workspace", {"daily_cap_usd": None}).body["daily_cap_usd"] is None


def test_list_runs_rejects_bad_queries(api):
    assert_error(api.get("/api/v1/runs?limit=0"), 400, "invalid_input", "limit")
    assert_error(api.get("/api/v1/runs?limit=101"), 400, "invalid_input", "limit")
    assert_error(api.get("/api/v1/runs?cursor=nonsense"), 400, "invalid_cursor", "cursor")
    assert_error(api.get("/api/v1/runs?since=yesterday"), 400, "invalid_instant", "since")
    assert_error(api.get("/api/v1/runs?limt=5"), 400, "unknown_field", "limt")


def test_method_not_allowed_uses_error_shape(api):
    answer = api.call("DELETE", "/api/v1/workspace")
    assert answer.status == 405
    assert answer.body["error"]["code"] == "method_not_allowed"
