"""Senders: one alert record rendered and sent to Slack, a webhook endpoint or (digests) email."""
from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

from chalicelib.alerts import render, signing, webhooks
from chalicelib.alerts.deliveries import Outcome
from chalicelib.alerts.http_post import post_json
from chalicelib.alerts.model import WEBHOOK_EVENTS, Alert
from chalicelib.alerts.targets import UnsafeTarget, check_target
from chalicelib.errors import NotFound
from chalicelib.ingest.workspaces import load_workspace_item
from chalicelib.store import keys
from chalicelib.store.db import Store

MAX_FAILED_DELIVERIES = 5


def _retry_after(value: str | None) -> timedelta:
    try:
        return timedelta(seconds=max(1, min(int(value or "30"), 6 * 3600)))
    except ValueError:
        return timedelta(seconds=30)


def send_slack(store: Store, alert: Alert, delivery: dict[str, Any], now: datetime) -> Outcome:
    workspace = load_workspace_item(store, alert.workspace_id)
    url = workspace.get("slack_webhook_url")
    if not url:
        return Outcome("skipped", "Slack is not configured")
    if workspace.get("slack_broken"):
        return Outcome("skipped", "the Slack integration is marked broken")
    try:
        target = check_target(url, allow_private=store.settings.allow_private_urls)
    except UnsafeTarget as exc:  # a name that does not resolve now may again later (a DNS blip)
        return Outcome("retry" if exc.code == "unresolvable_url" else "failed", exc.message)
    result = post_json(target, json.dumps(render.slack_message(alert)).encode(), {})
    if result.status is not None and 200 <= result.status < 300:
        return Outcome("delivered")
    if result.status == 429:
        return Outcome("retry", "Slack answered 429", _retry_after(result.headers.get("retry-after")))
    if result.status is not None and 400 <= result.status < 500:
        store.state.update_item(Key={"pk": keys.workspace_pk(alert.workspace_id), "sk": keys.WORKSPACE_SK},
                                UpdateExpression="SET slack_broken = :t, slack_error = :e",
                                ExpressionAttributeValues={":t": True,
                                                           ":e": f"HTTP {result.status}: {result.body[:200]}"})
        return Outcome("failed", f"Slack answered {result.status}: {result.body[:200]}")
    return Outcome("retry", result.error or f"Slack answered {result.status}")


def webhook_body(alert: Alert) -> bytes:
    return json.dumps(render.webhook_payload(alert), separators=(",", ":")).encode()


def post_signed(store: Store, endpoint: dict[str, Any], message_id: str, body: bytes, now: datetime):
    """Check the target again (DNS may have changed), sign with a fresh timestamp, POST, no redirects."""
    target = check_target(endpoint["url"], allow_private=store.settings.allow_private_urls)
    headers = signing.headers(endpoint["secret"], message_id, int(now.timestamp()), body)
    return post_json(target, body, headers)


def send_webhook(store: Store, alert: Alert, delivery: dict[str, Any], now: datetime) -> Outcome:
    try:
        endpoint = webhooks.get_endpoint(store, alert.workspace_id, delivery["target_id"])
    except NotFound:
        return Outcome("skipped", "the endpoint was deleted")
    if not endpoint.get("enabled"):
        return Outcome("skipped", f"the endpoint is disabled: {endpoint.get('disabled_reason')}")
    event = WEBHOOK_EVENTS[alert.type]
    try:
        result = post_signed(store, endpoint, delivery["message_id"], webhook_body(alert), now)
    except UnsafeTarget as exc:
        webhooks.log_attempt(store, alert.workspace_id, endpoint["webhook_id"], delivery["message_id"], event, now,
                             None, "refused", exc.message)
        return Outcome("retry", exc.message)
    if result.status is not None and 200 <= result.status < 300:
        outcome = Outcome("delivered")
    elif result.status == 410:
        webhooks.disable(store, alert.workspace_id, endpoint["webhook_id"], "the endpoint answered 410 Gone")
        outcome = Outcome("failed", "410 Gone: endpoint disabled")
    elif result.status is not None and 300 <= result.status < 400:
        outcome = Outcome("retry", f"redirect {result.status} not followed")
    else:
        outcome = Outcome("retry", result.error or f"HTTP {result.status}")
    webhooks.log_attempt(store, alert.workspace_id, endpoint["webhook_id"], delivery["message_id"], event, now,
                         result.status, outcome.status, outcome.error)
    return outcome


def webhook_gave_up(store: Store, delivery: dict[str, Any]) -> None:
    """A delivery exhausted its retries: after several such, the endpoint is disabled."""
    try:
        answer = store.state.update_item(
            Key={"pk": keys.workspace_pk(delivery["workspace_id"]), "sk": keys.webhook_sk(delivery["target_id"])},
            UpdateExpression="ADD failed_deliveries :one", ConditionExpression="attribute_exists(pk)",
            ExpressionAttributeValues={":one": 1}, ReturnValues="ALL_NEW")
    except store.client.exceptions.ConditionalCheckFailedException:
        return
    if int(answer["Attributes"]["failed_deliveries"]) >= MAX_FAILED_DELIVERIES:
        webhooks.disable(store, delivery["workspace_id"], delivery["target_id"],
                         f"{MAX_FAILED_DELIVERIES} deliveries failed after every retry")


def send_email(store: Store, alert: Alert, delivery: dict[str, Any], now: datetime) -> Outcome:
    from chalicelib.alerts.digest import send_digest_email

    return send_digest_email(store, alert, delivery, now)
