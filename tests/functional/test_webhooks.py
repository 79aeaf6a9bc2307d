"""Outbound webhooks (contract §7): Standard Webhooks signatures, retries, the delivery log, 410, the
test ping, no redirects, and the target checked again at delivery. Receivers are real HTTP servers."""
from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest
from standardwebhooks.webhooks import Webhook

import app as application
from chalicelib import timeutil
from chalicelib.alerts.deliveries import BACKOFF
from chalicelib.alerts.governance import run_tick
from tests.conftest import ApiClient
from tests.functional.conftest_governance import fire_spike, open_workspace, spike_delivery
from tests.receivers import Reply

pytest_plugins = ["tests.functional.conftest_governance", "tests.receivers"]


@pytest.fixture
def settings(settings):
    """The local stack's setting: webhooks may point at the loopback receivers."""
    return replace(settings, allow_private_urls=True)


@pytest.fixture
def desk(admin, chalice_client) -> tuple[str, ApiClient]:
    return open_workspace(admin, chalice_client)


def register(api: ApiClient, url: str, events: list[str] | None = None) -> dict[str, Any]:
    answer = api.post("/api/v1/webhooks", {"url": url, "events": events or ["*"]})
    assert answer.status == 201, answer.body
    return answer.body


def webhook_delivery(api: ApiClient) -> dict[str, Any]:
    return spike_delivery(api, "webhook")


def attempt_log(api: ApiClient, webhook_id: str) -> list[dict[str, Any]]:
    answer = api.get(f"/api/v1/webhooks/{webhook_id}/deliveries")
    assert answer.status == 200, answer.body
    return answer.body["deliveries"]


def test_alert_delivery_verifies_with_the_standard_webhooks_library(store, desk, tap, receiver):
    # GIVEN an endpoint subscribed to every event
    workspace_id, api = desk
    endpoint = register(api, receiver.url)
    # WHEN a spike fires
    fire_spike(store, api, tap, workspace_id, timeutil.now_utc())
    # THEN the one POST it received verifies with the reference library and is the spike event
    (request,) = receiver.requests
    payload = Webhook(endpoint["secret"]).verify(request.body, request.headers)
    assert payload["type"] == "workspace.cost_spike"
    assert payload["data"]["workspace_id"] == workspace_id and payload["data"]["today_usd"] == "2.000000"


def test_retry_keeps_the_webhook_id_with_a_fresh_timestamp_and_signature(store, desk, tap, receiver):
    # GIVEN an endpoint that answers 500 once, then 200
    workspace_id, api = desk
    endpoint = register(api, receiver.url)
    receiver.script(500)
    now = timeutil.now_utc()
    fire_spike(store, api, tap, workspace_id, now)
    # WHEN the schedule works off due deliveries 31 seconds later (the first backoff is 30 s)
    run_tick(store, now + timedelta(seconds=31))
    # THEN the retry carries the same webhook-id, a timestamp 31 s later and a new signature, and verifies
    first, second = receiver.requests
    assert second.headers["webhook-id"] == first.headers["webhook-id"]
    assert int(second.headers["webhook-timestamp"]) - int(first.headers["webhook-timestamp"]) == 31
    assert second.headers["webhook-signature"] != first.headers["webhook-signature"]
    assert second.body == first.body
    Webhook(endpoint["secret"]).verify(second.body, second.headers)
    assert webhook_delivery(api)["status"] == "delivered" and webhook_delivery(api)["attempts"] == 2


def test_retry_waits_for_its_backoff(store, desk, tap, receiver):
    # GIVEN a delivery that failed with 500 just now
    workspace_id, api = desk
    register(api, receiver.url)
    receiver.script(500)
    now = timeutil.now_utc()
    fire_spike(store, api, tap, workspace_id, now)
    # WHEN the schedule runs again 20 seconds later
    run_tick(store, now + timedelta(seconds=20))
    # THEN nothing is sent yet, and the delivery is still pending with the error
    assert len(receiver.requests) == 1
    assert webhook_delivery(api)["status"] == "pending" and webhook_delivery(api)["last_error"] == "HTTP 500"


