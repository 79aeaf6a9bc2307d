"""One task with its cumulative totals."""
from __future__ import annotations

from chalicelib import models
from chalicelib.ingest.members import get_member_item
from chalicelib.ingest.tasks import get_task_item
from chalicelib.store import keys
from chalicelib.store.db import Store, plain


def task_with_totals(store: Store, workspace_id: str, task_id: str) -> models.Task:
    task = get_task_item(store, workspace_id, task_id)
    totals = plain(store.state.get_item(Key={"pk": keys.workspace_pk(workspace_id), "sk": keys.agg_task_sk(task_id)},
                                        ConsistentRead=True).get("Item") or {})
    assignee = None
    if task.get("assignee_id"):
        member = get_member_item(store, workspace_id, task["assignee_id"])
        if member:
            assignee = models.AssigneeRef(member_id=member["member_id"], name=member["name"])
    return models.Task(
        task_id=task["task_id"], title=task["title"], status=task["status"], assignee_id=task.get("assignee_id"),
        assignee=assignee, cost_usd=totals.get("cost_micros", 0), tokens=totals.get("tokens", 0),
        runs=totals.get("runs", 0), last_run_at=totals.get("last_run_at"),
    )
