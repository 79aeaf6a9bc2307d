"""Slack delivery (contract §7): 429 honours Retry-After, 4xx marks the integration broken, 5xx backs off.
The Slack side is a real HTTP server on loopback."""
from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

import app as application
from chalicelib import timeutil
from chalicelib.alerts.governance import run_tick
from chalicelib.store import keys
from tests.conftest import ApiClient
from tests.functional.conftest_governance import fire_spike, open_workspace, spike_delivery
from tests.receivers import Receiver, Reply

pytest_plugins = ["tests.functional.conftest_governance", "tests.receivers"]


@pytest.fixture
def settings(settings):
    """The local stack's setting: Slack may point at the loopback receiver."""
    return replace(settings, allow_private_urls=True)


@pytest.fixture
def desk(admin, chalice_client, receiver: Receiver) -> tuple[str, ApiClient]:
    """A workspace whose Slack incoming webhook is the receiver."""
    workspace_id, api = open_workspace(admin, chalice_client)
    assert api.patch("/api/v1/workspace", {"slack_webhook_url": receiver.url}).status == 200
    return workspace_id, api


def slack_delivery(api: ApiClient) -> dict:
    return spike_delivery(api, "slack")


def test_429_waits_at_least_retry_after(store, desk, tap, receiver):
    # GIVEN Slack answers 429 with Retry-After: 120 (longer than the first backoff of 30 s)
    workspace_id, api = desk
    receiver.script(Reply(429, {"Retry-After": "120"}))
    now = timeutil.now_utc()
    fire_spike(store, api, tap, workspace_id, now)
    # WHEN the schedule runs 119 seconds later
    run_tick(store, now + timedelta(seconds=119))
    # THEN nothing more was sent, and the delivery is pending with the 429
    assert len(receiver.requests) == 1
    assert slack_delivery(api)["status"] == "pending" and "429" in slack_delivery(api)["last_error"]


def test_429_is_delivered_once_retry_after_has_passed(store, desk, tap, receiver):
    # GIVEN Slack answered 429 with Retry-After: 120
    workspace_id, api = desk
    receiver.script(Reply(429, {"Retry-After": "120"}))
    now = timeutil.now_utc()
    fire_spike(store, api, tap, workspace_id, now)
    # WHEN the schedule runs 121 seconds later
    run_tick(store, now + timedelta(seconds=121))
    # THEN the same message was sent again and delivered, and the integration is not broken
    first, second = receiver.requests
    assert second.body == first.body
    assert slack_delivery(api)["status"] == "delivered" and slack_delivery(api)["attempts"] == 2
    assert api.get("/api/v1/workspace").body["slack_broken"] is False


@pytest.mark.parametrize("status", [403, 404])
def test_4xx_marks_the_integration_broken(store, desk, tap, receiver, status):
    # GIVEN Slack answers a 4xx other than 429 (the webhook was revoked or the channel deleted)
    workspace_id, api = desk
    receiver.script(Reply(status, body=b"no_service"))
    # WHEN an alert is delivered
    fire_spike(store, api, tap, workspace_id, timeutil.now_utc())
    # THEN the delivery failed for good and the workspace says Slack is broken
    assert slack_delivery(api)["status"] == "failed" and str(status) in slack_delivery(api)["last_error"]
    workspace = api.get("/api/v1/workspace").body
    assert workspace["slack_broken"] is True and workspace["slack_configured"] is True


def test_broken_integration_is_not_retried(store, desk, tap, receiver):
    # GIVEN Slack answered 404
    workspace_id, api = desk
    receiver.script(404)
    now = timeutil.now_utc()
    fire_spike(store, api, tap, workspace_id, now)
    # WHEN the schedule runs an hour later
    run_tick(store, now + timedelta(hours=1))
    # THEN Slack heard from us once
    assert len(receiver.requests) == 1


def test_setting_the_slack_url_again_clears_broken(store, desk, tap, receiver):
    # GIVEN a broken integration
    workspace_id, api = desk
    receiver.script(404)
    fire_spike(store, api, tap, workspace_id, timeutil.now_utc())
    # WHEN the owner sets the URL again
    answer = api.patch("/api/v1/workspace", {"slack_webhook_url": receiver.url})
    # THEN it is no longer marked broken
    assert answer.status == 200 and answer.body["slack_broken"] is False


def test_5xx_retries_after_the_backoff(store, desk, tap, receiver):
    # GIVEN Slack answers 503 once
    workspace_id, api = desk
    receiver.script(503)
    now = timeutil.now_utc()
    fire_spike(store, api, tap, workspace_id, now)
    # WHEN the schedule runs before (29 s) and after (31 s) the first backoff
    run_tick(store, now + timedelta(seconds=29))
    sent_before_backoff = len(receiver.requests)
    run_tick(store, now + timedelta(seconds=31))
    # THEN it retried only after the backoff, and was delivered
    assert sent_before_backoff == 1 and len(receiver.requests) == 2
    assert slack_delivery(api)["status"] == "delivered"
    assert api.get("/api/v1/workspace").body["slack_broken"] is False


def test_5xx_backoff_grows_between_retries(store, desk, tap, receiver):
    # GIVEN Slack answers 500 three times, then 200
    workspace_id, api = desk
    receiver.script(500, 500, 500)
    now = timeutil.now_utc()
    fire_spike(store, api, tap, workspace_id, now)
    # WHEN the schedule runs every 30 seconds for 15 minutes
    sent_at = [0]
    for second in range(30, 901, 30):
        run_tick(store, now + timedelta(seconds=second))
        sent_at += [second] * (len(receiver.requests) - len(sent_at))
    # THEN the retries came 30 s, then 2 min, then 10 min after the attempt before, and the last delivered
    assert sent_at == [0, 30, 30 + 120, 30 + 120 + 600]
    assert slack_delivery(api)["status"] == "delivered" and slack_delivery(api)["attempts"] == 4


def test_slack_url_is_checked_again_at_delivery(store, desk, tap, receiver):
    # GIVEN a loopback Slack URL, and a deployed stage's rule at delivery time
    workspace_id, api = desk
    strict = replace(store, settings=replace(store.settings, allow_private_urls=False))
    application.reset_store(strict)
    # WHEN an alert is delivered
    fire_spike(strict, api, tap, workspace_id, timeutil.now_utc())
    # THEN nothing is sent and the delivery failed with the reason
    assert receiver.requests == []
    assert slack_delivery(api)["status"] == "failed" and "https" in slack_delivery(api)["last_error"]


def test_slack_host_that_stops_resolving_is_retried_not_failed(store, desk, tap, receiver):
    # GIVEN a Slack URL whose host name no longer resolves (a DNS outage at delivery time)
    workspace_id, api = desk
    store.state.update_item(Key={"pk": keys.workspace_pk(workspace_id), "sk": keys.WORKSPACE_SK},
                            UpdateExpression="SET slack_webhook_url = :url",
                            ExpressionAttributeValues={":url": "http://hooks.does-not-exist.invalid/x"})
    # WHEN an alert is delivered
    fire_spike(store, api, tap, workspace_id, timeutil.now_utc())
    # THEN the delivery stays pending for a retry, and the integration is not marked broken
    assert slack_delivery(api)["status"] == "pending" and "resolve" in slack_delivery(api)["last_error"]
    assert api.get("/api/v1/workspace").body["slack_broken"] is False
