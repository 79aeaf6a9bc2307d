"""Coalesced run transactions always fit DynamoDB's 100-item limit."""
from __future__ import annotations

from types import SimpleNamespace

import pytest

from chalicelib.aggregation.apply import MAX_TRANSACTION_ITEMS, _chunks, _run_items, transaction_size
from chalicelib.aggregation.records import RunRecorded

STORE = SimpleNamespace(settings=SimpleNamespace(state_table="state"))


def runs(count, days, tasks, reserved_every):
    return [RunRecorded(workspace_id="ws", run_id=f"r{n:04d}", task_id=f"t{n % tasks}" if tasks else None,
                        cost_micros=n, tokens=1, started_at=f"2026-11-{1 + n % days:02d}T10:00:00Z",
                        local_date=f"2026-11-{1 + n % days:02d}",
                        reservation_id=f"res{n}" if reserved_every and n % reserved_every == 0 else None)
            for n in range(count)]


@pytest.mark.parametrize("count,days,tasks,reserved_every", [(100, 1, 1, 0), (250, 30, 1, 0), (250, 30, 7, 1),
                                                              (300, 2, 0, 3), (100, 1, 100, 0), (400, 9, 40, 5)])
def test_every_chunk_fits_one_transaction(count, days, tasks, reserved_every):
    batch = runs(count, days, tasks, reserved_every)
    chunks = _chunks(batch)
    assert sorted(r.run_id for chunk in chunks for r in chunk) == sorted(r.run_id for r in batch)
    for chunk in chunks:
        reservations = [{"reservation_id": r.reservation_id, "date": "2026-10-31", "amount_micros": 1}
                        for r in chunk if r.reservation_id]
        # every task known, each with its own assignee: the most items the estimate allows for
        current = {r.task_id: {"assignee": f"m-{r.task_id}", "ver": 1} for r in chunk if r.task_id}
        items = _run_items(STORE, "ws", chunk, current, reservations)
        assert len(items) <= transaction_size(chunk) <= MAX_TRANSACTION_ITEMS


def test_many_runs_of_one_task_on_one_day_share_one_transaction():
    assert len(_chunks(runs(94, 1, 1, 0))) == 1
    assert len(_chunks(runs(100, 1, 100, 0))) == 5
