"""Tasks: each sits in one teammate's queue (its assignee) or in none."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from chalicelib import models, timeutil
from chalicelib.errors import InvalidInput, NotFound
from chalicelib.ingest.members import get_member_item
from chalicelib.store import keys
from chalicelib.store.db import Store, plain


def put_task(store: Store, workspace_id: str, task_id: str, body: models.TaskPut,
             now: datetime) -> bool:
    """Create or replace a task; True when it is new. The assignee must be a member of this workspace.

    Every write bumps `revision`, so the aggregator can tell a stale stream record from a newer one.
    """
    if body.assignee_id is not None and get_member_item(store, workspace_id, body.assignee_id) is None:
        raise InvalidInput("assignee_id names no member of this workspace.", code="unknown_member",
                           field="assignee_id")
    answer = store.source.update_item(
        Key={"pk": keys.workspace_pk(workspace_id), "sk": keys.task_sk(task_id)},
        UpdateExpression=("SET entity = :entity, workspace_id = :ws, task_id = :task, title = :title, "
                          "assignee_id = :assignee, #status = :status, updated_at = :now ADD revision :one"),
        ExpressionAttributeNames={"#status": "status"},
        ExpressionAttributeValues={":entity": "task", ":ws": workspace_id, ":task": task_id, ":title": body.title,
                                   ":assignee": body.assignee_id, ":status": body.status,
                                   ":now": timeutil.format_instant(now), ":one": 1},
        ReturnValues="UPDATED_OLD",
    )
    return "revision" not in answer.get("Attributes", {})


def get_task_item(store: Store, workspace_id: str, task_id: str) -> dict[str, Any]:
    item = store.source.get_item(Key={"pk": keys.workspace_pk(workspace_id), "sk": keys.task_sk(task_id)},
                                 ConsistentRead=True).get("Item")
    if item is None:
        raise NotFound("No such task.", code="task_not_found")
    return plain(item)
