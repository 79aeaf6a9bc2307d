"""The governance check: cap (warn at 80%, pause at 100%), spike, midnight resume, due deliveries.

Run by the schedule, by `POST /api/v1/admin/tick`, and (cap only) inline by the aggregator right
after it adds to today's total. Every rule fires at most once per workspace per local day, however
many of these race: the alert's guard item is written in the same transaction as the alert.
"""
from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from chalicelib import models, timeutil
from chalicelib.alerts import render
from chalicelib.alerts.deliveries import deliver_now, plan_alert_deliveries, work_due
from chalicelib.alerts.ledger import fire, new_alert
from chalicelib.ingest.workspaces import DEFAULT_SPIKE_MIN_MICROS, DEFAULT_SPIKE_MULTIPLIER, load_workspace_item
from chalicelib.money import format_usd, percent
from chalicelib.reports.breakdown import open_task_spend_by_assignee
from chalicelib.reports.summary import day_totals, ratio_to_trailing, trailing_average
from chalicelib.store import keys
from chalicelib.store.db import Store, plain

WARNING_PERCENT = 80


def _today(workspace: dict[str, Any], now: datetime) -> date:
    return timeutil.local_date(now, workspace["timezone"])


def _figures(store: Store, workspace: dict[str, Any], today: date) -> dict[str, Any]:
    per_day = day_totals(store, workspace["workspace_id"], timeutil.days_before(today, 7) + [today])
    spent = int(per_day.get(today.isoformat(), {}).get("cost_micros", 0))
    average = trailing_average(per_day, today)
    return {"today_usd": spent, "trailing_7d_avg_usd": average, "ratio_to_trailing": ratio_to_trailing(spent, average)}


def _with_open_task_spend(store: Store, workspace_id: str, day: str, spent: int,
                          data: dict[str, Any]) -> dict[str, Any]:
    rows = open_task_spend_by_assignee(store, workspace_id, day, spent)
    return {**data, "open_task_spend_by_assignee": [row.model_dump(mode="json") for row in rows]}


def _fire(store: Store, workspace: dict[str, Any], kind: str, day: str, text: str, data: dict[str, Any],
          now: datetime, guard: str | None, also: list[dict[str, Any]] | None = None) -> dict[str, Any] | None:
    alert = new_alert(workspace["workspace_id"], kind, day, text, data, now)
    deliveries = plan_alert_deliveries(store, workspace, alert, now)
    if not fire(store, alert, guard=guard, deliveries=deliveries, also=also):
        return None
    deliver_now(store, deliveries, now)
    return {"alert_id": alert.alert_id, "type": kind, "workspace_id": alert.workspace_id, "date": day, "text": text}


def check_cap(store: Store, workspace: dict[str, Any], now: datetime) -> list[dict[str, Any]]:
    """80% warns once a day; 100% pauses the desk and says so, in one transaction. Per cap value."""
    cap = workspace.get("daily_cap_micros")
    if cap is None:
        return []
    today = _today(workspace, now)
    day = today.isoformat()
    figures = _figures(store, workspace, today)
    spent = figures["today_usd"]
    fired: list[dict[str, Any]] = []
    base = {"daily_cap_usd": format_usd(cap), "used_usd": format_usd(spent),
            "used_percent": min(percent(spent, cap), 100.0) if cap else 100.0}
    if spent * 100 >= cap * WARNING_PERCENT:
        data = _with_open_task_spend(store, workspace["workspace_id"], day, spent, base)
        alert = _fire(store, workspace, "cost_cap_warning", day,
                      render.cap_text(workspace["name"], "cost_cap_warning", data), data, now,
                      keys.rule_guard_sk("cost_cap_warning", day, str(cap)))
        fired += [alert] if alert else []
    if spent >= cap and workspace.get("status") != "paused":
        data = _with_open_task_spend(store, workspace["workspace_id"], day, spent, base)
        pause = {"Update": {
            "TableName": store.settings.state_table,
            "Key": {"pk": keys.workspace_pk(workspace["workspace_id"]), "sk": keys.WORKSPACE_SK},
            "UpdateExpression": "SET #status = :paused, paused_reason = :why, paused_on = :day, "
                                "gsi1pk = :pk, gsi1sk = :ws",
            "ConditionExpression": "#status = :active",
            "ExpressionAttributeNames": {"#status": "status"},
            "ExpressionAttributeValues": {":paused": "paused", ":active": "active", ":day": day,
                                          ":why": f"cost_cap_reached: today's spend reached the daily cap on {day}",
                                          ":pk": keys.PAUSED_KEY, ":ws": workspace["workspace_id"]}}}
        alert = _fire(store, workspace, "cost_cap_reached", day,
                      render.cap_text(workspace["name"], "cost_cap_reached", data), data, now,
                      keys.rule_guard_sk("cost_cap_reached", day, str(cap)), also=[pause])
        fired += [alert] if alert else []
    return fired


