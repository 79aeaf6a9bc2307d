"""Recompute one workspace's aggregates from its source items (repair after a bug).

    python -m chalicelib.aggregation.rebuild --workspace ws_...

Run it while the workspace's stream is drained (no writes in flight): it replaces the aggregates and
the dedupe markers with what the source items say.
"""
from __future__ import annotations

import argparse
import sys
from typing import Any, Callable

from chalicelib.aggregation.compute import compute_aggregates
from chalicelib.store import keys
from chalicelib.store.db import Store, query_all

DERIVED_PREFIXES = ("AGG#", "APPLIED#RUN#")


def _query_all(table: Any, workspace_id: str) -> list[dict[str, Any]]:
    return query_all(table, keys.workspace_pk(workspace_id))


def rebuild_workspace(store: Store, workspace_id: str,
                      progress: Callable[[int, int], None] = lambda done, total: None) -> dict[str, int]:
    """Replace every derived item of the workspace by a recompute; returns counts."""
    source = _query_all(store.source, workspace_id)
    computed = compute_aggregates(source)
    markers = {keys.applied_run_sk(item["run_id"]): {"cost_micros": int(item["cost_micros"]),
                                                      "local_date": item["local_date"], "task_id": item.get("task_id")}
               for item in source if item.get("entity") == "run"}
    state = _query_all(store.state, workspace_id)
    stale = [item for item in state if item["sk"].startswith(DERIVED_PREFIXES)]
    for reservation in (i for i in state if i["sk"].startswith("RES#") and i.get("state") == "open"):
        day = computed.setdefault(keys.agg_day_sk(reservation["date"]), {"cost_micros": 0, "tokens": 0, "runs": 0})
        day["reserved_micros"] = day.get("reserved_micros", 0) + int(reservation["amount_micros"])
    total = len(stale) + len(computed) + len(markers)
    done = 0
    with store.state.batch_writer(overwrite_by_pkeys=["pk", "sk"]) as batch:
        for item in stale:
            batch.delete_item(Key={"pk": item["pk"], "sk": item["sk"]})
            done += 1
            progress(done, total)
        for sk, values in {**computed, **markers}.items():
            item = {"pk": keys.workspace_pk(workspace_id), "sk": sk, **values}
            if sk.startswith("AGG#TASK#"):
                item.update(task_id=keys.task_of_agg(sk), ver=1)
            elif sk.startswith("AGG#ASSIGNEE#"):
                item["member_id"] = sk.removeprefix("AGG#ASSIGNEE#")
            elif sk.startswith("AGG#DAYTASK#"):
                day, task_id = sk.removeprefix("AGG#DAYTASK#").split("#", 1)
                item.update(date=day, task_id=task_id)
            elif sk.startswith("AGG#DAY#"):
                day = keys.day_of_agg(sk)
                item.update(date=day, gsi1pk=f"DAY#{day}", gsi1sk=workspace_id)
            batch.put_item(Item={k: v for k, v in item.items() if v is not None})
            done += 1
            progress(done, total)
    return {"deleted": len(stale), "aggregates": len(computed), "markers": len(markers)}


def _bar(done: int, total: int) -> None:
    """A text progress bar on stderr, redrawn once per percent."""
    width = 40
    if done != total and (100 * done // max(total, 1)) == (100 * (done - 1) // max(total, 1)):
        return
    filled = width * done // max(total, 1)
    sys.stderr.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{total}")
    if done == total:
        sys.stderr.write("\n")
    sys.stderr.flush()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--workspace", required=True, help="the workspace id (ws_...)")
    args = parser.parse_args(argv)
    from chalicelib.config import Settings
    from chalicelib.store.db import connect

    counts = rebuild_workspace(connect(Settings.from_env()), args.workspace, _bar)
    print(f"rebuilt {args.workspace}: {counts}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
