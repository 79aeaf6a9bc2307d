"""Property: whatever the order of writes and however often the stream redelivers, the money reconciles."""
from __future__ import annotations

import itertools
import os
from contextlib import contextmanager
from datetime import timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chalicelib import models, timeutil
from chalicelib.aggregation.compute import compute_aggregates
from chalicelib.aggregation.handler import handle_stream_event
from chalicelib.aggregation.rebuild import _query_all
from chalicelib.errors import LoopDeskError
from chalicelib.ingest import members, runs, tasks, workspaces
from chalicelib.reports.breakdown import cost_by_assignee
from tests.streams import StreamTap, stream_event

MEMBERS = ["m1", "m2", "m3"]
TASKS = ["t1", "t2", "t3", "t4"]
EXAMPLES = int(os.environ.get("PROPERTY_EXAMPLES", "200"))  # make test runs 200
COMPARED = ("cost_micros", "tokens", "runs", "tasks", "assignee", "status", "last_run_at")

member_write = st.tuples(st.just("member"), st.sampled_from(MEMBERS))
task_write = st.tuples(st.just("task"), st.sampled_from(TASKS), st.sampled_from([None, *MEMBERS]),
                       st.sampled_from(["open", "closed"]))
run_write = st.tuples(st.just("run"), st.integers(0, 14), st.sampled_from([None, *TASKS, "t-unknown"]),
                      st.integers(0, 3_000_000), st.integers(0, 9))
delivery = st.tuples(st.just("deliver"), st.integers(1, 12), st.booleans(), st.booleans())
operations = st.lists(st.one_of(member_write, task_write, run_write, delivery), min_size=1, max_size=18)


@pytest.fixture(scope="module")
def aws_account():
    from moto import mock_aws

    with mock_aws():
        yield


@contextmanager
def fresh_tables():
    """Tables of our own per example (moto copies every table on each transaction: keep them small)."""
    import boto3

    from chalicelib.config import Settings
    from chalicelib.store.db import connect
    from chalicelib.store.tables import create_tables

    suffix = next(_COUNTER)
    settings_ = Settings.from_env({"LOOPDESK_SOURCE_TABLE": f"prop-source-{suffix}",
                                   "LOOPDESK_STATE_TABLE": f"prop-state-{suffix}"})
    client = boto3.client("dynamodb", region_name="us-east-1")
    create_tables(client, settings_)
    store = connect(settings_)
    try:
        yield store, StreamTap(store)
    finally:
        client.delete_table(TableName=settings_.source_table)
        client.delete_table(TableName=settings_.state_table)


_COUNTER = itertools.count()


def _reconciles(store, workspace_id, now, applied_total):
    breakdown = cost_by_assignee(store, workspace_id, now)
    rows = sum(row.cost_usd for row in breakdown.assignees) + breakdown.unassigned.cost_usd
    total_item = store.state.get_item(Key={"pk": f"WS#{workspace_id}", "sk": "AGG#TOTAL"}).get("Item") or {}
    assert rows == breakdown.total_usd == int(total_item.get("cost_micros", 0)) == applied_total


def _applied_total(store, workspace_id):
    return sum(int(i["cost_micros"]) for i in _query_all(store.state, workspace_id)
               if i["sk"].startswith("APPLIED#RUN#"))


@settings(max_examples=EXAMPLES, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(ops=operations)
def test_aggregates_reconcile_under_any_delivery(aws_account, ops):
    with fresh_tables() as (store, tap):
        check_sequence(store, tap, ops)


def check_sequence(store, tap, ops):
    now = timeutil.now_utc()
    workspace_id = workspaces.create_workspace(
        store, models.WorkspaceCreate(name="P", timezone="Pacific/Auckland"), now).workspace_id
    pending, delivered_batches = [], []
    for op in ops:
        kind = op[0]
        try:
            if kind == "member":
                members.put_member(store, workspace_id, op[1], models.MemberPut(
                    name=op[1].upper(), email=f"{op[1]}@example.com", role="operator"), now)
            elif kind == "task":
                tasks.put_task(store, workspace_id, op[1], models.TaskPut(
                    title=f"title {op[1]}", assignee_id=op[2], status=op[3]), now)
            elif kind == "run":
                _, hours_ago, task_id, micros, run_no = op
                runs.record_run(store, workspace_id, models.RunPost(
                    run_id=f"r{run_no}", task_id=task_id, started_at=now - timedelta(hours=hours_ago * 7),
                    model="m", input_tokens=micros % 1000, output_tokens=7, cost_usd=f"{micros / 1_000_000:.6f}"), now)
        except LoopDeskError:
            pass  # unknown member or run conflict: refused, nothing written
        pending.extend(tap.take())
        if kind == "deliver":
            _, size, duplicate, redeliver = op
            batch, pending = pending[:size], pending[size:]
            if duplicate:
                batch = batch + batch[: max(1, len(batch) // 2)]
            handle_stream_event(store, stream_event(batch))
            delivered_batches.append(batch)
            if redeliver and delivered_batches:
                handle_stream_event(store, stream_event(delivered_batches[0]))
            _reconciles(store, workspace_id, now, _applied_total(store, workspace_id))
    # Drain what is left, then everything must equal a recompute from the source items.
    pending.extend(tap.take())
    handle_stream_event(store, stream_event(pending))
    source = _query_all(store.source, workspace_id)
    stored_runs = sum(int(i["cost_micros"]) for i in source if i.get("entity") == "run")
    _reconciles(store, workspace_id, now, stored_runs)
    expected = compute_aggregates(source)
    actual = {i["sk"]: i for i in _query_all(store.state, workspace_id) if i["sk"].startswith("AGG#")}
    for sk, values in expected.items():
        got = actual.get(sk, {})
        for field in COMPARED:
            if field in values and (values[field] or field in got):
                assert got.get(field) == values[field], (sk, field, got, values)
    for sk, got in actual.items():
        if sk not in expected:
            assert not any(int(got.get(f, 0)) for f in ("cost_micros", "tokens", "runs", "tasks")), (sk, got)
