"""The daily digest: one email per member with `digest: true`, once per local day, through SES.

"Your tasks contributed $X.XX to today's spend": each recipient's line comes from the day's spend
by current assignee, computed once for the workspace and stored on the digest alert, so the lines
of all recipients and the unassigned rest add up to the day's total.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import datetime, timedelta
from email.message import EmailMessage
from typing import Any

from chalicelib import models, timeutil
from chalicelib.alerts.deliveries import Outcome, deliver_now, planned
from chalicelib.alerts.ledger import fire, new_alert
from chalicelib.errors import Conflict, InvalidInput, NotFound
from chalicelib.ingest.members import list_member_items, set_digest
from chalicelib.ingest.workspaces import load_workspace_item
from chalicelib.money import format_dollars, format_usd, parse_usd
from chalicelib.reports.breakdown import day_spend_by_assignee, top_cost_tasks
from chalicelib.reports.summary import cap_state, day_totals
from chalicelib.store import keys
from chalicelib.store.db import Store

_ses_clients: dict[tuple[str, str | None], Any] = {}


def _ses(store: Store) -> Any:
    import boto3
    from botocore.config import Config

    key = (store.settings.region, store.settings.endpoint_url)
    if key not in _ses_clients:
        _ses_clients[key] = boto3.client("ses", region_name=key[0], endpoint_url=key[1],
                                         config=Config(retries={"max_attempts": 1, "mode": "standard"}))
    return _ses_clients[key]


def digest_data(store: Store, workspace: dict[str, Any], now: datetime) -> dict[str, Any]:
    """The figures every recipient's email renders: computed once per workspace and day."""
    workspace_id = workspace["workspace_id"]
    today = timeutil.local_date(now, workspace["timezone"])
    yesterday = today - timedelta(days=1)
    per_day = day_totals(store, workspace_id, [today, yesterday])
    spent = int(per_day.get(today.isoformat(), {}).get("cost_micros", 0))
    rows = day_spend_by_assignee(store, workspace_id, today.isoformat(), spent)
    cap = cap_state(workspace.get("daily_cap_micros"), spent)
    from boto3.dynamodb.conditions import Key

    todays_alerts = store.state.query(
        KeyConditionExpression=Key("pk").eq(keys.workspace_pk(workspace_id)) & Key("sk").begins_with("ALERT#"),
        ScanIndexForward=False, Limit=50, ConsistentRead=True)["Items"]
    return {
        "workspace_name": workspace["name"],
        "today_usd": format_usd(spent),
        "yesterday_usd": format_usd(int(per_day.get(yesterday.isoformat(), {}).get("cost_micros", 0))),
        "by_assignee_today": [row.model_dump(mode="json") for row in rows],
        "unassigned_today_usd": format_usd(spent - sum(row.cost_usd for row in rows)),
        "cap": cap.model_dump(mode="json"),
        "top_tasks": [t.model_dump(mode="json") for t in top_cost_tasks(store, workspace_id, 5, "open").tasks],
        "alerts_today": [a["text"] for a in todays_alerts
                         if a["date"] == today.isoformat() and a["type"] != "daily_digest"],
    }


def _fire_digest(store: Store, workspace_id: str, now: datetime) -> list[str]:
    workspace = load_workspace_item(store, workspace_id)
    day = timeutil.local_date(now, workspace["timezone"]).isoformat()
    recipients = [m for m in list_member_items(store, workspace_id) if m.get("digest", True)]
    data = digest_data(store, workspace, now)
    alert = new_alert(workspace_id, "daily_digest", day,
                      f"{workspace['name']}: daily digest for {day} "
                      f"({format_dollars(parse_usd(data['today_usd']))} today)",
                      data, now)
    deliveries = [{**planned(alert, "email", m["email"], m["member_id"], now), "member_name": m["name"]}
                  for m in sorted(recipients, key=lambda m: m["member_id"])]
    if not fire(store, alert, guard=keys.rule_guard_sk("daily_digest", day), deliveries=deliveries):
        return []
    deliver_now(store, deliveries, now)
    return [d["target"] for d in deliveries]


