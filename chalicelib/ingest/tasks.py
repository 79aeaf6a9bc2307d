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
    """Create or replace a task; True when it is new. The assignee must be a member of this workspace."""
    if body.assignee_id is not None and get_member_item(store, workspace_id, body.assignee_id) is None:
        raise InvalidInput("assignee_id names no member of this workspace.", code="unknown_member",
                           field="assignee_id")
    item = {
        "pk": keys.workspace_pk(workspace_id),
        "sk": keys.task_sk(task_id),
        "entity": "task",
        "workspace_id": workspace_id,
        "task_id": task_id,
        "title": body.title,
        "assignee_id": body.assignee_id,
        "status": body.status,
        "updated_at": timeutil.format_instant(now),
    }
    old = store.source.put_item(Item=item, ReturnValues="ALL_OLD").get("Attributes")
    return old is None


def get_task_item(store: Store, workspace_id: str, task_id: str) -> dict[str, Any]:
    item = store.source.get_item(Key={"pk": keys.workspace_pk(workspace_id), "sk": keys.task_sk(task_id)},
                                 ConsistentRead=True).get("Item")
    if item is None:
        raise NotFound("No such task.", code="task_not_found")
    return plain(item)
