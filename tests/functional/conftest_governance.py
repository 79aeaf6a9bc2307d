"""Fixtures and helpers of the governance tests (cap, admission, spike, Slack, webhooks).

Loaded with `pytest_plugins = ["tests.functional.conftest_governance", "tests.receivers"]`; the test
modules also import its helpers, so it opts out of assertion rewriting (it has no asserts):
PYTEST_DONT_REWRITE
"""
from __future__ import annotations

import threading
from datetime import datetime, timedelta
from typing import Any, Iterator

import pytest

import app as application
from chalicelib import timeutil
from chalicelib.alerts.governance import run_tick
from chalicelib.store.db import Store
from tests.conftest import ApiClient, make_workspace, run_body
from tests.streams import StreamTap, stream_event


def noon_timezone(now: datetime | None = None) -> str:
    """A fixed-offset zone in which it is about noon now: no test runs into local midnight or the digest hour."""
    offset = 12 - (now or timeutil.now_utc()).hour  # -11 .. +12
    return "Etc/GMT" if offset == 0 else f"Etc/GMT{-offset:+d}"  # POSIX names: Etc/GMT-2 is UTC+2


def instant(moment: datetime) -> str:
    return timeutil.format_instant(moment)


def minutes_ago(minutes: float) -> str:
    return instant(timeutil.now_utc() - timedelta(minutes=minutes))


def open_workspace(admin: ApiClient, client: Any, **extra: Any) -> tuple[str, ApiClient]:
    """A workspace in a zone where it is noon now, and an ApiClient with its all-scopes token."""
    workspace_id, token = make_workspace(admin, timezone=noon_timezone(), **extra)
    return workspace_id, ApiClient(client, token)


def fire_spike(store: Store, api: ApiClient, tap: StreamTap, workspace_id: str, now: datetime) -> None:
    """$2 today and nothing before: the schedule's check at `now` fires a cost_spike."""
    api.post("/api/v1/runs", run_body("r1", "2.000000", started_at=minutes_ago(1)))
    deliver(tap.take())
    run_tick(store, now, workspace_id)


def spike_delivery(api: ApiClient, channel: str) -> dict[str, Any]:
    """The cost_spike alert's delivery on `channel`, as the audit trail shows it."""
    alert = next(a for a in api.get("/api/v1/alerts").body["alerts"] if a["type"] == "cost_spike")
    return next(d for d in alert["deliveries"] if d["channel"] == channel)


def connections(store: Store, count: int) -> list[Store]:
    """One connection per desk, as separate Lambda containers have (from one session: cheaper to make)."""
    import boto3
    from botocore.config import Config

    session = boto3.session.Session(region_name=store.settings.region)
    handles = []
    for _ in range(count):
        resource = session.resource("dynamodb", config=Config(account_id_endpoint_mode="disabled"))
        handles.append(Store(settings=store.settings, client=resource.meta.client,
                             source=resource.Table(store.settings.source_table),
                             state=resource.Table(store.settings.state_table)))
    return handles


def deliver(records: list[dict[str, Any]]) -> Any:
    """Hand stream records to the app's stream handler, as Lambda would."""
    return application.aggregate_costs(stream_event(records), None)


@pytest.fixture
def tap(store: Any) -> StreamTap:
    return StreamTap(store)


@pytest.fixture
def serialized_moto(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Make each moto DynamoDB request atomic, as each DynamoDB request is.

    moto's in-process backend has no locking: `transact_write_items` deep-copies whole tables as a
    backup and restores that copy when the transaction is cancelled, so a concurrent request that
    committed in between is silently undone, and the copy itself can fail with "dictionary changed
    size during iteration". Real DynamoDB applies every request atomically and serializably. This
    lock gives moto exactly that and nothing more: the product's own read-then-conditional-write
    races between requests are untouched. Test-side only; product code never takes a lock.
    """
    from moto.dynamodb.responses import DynamoHandler

    lock = threading.RLock()
    original = DynamoHandler.call_action

    def call_action(self: Any) -> Any:
        with lock:
            return original(self)

    monkeypatch.setattr(DynamoHandler, "call_action", call_action)
    yield