def test_delivery_log_shows_every_attempt(store, desk, tap, receiver):
    # GIVEN a delivery that failed with 500 and then succeeded
    workspace_id, api = desk
    endpoint = register(api, receiver.url)
    receiver.script(500)
    now = timeutil.now_utc()
    fire_spike(store, api, tap, workspace_id, now)
    run_tick(store, now + timedelta(seconds=31))
    # WHEN the endpoint's delivery log is read
    log = attempt_log(api, endpoint["webhook_id"])
    # THEN it lists both attempts of the one message, newest first
    assert [(a["event"], a["response_status"], a["outcome"]) for a in log] == [
        ("workspace.cost_spike", 200, "delivered"), ("workspace.cost_spike", 500, "retry")]
    assert log[0]["message_id"] == log[1]["message_id"] == receiver.requests[0].headers["webhook-id"]


def test_endpoint_answering_410_is_disabled(store, desk, tap, receiver):
    # GIVEN an endpoint that answers 410 Gone
    workspace_id, api = desk
    endpoint = register(api, receiver.url)
    receiver.script(410)
    # WHEN an alert is delivered to it
    fire_spike(store, api, tap, workspace_id, timeutil.now_utc())
    # THEN the endpoint is disabled, saying why, and the delivery failed
    (listed,) = api.get("/api/v1/webhooks").body["webhooks"]
    assert listed["webhook_id"] == endpoint["webhook_id"]
    assert listed["enabled"] is False and "410" in listed["disabled_reason"]
    assert webhook_delivery(api)["status"] == "failed"


def test_disabled_endpoint_gets_no_later_alerts(store, desk, tap, receiver):
    # GIVEN an endpoint disabled by a 410
    workspace_id, api = desk
    register(api, receiver.url)
    receiver.script(410)
    fire_spike(store, api, tap, workspace_id, timeutil.now_utc())
    # WHEN more alerts fire (today's $2 is over a new $1 cap)
    api.patch("/api/v1/workspace", {"daily_cap_usd": "1.000000"})
    run_tick(store, timeutil.now_utc(), workspace_id)
    # THEN nothing more is sent to it
    assert {a["type"] for a in api.get("/api/v1/alerts").body["alerts"]} >= {"cost_cap_warning", "cost_cap_reached"}
    assert len(receiver.requests) == 1


def test_test_route_sends_a_signed_ping(desk, receiver):
    # GIVEN a registered endpoint
    workspace_id, api = desk
    endpoint = register(api, receiver.url, ["workspace.cost_spike"])
    # WHEN its test route is called
    answer = api.post(f"/api/v1/webhooks/{endpoint['webhook_id']}/test")
    # THEN it received a webhook.test event that verifies, and the route says it was delivered
    assert answer.status == 200, answer.body
    assert answer.body == {"delivered": True, "response_status": 200, "error": None}
    (request,) = receiver.requests
    payload = Webhook(endpoint["secret"]).verify(request.body, request.headers)
    assert payload["type"] == "webhook.test" and payload["data"]["webhook_id"] == endpoint["webhook_id"]
    assert attempt_log(api, endpoint["webhook_id"])[0]["outcome"] == "delivered"


def test_test_route_of_an_unknown_webhook_is_404(api):
    answer = api.post("/api/v1/webhooks/wh_nope/test")
    assert answer.status == 404
    assert answer.body["error"]["code"] == "webhook_not_found"


def test_redirect_to_a_metadata_address_is_not_followed(store, desk, tap, receiver):
    # GIVEN an endpoint that answers 302 to the cloud metadata address
    workspace_id, api = desk
    endpoint = register(api, receiver.url)
    receiver.script(Reply(302, {"Location": "http://169.254.169.254/latest/meta-data/"}))
    # WHEN an alert is delivered to it
    fire_spike(store, api, tap, workspace_id, timeutil.now_utc())
    # THEN exactly one request was made, the delivery is not delivered, and the log says why
    assert len(receiver.requests) == 1
    assert webhook_delivery(api)["status"] == "pending"
    (attempt,) = attempt_log(api, endpoint["webhook_id"])
    assert attempt["response_status"] == 302 and attempt["error"] == "redirect 302 not followed"


