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
from tests.conftest import ApiClient, make_workspace
from tests.streams import StreamTap, stream_event


def noon_timezone(now: datetime | None = None) -> str:
    """A fixed-offset zone in which it is about noon now: no test runs into local midnight or the digest hour."""
    offset = 12 - (now or timeutil.now_utc()).hour  # -11 .. +12
    return "Etc/GMT" if offset == 0 else f"Etc/GMT{-offset:+d}"  # POSIX names: Etc/GMT-2 is UTC+2


def instant(moment: datetime) -> str:
    return timeutil.format_instant(moment)


def open_workspace(admin: ApiClient, client: Any, **extra: Any) -> tuple[str, ApiClient]:
    """A workspace in a zone where it is noon now, and an ApiClient with its all-scopes token."""
    workspace_id, token = make_workspace(admin, timezone=noon_timezone(), **extra)
    return workspace_id, ApiClient(client, token)


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


def minutes_ago(minutes: float) -> str:
    return instant(timeutil.now_utc() - timedelta(minutes=minutes))
