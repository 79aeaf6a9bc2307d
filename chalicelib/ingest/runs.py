"""Runs (desk cycles): stored once by run_id, always accepted (even while the desk is paused)."""
from __future__ import annotations

import base64
import hashlib
import json
from datetime import datetime, timedelta
from typing import Any

from pydantic import ValidationError

from chalicelib import models, timeutil
from chalicelib.errors import Conflict, InvalidInput, LoopDeskError, NotFound
from chalicelib.ingest.workspaces import load_workspace_item
from chalicelib.store import keys, tables
from chalicelib.store.db import Store, plain
from chalicelib.validation import invalid_input_from

FUTURE_TOLERANCE = timedelta(minutes=5)


def fingerprint(run: models.RunPost) -> str:
    """What 'an identical body' means: the same values after validation (so 4.2 == "4.200000")."""
    canonical = json.dumps(run.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def check_not_in_future(run: models.RunPost, now: datetime) -> None:
    if run.started_at > now + FUTURE_TOLERANCE:
        raise InvalidInput("started_at is more than 5 minutes in the future.", code="started_at_in_future",
                           field="started_at")


def record_run(store: Store, workspace_id: str, run: models.RunPost, now: datetime,
               timezone_name: str | None = None) -> tuple[models.Run, int]:
    """Store a run once. 201 stored, 200 identical replay, 409 `run_conflict` for another body.

    The run's local date is fixed when it is stored, in the workspace's timezone of that moment: a
    changed timezone applies to runs recorded from then on, and a rebuild reproduces the same days.
    """
    check_not_in_future(run, now)
    if timezone_name is None:
        timezone_name = load_workspace_item(store, workspace_id)["timezone"]
    item = run_item(workspace_id, run, now, timezone_name)
    try:
        store.source.put_item(Item=item, ConditionExpression="attribute_not_exists(pk)")
        return to_run(item), 201
    except store.client.exceptions.ConditionalCheckFailedException:
        pass
    existing = plain(store.source.get_item(Key={"pk": item["pk"], "sk": item["sk"]}, ConsistentRead=True)["Item"])
    if existing.get("fingerprint") != item["fingerprint"]:
        raise Conflict("A run with this run_id was already stored with a different body.", code="run_conflict",
                       field="run_id")
    return to_run(existing), 200


def record_batch(store: Store, workspace_id: str, raw_runs: list[Any], now: datetime) -> models.RunBatchResult:
    """Each run on its own: one bad run does not stop the others."""
    results = []
    timezone_name = load_workspace_item(store, workspace_id)["timezone"]
    for raw in raw_runs:
        run_id = raw.get("run_id") if isinstance(raw, dict) and isinstance(raw.get("run_id"), str) else None
        try:
            try:
                run = models.RunPost.model_validate(raw)
            except ValidationError as exc:
                raise invalid_input_from(exc) from None
            _, status = record_run(store, workspace_id, run, now, timezone_name)
            results.append(models.RunResult(run_id=run.run_id, status=status))
        except LoopDeskError as exc:
            results.append(models.RunResult(run_id=run_id, status=exc.STATUS_CODE, error=exc.to_body()["error"]))
    return models.RunBatchResult(results=results)


def run_item(workspace_id: str, run: models.RunPost, now: datetime, timezone_name: str) -> dict[str, Any]:
    order = f"{timeutil.sortable_instant(run.started_at)}#{run.run_id}"
    item: dict[str, Any] = {
        "pk": keys.workspace_pk(workspace_id),
        "sk": keys.run_sk(run.run_id),
        "entity": "run",
        "workspace_id": workspace_id,
        "run_id": run.run_id,
        "task_id": run.task_id,
        "started_at": timeutil.format_instant(run.started_at),
        "local_date": timeutil.local_date(run.started_at, timezone_name).isoformat(),
        "finished_at": timeutil.format_instant(run.finished_at) if run.finished_at else None,
        "model": run.model,
        "input_tokens": run.input_tokens,
        "output_tokens": run.output_tokens,
        "cost_micros": run.cost_usd,
        "reservation_id": run.reservation_id,
        "fingerprint": fingerprint(run),
        "received_at": timeutil.format_instant(now),
        "gsi1pk": keys.runs_by_time_pk(workspace_id),
        "gsi1sk": order,
    }
    if run.task_id is not None:
        item["gsi2pk"] = keys.runs_by_task_pk(workspace_id, run.task_id)
        item["gsi2sk"] = order
    return item


def to_run(item: dict[str, Any]) -> models.Run:
    return models.Run(
        run_id=item["run_id"], task_id=item.get("task_id"), started_at=item["started_at"],
        finished_at=item.get("finished_at"), model=item["model"], input_tokens=int(item["input_tokens"]),
        output_tokens=int(item["output_tokens"]), cost_usd=int(item["cost_micros"]),
        reservation_id=item.get("reservation_id"),
        received_at=item["received_at"],
    )


def get_run(store: Store, workspace_id: str, run_id: str) -> models.Run:
    item = store.source.get_item(Key={"pk": keys.workspace_pk(workspace_id), "sk": keys.run_sk(run_id)},
                                 ConsistentRead=True).get("Item")
    if item is None:
        raise NotFound("No such run.", code="run_not_found")
    return to_run(plain(item))


def list_runs(store: Store, workspace_id: str, *, task_id: str | None, since: datetime | None,
              until: datetime | None, limit: int, cursor: str | None) -> models.RunPage:
    """Newest first, one page; the cursor carries only the position, never the workspace."""
    from boto3.dynamodb.conditions import Key

    if task_id is not None:
        index, pk_name, pk_value = tables.RUNS_BY_TASK_INDEX, "gsi2pk", keys.runs_by_task_pk(workspace_id, task_id)
        sk_name = "gsi2sk"
    else:
        index, pk_name, pk_value = tables.RUNS_BY_TIME_INDEX, "gsi1pk", keys.runs_by_time_pk(workspace_id)
        sk_name = "gsi1sk"
    condition = Key(pk_name).eq(pk_value)
    low = timeutil.sortable_instant(since) if since else None
    high = timeutil.sortable_instant(until) + "\uffff" if until else None
    if low and high:
        condition &= Key(sk_name).between(low, high)
    elif low:
        condition &= Key(sk_name).gte(low)
    elif high:
        condition &= Key(sk_name).lte(high)
    kwargs: dict[str, Any] = {"IndexName": index, "KeyConditionExpression": condition,
                              "ScanIndexForward": False, "Limit": limit}
    if cursor:
        kwargs["ExclusiveStartKey"] = _decode_cursor(cursor, workspace_id, pk_name, pk_value, sk_name)
    runs: list[models.Run] = []
    while True:
        page = store.source.query(**kwargs)
        runs.extend(to_run(plain(item)) for item in page["Items"])
        last = page.get("LastEvaluatedKey")
        if not last or len(runs) >= limit:
            break
        kwargs["ExclusiveStartKey"] = last
        kwargs["Limit"] = limit - len(runs)
    next_cursor = _encode_cursor(last[sk_name], last["sk"]) if last else None
    return models.RunPage(runs=runs[:limit], next_cursor=next_cursor)


def _encode_cursor(order: str, sk: str) -> str:
    raw = json.dumps([order, sk], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode_cursor(cursor: str, workspace_id: str, pk_name: str, pk_value: str, sk_name: str) -> dict[str, str]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        order, sk = json.loads(base64.urlsafe_b64decode(padded.encode()))
        if not (isinstance(order, str) and isinstance(sk, str) and sk.startswith("RUN#")):
            raise ValueError
    except (ValueError, TypeError, UnicodeDecodeError):
        raise InvalidInput("The cursor is not one this API gave out.", code="invalid_cursor", field="cursor") from None
    return {pk_name: pk_value, sk_name: order, "pk": keys.workspace_pk(workspace_id), "sk": sk}
