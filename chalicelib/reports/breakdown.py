"""The by-assignee breakdown: computed once here, rendered by the API, dashboard, Slack, webhooks, email."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from chalicelib import models
from chalicelib.ingest.members import list_member_items
from chalicelib.money import percent
from chalicelib.store import keys
from chalicelib.store.db import Store, plain, query_all


def _query_prefix(store: Store, workspace_id: str, prefix: str) -> list[dict[str, Any]]:
    return query_all(store.state, keys.workspace_pk(workspace_id), prefix)


def member_names(store: Store, workspace_id: str) -> dict[str, str]:
    return {item["member_id"]: item["name"] for item in list_member_items(store, workspace_id)}


def cost_by_assignee(store: Store, workspace_id: str, now: datetime) -> models.CostByAssignee:
    """Cumulative spend grouped by each task's current assignee, with the unassigned group.

    The total is the sum of the groups, which the aggregator keeps equal to the workspace total
    in the same transactions; so rows + unassigned == total holds to the micro-dollar.
    """
    groups = _query_prefix(store, workspace_id, "AGG#ASSIGNEE#")
    names = member_names(store, workspace_id)
    total = sum(int(g.get("cost_micros", 0)) for g in groups)
    total_tokens = sum(int(g.get("tokens", 0)) for g in groups)
    rows, unassigned = [], models.UnassignedCost(cost_usd=0, percent=0.0, tokens=0, tasks=0)
    for group in groups:
        member_id = group["sk"].removeprefix("AGG#ASSIGNEE#")
        cost, tokens, tasks = int(group.get("cost_micros", 0)), int(group.get("tokens", 0)), int(group.get("tasks", 0))
        if member_id == keys.UNASSIGNED:
            unassigned = models.UnassignedCost(cost_usd=cost, percent=percent(cost, total), tokens=tokens, tasks=tasks)
        elif cost or tasks:
            rows.append(models.AssigneeCost(member_id=member_id, name=names.get(member_id, member_id), cost_usd=cost,
                                            percent=percent(cost, total), tokens=tokens, tasks=tasks))
    rows.sort(key=lambda row: (-row.cost_usd, row.member_id))
    return models.CostByAssignee(as_of=now, total_usd=total, total_tokens=total_tokens, solo=len(rows) <= 1,
                                 assignees=rows, unassigned=unassigned)


def top_cost_tasks(store: Store, workspace_id: str, limit: int, status: str) -> models.TopCostTasks:
    """The costliest tasks (cost desc, then task_id), from the task aggregates."""
    names = member_names(store, workspace_id)
    tasks = [t for t in _query_prefix(store, workspace_id, "AGG#TASK#") if status == "all" or t.get("status") == status]
    tasks.sort(key=lambda t: (-int(t.get("cost_micros", 0)), keys.task_of_agg(t["sk"])))
    rows = []
    for task in tasks[:limit]:
        assignee = task.get("assignee")
        ref = None
        if assignee and assignee != keys.UNASSIGNED:
            ref = models.AssigneeRef(member_id=assignee, name=names.get(assignee, assignee))
        rows.append(models.TaskCost(
            task_id=keys.task_of_agg(task["sk"]), title=task.get("title") if task.get("known") else None,
            status=task.get("status", "open"), assignee=ref, cost_usd=int(task.get("cost_micros", 0)),
            tokens=int(task.get("tokens", 0)), runs=int(task.get("runs", 0)), last_run_at=task.get("last_run_at")))
    return models.TopCostTasks(tasks=rows)


def open_task_spend_by_assignee(store: Store, workspace_id: str, day: str,
                                day_total: int) -> list[models.OpenTaskSpend]:
    """Today's spend on tasks open now, by their current assignee, each with its percent of the day.

    The alerts carry this list; Slack, webhooks, email and the dashboard all render it as computed here.
    """
    return day_spend_by_assignee(store, workspace_id, day, day_total, open_only=True)


def day_spend_by_assignee(store: Store, workspace_id: str, day: str, day_total: int,
                          open_only: bool = False) -> list[models.OpenTaskSpend]:
    """A day's spend on tasks by their current assignee (named teammates only, cost desc)."""
    spent_today = _query_prefix(store, workspace_id, f"AGG#DAYTASK#{day}#")
    if not spent_today:
        return []
    task_keys = [{"pk": keys.workspace_pk(workspace_id), "sk": keys.agg_task_sk(keys.task_of_day_task(item["sk"]))}
                 for item in spent_today]
    current = {keys.task_of_agg(item["sk"]): plain(item) for item in store.batch_get(store.state, task_keys)}
    names = member_names(store, workspace_id)
    by_member: dict[str, int] = {}
    for item in spent_today:
        task = current.get(keys.task_of_day_task(item["sk"]), {})
        assignee = task.get("assignee", keys.UNASSIGNED)
        if (open_only and task.get("status") != "open") or assignee == keys.UNASSIGNED:
            continue
        by_member[assignee] = by_member.get(assignee, 0) + int(item.get("cost_micros", 0))
    rows = [models.OpenTaskSpend(member_id=m, name=names.get(m, m), cost_usd=c, percent=percent(c, day_total))
            for m, c in by_member.items()]
    rows.sort(key=lambda row: (-row.cost_usd, row.member_id))
    return rows
