"""Outbound webhook endpoints: registration, listing, removal and the delivery log."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from chalicelib import models, timeutil
from chalicelib.alerts import signing
from chalicelib.alerts.model import WEBHOOK_EVENTS
from chalicelib.alerts.targets import check_target
from chalicelib.errors import Conflict, InvalidInput, NotFound
from chalicelib.ingest.ids import new_id
from chalicelib.store import keys
from chalicelib.store.db import Store, plain, query_all

MAX_ENDPOINTS = 20
EVENT_NAMES = frozenset(WEBHOOK_EVENTS.values())


def _query(store: Store, workspace_id: str, prefix: str, **extra: Any) -> list[dict[str, Any]]:
    from boto3.dynamodb.conditions import Key

    answer = store.state.query(
        KeyConditionExpression=Key("pk").eq(keys.workspace_pk(workspace_id)) & Key("sk").begins_with(prefix),
        ConsistentRead=True, **extra)
    return [plain(item) for item in answer["Items"]]


def register(store: Store, workspace_id: str, body: models.WebhookCreate, now: datetime) -> models.WebhookCreated:
    events = sorted(set(body.events))
    unknown = [e for e in events if e != "*" and e not in EVENT_NAMES]
    if unknown:
        raise InvalidInput(f"Unknown event {unknown[0]!r}; use {sorted(EVENT_NAMES)} or ['*'].",
                           code="unknown_event", field="events")
    check_target(body.url, allow_private=store.settings.allow_private_urls)
    if len(list_endpoints(store, workspace_id)) >= MAX_ENDPOINTS:
        raise Conflict(f"A workspace has at most {MAX_ENDPOINTS} webhook endpoints.", code="too_many_webhooks")
    webhook_id = new_id("wh", 16)
    secret = signing.new_secret()
    store.state.put_item(Item={
        "pk": keys.workspace_pk(workspace_id), "sk": keys.webhook_sk(webhook_id), "webhook_id": webhook_id,
        "url": body.url, "events": events, "description": body.description, "secret": secret, "enabled": True,
        "created_at": timeutil.format_instant(now), "failed_deliveries": 0})
    return models.WebhookCreated(webhook_id=webhook_id, secret=secret)


def list_endpoints(store: Store, workspace_id: str) -> list[dict[str, Any]]:
    return query_all(store.state, keys.workspace_pk(workspace_id), "WEBHOOK#")


def to_public(item: dict[str, Any]) -> models.Webhook:
    return models.Webhook(webhook_id=item["webhook_id"], url=item["url"], events=item["events"],
                          description=item.get("description"), enabled=bool(item.get("enabled")),
                          disabled_reason=item.get("disabled_reason"), created_at=item["created_at"])


def get_endpoint(store: Store, workspace_id: str, webhook_id: str) -> dict[str, Any]:
    item = store.state.get_item(Key={"pk": keys.workspace_pk(workspace_id), "sk": keys.webhook_sk(webhook_id)},
                                ConsistentRead=True).get("Item")
    if item is None:
        raise NotFound("No such webhook.", code="webhook_not_found")
    return plain(item)


def remove(store: Store, workspace_id: str, webhook_id: str) -> None:
    get_endpoint(store, workspace_id, webhook_id)
    store.state.delete_item(Key={"pk": keys.workspace_pk(workspace_id), "sk": keys.webhook_sk(webhook_id)})


def subscribed(store: Store, workspace_id: str, event: str) -> list[dict[str, Any]]:
    return [w for w in list_endpoints(store, workspace_id)
            if w.get("enabled") and ("*" in w["events"] or event in w["events"])]


def disable(store: Store, workspace_id: str, webhook_id: str, reason: str) -> None:
    store.state.update_item(Key={"pk": keys.workspace_pk(workspace_id), "sk": keys.webhook_sk(webhook_id)},
                            UpdateExpression="SET enabled = :f, disabled_reason = :r",
                            ConditionExpression="attribute_exists(pk)",
                            ExpressionAttributeValues={":f": False, ":r": reason})


def log_attempt(store: Store, workspace_id: str, webhook_id: str, message_id: str, event: str, now: datetime,
                status: int | None, outcome: str, error: str | None) -> None:
    store.state.put_item(Item={
        "pk": keys.workspace_pk(workspace_id),
        "sk": keys.webhook_attempt_sk(webhook_id, timeutil.sortable_instant(now), message_id),
        "message_id": message_id, "event": event, "attempted_at": timeutil.format_instant(now),
        "response_status": status, "outcome": outcome, "error": error})


def delivery_log(store: Store, workspace_id: str, webhook_id: str) -> models.WebhookDeliveries:
    get_endpoint(store, workspace_id, webhook_id)
    items = _query(store, workspace_id, f"ATTEMPT#{webhook_id}#", ScanIndexForward=False, Limit=100)
    return models.WebhookDeliveries(deliveries=[models.WebhookAttempt(
        message_id=i["message_id"], event=i["event"], attempted_at=i["attempted_at"],
        response_status=i.get("response_status"), outcome=i["outcome"], error=i.get("error")) for i in items])
