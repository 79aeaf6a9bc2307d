"""The stream-triggered function: parse, park the poison, coalesce, apply."""
from __future__ import annotations

import json
import logging
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from chalicelib import timeutil
from chalicelib.aggregation.apply import Applied, apply_runs, apply_task
from chalicelib.aggregation.records import PoisonRecord, RunRecorded, TaskUpdated, parse
from chalicelib.store.db import Store

log = logging.getLogger(__name__)
PARKED_PK = "PARKED"
MAX_PARKED_RECORD_CHARS = 300_000


@dataclass
class StreamResult:
    """What one batch did; the Lambda response reports no item failures (bad records are parked)."""

    applied: Applied
    parked: int
    ignored: int

    def as_lambda_response(self) -> dict[str, Any]:
        return {"batchItemFailures": []}


def handle_stream_event(store: Store, event: dict[str, Any], now: datetime | None = None) -> StreamResult:
    """Apply one batch of source-table stream records to the aggregates, exactly once each.

    Task changes go first (newest revision per task), then each workspace's runs, coalesced into as
    few transactions as fit (many runs of one task add to its sums once). Transient AWS errors
    propagate: the batch is retried, and every write below is idempotent.
    """
    now = now or timeutil.now_utc()
    applied, parked, ignored = Applied(), 0, 0
    newest_tasks: dict[tuple[str, str], TaskUpdated] = {}
    runs_by_workspace: dict[str, list[RunRecorded]] = defaultdict(list)
    for record in event.get("Records") or []:
        try:
            change = parse(record)
        except PoisonRecord as exc:
            park(store, record, str(exc), now)
            parked += 1
            continue
        if isinstance(change, TaskUpdated):
            key = (change.workspace_id, change.task_id)
            if key not in newest_tasks or newest_tasks[key].revision < change.revision:
                newest_tasks[key] = change
        elif isinstance(change, RunRecorded):
            runs_by_workspace[change.workspace_id].append(change)
        else:
            ignored += 1
    for change in newest_tasks.values():
        apply_task(store, change, applied)
    for workspace_id, runs in runs_by_workspace.items():
        apply_runs(store, workspace_id, runs, applied)
    if applied.touched_days:
        from chalicelib.alerts.governance import inline_cap_check

        inline_cap_check(store, applied.touched_days, now)
    return StreamResult(applied=applied, parked=parked, ignored=ignored)


def park(store: Store, record: Any, error: str, now: datetime) -> None:
    """Keep a record that can never apply, with its error, where an operator can find it."""
    try:
        text = json.dumps(record, default=str, sort_keys=True)
    except (TypeError, ValueError):
        text = repr(record)
    event_id = record.get("eventID") if isinstance(record, dict) else None
    sequence = ((record.get("dynamodb") or {}) if isinstance(record, dict) else {}).get("SequenceNumber")
    identity = str(event_id or sequence or abs(hash(text)))
    log.error("parked stream record %s: %s", identity, error)
    store.state.put_item(Item={"pk": PARKED_PK, "sk": f"PARKED#{identity}", "error": error[:2000],
                               "record": text[:MAX_PARKED_RECORD_CHARS], "parked_at": timeutil.format_instant(now)})


def parked_records(store: Store) -> list[dict[str, Any]]:
    from boto3.dynamodb.conditions import Key

    return store.state.query(KeyConditionExpression=Key("pk").eq(PARKED_PK), ConsistentRead=True)["Items"]
