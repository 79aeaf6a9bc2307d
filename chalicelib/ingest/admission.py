"""Admission: reserve an estimate under today's cap so that concurrent desks can never overshoot it.

Today's spend and open reservations live on one item (the day aggregate). A reservation is
admitted by a conditional write that asserts the spend and the reserved sum are still what was read,
so two admissions (or an admission and the aggregator) can never both use the same headroom.
"""
from __future__ import annotations

import random
import time
from datetime import datetime, timedelta
from typing import Any, Callable

from chalicelib import models, timeutil
from chalicelib.errors import Conflict, DeskPaused, Throttled
from chalicelib.ingest.ids import new_id
from chalicelib.ingest.workspaces import load_workspace_item
from chalicelib.store import keys
from chalicelib.store.db import Store, plain

RESERVATION_TTL = timedelta(minutes=15)
MAX_ATTEMPTS = 60


def admit(store: Store, workspace_id: str, request: models.AdmitRequest, now: datetime,
          sleep: Callable[[float], None] = time.sleep) -> models.Admission:
    """200 admitted with a reservation; 423 when paused; 409 when the estimate does not fit."""
    workspace = load_workspace_item(store, workspace_id)
    if workspace.get("status") == "paused":
        raise DeskPaused("The desk is paused: today's cost cap was reached.", code="desk_paused")
    day = timeutil.local_date(now, workspace["timezone"]).isoformat()
    cap = workspace.get("daily_cap_micros")
    release_expired(store, workspace_id, day, now)
    day_key = {"pk": keys.workspace_pk(workspace_id), "sk": keys.agg_day_sk(day)}
    reservation_id = new_id("res", 16)
    expires_at = now + RESERVATION_TTL
    for attempt in range(MAX_ATTEMPTS):
        current = plain(store.state.get_item(Key=day_key, ConsistentRead=True).get("Item") or {})
        spent, reserved = int(current.get("cost_micros", 0)), int(current.get("reserved_micros", 0))
        if cap is not None and spent + reserved + request.estimated_cost_usd > cap:
            raise Conflict("The estimate does not fit under today's cap after spend and open reservations.",
                           code="cap_would_be_exceeded")
        condition, values = _unchanged(current, spent, reserved)
        try:
            store.transact([
                {"Update": {"TableName": store.settings.state_table, "Key": day_key,
                            "UpdateExpression": "SET #date = :day, gsi1pk = :daykey, gsi1sk = :ws "
                                                "ADD reserved_micros :amount",
                            "ConditionExpression": condition, "ExpressionAttributeNames": {"#date": "date"},
                            "ExpressionAttributeValues": {**values, ":day": day, ":daykey": keys.day_key(day),
                                                          ":ws": workspace_id,
                                                          ":amount": request.estimated_cost_usd}}},
                {"Put": {"TableName": store.settings.state_table, "ConditionExpression": "attribute_not_exists(pk)",
                         "Item": {"pk": keys.workspace_pk(workspace_id), "sk": keys.reservation_sk(reservation_id),
                                  "reservation_id": reservation_id, "date": day, "state": "open",
                                  "amount_micros": request.estimated_cost_usd, "task_id": request.task_id,
                                  "expires_at": timeutil.sortable_instant(expires_at)}}},
            ])
        except store.client.exceptions.TransactionCanceledException:
            sleep(random.uniform(0, 0.002 * (attempt + 1)))
            continue
        remaining = None if cap is None else cap - spent - reserved - request.estimated_cost_usd
        return models.Admission(admitted=True, reservation_id=reservation_id, expires_at=expires_at,
                                remaining_usd=remaining)
    raise Throttled("Too many admissions at once; retry shortly.", code="throttled", headers={"Retry-After": "1"})


def _unchanged(current: dict[str, Any], spent: int, reserved: int) -> tuple[str, dict[str, Any]]:
    parts, values = [], {}
    if "cost_micros" in current:
        parts.append("cost_micros = :spent")
        values[":spent"] = spent
    else:
        parts.append("attribute_not_exists(cost_micros)")
    if "reserved_micros" in current:
        parts.append("reserved_micros = :reserved")
        values[":reserved"] = reserved
    else:
        parts.append("attribute_not_exists(reserved_micros)")
    return " AND ".join(parts), values


def release_expired(store: Store, workspace_id: str, day: str, now: datetime) -> int:
    """Give back the headroom of reservations that expired unused; returns how many."""
    from boto3.dynamodb.conditions import Key

    items = store.state.query(
        KeyConditionExpression=Key("pk").eq(keys.workspace_pk(workspace_id)) & Key("sk").begins_with("RES#"),
        ConsistentRead=True)["Items"]
    released = 0
    for item in items:
        if item.get("state") == "open" and item["expires_at"] <= timeutil.sortable_instant(now):
            if release(store, workspace_id, plain(item), "expired"):
                released += 1
    return released


def release(store: Store, workspace_id: str, reservation: dict[str, Any], state: str) -> bool:
    """Close one open reservation and give its amount back to its day (once, whoever races)."""
    try:
        store.transact([
            {"Update": {"TableName": store.settings.state_table,
                        "Key": {"pk": keys.workspace_pk(workspace_id), "sk": keys.reservation_sk(reservation["reservation_id"])},
                        "UpdateExpression": "SET #state = :new", "ConditionExpression": "#state = :open",
                        "ExpressionAttributeNames": {"#state": "state"},
                        "ExpressionAttributeValues": {":new": state, ":open": "open"}}},
            {"Update": {"TableName": store.settings.state_table,
                        "Key": {"pk": keys.workspace_pk(workspace_id), "sk": keys.agg_day_sk(reservation["date"])},
                        "UpdateExpression": "ADD reserved_micros :minus",
                        "ExpressionAttributeValues": {":minus": -int(reservation["amount_micros"])}}},
        ])
    except store.client.exceptions.TransactionCanceledException:
        return False
    return True


def reserved_today(store: Store, workspace_id: str, day: str) -> int:
    item = store.state.get_item(Key={"pk": keys.workspace_pk(workspace_id), "sk": keys.agg_day_sk(day)},
                                ConsistentRead=True).get("Item") or {}
    return int(item.get("reserved_micros", 0))
