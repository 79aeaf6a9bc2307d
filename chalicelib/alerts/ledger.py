"""Alert records: each fires at most once per its rule (a guard item written in the same transaction)."""
from __future__ import annotations

import base64
import json
from datetime import datetime
from typing import Any

from chalicelib import timeutil
from chalicelib.alerts.model import Alert
from chalicelib.ingest.ids import new_id
from chalicelib.store import keys
from chalicelib.store.db import Store, plain


def fire(store: Store, alert: Alert, *, guard: str | None, deliveries: list[dict[str, Any]],
         also: list[dict[str, Any]] | None = None) -> bool:
    """Store the alert, its planned deliveries and `also` (e.g. the pause) in one transaction.

    Returns False, writing nothing, when the guard exists (the rule already fired) or a condition
    in `also` fails (another invocation got there first).
    """
    table = store.settings.state_table
    pk = keys.workspace_pk(alert.workspace_id)
    items: list[dict[str, Any]] = []
    if guard is not None:
        items.append({"Put": {"TableName": table, "ConditionExpression": "attribute_not_exists(pk)",
                              "Item": {"pk": pk, "sk": guard, "alert_id": alert.alert_id}}})
    items.append({"Put": {"TableName": table, "ConditionExpression": "attribute_not_exists(pk)",
                          "Item": {"pk": pk, "sk": keys.alert_sk(alert.fired_at, alert.alert_id), **alert.to_item()}}})
    items.extend({"Put": {"TableName": table, "Item": delivery}} for delivery in deliveries)
    items.extend(also or [])
    try:
        store.transact(_jsonable(items))
    except store.client.exceptions.TransactionCanceledException:
        return False
    return True


def _jsonable(value: Any) -> Any:
    """Floats are not DynamoDB numbers: round-trip alert data through JSON with Decimal."""
    from decimal import Decimal

    return json.loads(json.dumps(value), parse_float=Decimal)


def new_alert(workspace_id: str, kind: str, day: str, text: str, data: dict[str, Any], now: datetime) -> Alert:
    return Alert(alert_id=new_id("alrt", 16), workspace_id=workspace_id, type=kind, date=day,
                 fired_at=timeutil.sortable_instant(now), text=text, data=data)


def list_alerts(store: Store, workspace_id: str, limit: int,
                cursor: str | None) -> tuple[list[dict[str, Any]], str | None]:
    """Newest first, each with its deliveries (the audit trail)."""
    from boto3.dynamodb.conditions import Key

    kwargs: dict[str, Any] = {
        "KeyConditionExpression": Key("pk").eq(keys.workspace_pk(workspace_id)) & Key("sk").begins_with("ALERT#"),
        "ScanIndexForward": False, "Limit": limit, "ConsistentRead": True}
    if cursor:
        kwargs["ExclusiveStartKey"] = {"pk": keys.workspace_pk(workspace_id), "sk": _decode(cursor)}
    page = store.state.query(**kwargs)
    alerts = []
    for item in page["Items"]:
        item = plain(item)
        deliveries = store.state.query(
            KeyConditionExpression=Key("pk").eq(keys.workspace_pk(workspace_id))
            & Key("sk").begins_with(f"DELIVERY#{item['alert_id']}#"), ConsistentRead=True)["Items"]
        alerts.append({**item, "deliveries": [plain(d) for d in deliveries]})
    last = page.get("LastEvaluatedKey")
    return alerts, (base64.urlsafe_b64encode(last["sk"].encode()).decode() if last else None)


def _decode(cursor: str) -> str:
    from chalicelib.errors import InvalidInput

    try:
        sk = base64.urlsafe_b64decode(cursor.encode()).decode()
    except (ValueError, UnicodeDecodeError):
        sk = ""
    if not sk.startswith("ALERT#"):
        raise InvalidInput("The cursor is not one this API gave out.", code="invalid_cursor", field="cursor")
    return sk
