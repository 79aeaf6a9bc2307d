"""Events shaped as Lambda delivers them: DynamoDB stream records and the scheduled event."""
from __future__ import annotations

import base64
import uuid
from datetime import datetime, timezone
from typing import Any, Mapping

LOCAL_ACCOUNT_ID = "123456789012"  # moto's default account


def stream_record(record: Mapping[str, Any], stream_arn: str, region: str) -> dict[str, Any]:
    """A boto3 `GetRecords` record as a Lambda event record.

    boto3 parses `ApproximateCreationDateTime` into a datetime and binary attributes into bytes;
    Lambda delivers epoch seconds and base64 text. Lambda also adds `eventSourceARN`.
    """
    dynamodb = dict(record.get("dynamodb") or {})
    created = dynamodb.get("ApproximateCreationDateTime")
    if isinstance(created, datetime):
        aware = created if created.tzinfo else created.replace(tzinfo=timezone.utc)
        dynamodb["ApproximateCreationDateTime"] = int(aware.timestamp())
    for image in ("Keys", "NewImage", "OldImage"):
        if isinstance(dynamodb.get(image), dict):
            dynamodb[image] = {name: _wire(value) for name, value in dynamodb[image].items()}
    dynamodb.setdefault("SizeBytes", 0)
    shaped: dict[str, Any] = {
        "eventID": record["eventID"],
        "eventName": record["eventName"],
        "eventVersion": record.get("eventVersion", "1.1"),
        "eventSource": record.get("eventSource", "aws:dynamodb"),
        "awsRegion": record.get("awsRegion") or region,
        "dynamodb": dynamodb,
        "eventSourceARN": stream_arn,
    }
    if "userIdentity" in record:
        shaped["userIdentity"] = record["userIdentity"]
    return shaped


def _wire(value: Any) -> Any:
    """One attribute value as it travels in JSON (binary as base64 text), recursively."""
    if not isinstance(value, dict) or len(value) != 1:
        return value
    (kind, inner), = value.items()
    if kind == "B":
        return {"B": _b64(inner)}
    if kind == "BS":
        return {"BS": [_b64(item) for item in inner]}
    if kind == "M":
        return {"M": {name: _wire(item) for name, item in inner.items()}}
    if kind == "L":
        return {"L": [_wire(item) for item in inner]}
    return value


def _b64(value: Any) -> Any:
    return base64.b64encode(value).decode("ascii") if isinstance(value, (bytes, bytearray)) else value


def scheduled_event(now: datetime, region: str, rule_arn: str = "") -> dict[str, Any]:
    """An EventBridge scheduled event, as the `@app.schedule` handler receives it."""
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": LOCAL_ACCOUNT_ID,
        "time": now.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "region": region,
        "resources": [rule_arn] if rule_arn else [],
        "detail": {},
    }
