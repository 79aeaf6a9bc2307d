"""Renderers: the same alert record as Slack text and blocks, and as a Standard Webhooks payload."""
from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from chalicelib.alerts.model import WEBHOOK_EVENTS, Alert
from chalicelib.money import format_dollars, parse_usd


def dollars(value: str) -> str:
    """A contract money string ("4.200000") as people read it ("$4.20")."""
    return format_dollars(parse_usd(value))


def whole_percent(value: float) -> int:
    return int(Decimal(str(value)).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def teammates_line(rows: list[dict[str, Any]]) -> str:
    """`Maria has $4.20 (40%), Leo has $2.10 (25%)`, from the alert's open-task spend rows."""
    return ", ".join(f"{row['name']} has {dollars(row['cost_usd'])} ({whole_percent(row['percent'])}%)" for row in rows)


def spike_text(workspace_name: str, data: dict[str, Any]) -> str:
    rows = data.get("open_task_spend_by_assignee") or []
    if data.get("ratio_to_trailing") is None:
        head = f"{workspace_name}: today's spend is {dollars(data['today_usd'])}, with no spend in the trailing 7 days"
    else:
        ratio = Decimal(str(data["ratio_to_trailing"])).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
        head = f"{workspace_name}: today's spend is {ratio}× the trailing average"
    if len(rows) >= 2:
        return f"{head} — and {teammates_line(rows)}"
    return f"{head} ({dollars(data['today_usd'])} today vs {dollars(data['trailing_7d_avg_usd'])} a day)"


def cap_text(workspace_name: str, kind: str, data: dict[str, Any]) -> str:
    used, cap = dollars(data["used_usd"]), dollars(data["daily_cap_usd"])
    if kind == "cost_cap_warning":
        return (f"{workspace_name}: today's spend {used} has reached {data['used_percent']}% of the {cap} daily cap")
    return (f"{workspace_name}: today's spend {used} has reached the {cap} daily cap — the desk is paused until "
            "local midnight or a manual resume")


def resumed_text(workspace_name: str, data: dict[str, Any]) -> str:
    how = {"manual": "by hand", "cap_raised": "after the daily cap was raised"}.get(data.get("reason"),
                                                                                    "at local midnight")
    return f"{workspace_name}: the desk has resumed {how}"


def slack_message(alert: Alert) -> dict[str, Any]:
    """Block Kit with the plain text line as the notification text and first block."""
    blocks: list[dict[str, Any]] = [{"type": "section", "text": {"type": "mrkdwn", "text": alert.text}}]
    facts = []
    for label, name in (("Today", "today_usd"), ("Trailing 7-day average", "trailing_7d_avg_usd"),
                        ("Daily cap", "daily_cap_usd"), ("Used", "used_usd")):
        if alert.data.get(name):
            facts.append({"type": "mrkdwn", "text": f"*{label}*\n{dollars(alert.data[name])}"})
    if facts:
        blocks.append({"type": "section", "fields": facts[:10]})
    blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": f"Loop Desk Cost · {alert.date}"}]})
    return {"text": alert.text, "blocks": blocks}


def webhook_payload(alert: Alert) -> dict[str, Any]:
    data = {"workspace_id": alert.workspace_id, "date": alert.date, "alert_id": alert.alert_id, "text": alert.text,
            **alert.data}
    data.setdefault("open_task_spend_by_assignee", [])
    return {"type": WEBHOOK_EVENTS[alert.type], "timestamp": alert.fired_at, "data": data}
