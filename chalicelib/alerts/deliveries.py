"""Deliveries: planned with the alert, claimed by one worker at a time, retried with backoff.

A delivery is attempted right after its alert fires and then by the scheduled function whenever it
is due. The claim (a conditional write with a lease) means that overlapping schedules never send
the same delivery twice at once.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Callable

from chalicelib import timeutil
from chalicelib.alerts.model import SLACK_TYPES, WEBHOOK_EVENTS, Alert
from chalicelib.store import keys
from chalicelib.store.db import Store, plain

log = logging.getLogger(__name__)
BACKOFF = [timedelta(seconds=30), timedelta(minutes=2), timedelta(minutes=10), timedelta(minutes=30),
           timedelta(hours=1), timedelta(hours=2), timedelta(hours=4), timedelta(hours=8)]
LEASE = timedelta(seconds=90)


@dataclass(frozen=True)
class Outcome:
    status: str  # delivered | failed | skipped | retry
    error: str | None = None
    retry_after: timedelta | None = None


Sender = Callable[[Store, Alert, dict[str, Any], datetime], Outcome]


def planned(alert: Alert, channel: str, target: str, target_id: str, now: datetime) -> dict[str, Any]:
    due = timeutil.sortable_instant(now)
    return {
        "pk": keys.workspace_pk(alert.workspace_id), "sk": keys.delivery_sk(alert.alert_id, channel, target_id),
        "workspace_id": alert.workspace_id, "alert_id": alert.alert_id,
        "alert_sk": keys.alert_sk(alert.fired_at, alert.alert_id), "channel": channel, "target": target,
        "target_id": target_id, "status": "pending", "attempts": 0, "last_error": None, "next_attempt_at": due,
        "message_id": f"msg_{alert.alert_id}_{target_id}",
        "gsi1pk": keys.DUE_KEY, "gsi1sk": f"{due}#{alert.workspace_id}#{alert.alert_id}#{channel}#{target_id}",
    }


def plan_alert_deliveries(store: Store, workspace: dict[str, Any], alert: Alert, now: datetime) -> list[dict[str, Any]]:
    """Slack (when configured and not broken) and every webhook subscribed to the alert's event."""
    from chalicelib.alerts.webhooks import subscribed

    out = []
    if alert.type in SLACK_TYPES and workspace.get("slack_webhook_url") and not workspace.get("slack_broken"):
        out.append(planned(alert, "slack", "slack", "slack", now))
    if alert.type in WEBHOOK_EVENTS:
        for endpoint in subscribed(store, alert.workspace_id, WEBHOOK_EVENTS[alert.type]):
            out.append(planned(alert, "webhook", endpoint["url"], endpoint["webhook_id"], now))
    return out


def _senders() -> dict[str, Sender]:
    from chalicelib.alerts.channels import send_email, send_slack, send_webhook

    return {"slack": send_slack, "webhook": send_webhook, "email": send_email}


def attempt(store: Store, delivery: dict[str, Any], now: datetime) -> str:
    """Claim one due delivery, send it, record the outcome. Returns the new status, or 'busy'."""
    key = {"pk": delivery["pk"], "sk": delivery["sk"]}
    at = timeutil.sortable_instant(now)
    try:
        claimed = store.state.update_item(
            Key=key, UpdateExpression="SET lease_until = :lease ADD attempts :one",
            ConditionExpression="#status = :pending AND next_attempt_at <= :now "
                                "AND (attribute_not_exists(lease_until) OR lease_until < :now)",
            ExpressionAttributeNames={"#status": "status"},
            ExpressionAttributeValues={":lease": timeutil.sortable_instant(now + LEASE), ":one": 1,
                                       ":pending": "pending", ":now": at},
            ReturnValues="ALL_NEW")["Attributes"]
    except store.client.exceptions.ConditionalCheckFailedException:
        return "busy"
    claimed = plain(claimed)
    alert_item = store.state.get_item(Key={"pk": claimed["pk"], "sk": claimed["alert_sk"]}, ConsistentRead=True)["Item"]
    alert = Alert.from_item(plain(alert_item))
    try:
        outcome = _senders()[claimed["channel"]](store, alert, claimed, now)
    except Exception as exc:  # one broken delivery must not stop the check or the other deliveries
        log.exception("delivery %s failed unexpectedly", claimed["sk"])
        outcome = Outcome("retry", f"{type(exc).__name__}: {exc}")
    return _record(store, key, claimed, outcome, now)


def _record(store: Store, key: dict[str, str], delivery: dict[str, Any], outcome: Outcome, now: datetime) -> str:
    status = outcome.status
    if status == "retry" and int(delivery["attempts"]) > len(BACKOFF):
        status = "failed"
    if status == "retry":
        wait = max(BACKOFF[int(delivery["attempts"]) - 1], outcome.retry_after or timedelta(0))
        due = timeutil.sortable_instant(now + wait)
        store.state.update_item(
            Key=key, UpdateExpression="SET next_attempt_at = :due, gsi1sk = :order, last_error = :error "
                                      "REMOVE lease_until",
            ExpressionAttributeValues={":due": due, ":error": outcome.error,
                                       ":order": f"{due}#{delivery['workspace_id']}#{delivery['alert_id']}#"
                                                 f"{delivery['channel']}#{delivery['target_id']}"})
        return "pending"
    store.state.update_item(
        Key=key, UpdateExpression="SET #status = :status, last_error = :error, finished_at = :now "
                                  "REMOVE lease_until, gsi1pk, gsi1sk",
        ExpressionAttributeNames={"#status": "status"},
        ExpressionAttributeValues={":status": status, ":error": outcome.error, ":now": timeutil.format_instant(now)})
    if status == "failed" and delivery["channel"] == "webhook" and outcome.status == "retry":
        from chalicelib.alerts.channels import webhook_gave_up

        webhook_gave_up(store, delivery)
    return status


def deliver_now(store: Store, deliveries: list[dict[str, Any]], now: datetime) -> None:
    for delivery in deliveries:
        attempt(store, delivery, now)


def work_due(store: Store, now: datetime, limit: int = 200) -> int:
    """Attempt every delivery that is due (oldest first); returns how many were attempted."""
    from boto3.dynamodb.conditions import Key

    from chalicelib.store.tables import SCHEDULE_INDEX

    answer = store.state.query(IndexName=SCHEDULE_INDEX, Limit=limit,
                               KeyConditionExpression=Key("gsi1pk").eq(keys.DUE_KEY)
                               & Key("gsi1sk").lte(timeutil.sortable_instant(now) + "~"))
    count = 0
    for item in answer["Items"]:
        if attempt(store, plain(item), now) != "busy":
            count += 1
    return count
