"""Admission: reserve an estimate under today's cap so that concurrent desks can never overshoot it.

Today's spend and open reservations live on one item (the day aggregate). A reservation is
admitted by a conditional write that asserts that the spend has not grown since it was read and that
the open reservations still leave room for the estimate, so two admissions (or an admission and the
aggregator) can never both use the same headroom, while admissions that all fit never invalidate
each other. A reservation's id starts with its local date, so that an admission only looks at that
day's reservations, however many past days have accumulated.
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
        from chalicelib.alerts.governance import resume_after_midnight

        workspace, _ = resume_after_midnight(store, workspace, now)
    if workspace.get("status") == "paused":
        raise DeskPaused("The desk is paused: today's cost cap was reached.", code="desk_paused")
    day = timeutil.local_date(now, workspace["timezone"]).isoformat()
    cap = workspace.get("daily_cap_micros")
    release_expired(store, workspace_id, day, now)
    day_key = {"pk": keys.workspace_pk(workspace_id), "sk": keys.agg_day_sk(day)}
    reservation_id = new_id(_id_prefix(day), 16)
    expires_at = now + RESERVATION_TTL
    for attempt in range(MAX_ATTEMPTS):
        current = plain(store.state.get_item(Key=day_key, ConsistentRead=True).get("Item") or {})
        spent, reserved = int(current.get("cost_micros", 0)), int(current.get("reserved_micros", 0))
        if cap is not None and spent + reserved + request.estimated_cost_usd > cap:
            raise Conflict("The estimate does not fit under today's cap after spend and open reservations.",
                           code="cap_would_be_exceeded")
        condition, values = _still_fits(spent, cap, request.estimated_cost_usd)
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
        return models.Admission(admitted=True, reservation_id=reservation_id, expires_at=expires_at,
                                remaining_usd=None if cap is None else _remaining(store, day_key, cap))
    raise Throttled("Too many admissions at once; retry shortly.", code="throttled", headers={"Retry-After": "1"})


def _id_prefix(day: str) -> str:
    """`res_20261204`: a day's reservations share a key prefix (see `release_expired`)."""
    return "res_" + day.replace("-", "")


def _still_fits(spent: int, cap: int | None, amount: int) -> tuple[str, dict[str, Any]]:
    """The write's condition: no new spend since the read, and (with a cap) room left for `amount`.

    Spend only grows, so `cost_micros <= spent` means it is still `spent`; the open reservations may
    have changed either way, and any value up to `cap - spent - amount` still leaves room.
    """
    parts = ["(attribute_not_exists(cost_micros) OR cost_micros <= :spent)"]
    values: dict[str, Any] = {":spent": spent}
    if cap is not None:
        parts.append("(attribute_not_exists(reserved_micros) OR reserved_micros <= :room)")
        values[":room"] = cap - spent - amount
    return " AND ".join(parts), values


def _remaining(store: Store, day_key: dict[str, str], cap: int) -> int:
    """Headroom left under the cap after all spend and open reservations, this one included."""
    current = store.state.get_item(Key=day_key, ConsistentRead=True).get("Item") or {}
    return max(0, cap - int(current.get("cost_micros", 0)) - int(current.get("reserved_micros", 0)))


def release_expired(store: Store, workspace_id: str, day: str, now: datetime) -> int:
    """Give back the headroom of the day's reservations that expired unused; returns how many."""
    from boto3.dynamodb.conditions import Attr, Key

    kwargs: dict[str, Any] = {
        "KeyConditionExpression": Key("pk").eq(keys.workspace_pk(workspace_id))
        & Key("sk").begins_with(keys.reservation_sk(_id_prefix(day))),
        "FilterExpression": Attr("state").eq("open") & Attr("expires_at").lte(timeutil.sortable_instant(now)),
        "ConsistentRead": True}
    released = 0
    while True:
        page = store.state.query(**kwargs)
        released += sum(release(store, workspace_id, plain(item), "expired") for item in page["Items"])
        if "LastEvaluatedKey" not in page:
            return released
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def release(store: Store, workspace_id: str, reservation: dict[str, Any], state: str) -> bool:
    """Close one open reservation and give its amount back to its day (once, whoever races)."""
    reservation_key = {"pk": keys.workspace_pk(workspace_id), "sk": keys.reservation_sk(reservation["reservation_id"])}
    try:
        store.transact([
            {"Update": {"TableName": store.settings.state_table, "Key": reservation_key,
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