def test_redirect_is_not_followed_even_to_an_allowed_address(store, desk, tap, make_receiver):
    # GIVEN an endpoint that redirects to another receiver that would be allowed
    workspace_id, api = desk
    first, elsewhere = make_receiver(), make_receiver()
    register(api, first.url)
    first.script(Reply(307, {"Location": elsewhere.url}))
    # WHEN an alert is delivered
    fire_spike(store, api, tap, workspace_id, timeutil.now_utc())
    # THEN the redirect's target never hears from us
    assert len(first.requests) == 1 and elsewhere.requests == []


def test_target_is_checked_again_at_delivery(store, desk, tap, receiver):
    # GIVEN an endpoint registered while its host was acceptable (https://localhost on the local stack) ...
    workspace_id, api = desk
    endpoint = register(api, f"https://localhost:{receiver.port}/hook")
    # ... and a deployed stage's rule at delivery time, where localhost resolves to a refused address
    strict = replace(store, settings=replace(store.settings, allow_private_urls=False))
    application.reset_store(strict)
    # WHEN an alert is delivered
    fire_spike(strict, api, tap, workspace_id, timeutil.now_utc())
    # THEN nothing is sent, the attempt is logged as refused, and the delivery is not delivered
    assert receiver.requests == []
    (attempt,) = attempt_log(api, endpoint["webhook_id"])
    assert attempt["outcome"] == "refused" and "not a public address" in attempt["error"]
    assert webhook_delivery(api)["status"] == "pending"


def test_metadata_address_is_refused_at_registration_even_on_the_local_stack(api):
    answer = api.post("/api/v1/webhooks", {"url": "http://169.254.169.254/latest/meta-data/", "events": ["*"]})
    assert answer.status == 400
    assert answer.body["error"]["code"] == "unsafe_url"


def test_secret_is_a_standard_webhooks_secret_shown_once(desk, receiver):
    # GIVEN a registered endpoint
    _, api = desk
    endpoint = register(api, receiver.url)
    # WHEN the endpoints are listed
    listed = api.get("/api/v1/webhooks").body["webhooks"]
    # THEN the secret was whsec_ at creation and is never shown again
    assert endpoint["secret"].startswith("whsec_")
    assert endpoint["secret"] not in str(listed)


def test_endpoint_that_keeps_failing_is_disabled_after_five_exhausted_deliveries(store, desk, tap, receiver):
    # GIVEN an endpoint that always answers 500, and five alerts today (cap warning and reached, spike,
    # resume by hand, and a warning for a raised cap)
    workspace_id, api = desk
    endpoint = register(api, receiver.url)
    receiver.script(*[500] * 100)
    api.patch("/api/v1/workspace", {"daily_cap_usd": "1.500000"})
    now = timeutil.now_utc()
    fire_spike(store, api, tap, workspace_id, now)
    api.post("/api/v1/workspace/resume")
    api.patch("/api/v1/workspace", {"daily_cap_usd": "2.400000"})
    run_tick(store, now, workspace_id)
    assert len(api.get("/api/v1/alerts").body["alerts"]) == 5
    # WHEN the schedule works off every retry, each as soon as it is due (about 16 hours)
    for wait in BACKOFF:
        now += wait + timedelta(seconds=1)
        run_tick(store, now)
    # THEN each delivery was tried 9 times and failed, and the endpoint is disabled, saying why
    assert len(receiver.requests) == 5 * (len(BACKOFF) + 1)
    deliveries = [d for a in api.get("/api/v1/alerts").body["alerts"] for d in a["deliveries"]]
    assert {(d["status"], d["attempts"]) for d in deliveries} == {("failed", len(BACKOFF) + 1)}
    (listed,) = api.get("/api/v1/webhooks").body["webhooks"]
    assert listed["webhook_id"] == endpoint["webhook_id"] and listed["enabled"] is False
    assert "failed after every retry" in listed["disabled_reason"]
