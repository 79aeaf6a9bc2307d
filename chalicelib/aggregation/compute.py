"""Aggregates recomputed from source items: the rebuild's answer and the tests' oracle."""
from __future__ import annotations

from collections import defaultdict
from typing import Any, Iterable

from chalicelib.store import keys

AggregateValues = dict[str, dict[str, Any]]


def compute_aggregates(source_items: Iterable[dict[str, Any]]) -> AggregateValues:
    """Every aggregate of one workspace, keyed by its sort key, from its members, tasks and runs."""
    tasks: dict[str, dict[str, Any]] = {}
    runs: list[dict[str, Any]] = []
    for item in source_items:
        if item.get("entity") == "task":
            tasks[item["task_id"]] = item
        elif item.get("entity") == "run":
            runs.append(item)
    out: AggregateValues = defaultdict(lambda: {"cost_micros": 0, "tokens": 0, "runs": 0})
    task_aggs: dict[str, dict[str, Any]] = {}
    for task_id, task in tasks.items():
        task_aggs[task_id] = {"cost_micros": 0, "tokens": 0, "runs": 0, "last_run_at": None,
                              "assignee": task.get("assignee_id") or keys.UNASSIGNED, "status": task["status"],
                              "title": task.get("title", ""), "known": True, "revision": int(task.get("revision", 0))}
    assignees: dict[str, dict[str, int]] = defaultdict(lambda: {"cost_micros": 0, "tokens": 0, "tasks": 0})
    total = {"cost_micros": 0, "tokens": 0, "runs": 0}
    for run in runs:
        cost = int(run["cost_micros"])
        tokens = int(run["input_tokens"]) + int(run["output_tokens"])
        task_id = run.get("task_id")
        assignee = keys.UNASSIGNED
        if task_id is not None:
            agg = task_aggs.setdefault(task_id, {"cost_micros": 0, "tokens": 0, "runs": 0, "last_run_at": None,
                                                 "assignee": keys.UNASSIGNED, "status": "open", "title": "",
                                                 "known": False})
            agg["cost_micros"] += cost
            agg["tokens"] += tokens
            agg["runs"] += 1
            agg["last_run_at"] = max(agg["last_run_at"] or "", run["started_at"])
            day_task = out[keys.agg_day_task_sk(run["local_date"], task_id)]
            _add(day_task, cost, tokens)
        else:
            _add(assignees[assignee], cost, tokens, runs=False)
        _add(out[keys.agg_day_sk(run["local_date"])], cost, tokens)
        _add(total, cost, tokens)
    for task_id, agg in task_aggs.items():
        group = assignees[agg["assignee"]]
        group["cost_micros"] += agg["cost_micros"]
        group["tokens"] += agg["tokens"]
        group["tasks"] += 1
        out[keys.agg_task_sk(task_id)] = agg
    for member_id, group in assignees.items():
        out[keys.agg_assignee_sk(member_id)] = group
    if runs:
        out[keys.AGG_TOTAL_SK] = total
    return dict(out)


def _add(values: dict[str, int], cost: int, tokens: int, runs: bool = True) -> None:
    values["cost_micros"] += cost
    values["tokens"] += tokens
    if runs:
        values["runs"] = values.get("runs", 0) + 1
