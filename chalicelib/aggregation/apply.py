"""Idempotent, exact writes of typed changes to the aggregates (one transaction per coalesced group).

Every run is counted once: its dedupe marker is written in the same transaction as the sums it adds
to, so a redelivered run fails the marker's condition and changes nothing. A task's assignee is
read and then asserted (by the task aggregate's `ver`) in the transaction that moves its cost, so
concurrent writers retry instead of losing money.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterable

from chalicelib.aggregation.records import RunRecorded, TaskUpdated
from chalicelib.store import keys
from chalicelib.store.db import Store, cancellation_reasons, plain

MAX_TRANSACTION_ITEMS = 100
MAX_ATTEMPTS = 8


class Contention(RuntimeError):
    """Too many concurrent changes to one task: the batch is retried (every write is idempotent)."""


@dataclass
class Applied:
    runs: int = 0
    duplicates: int = 0
    tasks: int = 0
    stale: int = 0
    transactions: int = 0
    touched_days: set[tuple[str, str]] = field(default_factory=set)


def _key(workspace_id: str, sk: str) -> dict[str, str]:
    return {"pk": keys.workspace_pk(workspace_id), "sk": sk}


def _read_task(store: Store, workspace_id: str, task_id: str) -> dict[str, Any] | None:
    item = store.state.get_item(Key=_key(workspace_id, keys.agg_task_sk(task_id)), ConsistentRead=True).get("Item")
    return plain(item) if item else None


def _update(store: Store, key: dict[str, str], expression: str, values: dict[str, Any],
            condition: str | None = None, names: dict[str, str] | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"TableName": store.settings.state_table, "Key": key, "UpdateExpression": expression,
                            "ExpressionAttributeValues": values}
    if condition:
        body["ConditionExpression"] = condition
    if names:
        body["ExpressionAttributeNames"] = names
    return {"Update": body}


def _add_to_assignee(store: Store, workspace_id: str, assignee: str, cost: int, tokens: int,
                     tasks: int) -> dict[str, Any]:
    return _update(store, _key(workspace_id, keys.agg_assignee_sk(assignee)),
                   "SET member_id = :m ADD cost_micros :c, tokens :t, tasks :n",
                   {":m": assignee, ":c": cost, ":t": tokens, ":n": tasks})


def apply_task(store: Store, change: TaskUpdated, applied: Applied) -> None:
    """Bring the task aggregate to the task's newest state, moving its whole cost on reassignment."""
    for _ in range(MAX_ATTEMPTS):
        current = _read_task(store, change.workspace_id, change.task_id)
        if current is not None and current.get("known") and int(current.get("revision", 0)) >= change.revision:
            applied.stale += 1
            return
        task_key = _key(change.workspace_id, keys.agg_task_sk(change.task_id))
        values = {":a": change.assignee, ":s": change.status, ":title": change.title, ":r": change.revision,
                  ":true": True, ":one": 1}
        names = {"#status": "status"}
        if current is None:
            items = [
                _update(store, task_key,
                        "SET task_id = :task, assignee = :a, #status = :s, title = :title, revision = :r, "
                        "known = :true, cost_micros = :zero, tokens = :zero, runs = :zero ADD ver :one",
                        {**values, ":task": change.task_id, ":zero": 0}, "attribute_not_exists(pk)", names),
                _add_to_assignee(store, change.workspace_id, change.assignee, 0, 0, 1),
            ]
        else:
            items = [_update(store, task_key,
                             "SET assignee = :a, #status = :s, title = :title, revision = :r, known = :true "
                             "ADD ver :one", {**values, ":v": current["ver"]}, "ver = :v", names)]
            if current["assignee"] != change.assignee:
                cost, tokens = int(current["cost_micros"]), int(current["tokens"])
                items.append(_add_to_assignee(store, change.workspace_id, current["assignee"], -cost, -tokens, -1))
                items.append(_add_to_assignee(store, change.workspace_id, change.assignee, cost, tokens, 1))
        if _try(store, items, applied):
            applied.tasks += 1
            return
    raise Contention(f"task {change.task_id} kept changing under the aggregator")