def check_spike(store: Store, workspace: dict[str, Any], now: datetime) -> list[dict[str, Any]]:
    today = _today(workspace, now)
    figures = _figures(store, workspace, today)
    spent, average = figures["today_usd"], figures["trailing_7d_avg_usd"]
    multiplier = Decimal(str(workspace.get("spike_multiplier", DEFAULT_SPIKE_MULTIPLIER)))
    minimum = int(workspace.get("spike_min_micros", DEFAULT_SPIKE_MIN_MICROS))
    if spent < minimum or Decimal(spent) < multiplier * average:
        return []
    day = today.isoformat()
    data = _with_open_task_spend(store, workspace["workspace_id"], day, spent, {
        "today_usd": format_usd(spent), "trailing_7d_avg_usd": format_usd(average),
        "ratio_to_trailing": figures["ratio_to_trailing"], "spike_multiplier": float(multiplier)})
    alert = _fire(store, workspace, "cost_spike", day, render.spike_text(workspace["name"], data), data, now,
                  keys.rule_guard_sk("cost_spike", day))
    return [alert] if alert else []


def resume(store: Store, workspace: dict[str, Any], now: datetime, reason: str) -> dict[str, Any] | None:
    """Un-pause (by hand, or at the first check after local midnight) and say so, once."""
    day = _today(workspace, now).isoformat()
    values: dict[str, Any] = {":active": "active", ":paused": "paused"}
    condition = "#status = :paused"
    if reason == "midnight":
        condition += " AND paused_on < :day"
        values[":day"] = day
    also = [{"Update": {
        "TableName": store.settings.state_table,
        "Key": {"pk": keys.workspace_pk(workspace["workspace_id"]), "sk": keys.WORKSPACE_SK},
        "UpdateExpression": "SET #status = :active REMOVE paused_reason, paused_on, gsi1pk, gsi1sk",
        "ConditionExpression": condition, "ExpressionAttributeNames": {"#status": "status"},
        "ExpressionAttributeValues": values}}]
    data = {"reason": reason, "paused_reason": workspace.get("paused_reason")}
    return _fire(store, {**workspace, "status": "active"}, "desk_resumed", day,
                 render.resumed_text(workspace["name"], data), data, now, guard=None, also=also)


def resume_after_midnight(store: Store, workspace: dict[str, Any], now: datetime) -> tuple[dict[str, Any], list]:
    """A desk paused on an earlier local day resumes (once, whoever asks first: tick or admission)."""
    if workspace.get("status") != "paused" or workspace.get("paused_on", "9999") >= _today(workspace, now).isoformat():
        return workspace, []
    alert = resume(store, workspace, now, "midnight")
    return load_workspace_item(store, workspace["workspace_id"]), [alert] if alert else []


def patch_settings(store: Store, workspace_id: str, patch: models.WorkspacePatch, now: datetime) -> models.Workspace:
    """PATCH /workspace. Raising (or removing) the cap above today's spend also resumes a paused desk."""
    from chalicelib.ingest.workspaces import get_workspace, patch_workspace

    updated = patch_workspace(store, workspace_id, patch)
    if "daily_cap_usd" not in patch.model_fields_set or updated.status != "paused":
        return updated
    workspace = load_workspace_item(store, workspace_id)
    cap = workspace.get("daily_cap_micros")
    if cap is None or _figures(store, workspace, _today(workspace, now))["today_usd"] < cap:
        resume(store, workspace, now, "cap_raised")
        return get_workspace(store, workspace_id)
    return updated


def check_workspace(store: Store, workspace_id: str, now: datetime) -> list[dict[str, Any]]:
    workspace, fired = resume_after_midnight(store, load_workspace_item(store, workspace_id), now)
    fired += check_cap(store, workspace, now)
    fired += check_spike(store, load_workspace_item(store, workspace_id), now)
    return fired


