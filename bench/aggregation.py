"""Benchmark (not a test): the stream handler's DynamoDB writes and time per run.

    make bench        # or: python -m bench.aggregation

Three shapes of a 100-run batch: one task, 100 tasks, 10 workspaces. Prints write requests per
run, items written per run, and handler time per run on moto (in-process), so ratios between the
shapes are the signal, not the absolute times.
"""
from __future__ import annotations

import os
import time
from datetime import timedelta

os.environ.setdefault("AWS_ACCESS_KEY_ID", "bench")
os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "bench")
os.environ["AWS_DEFAULT_REGION"] = "us-east-1"
os.environ["AWS_ACCOUNT_ID_ENDPOINT_MODE"] = "disabled"
os.environ.pop("AWS_ENDPOINT_URL", None)

BATCH = 100
WRITE_OPS = {"PutItem", "UpdateItem", "DeleteItem", "TransactWriteItems", "BatchWriteItem"}


def _scenario(name: str, workspace_count: int, task_count: int) -> None:
    import boto3
    from moto import mock_aws

    from chalicelib import models, timeutil
    from chalicelib.aggregation.handler import handle_stream_event
    from chalicelib.config import Settings
    from chalicelib.ingest import runs, workspaces
    from chalicelib.store.db import connect
    from chalicelib.store.tables import create_tables
    from tests.streams import StreamTap, stream_event

    with mock_aws():
        settings = Settings.from_env({"LOOPDESK_STAGE": "bench"})
        create_tables(boto3.client("dynamodb", region_name="us-east-1"), settings)
        store = connect(settings)
        now = timeutil.now_utc()
        ids = [workspaces.create_workspace(store, models.WorkspaceCreate(name=f"B{i}", timezone="UTC"),
                                           now).workspace_id
               for i in range(workspace_count)]
        tap = StreamTap(store)
        tap.take()
        for n in range(BATCH):
            run = models.RunPost(run_id=f"r{n}", task_id=f"t{n % task_count}", started_at=now - timedelta(minutes=n),
                                 model="m", input_tokens=100, output_tokens=20, cost_usd="0.012345")
            runs.record_run(store, ids[n % workspace_count], run, now, "UTC")
        records = tap.take()
        counts = {"requests": 0, "items": 0}

        def count(params, event_name, **_):
            if event_name.rsplit(".", 1)[-1] in WRITE_OPS:
                counts["requests"] += 1
                counts["items"] += len(params.get("TransactItems", [])) or 1

        store.client.meta.events.register("before-parameter-build.dynamodb.*", count)
        started = time.perf_counter()
        result = handle_stream_event(store, stream_event(records))
        elapsed = time.perf_counter() - started
        assert result.applied.runs == BATCH, result
        print(f"{name:<16} write requests/run {counts['requests'] / BATCH:6.3f}   items written/run "
              f"{counts['items'] / BATCH:6.3f}   transactions {result.applied.transactions:4d}   "
              f"handler ms/run {1000 * elapsed / BATCH:7.2f}")


def main() -> None:
    print(f"stream handler, one batch of {BATCH} runs (moto in-process):")
    _scenario("one task", 1, 1)
    _scenario("100 tasks", 1, 100)
    _scenario("10 workspaces", 10, 10)


if __name__ == "__main__":
    main()