def apply_runs(store: Store, workspace_id: str, runs: Iterable[RunRecorded], applied: Applied) -> None:
    """Add one workspace's runs to every aggregate, each exactly once, a few transactions per batch."""
    unique = list({run.run_id: run for run in runs}.values())
    for chunk in _chunks(unique):
        pending = chunk
        for _ in range(MAX_ATTEMPTS):
            if not pending:
                break
            current = _read_tasks(store, workspace_id, {run.task_id for run in pending if run.task_id})
            reservations = _open_reservations(store, workspace_id, pending)
            items = _run_items(store, workspace_id, pending, current, reservations)
            try:
                store.transact(items)
            except store.client.exceptions.TransactionCanceledException as exc:
                already = _already_applied(store, workspace_id, pending, cancellation_reasons(exc))
                applied.duplicates += len(already)
                pending = [run for run in pending if run.run_id not in already]
                continue
            applied.transactions += 1
            applied.runs += len(pending)
            applied.touched_days.update((workspace_id, run.local_date) for run in pending)
            pending = []
        if pending:
            raise Contention(f"runs of workspace {workspace_id} kept conflicting")


def _read_tasks(store: Store, workspace_id: str, task_ids: set[str]) -> dict[str, dict[str, Any]]:
    found = store.batch_get(store.state, [_key(workspace_id, keys.agg_task_sk(t)) for t in sorted(task_ids)])
    return {keys.task_of_agg(item["sk"]): plain(item) for item in found}


def transaction_size(runs: list[RunRecorded]) -> int:
    """Items that the runs' transaction writes, at most (assignees are not known before the read)."""
    tasks = {run.task_id for run in runs if run.task_id}
    reserved = sum(1 for run in runs if run.reservation_id)
    days = {run.local_date for run in runs}
    task_days = {(run.local_date, run.task_id) for run in runs if run.task_id}
    return len(runs) + len(tasks) + (len(tasks) + 1) + 1 + len(days) + len(task_days) + 2 * reserved


def _chunks(runs: list[RunRecorded]) -> list[list[RunRecorded]]:
    """Groups that fit one transaction, runs of a task kept together where they fit."""
    chunks: list[list[RunRecorded]] = []
    current: list[RunRecorded] = []
    for run in sorted(runs, key=lambda r: (r.task_id or "", r.run_id)):
        if current and transaction_size(current + [run]) > MAX_TRANSACTION_ITEMS:
            chunks.append(current)
            current = []
        current.append(run)
    if current:
        chunks.append(current)
    return chunks


def _open_reservations(store: Store, workspace_id: str, runs: list[RunRecorded]) -> list[dict[str, Any]]:
    """The still-open reservations these runs name: they are released in the runs' transaction."""
    wanted = [_key(workspace_id, keys.reservation_sk(r.reservation_id)) for r in runs if r.reservation_id]
    if not wanted:
        return []
    return [plain(item) for item in store.batch_get(store.state, wanted) if item.get("state") == "open"]


def _sums(runs: list[RunRecorded]) -> dict[str, int]:
    return {":c": sum(r.cost_micros for r in runs), ":t": sum(r.tokens for r in runs), ":n": len(runs)}