def workspaces_to_check(store: Store, now: datetime) -> list[str]:
    """Workspaces with spend on a date that is 'today' somewhere, and paused ones (for midnight resume)."""
    from boto3.dynamodb.conditions import Key

    from chalicelib.store.tables import SCHEDULE_INDEX

    utc_today = now.date()
    found: set[str] = set()
    for key in [keys.day_key((utc_today + timedelta(days=d)).isoformat()) for d in (-1, 0, 1)] + [keys.PAUSED_KEY]:
        kwargs: dict[str, Any] = {"IndexName": SCHEDULE_INDEX, "KeyConditionExpression": Key("gsi1pk").eq(key)}
        while True:
            page = store.state.query(**kwargs)
            found.update(item["gsi1sk"] for item in page["Items"])
            if "LastEvaluatedKey" not in page:
                break
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]
    return sorted(found)


def run_tick(store: Store, now: datetime, workspace_id: str | None = None) -> models.TickResult:
    """The scheduled function's body: check workspaces, then work off due deliveries and digests."""
    from chalicelib.alerts.digest import send_due_digests

    ids = [workspace_id] if workspace_id else workspaces_to_check(store, now)
    fired: list[dict[str, Any]] = []
    for ws in ids:
        fired += check_workspace(store, ws, now)
        fired += send_due_digests(store, ws, now)
    work_due(store, now)
    return models.TickResult(checked=len(ids), alerts=fired)


def inline_cap_check(store: Store, touched: set[tuple[str, str]], now: datetime) -> None:
    """Called by the aggregator after it added to a day's total: pause in the same step, not minutes later."""
    for workspace_id in sorted({ws for ws, _ in touched}):
        workspace = plain(load_workspace_item(store, workspace_id))
        if (workspace_id, _today(workspace, now).isoformat()) in touched:
            check_cap(store, workspace, now)


def resume_by_hand(store: Store, workspace_id: str, now: datetime) -> models.Workspace:
    """POST /workspace/resume: a paused desk resumes (and says so); an active one is left as it is."""
    from chalicelib.ingest.workspaces import get_workspace

    workspace = load_workspace_item(store, workspace_id)
    if workspace.get("status") == "paused":
        resume(store, workspace, now, "manual")
    return get_workspace(store, workspace_id)


def alert_page(store: Store, workspace_id: str, limit: int, cursor: str | None) -> models.AlertPage:
    from chalicelib.alerts.ledger import list_alerts
    from chalicelib.alerts.model import Alert

    items, next_cursor = list_alerts(store, workspace_id, limit, cursor)
    alerts = [models.AlertOut(
        alert_id=i["alert_id"], type=i["type"], date=i["date"], fired_at=i["fired_at"], text=i["text"],
        data=Alert.from_item(i).data,
        deliveries=[models.Delivery(channel=d["channel"], target=d["target"], status=d["status"],
                                    attempts=int(d.get("attempts", 0)), last_error=d.get("last_error"))
                    for d in i["deliveries"]]) for i in items]
    return models.AlertPage(alerts=alerts, next_cursor=next_cursor)


def ping_webhook(store: Store, workspace_id: str, webhook_id: str, now: datetime) -> models.WebhookTestResult:
    """A signed `webhook.test` event, sent now, logged like any delivery."""
    import json

    from chalicelib.alerts import webhooks
    from chalicelib.alerts.channels import post_signed
    from chalicelib.alerts.targets import UnsafeTarget
    from chalicelib.ingest.ids import new_id

    endpoint = webhooks.get_endpoint(store, workspace_id, webhook_id)
    message_id = new_id("msg_test", 12)
    body = json.dumps({"type": "webhook.test", "timestamp": timeutil.format_instant(now),
                       "data": {"workspace_id": workspace_id, "webhook_id": webhook_id}},
                      separators=(",", ":")).encode()
    try:
        result = post_signed(store, endpoint, message_id, body, now)
    except UnsafeTarget as exc:
        webhooks.log_attempt(store, workspace_id, webhook_id, message_id, "webhook.test", now, None, "refused",
                             exc.message)
        return models.WebhookTestResult(delivered=False, response_status=None, error=exc.message)
    delivered = result.status is not None and 200 <= result.status < 300
    error = None if delivered else (result.error or f"HTTP {result.status}")
    webhooks.log_attempt(store, workspace_id, webhook_id, message_id, "webhook.test", now, result.status,
                         "delivered" if delivered else "failed", error)
    return models.WebhookTestResult(delivered=delivered, response_status=result.status, error=error)