def send_due_digests(store: Store, workspace_id: str, now: datetime) -> list[dict[str, Any]]:
    """From the workspace's digest hour on (local time), today's digest goes out once."""
    workspace = load_workspace_item(store, workspace_id)
    local_now = now.astimezone(timeutil.zone(workspace["timezone"]))
    if local_now.hour < int(workspace.get("digest_hour", 18)):
        return []
    sent = _fire_digest(store, workspace_id, now)
    return [{"type": "daily_digest", "workspace_id": workspace_id, "recipients": sent}] if sent else []


def send_digest_now(store: Store, workspace_id: str, now: datetime) -> models.DigestSent:
    """The admin route: today's digest now, whatever the hour (still once per day)."""
    return models.DigestSent(sent=_fire_digest(store, workspace_id, now))


# --- one recipient's email ---------------------------------------------------------------------


def _secret(store: Store) -> bytes:
    return (store.settings.signing_secret or store.settings.admin_token_sha256 or "local").encode()


def unsubscribe_token(store: Store, workspace_id: str, member_id: str, alert_id: str) -> str:
    payload = f"{workspace_id}|{member_id}|{alert_id}"
    mac = hmac.new(_secret(store), payload.encode(), hashlib.sha256).digest()[:16]
    return base64.urlsafe_b64encode(payload.encode() + b"|" + mac).decode().rstrip("=")


def unsubscribe(store: Store, token: str, now: datetime) -> models.Unsubscribed:
    """One click, no login: the signed link sets `digest: false` for its member, once."""
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        payload, mac = raw[:-17], raw[-16:]
        workspace_id, member_id, alert_id = payload.decode().split("|")
    except (ValueError, UnicodeDecodeError):
        raise InvalidInput("This unsubscribe link is not valid.", code="invalid_unsubscribe_link") from None
    expected = hmac.new(_secret(store), payload, hashlib.sha256).digest()[:16]
    if raw[-17:-16] != b"|" or not hmac.compare_digest(mac, expected):
        raise InvalidInput("This unsubscribe link is not valid.", code="invalid_unsubscribe_link")
    try:
        store.state.put_item(Item={"pk": keys.workspace_pk(workspace_id), "sk": f"UNSUB#{member_id}#{alert_id}",
                                   "used_at": timeutil.format_instant(now)},
                             ConditionExpression="attribute_not_exists(pk)")
    except store.client.exceptions.ConditionalCheckFailedException:
        raise Conflict("This unsubscribe link was already used.", code="unsubscribe_link_used") from None
    try:
        set_digest(store, workspace_id, member_id, False)
    except store.client.exceptions.ConditionalCheckFailedException:
        raise NotFound("This member no longer exists.", code="member_not_found") from None
    return models.Unsubscribed(member_id=member_id, digest=False)


def render_email(store: Store, alert_data: dict[str, Any], delivery: dict[str, Any], link: str) -> EmailMessage:
    from chalicelib.alerts.digest_render import render_digest

    subject, text, html = render_digest(alert_data, delivery["target_id"], delivery.get("member_name", ""), link)
    message = EmailMessage()
    message["Subject"] = subject
    message["From"] = store.settings.sender_email
    message["To"] = delivery["target"]
    message["List-Unsubscribe"] = f"<{link}>"
    message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    message.set_content(text)
    message.add_alternative(html, subtype="html")
    return message


def send_digest_email(store: Store, alert: Any, delivery: dict[str, Any], now: datetime) -> Outcome:
    from botocore.exceptions import ClientError

    token = unsubscribe_token(store, alert.workspace_id, delivery["target_id"], alert.alert_id)
    link = f"{store.settings.public_base_url.rstrip('/')}/api/v1/unsubscribe?token={token}"
    message = render_email(store, alert.data, delivery, link)
    try:
        _ses(store).send_raw_email(Source=store.settings.sender_email, Destinations=[delivery["target"]],
                                   RawMessage={"Data": message.as_bytes()})
    except ClientError as exc:
        code = exc.response.get("Error", {}).get("Code", "")
        if code in ("Throttling", "ThrottlingException"):
            return Outcome("retry", f"SES throttled: {code}", timedelta(minutes=1))
        if code in ("MessageRejected", "AccountSendingPausedException", "MailFromDomainNotVerifiedException",
                    "ConfigurationSetDoesNotExist"):
            return Outcome("failed", f"SES refused: {code}: {exc.response['Error'].get('Message', '')}")
        return Outcome("retry", f"SES error: {code}")
    return Outcome("delivered")