def _run_items(store: Store, workspace_id: str, runs: list[RunRecorded], current: dict[str, dict[str, Any]],
               reservations: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Markers first (their index is the run's in `_already_applied`), then every sum they add to."""
    table = store.settings.state_table
    items: list[dict[str, Any]] = [
        {"Put": {"TableName": table, "ConditionExpression": "attribute_not_exists(pk)",
                 "Item": {**_key(workspace_id, keys.applied_run_sk(run.run_id)), "cost_micros": run.cost_micros,
                          "local_date": run.local_date, "task_id": run.task_id}}}
        for run in runs
    ]
    by_assignee: dict[str, list[int]] = {}  # member -> [cost, tokens, new tasks]

    def add(assignee: str, cost: int, tokens: int, new_tasks: int) -> None:
        group = by_assignee.setdefault(assignee, [0, 0, 0])
        group[0], group[1], group[2] = group[0] + cost, group[1] + tokens, group[2] + new_tasks

    for task_id in sorted({run.task_id for run in runs if run.task_id}):
        of_task = [run for run in runs if run.task_id == task_id]
        values = {**_sums(of_task), ":one": 1, ":last": max(run.started_at for run in of_task)}
        task_key = _key(workspace_id, keys.agg_task_sk(task_id))
        known = current.get(task_id)
        if known is None:
            add(keys.UNASSIGNED, values[":c"], values[":t"], 1)
            items.append(_update(
                store, task_key,
                "SET task_id = :task, assignee = :a, #status = :open, title = :empty, known = :false, "
                "last_run_at = :last ADD cost_micros :c, tokens :t, runs :n, ver :one",
                {**values, ":task": task_id, ":a": keys.UNASSIGNED, ":open": "open", ":empty": "", ":false": False},
                "attribute_not_exists(pk)", {"#status": "status"}))
        else:
            add(known["assignee"], values[":c"], values[":t"], 0)
            values[":last"] = max(values[":last"], known.get("last_run_at") or "")
            items.append(_update(store, task_key, "SET last_run_at = :last ADD cost_micros :c, tokens :t, runs :n, "
                                 "ver :one", {**values, ":v": known["ver"]}, "ver = :v"))
    taskless = [run for run in runs if not run.task_id]
    if taskless:
        add(keys.UNASSIGNED, _sums(taskless)[":c"], _sums(taskless)[":t"], 0)
    for assignee, (cost, tokens, new_tasks) in sorted(by_assignee.items()):
        items.append(_add_to_assignee(store, workspace_id, assignee, cost, tokens, new_tasks))
    items.append(_update(store, _key(workspace_id, keys.AGG_TOTAL_SK), "ADD cost_micros :c, tokens :t, runs :n",
                         _sums(runs)))
    released: dict[str, int] = {}
    for reservation in reservations:
        released[reservation["date"]] = released.get(reservation["date"], 0) + int(reservation["amount_micros"])
        items.append(_update(store, _key(workspace_id, keys.reservation_sk(reservation["reservation_id"])),
                             "SET #state = :released", {":released": "released", ":open": "open"},
                             "#state = :open", {"#state": "state"}))
    run_days = {run.local_date for run in runs}
    for day in sorted(set(released) - run_days):
        items.append(_update(store, _key(workspace_id, keys.agg_day_sk(day)), "ADD reserved_micros :r",
                             {":r": -released[day]}))
    for day in sorted(run_days):
        items.append(_update(store, _key(workspace_id, keys.agg_day_sk(day)),
                             "SET gsi1pk = :daykey, gsi1sk = :ws, #date = :day "
                             "ADD cost_micros :c, tokens :t, runs :n, reserved_micros :r",
                             {**_sums([r for r in runs if r.local_date == day]), ":daykey": keys.day_key(day),
                              ":ws": workspace_id, ":day": day, ":r": -released.get(day, 0)},
                             names={"#date": "date"}))
    for day, task_id in sorted({(run.local_date, run.task_id) for run in runs if run.task_id}):
        of_day_task = [r for r in runs if r.local_date == day and r.task_id == task_id]
        items.append(_update(store, _key(workspace_id, keys.agg_day_task_sk(day, task_id)),
                             "SET task_id = :task, #date = :day ADD cost_micros :c, tokens :t, runs :n",
                             {**_sums(of_day_task), ":task": task_id, ":day": day}, names={"#date": "date"}))
    return items


def _already_applied(store: Store, workspace_id: str, runs: list[RunRecorded], reasons: list[str]) -> set[str]:
    """Which runs of a cancelled transaction were counted before (their marker exists)."""
    if len(reasons) >= len(runs):
        return {run.run_id for run, reason in zip(runs, reasons, strict=False) if reason == "ConditionalCheckFailed"}
    found = store.batch_get(store.state, [_key(workspace_id, keys.applied_run_sk(run.run_id)) for run in runs])
    return {item["sk"].removeprefix("APPLIED#RUN#") for item in found}


def _try(store: Store, items: list[dict[str, Any]], applied: Applied) -> bool:
    try:
        store.transact(items)
    except store.client.exceptions.TransactionCanceledException as exc:
        if any(reason not in ("ConditionalCheckFailed", "TransactionConflict", "None")
               for reason in cancellation_reasons(exc)):
            raise
        return False
    applied.transactions += 1
    return True
